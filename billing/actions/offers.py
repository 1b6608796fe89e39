"""Unit offers: an issuer's catalogue of units, adding one to a customer, and payments."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.actions.accounts import require_manage
from billing.actions.ledger import post
from billing.models import (
    BillingAccount,
    Cause,
    Purchase,
    PurchaseState,
    TransactionType,
    UnitOffer,
)
from core.actors import recorded_user
from core.scoping import decider, has_permission
from customers.actions import webhooks
from customers.models import Organisation, WebhookEvent


def require_offer_manager(actor: Any, issuer: Organisation) -> None:
    """An issuer's own admins (``manage_billing`` on it) keep its offers."""
    if not issuer.is_reseller or not has_permission(actor, "manage_billing", issuer):
        raise PermissionDenied(
            _("You may not manage the unit offers of %(issuer)s.") % {"issuer": issuer.name}
        )


def save_offer(*, actor: Any, offer: UnitOffer) -> UnitOffer:
    """Create or change an offer of ``offer.issuer``."""
    require_offer_manager(actor, offer.issuer)
    taken = UnitOffer.objects.filter(issuer=offer.issuer, name__iexact=offer.name)
    if taken.exclude(pk=offer.pk).exists():
        raise ValidationError(
            {
                "name": _("%(issuer)s already has an offer of this name.")
                % {"issuer": offer.issuer.name}
            }
        )
    offer.full_clean()
    offer.save()
    return offer


def offers_for(account: BillingAccount):
    """The active offers the account's issuer sells."""
    return UnitOffer.objects.filter(issuer=decider(account.organisation), is_active=True)


@transaction.atomic
def add_offer(
    *, actor: Any, account: BillingAccount, offer: UnitOffer, description: str
) -> Purchase:
    """Add a unit offer to a customer. A credit customer's units are credited at once (paid
    later); anyone else's are credited when the payment is recorded."""
    require_manage(actor, account.organisation)
    if not offers_for(account).filter(pk=offer.pk).exists():
        raise ValidationError({"offer": _("Choose an offer of the account's issuer.")})
    description = description.strip() or offer.name
    purchase = Purchase(
        account=account,
        offer=offer,
        units=offer.units,
        price=offer.price,
        description=description[:300],
        state=PurchaseState.AWAITING_PAYMENT,
        actor=recorded_user(actor),
    )
    if account.credit_customer:
        purchase.credit = _credit(actor, account, purchase)
        purchase.state = PurchaseState.CREDITED_UNPAID
    purchase.save()
    return purchase


def _credit(actor: Any, account: BillingAccount, purchase: Purchase):
    return post(
        account=account,
        transaction_type=TransactionType.CREDIT,
        amount=purchase.units,
        description=purchase.description,
        cause=Cause.OFFER,
        actor=actor,
        offer=purchase.offer,
    )


@transaction.atomic
def record_payment(*, actor: Any, purchase: Purchase, reference: str = "") -> Purchase:
    """The purchase is paid: credit its units if they were waiting for it."""
    require_manage(actor, purchase.account.organisation)
    locked = Purchase.objects.select_for_update().select_related("account__organisation", "offer")
    locked = locked.get(pk=purchase.pk)
    if locked.state == PurchaseState.PAID:
        raise ValidationError(_("This purchase is already paid."))
    if locked.state == PurchaseState.AWAITING_PAYMENT:
        locked.credit = _credit(actor, locked.account, locked)
    locked.state = PurchaseState.PAID
    locked.payment_reference = reference.strip()[:100]
    locked.paid_at = timezone.now()
    locked.save()
    webhooks.emit(
        WebhookEvent.PAYMENT_RECORDED,
        locked.account.organisation_id,
        {
            "purchase": locked.pk,
            "organisation": locked.account.organisation_id,
            "offer": locked.offer.name if locked.offer_id else "",
            "reference": locked.payment_reference,
            "paid_at": locked.paid_at,
        },
    )
    return locked
