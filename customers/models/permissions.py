"""Direct foreign-key object permission tables, as django-guardian's performance guide advises.

Generic (content-type + text pk) rows cannot be joined to the organisation tree; these can,
which is what lets ``core.scoping`` resolve a user's scope in one query.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class OrganisationUserObjectPermission(UserObjectPermissionBase):
    """A permission a user holds on an organisation (and so on its subtree)."""

    content_object = models.ForeignKey("customers.Organisation", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission"])]


class OrganisationGroupObjectPermission(GroupObjectPermissionBase):
    """Group grants: guardian expects the pair; Canopy grants roles to users, not groups."""

    content_object = models.ForeignKey("customers.Organisation", on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass
