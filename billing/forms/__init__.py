"""The billing forms: the profile (Configuration), the Units sub-tab's two forms, offers."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.actions.accounts import PROFILE_FIELDS
from billing.actions.ledger import MAX_UNITS
from billing.models import BillingAccount, BillingSettings, TransactionType, UnitOffer
from customers.forms.widgets import StyledFormMixin

UNIT_STEP = Decimal("0.01")


class ProfileForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = BillingAccount
        fields = PROFILE_FIELDS
        widgets = {"licence_expiry_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(
        self,
        *args,
        offers=None,
        regions=None,
        default_terms: int | None = None,
        read_only: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["product_offer"].queryset = (
            offers if offers is not None else UnitOffer.objects.none()
        )
        if regions is not None:
            self.fields["storage_region"].queryset = regions
        organisation = self.instance.organisation
        for name in ("address", "city", "state", "zip_code", "country"):
            inherited = getattr(organisation, name)
            if inherited:
                self.fields[name].widget.attrs["placeholder"] = inherited
                self.fields[name].help_text = _("Empty: the organisation's (%(value)s).") % {
                    "value": inherited
                }
        # Empty: the provider's default, shown so the admin knows what empty means.
        terms = self.fields["payment_terms_days"]
        terms.widget.attrs["min"] = 0
        if default_terms is not None:
            terms.widget.attrs["placeholder"] = default_terms
            terms.help_text = _(
                "An invoice is due this many days after it is issued. Empty: the provider's "
                "default (%(days)s days)."
            ) % {"days": default_terms}
        if read_only:
            for field in self.fields.values():
                field.disabled = True
        self.style_widgets()


class AddOfferForm(StyledFormMixin, forms.Form):
    """Flexiant: select the offer from the product offer drop-down, enter a description."""

    offer = forms.ModelChoiceField(label=_("Product offer"), queryset=UnitOffer.objects.none())
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args, offers=None, **kwargs):
        super().__init__(*args, prefix="offer", **kwargs)
        if offers is not None:
            self.fields["offer"].queryset = offers
        self.style_widgets()


class AdjustUnitsForm(StyledFormMixin, forms.Form):
    """Flexiant: a description, the Transaction Type (credit or debit) and the units."""

    description = forms.CharField(label=_("Description"), max_length=300)
    transaction_type = forms.ChoiceField(
        label=_("Transaction Type"), choices=TransactionType.choices
    )
    units = forms.DecimalField(
        label=_("Units"),
        min_value=UNIT_STEP,
        max_value=MAX_UNITS,
        max_digits=14,
        decimal_places=2,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="adjust", **kwargs)
        self.style_widgets()


class PaymentForm(StyledFormMixin, forms.Form):
    reference = forms.CharField(label=_("Payment reference"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="payment", **kwargs)
        self.style_widgets()


class UnitOfferForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = UnitOffer
        fields = ["name", "units", "price", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()


class DateInput(forms.DateInput):
    input_type = "date"


class CreditQuotaForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Credit Quota"), min_value=1, max_value=MAX_UNITS, max_digits=14, decimal_places=2
    )
    effective_date = forms.DateField(label=_("Quota Effective Date"), widget=DateInput)
    end_date = forms.DateField(label=_("Quota End Date"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="quota", **kwargs)
        self.style_widgets()


class BillingSettingsForm(StyledFormMixin, forms.ModelForm):
    regions = forms.CharField(
        label=_("Storage Regions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: the regions customers can be placed in."),
    )

    class Meta:
        model = BillingSettings
        fields = ["cutoff_action", "cutoff_grace_days", "expiry_action", "payment_terms_days"]

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, prefix="settings", **kwargs)
        self.fields["regions"].initial = "\n".join(regions)
        self.style_widgets()

    def clean_regions(self) -> list[str]:
        names = [line.strip() for line in self.cleaned_data["regions"].splitlines()]
        names = [name for name in names if name]
        too_long = [name for name in names if len(name) > 100]
        if too_long:
            raise forms.ValidationError(_("A region name has at most 100 characters."))
        return names
