"""Forms of the postpaid pages: a payment received, a period to run, a credit note, a
statement's dates."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import InvoiceLine, PaymentMethod
from customers.forms.widgets import StyledFormMixin

MONEY_STEP = Decimal("0.01")


def month_choices(count: int = 24) -> list[tuple[str, str]]:
    """The last ``count`` months, newest first, as ``YYYY-MM``."""
    day = timezone.localdate().replace(day=1)
    choices = []
    for _n in range(count):
        choices.append((day.strftime("%Y-%m"), day.strftime("%B %Y")))
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return choices


def parse_month(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


class PeriodForm(StyledFormMixin, forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="run", **kwargs)
        self.fields["period"].choices = month_choices()
        self.style_widgets()

    @property
    def month(self) -> datetime.date:
        return parse_month(self.cleaned_data["period"])


class PaymentReceivedForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), min_value=MONEY_STEP, max_digits=14, decimal_places=2
    )
    received_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="payment", **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())
        self.style_widgets()

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be received in the future."))
        return day


class CreditNoteForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    line = forms.ModelChoiceField(
        label=_("Line"),
        queryset=InvoiceLine.objects.none(),
        required=False,
        empty_label=_("Every line, in full"),
    )
    amount = forms.DecimalField(
        label=_("Net amount"),
        min_value=MONEY_STEP,
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("For a partial credit of the chosen line."),
    )

    def __init__(self, *args, lines=None, **kwargs):
        super().__init__(*args, prefix="credit", **kwargs)
        if lines is not None:
            self.fields["line"].queryset = lines
        self.style_widgets()

    def clean(self):
        data = super().clean()
        if data.get("amount") is not None and data.get("line") is None:
            self.add_error("line", _("Choose the line the amount credits."))
        return data

    def amounts(self) -> dict[int, Decimal] | None:
        line = self.cleaned_data.get("line")
        if line is None:
            return None
        amount = self.cleaned_data.get("amount")
        return {line.pk: amount if amount is not None else line.net}


class StatementForm(StyledFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end comes before the start."))
        return data
