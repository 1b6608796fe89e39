"""Who sees which billing documents, and who acts on them: the one rule the billing pages and
the billing API share, so a person gets the same answer from both.

A billing document (invoice, credit note, payment) or account belongs to an organisation, its
customer. In this order:

1. The customer out of sight (no ``view_organisation`` on it) -> 404: the document is not
   there for this person (a sibling reseller, an end user).
2. The customer in sight but its billing not (no ``view_billing``, as the help desk) -> 403.
3. A draft invoice is the issuer's work in progress: it exists only for those who manage the
   customer's billing (``manage_billing`` one level up, ``may_manage``); for anyone else
   -> 404, as if not there (the customer's own admins see invoices once issued).
4. Recording a payment, issuing a draft, crediting an invoice: those who manage the
   customer's billing; anyone else who got this far -> 403 (the actions check it again).

Lists show what passes 1-3 and never answer 403: a help desk's list of invoices is empty.
Everything here is built on ``core.scoping`` (``restrict``/``holding`` and ``ranges_for``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from billing.actions.accounts import may_manage
from billing.models import BillingAccount, CreditNote, Invoice, InvoiceStatus, Payment
from core.scoping import EVERYTHING, ranges_for, require_permission, scope_q
from customers.models import Organisation

__all__ = [
    "accounts",
    "billing_customer",
    "credit_notes",
    "document_for",
    "invoice_for",
    "invoices",
    "may_manage",
    "payments",
    "require_managing",
    "require_reading",
]

SEES = "view_organisation"
READS = "view_billing"
MANAGES = "manage_billing"


def require_reading(user: Any, organisation: Organisation) -> None:
    """Step 2: a 403 unless ``user`` may read ``organisation``'s billing."""
    require_permission(user, READS, organisation)


def require_managing(user: Any, customer: Organisation) -> None:
    """Step 4: a 403 unless ``user`` manages ``customer``'s billing (its payments, invoices and
    credit notes), before a page or endpoint reads the input it would act on."""
    if not may_manage(user, customer):
        raise PermissionDenied(_("Only the admins above this customer manage its invoices."))


def billing_customer(user: Any, pk: int) -> Organisation:
    """The organisation whose billing a page or endpoint shows: 404 out of sight, 403 seen
    without ``view_billing``."""
    organisation = get_object_or_404(
        Organisation.objects.restrict(user, "view").select_related("parent"), pk=pk
    )
    require_reading(user, organisation)
    return organisation


def _drafts_rule(user: Any) -> Q:
    """Step 3 as a filter: issued invoices, and drafts of customers whose billing ``user``
    manages (``manage_billing`` on the customer's parent)."""
    ranges = ranges_for(user, MANAGES)
    if ranges == EVERYTHING:
        return Q()
    return ~Q(status=InvoiceStatus.DRAFT) | scope_q(ranges, "customer__parent__")


def _readable(queryset: QuerySet, user: Any) -> QuerySet:
    """Steps 1 and 2 as a filter (the rows of customers in sight whose billing ``user``
    reads)."""
    return queryset.holding(user, SEES).holding(user, READS)


def invoices(user: Any) -> QuerySet[Invoice]:
    """The invoices ``user``'s lists show: drafts only to those who manage them."""
    return _readable(Invoice.objects.all(), user).filter(_drafts_rule(user))


def credit_notes(user: Any) -> QuerySet[CreditNote]:
    return _readable(CreditNote.objects.all(), user)


def payments(user: Any) -> QuerySet[Payment]:
    return _readable(Payment.objects.all(), user)


def accounts(user: Any) -> QuerySet[BillingAccount]:
    return _readable(BillingAccount.objects.all(), user)


def document_for(user: Any, queryset: QuerySet, pk: int, *, lock: bool = False) -> Model:
    """One document (or account) of ``queryset`` by id: 404 when its customer is out of
    sight, 403 when its billing is; ``lock`` takes the row lock (inside a transaction)."""
    customer = _customer_field(queryset.model)
    queryset = queryset.select_related(customer)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    document = get_object_or_404(queryset.holding(user, SEES), pk=pk)
    require_reading(user, getattr(document, customer))
    return document


def invoice_for(
    user: Any,
    pk: int,
    *,
    customer: Organisation | None = None,
    lock: bool = False,
) -> Invoice:
    """One invoice by id (of ``customer``, when a page names it): steps 1-3."""
    queryset = Invoice.objects.all()
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    invoice = document_for(user, queryset.select_related("customer__parent"), pk, lock=lock)
    if invoice.is_draft and not may_manage(user, invoice.customer):
        raise Http404  # step 3: a draft is not there for those who do not manage it
    return invoice


def _customer_field(model: type[Model]) -> str:
    """The field naming the organisation a billing document or account belongs to (its
    ``scope_path``, one step: ``customer`` or ``organisation``)."""
    return model.scope_path.removesuffix("__")
