"""An organisation's billing account, held by its parent (the issuer).

The provider bills its resellers and direct customers, each reseller its own customers: the
parent's admins (``manage_billing`` one level up, ``core.scoping.may_decide``) change the
profile and the balance; the organisation's own admins (``view_billing``) only look.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import vatin
from stdnum.exceptions import ValidationError as NumberError

from core.scoping import ScopedManager

UNITS = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0")
# Payment terms: 30 days unless the provider or the account says otherwise, at most a year.
DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_PAYMENT_TERMS_DAYS = 365


class BillingMode(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid units")
    POSTPAID = "postpaid", _("Postpaid invoices")


ADDRESS_FIELDS = ("address", "city", "state", "zip_code", "country")


class BillingAccount(models.Model):
    organisation = models.OneToOneField(
        "customers.Organisation", on_delete=models.CASCADE, related_name="billing_account"
    )
    product_offer = models.ForeignKey(
        "billing.UnitOffer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Product offer"),
        help_text=_("The customer product offer, if any, to associate with the account."),
    )
    # Billing address: empty fields mean "the organisation's" (see billing_address).
    address = models.CharField(_("Address"), max_length=250, blank=True)
    city = models.CharField(_("City"), max_length=100, blank=True)
    state = models.CharField(_("State"), max_length=100, blank=True)
    zip_code = models.CharField(_("ZIP Code"), max_length=20, blank=True)
    country = models.CharField(_("Country"), max_length=100, blank=True)
    tax_country = models.CharField(
        _("Tax country"), max_length=2, blank=True, help_text=_("Two-letter ISO code, e.g. DE.")
    )
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    tax_exempt = models.BooleanField(_("Tax exempt"), default=False)
    tax_exemption_reason = models.CharField(
        _("Tax exemption reason"),
        max_length=200,
        blank=True,
        help_text=_("Printed on the invoices of a tax-exempt customer."),
    )
    # Empty: the provider's default (BillingSettings.payment_terms_days), read when an
    # invoice is issued, so changing the default reaches every account that has none.
    payment_terms_days = models.PositiveSmallIntegerField(
        _("Payment terms (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PAYMENT_TERMS_DAYS)],
        help_text=_("An invoice is due this many days after it is issued."),
    )
    credit_customer = models.BooleanField(
        _("Credit customer"),
        default=False,
        help_text=_("May purchase units and pay later."),
    )
    unit_warn_level = models.DecimalField(
        _("Unit Warn Level"),
        null=True,
        blank=True,
        help_text=_("The customer is alerted by e-mail when the unit balance reaches it."),
        **UNITS,
    )
    cutoff_balance = models.DecimalField(
        _("Cutoff Balance"),
        null=True,
        blank=True,
        help_text=_("At or below this unit balance nothing new can be created."),
        **UNITS,
    )
    billing_mode = models.CharField(
        _("Billing mode"), max_length=10, choices=BillingMode.choices, default=BillingMode.PREPAID
    )
    currency = models.CharField(_("Currency"), max_length=3, default="EUR")
    # Changed only by billing.actions.ledger, in the transaction that writes the ledger row.
    balance = models.DecimalField(_("Balance"), default=ZERO, editable=False, **UNITS)
    storage_region = models.ForeignKey(
        "billing.StorageRegion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("Storage Region"),
    )
    licence_expiry_date = models.DateField(_("License Expiry Date"), null=True, blank=True)
    # Since when the balance is at or below the cutoff (the grace period counts from here);
    # and whether billing suspended the organisation, so a top-up resumes only what billing
    # suspended, never a suspension an admin chose.
    cut_off_since = models.DateTimeField(null=True, blank=True, editable=False)
    suspended_by_billing_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when a warn-level e-mail went out, cleared when the balance climbs back above it:
    # one e-mail per crossing.
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path = "organisation__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        verbose_name = _("billing account")

    def __str__(self) -> str:
        return str(self.organisation)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.tax_country = self.tax_country.upper()
        self.currency = self.currency.upper()
        if self.vat_number:
            number = self.vat_number
            if self.tax_country and not number[:2].isalpha():
                number = self.tax_country + number
            try:
                self.vat_number = vatin.validate(number)
            except NumberError:
                errors["vat_number"] = _("This is not a valid VAT number.")
            else:
                if self.tax_country and not self.vat_number.startswith(self.tax_country):
                    errors["vat_number"] = _("The VAT number is not one of the tax country.")
        if self.tax_exempt and not self.tax_exemption_reason.strip():
            errors["tax_exemption_reason"] = _("Say why the customer is exempt from tax.")
        if (
            self.cutoff_balance is not None
            and self.unit_warn_level is not None
            and self.unit_warn_level < self.cutoff_balance
        ):
            errors["unit_warn_level"] = _("The warn level must not be below the cutoff balance.")
        if errors:
            raise ValidationError(errors)

    def billing_address(self) -> dict[str, str]:
        """The address an invoice carries: this account's, field by field, or else the
        organisation's."""
        return {
            name: getattr(self, name) or getattr(self.organisation, name) for name in ADDRESS_FIELDS
        }

    @property
    def is_billed(self) -> bool:
        """Inactive Billing (the organisation's flag) stops debits and the cutoff."""
        return not self.organisation.inactive_billing

    @property
    def at_or_below_cutoff(self) -> bool:
        return self.cutoff_balance is not None and self.balance <= self.cutoff_balance

    @property
    def below_warn_level(self) -> bool:
        return self.unit_warn_level is not None and self.balance <= self.unit_warn_level


def banner_annotations() -> dict[str, models.Expression]:
    """Annotations for an Organisation queryset: is its balance below its warn level (a
    warning went out and it has not climbed back), or at or below its cutoff? The portal
    adds them to the query that loads the signed-in user's organisation anyway, so the
    banner costs no query of its own."""
    accounts = BillingAccount.objects.filter(organisation=models.OuterRef("pk"))
    return {
        "billing_warned": models.Exists(accounts.filter(warned_at__isnull=False)),
        "billing_cut_off": models.Exists(
            accounts.filter(
                cutoff_balance__isnull=False, balance__lte=models.F("cutoff_balance")
            ).exclude(organisation__inactive_billing=True)
        ),
    }
