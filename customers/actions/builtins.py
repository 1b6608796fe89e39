"""What every Canopy installation has: the built-in security roles and services.

The data migrations create them, and so does a ``post_migrate`` handler, the way Django
re-creates permissions: a database flush (as transactional tests do) would otherwise leave
an installation without its Customer Admin role. Both take model classes as arguments so
migrations can pass their historical models.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

EVERY_PERMISSION = [
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
    "view_billing",
    "manage_billing",
]
CUSTOMER_ADMIN_PERMISSIONS = [
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
    # Their own balance, ledger, quota and expiry; the parent's admins manage the account.
    "view_billing",
]
# (name, description, permission codenames, counts as administrator)
BUILTIN_ROLES = [
    ("Provider Admin", "Everything, including the service catalogue.", EVERY_PERMISSION, True),
    (
        "Reseller Admin",
        "Manage the reseller's own customers and sub-resellers.",
        [c for c in EVERY_PERMISSION if c != "manage_catalogue"],
        True,
    ),
    (
        "Customer Admin",
        "Manage the customer's users and their services.",
        CUSTOMER_ADMIN_PERMISSIONS,
        True,
    ),
    (
        "Help Desk",
        "See organisations and users; reset passwords of ordinary users.",
        ["view_organisation", "view_users", "reset_passwords", "view_jobs"],
        False,
    ),
    ("User", "Self-service: see one's own services and change one's own password.", [], False),
]
# (code, name, service type, description)
BUILTIN_SERVICES = [
    ("RESELLER", "Reseller", "reseller", "Makes a customer a reseller that can have customers."),
    ("ACCOUNT", "Directory account", "directory_account", "The user's Active Directory account."),
]


def ensure_builtin_roles(apps) -> None:
    """Create or complete the built-in roles (``apps``: the app registry or a migration's)."""
    app_config = apps.get_app_config("customers")
    if getattr(app_config, "models_module", None) is None:
        # A migration's stub config: permissions are normally made after all migrations.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    else:
        create_permissions(app_config, apps=apps, verbosity=0)
    permission_model = apps.get_model("auth", "Permission")
    role_model = apps.get_model("customers", "Role")
    for name, description, codenames, is_admin in BUILTIN_ROLES:
        role, created = role_model.objects.get_or_create(
            name=name,
            defaults={"description": description, "is_builtin": True, "is_admin_role": is_admin},
        )
        if created:
            role.permissions.set(
                permission_model.objects.filter(
                    content_type__app_label="customers",
                    content_type__model="organisation",
                    codename__in=codenames,
                )
            )


def complete_builtin_roles(apps, codenames: list[str]) -> None:
    """Give the built-in roles the ``codenames`` they list but were created without (a
    permission added after they were made), and every holder of such a role the permission
    on the organisations the role was granted on."""
    ensure_builtin_roles(apps)
    permission_model = apps.get_model("auth", "Permission")
    role_model = apps.get_model("customers", "Role")
    grant_model = apps.get_model("customers", "RoleGrant")
    object_permission_model = apps.get_model("customers", "OrganisationUserObjectPermission")
    for name, _description, role_codenames, _is_admin in BUILTIN_ROLES:
        role = role_model.objects.filter(name=name, is_builtin=True).first()
        wanted = [c for c in codenames if c in role_codenames]
        if role is None or not wanted:
            continue
        permissions = list(
            permission_model.objects.filter(
                content_type__app_label="customers",
                content_type__model="organisation",
                codename__in=wanted,
            )
        )
        role.permissions.add(*permissions)
        object_permission_model.objects.bulk_create(
            [
                object_permission_model(
                    user_id=user_id, permission=permission, content_object_id=organisation_id
                )
                for user_id, organisation_id in grant_model.objects.filter(role=role).values_list(
                    "user_id", "organisation_id"
                )
                for permission in permissions
            ],
            ignore_conflicts=True,
        )


def ensure_builtin_services(apps) -> None:
    service_model = apps.get_model("customers", "Service")
    plan_model = apps.get_model("customers", "Plan")
    for code, name, service_type, description in BUILTIN_SERVICES:
        service, _ = service_model.objects.get_or_create(
            code=code,
            defaults={"name": name, "service_type": service_type, "description": description},
        )
        plan_model.objects.get_or_create(service=service, name="Standard")


def ensure_builtins(sender, apps=global_apps, **kwargs) -> None:
    """post_migrate handler: runs after every migrate and every flush (which passes no apps)."""
    ensure_builtin_roles(apps)
    ensure_builtin_services(apps)
