"""What every customer page needs: the organisations in reach, the tabs and the buttons.

The scoped fetch and the permission check are ``core.views.visible_or_404`` and ``require``."""

from __future__ import annotations

from django.urls import reverse

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
        "lifecycle": not organisation.is_provider and decides_lifecycle,
        "similar": not organisation.is_provider
        and has_permission(user, "add_customer", parent_side),
        "restore": on_org("manage_catalogue") and organisation.status == Status.DELETED,
        "make_reseller": not organisation.is_provider
        and not organisation.is_reseller
        and organisation.status != Status.DELETED
        and has_permission(user, "manage_services", parent_side),
        "add_admin": on_org("add_users") and organisation.status != Status.DELETED,
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
