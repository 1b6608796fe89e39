"""Decisions about quarantined accounts and groups, taken from the customer's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import QuarantinedObject
from core.views import visible_or_404
from provisioning.actions import quarantine as actions


def _item(request, pk: int) -> QuarantinedObject:
    return visible_or_404(
        request,
        QuarantinedObject.objects.select_related("organisation").filter(state__in=actions.OPEN),
        pk=pk,
    )


@login_required
@require_POST
def adopt(request, pk: int):
    """Make a portal user of a quarantined account."""
    item = _item(request, pk)
    if not actions.may_adopt(request.user, item):
        raise PermissionDenied
    try:
        person = actions.adopt_quarantined_account(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(item.organisation)
    messages.success(
        request, _("%(name)s is now a user of the portal.") % {"name": person.username}
    )
    return redirect(person)


@login_required
@require_POST
def delete(request, pk: int):
    """Delete a quarantined account or group for good."""
    item = _item(request, pk)
    if not actions.may_delete(request.user, item):
        raise PermissionDenied
    try:
        job = actions.delete_quarantined_object(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(item.organisation)
    messages.success(request, _("%(name)s is being deleted for good.") % {"name": item.name})
    return redirect(job)
