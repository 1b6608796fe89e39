"""VAT on an invoice: which treatment a customer gets from an issuer, and at what rate.

- a tax-exempt customer: no VAT, the reason printed;
- the customer's tax country is the issuer's (or unknown): the issuer country's rate;
- both in the EU, the customer a business with a valid VAT number (python-stdnum checks its
  format and check digits): reverse charge, 0 %, with the legal note;
- both in the EU, no valid VAT number (a consumer in another member state): the customer
  country's rate, declared through the One-Stop Shop (OSS), with a note; a country missing
  from the rate table is an error, never the issuer's rate;
- otherwise the customer is outside the issuer's tax area: outside the scope of VAT.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import vatin

from billing.models import BillingAccount, TaxTreatment, VatRate

EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905
)
ZERO = Decimal("0")


@dataclass(frozen=True)
class Tax:
    treatment: str
    rate: Decimal
    note: str


def issuer_country(issuer_account: BillingAccount | None) -> str:
    country = issuer_account.tax_country if issuer_account is not None else ""
    return (country or settings.BILLING_COUNTRY).upper()


class RateTable:
    """The VAT rate table, read once per run."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[datetime.date, Decimal]]] = {}
        for country, valid_from, rate in VatRate.objects.order_by(
            "country", "-valid_from"
        ).values_list("country", "valid_from", "rate"):
            self.rows.setdefault(country, []).append((valid_from, rate))

    def rate(self, country: str, day: datetime.date) -> Decimal:
        for valid_from, rate in self.rows.get(country, []):
            if valid_from <= day:
                return rate
        raise ValidationError(
            _("There is no VAT rate for %(country)s on %(day)s: add one to the rate table.")
            % {"country": country or "?", "day": day.isoformat()}
        )


def _country(code: str) -> str:
    code = code.upper()
    return "GR" if code == "EL" else code


def tax_for(
    account: BillingAccount, issuer_country_code: str, day: datetime.date, rates: RateTable
) -> Tax:
    """The treatment and rate of ``account``'s lines on an invoice dated ``day``."""
    home = _country(issuer_country_code)
    if account.tax_exempt:
        return Tax(
            TaxTreatment.EXEMPT,
            ZERO,
            _("Exempt from VAT: %(reason)s") % {"reason": account.tax_exemption_reason},
        )
    there = _country(account.tax_country or home)
    if there == home:
        return Tax(TaxTreatment.DOMESTIC, rates.rate(home, day), "")
    if home in EU and there in EU:
        number = account.vat_number
        if number and not number[:2].isalpha():
            number = account.tax_country + number
        if number and vatin.is_valid(number):
            return Tax(
                TaxTreatment.REVERSE_CHARGE,
                ZERO,
                _(
                    "Reverse charge: VAT to be accounted for by the recipient (Article 196, "
                    "Council Directive 2006/112/EC). Customer VAT number: %(number)s"
                )
                % {"number": vatin.compact(number)},
            )
        rate = rates.rate(there, day)
        return Tax(
            TaxTreatment.ONE_STOP_SHOP,
            rate,
            _(
                "VAT of %(country)s at %(rate)s %%: a consumer in another EU member state "
                "(Article 58, Council Directive 2006/112/EC), declared through the One-Stop "
                "Shop."
            )
            % {"country": there, "rate": rate},
        )
    return Tax(TaxTreatment.OUTSIDE_SCOPE, ZERO, _("Outside the scope of VAT."))
