"""The two services every catalogue has: Reseller and the directory account itself."""

from django.db import migrations

from customers.actions.builtins import ensure_builtin_services


def create_services(apps, schema_editor):
    ensure_builtin_services(apps)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_service_catalogue")]

    operations = [migrations.RunPython(create_services, migrations.RunPython.noop)]
