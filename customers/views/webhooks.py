"""Webhooks (a tab of the organisation, for its administrators): the endpoints, adding one
(its signing secret shown once), its deliveries with every attempt, and Resend."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import form_errors_from, require, run_action, visible_or_404
from customers.actions.webhooks import create_webhook, delete_webhook, resend_delivery
from customers.forms.webhooks import WebhookForm
from customers.models import Organisation, Webhook, WebhookAttempt, WebhookDelivery
from customers.views.common import page_context

SHOWN_DELIVERIES = 50


def _organisation(request, pk: int) -> Organisation:
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "change_organisation", organisation)
    return organisation


@login_required
def webhook_list(request, pk: int):
    organisation = _organisation(request, pk)
    form = WebhookForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            webhook, secret = create_webhook(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Webhook to %(url)s added.") % {"url": webhook.url})
            form = WebhookForm()
    context = page_context(request, organisation, "webhooks")
    context.update(
        {
            "webhooks": list(Webhook.objects.filter(organisation=organisation)),
            "form": form,
            # Shown in this answer only: it is stored encrypted and never shown again.
            "secret": secret,
        }
    )
    return render(request, "customers/webhooks.html", context)


def _webhook(request, pk: int, webhook_pk: int) -> Webhook:
    organisation = _organisation(request, pk)
    return visible_or_404(
        request,
        Webhook.objects.filter(organisation=organisation).select_related("organisation"),
        pk=webhook_pk,
    )


@login_required
def webhook_detail(request, pk: int, webhook_pk: int):
    webhook = _webhook(request, pk, webhook_pk)
    deliveries = (
        WebhookDelivery.objects.filter(webhook=webhook)
        .prefetch_related(Prefetch("attempt_rows", queryset=WebhookAttempt.objects.order_by("pk")))
        .order_by("-pk")[:SHOWN_DELIVERIES]
    )
    context = page_context(request, webhook.organisation, "webhooks")
    context.update({"webhook": webhook, "deliveries": list(deliveries)})
    return render(request, "customers/webhook_detail.html", context)


@login_required
@require_POST
def webhook_delete(request, pk: int, webhook_pk: int):
    webhook = _webhook(request, pk, webhook_pk)
    delete_webhook(actor=request.user, webhook=webhook)
    messages.success(request, _("Webhook to %(url)s removed.") % {"url": webhook.url})
    return redirect("customers:webhooks", pk=pk)


@login_required
@require_POST
def delivery_resend(request, pk: int, delivery_pk: int):
    organisation = _organisation(request, pk)
    delivery = visible_or_404(
        request,
        WebhookDelivery.objects.filter(webhook__organisation=organisation).select_related(
            "webhook__organisation"
        ),
        pk=delivery_pk,
    )
    return run_action(
        request,
        lambda: resend_delivery(actor=request.user, delivery=delivery),
        success=_("The delivery is being sent again."),
        redirect_to=reverse("customers:webhook_detail", args=[pk, delivery.webhook_id]),
    )
