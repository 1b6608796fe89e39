"""The two services every catalogue has: Reseller and the directory account itself."""

from django.db import migrations

BUILTIN = [
    ("RESELLER", "Reseller", "reseller", "Makes a customer a reseller that can have customers."),
    ("ACCOUNT", "Directory account", "directory_account", "The user's Active Directory account."),
]


def create_services(apps, schema_editor):
    Service = apps.get_model("customers", "Service")
    Plan = apps.get_model("customers", "Plan")
    for code, name, service_type, description in BUILTIN:
        service, _ = Service.objects.get_or_create(
            code=code,
            defaults={"name": name, "service_type": service_type, "description": description},
        )
        Plan.objects.get_or_create(service=service, name="Standard")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_service_catalogue")]

    operations = [migrations.RunPython(create_services, migrations.RunPython.noop)]
