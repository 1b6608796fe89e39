"""What every customer page needs: the organisations in reach, the tabs and the buttons.

The scoped fetch and the permission check are ``core.views.visible_or_404`` and ``require``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.registry import CUSTOMER_TABS
from core.scoping import decider, has_permission, within
from customers.actions.lifecycle import can_move
from customers.models import Organisation, Status
from customers.models.organisation import CLOSED_STATES


def scoped_organisations(request):
    """Organisations the viewer may see, inside the organisation they act in."""
    queryset = Organisation.objects.restrict(request.user, "view")
    acting = getattr(request, "acting_organisation", None)
    if acting is not None:
        queryset = queryset.filter(within(acting))
    return queryset


def lifecycle_actions(organisation: Organisation) -> list[str]:
    """The lifecycle buttons that make sense in the customer's current state."""
    status = organisation.status
    actions = []
    if status in {Status.DRAFT, Status.FAILED, Status.DEPROVISIONED} and can_move(
        organisation, Status.PROVISIONING
    ):
        actions.append("provision")
    if status == Status.ACTIVE:
        actions.append("suspend")
    if status == Status.SUSPENDED:
        actions += ["resume", "deprovision"]
    if status == Status.DRAFT:
        actions.append("deprovision")
    if status == Status.DEPROVISIONED:
        actions.append("delete")
    if status in {Status.ACTIVE, Status.SUSPENDED, Status.DRAFT, Status.FAILED}:
        actions.append("deprovision_delete")
    return actions


def page_context(request, organisation: Organisation, tab: str) -> dict:
    """Tabs and actions the viewer may use on this customer's page (no queries: the scope is
    loaded once per request)."""
    user = request.user
    parent_side = decider(organisation)

    def on_org(codename: str) -> bool:
        return has_permission(user, codename, organisation)

    decides_lifecycle = has_permission(user, "manage_lifecycle", parent_side)
    may = {
        "edit": on_org("change_organisation"),
        "roles": on_org("view_users"),
        "users": on_org("view_users"),
        "add_users": on_org("add_users") and organisation.status != Status.DELETED,
        "grant": on_org("grant_roles"),
        "jobs": on_org("view_jobs"),
        "security_log": on_org("grant_roles"),
        "service_accounts": on_org("add_users") and on_org("grant_roles"),
        "lifecycle": not organisation.is_provider and decides_lifecycle,
        "similar": not organisation.is_provider
        and has_permission(user, "add_customer", parent_side),
        "restore": on_org("manage_catalogue") and organisation.status == Status.DELETED,
        "make_reseller": not organisation.is_provider
        and not organisation.is_reseller
        and organisation.status != Status.DELETED
        and has_permission(user, "manage_services", parent_side),
        "add_admin": on_org("add_users") and organisation.status != Status.DELETED,
        # Login to CP: from a customer below one's own organisation, never from inside one.
        "login_to_cp": not organisation.is_provider
        and organisation.pk != getattr(user, "organisation_id", None)
        and getattr(request, "acting_actor", None) is None
        and organisation.status != Status.DELETED
        and on_org("change_users"),
        "move": not organisation.is_provider
        and organisation.status not in CLOSED_STATES
        and has_permission(user, "add_customer", parent_side),
    }
    actions = lifecycle_actions(organisation) if may["lifecycle"] else []
    if organisation.is_provider and decides_lifecycle:
        # The provider is provisioned like a reseller (its admins' accounts live in its OU);
        # nothing above it could suspend or delete it.
        actions = [a for a in lifecycle_actions(organisation) if a == "provision"]
    return {
        "organisation": organisation,
        "tab": tab,
        "may": may,
        "actions": actions,
        # Tabs the apps above register (billing's Billing and Units).
        "extra_tabs": [
            (tab.code, tab.label, reverse(tab.url_name, args=[organisation.pk]))
            for tab in CUSTOMER_TABS.values()
            if on_org(tab.codename)
        ],
        "action_links": [
            (reverse(f"customers:{name}", args=[organisation.pk]), ACTION_LABELS[name])
            for name in actions
        ],
    }


ACTION_LABELS = {
    "provision": "Provision",
    "suspend": "Suspend",
    "resume": "Resume",
    "deprovision": "Deprovision",
    "delete": "Delete",
    "deprovision_delete": "Deprovision and delete",
}


class StaffNames:
    """How the viewer sees a person named on a customer's pages (History, Roles, Security
    log): staff of the organisations above the viewer's own appear as "your provider" or
    "your reseller", not by name; a customer's people need not know who at their provider
    did something, only that their provider did. Admins of those organisations, and
    superusers, see names.

    No query of its own: the viewer's home organisation's ancestors are the breadcrumb's.
    """

    def __init__(self, viewer) -> None:
        home = getattr(viewer, "organisation", None)
        self.above: dict[int, Organisation] = {}
        if home is not None and not getattr(viewer, "is_superuser", False):
            self.above = {node.pk: node for node in home.ancestor_list()}

    def hides(self, person) -> bool:
        return person is not None and person.organisation_id in self.above

    def __call__(self, person, *, username: bool = False) -> str:
        if person is None:
            return str(_("System"))
        if self.hides(person):
            if self.above[person.organisation_id].parent_id is None:
                return str(_("your provider"))
            return str(_("your reseller"))
        return f"{person} ({person.username})" if username else str(person)
