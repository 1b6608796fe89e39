"""The banner on every page of a customer whose balance is low (warn level) or cut off."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.scoping import has_permission

CUT_OFF = _(
    "The unit balance is at or below the cutoff balance: no users, services or seats can be "
    "added until it is topped up."
)
WARNED = _("The unit balance is at or below the unit warn level.")


def billing_banner(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "organisation_id", None):
        return {}
    organisation = user.organisation
    cut_off = getattr(organisation, "billing_cut_off", False)
    warned = getattr(organisation, "billing_warned", False)
    if not (cut_off or warned) or not has_permission(user, "view_billing", organisation):
        return {}
    text = CUT_OFF if cut_off else WARNED
    return {
        "billing_banner": {
            "text": text,
            "level": "danger" if cut_off else "warning",
            "url": reverse("billing:units", args=[organisation.pk]),
        }
    }
