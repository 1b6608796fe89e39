"""The built-in security roles. Providers may define more in the portal or the admin."""

from django.db import migrations

from customers.actions.builtins import ensure_builtin_roles


def create_roles(apps, schema_editor):
    ensure_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
