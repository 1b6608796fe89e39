"""The built-in security roles. Providers may define more in the portal or the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EVERY = [
    "view_organisation",
    "change_organisation",
    "add_customer",
    "manage_lifecycle",
    "grant_roles",
    "view_users",
    "add_users",
    "change_users",
    "delete_users",
    "reset_passwords",
    "reset_admin_passwords",
    "view_jobs",
    "manage_jobs",
    "manage_services",
    "assign_services",
    "manage_catalogue",
]
CUSTOMER_ADMIN = [
    "view_organisation",
    "change_organisation",
    "grant_roles",
    "view_users",
    "add_users",
    "change_users",
    "delete_users",
    "reset_passwords",
    "reset_admin_passwords",
    "view_jobs",
    "manage_jobs",
    "assign_services",
]
BUILTIN_ROLES = [
    ("Provider Admin", "Everything, including the service catalogue.", EVERY, True),
    (
        "Reseller Admin",
        "Manage the reseller's own customers and sub-resellers.",
        [c for c in EVERY if c != "manage_catalogue"],
        True,
    ),
    ("Customer Admin", "Manage the customer's users and their services.", CUSTOMER_ADMIN, True),
    (
        "Help Desk",
        "See organisations and users; reset passwords of ordinary users.",
        ["view_organisation", "view_users", "reset_passwords", "view_jobs"],
        False,
    ),
    ("User", "Self-service: see one's own services and change one's own password.", [], False),
]


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations; roles need them now.
    app_config = apps.get_app_config("customers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("customers", "Role")
    for name, description, codenames, is_admin in BUILTIN_ROLES:
        role, _ = Role.objects.update_or_create(
            name=name,
            defaults={"description": description, "is_builtin": True, "is_admin_role": is_admin},
        )
        role.permissions.set(
            Permission.objects.filter(
                content_type__app_label="customers",
                content_type__model="organisation",
                codename__in=codenames,
            )
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
