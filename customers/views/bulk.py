"""Bulk actions on the Customers and Users lists: tick rows, then one action for each.

Every row goes through the same action its own page uses, with ``actor=request.user``: a
row the viewer may not act on (or whose state does not allow it) is refused with the
reason, never skipped in silence, and one message names what was done and what was refused.
Rows the viewer cannot see are counted as not found, without saying what they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from customers.actions.assignments import give_service
from customers.actions.lifecycle import resume_organisation, suspend_organisation
from customers.actions.users import set_enabled
from customers.models import CustomerService, Organisation, Service, User
from customers.tables import with_primary_domain
from customers.views.export import organisations_csv, users_csv

# Ticking is per page (25 customers, 50 users); more than this is not a person ticking.
MAX_SELECTED = 500


@dataclass
class Outcome:
    """What a bulk action did, row by row, and what it refused and why."""

    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def run(self, label: str, action: Callable[[], object]) -> None:
        try:
            action()
        except PermissionDenied as error:
            self.refused.append((label, str(error) or _("You may not do this.")))
        except ValidationError as error:
            self.refused.append((label, " ".join(error.messages)))
        else:
            self.done.append(label)

    def refuse(self, label: str, reason: str) -> None:
        self.refused.append((label, reason))

    def report(self, request, done_label: str) -> None:
        if self.done:
            messages.success(
                request,
                _("%(action)s: %(names)s.") % {"action": done_label, "names": ", ".join(self.done)},
            )
        if self.refused:
            reasons = "; ".join(f"{label} ({reason})" for label, reason in self.refused)
            messages.error(request, _("Refused: %(reasons)s") % {"reasons": reasons})


def selected_ids(request) -> list[int]:
    """The ticked rows' ids (anything that is not an id is ignored)."""
    return sorted({int(value) for value in request.POST.getlist("selected") if value.isdigit()})


def refuse_selection(request, ids: list[int], none_ticked: str) -> bool:
    """Say why nothing was done when no row, or more than MAX_SELECTED, is ticked."""
    if not ids:
        messages.error(request, none_ticked)
        return True
    if len(ids) > MAX_SELECTED:
        messages.error(
            request,
            _("Tick at most %(most)d rows at once; nothing was done.") % {"most": MAX_SELECTED},
        )
        return True
    return False


def back(request, default: str):
    """Back to the list as it was (its filters and page), never off the site."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = default
    return redirect(target)


def not_found(outcome: Outcome, wanted: int, found: int) -> None:
    if wanted > found:
        missing = wanted - found
        outcome.refuse(
            ngettext("%(count)d row", "%(count)d rows", missing) % {"count": missing},
            _("not found"),
        )


CUSTOMER_ACTIONS = {
    "suspend": (suspend_organisation, _("Suspended")),
    "resume": (resume_organisation, _("Resumed")),
}


@login_required
@require_POST
def customer_bulk(request):
    """Suspend, resume or export the ticked customers."""
    action = request.POST.get("action", "")
    ids = selected_ids(request)
    if action not in {*CUSTOMER_ACTIONS, "export"}:
        raise Http404
    if refuse_selection(request, ids, _("Tick one or more customers, then choose an action.")):
        return back(request, "customers:list")
    visible = list(
        Organisation.objects.restrict(request.user, "view").filter(pk__in=ids).order_by("name")
    )
    if action == "export":
        if len(visible) < len(ids):
            messages.error(
                request, _("Refused: some ticked rows were not found; nothing exported.")
            )
            return back(request, "customers:list")
        rows = with_primary_domain(
            Organisation.objects.filter(pk__in=[o.pk for o in visible]).select_related("parent")
        ).order_by("name", "pk")
        return organisations_csv(rows, "customers-selected")
    service, done_label = CUSTOMER_ACTIONS[action]
    outcome = Outcome()
    for organisation in visible:
        if organisation.is_provider:
            outcome.refuse(organisation.name, _("the provider is never suspended or resumed"))
            continue
        outcome.run(
            organisation.name,
            lambda o=organisation: service(actor=request.user, organisation=o),
        )
    not_found(outcome, len(ids), len(visible))
    outcome.report(request, done_label)
    return back(request, "customers:list")


@login_required
@require_POST
def user_bulk(request):
    """Disable, enable, give a service to, or export the ticked users."""
    action = request.POST.get("action", "")
    ids = selected_ids(request)
    if action not in {"disable", "enable", "assign", "export"}:
        raise Http404
    if refuse_selection(request, ids, _("Tick one or more users, then choose an action.")):
        return back(request, "users:list")
    visible = list(
        User.objects.restrict(request.user, "view")
        .select_related("organisation")
        .filter(pk__in=ids)
        .order_by("username")
    )
    if action == "export":
        if len(visible) < len(ids):
            messages.error(
                request, _("Refused: some ticked rows were not found; nothing exported.")
            )
            return back(request, "users:list")
        rows = User.objects.filter(pk__in=[p.pk for p in visible]).order_by("username")
        return users_csv(rows, "users-selected")
    outcome = Outcome()
    if action == "assign":
        service = Service.objects.filter(
            is_active=True, pk=request.POST.get("service") or None
        ).first()
        if service is None:
            messages.error(request, _("Choose the service to give."))
            return back(request, "users:list")
        give_to_each_customer(request, outcome, service, visible)
        done_label = _("Given %(service)s") % {"service": service.name}
    else:
        enabled = action == "enable"
        for person in visible:
            outcome.run(
                person.username,
                lambda p=person: set_enabled(actor=request.user, person=p, enabled=enabled),
            )
        done_label = _("Enabled") if enabled else _("Disabled")
    not_found(outcome, len(ids), len(visible))
    outcome.report(request, done_label)
    return back(request, "users:list")


def give_to_each_customer(request, outcome: Outcome, service: Service, people: list[User]):
    """One ``give_service`` per customer (a service goes to users of the customer that has
    it): a customer without the service, or without seats, is refused for its users."""
    by_customer: dict[int, list[User]] = defaultdict(list)
    for person in people:
        if person.organisation_id is None:
            outcome.refuse(person.username, _("belongs to no customer"))
        else:
            by_customer[person.organisation_id].append(person)
    subscriptions = {
        s.organisation_id: s
        for s in CustomerService.objects.select_related("service", "organisation").filter(
            organisation_id__in=list(by_customer), service=service
        )
    }
    for customer_id, group in by_customer.items():
        names = ", ".join(p.username for p in group)
        subscription = subscriptions.get(customer_id)
        if subscription is None:
            outcome.refuse(
                names,
                _("%(customer)s does not have %(service)s")
                % {"customer": group[0].organisation.name, "service": service.name},
            )
            continue
        outcome.run(
            names,
            lambda s=subscription, g=group: give_service(
                actor=request.user, subscription=s, users=g
            ),
        )
