"""Security roles (named sets of permissions) and the grants of roles to users."""

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.scoping import ScopedManager
from customers.models.history import ActingHistory


class Role(models.Model):
    """A named set of Organisation permissions, granted to a user on an organisation.

    Built-in roles arrive by data migration. A cloned admin role belongs to the customer it
    was cloned for (``organisation``); the others belong to the whole system.
    """

    name = models.CharField(_("Name"), max_length=150, unique=True)
    description = models.CharField(_("Description"), max_length=500, blank=True)
    permissions = models.ManyToManyField(
        Permission, blank=True, limit_choices_to={"content_type__app_label": "customers"}
    )
    is_builtin = models.BooleanField(default=False, editable=False)
    is_admin_role = models.BooleanField(
        _("Administrator role"),
        default=False,
        help_text=_("Holders count as administrators of the organisation."),
    )
    organisation = models.ForeignKey(
        "customers.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="own_roles",
        help_text=_("Set for roles that belong to one customer, such as cloned admin roles."),
    )
    service = models.ForeignKey(
        "customers.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roles",
        help_text=_("Service security roles are grantable only where the service is provisioned."),
    )
    cloned_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="clones"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def codenames(self) -> set[str]:
        return {p.codename for p in self.permissions.all()}


class RoleGrant(models.Model):
    """Which role gave a user permissions on an organisation: a revoke removes exactly these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[ActingHistory])
    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_users", "change": "grant_roles"}

    class Meta:
        ordering = ["organisation_id", "role__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="one_grant_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} on {self.organisation}"
