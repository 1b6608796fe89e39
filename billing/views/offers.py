"""A provider's or reseller's "Unit offers": the bundles of units it sells its customers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.actions.offers import save_offer
from billing.forms import UnitOfferForm
from billing.models import UnitOffer
from core.views import require, run_action, visible_or_404
from customers.models import Organisation


def _issuer(request, pk: int) -> Organisation:
    issuer = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if not issuer.is_reseller:
        raise Http404  # a customer sells nothing: there is no such page
    require(request, "manage_billing", issuer)
    return issuer


def _saved(request, issuer: Organisation, offer: UnitOffer, template: str, extra: dict):
    form = UnitOfferForm(request.POST or None, instance=offer)
    done = run_action(
        request,
        lambda: save_offer(actor=request.user, offer=form.instance),
        success=lambda saved: _("The offer %(name)s was saved.") % {"name": saved.name},
        redirect_to=reverse("billing:offers", args=[issuer.pk]),
        form=form,
    )
    if done:
        return done
    return render(request, template, {"issuer": issuer, "form": form, **extra})


@login_required
def offer_list(request, pk: int):
    issuer = _issuer(request, pk)
    offers = list(UnitOffer.objects.filter(issuer=issuer).order_by("name"))
    return _saved(
        request, issuer, UnitOffer(issuer=issuer), "billing/offers.html", {"offers": offers}
    )


@login_required
def offer_edit(request, pk: int, offer_pk: int):
    issuer = _issuer(request, pk)
    offer = get_object_or_404(UnitOffer, pk=offer_pk, issuer=issuer)
    return _saved(request, issuer, offer, "billing/offer_form.html", {"offer": offer})
