"""The Reports' forms: the Usage report's period, and "Subscribe monthly"."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import FileFormat, ReportKind
from billing.reports.usage import Period
from customers.forms.widgets import StyledFormMixin

# A year and a day: a leap year's usage, and never a query over the whole history.
MAX_DAYS = 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PeriodForm(StyledFormMixin, forms.Form):
    """From and To (both included), at most a year, not after yesterday (today's seats are
    counted tonight). A GET form: the period is in the page's address, to share or bookmark."""

    start = forms.DateField(label=_("From"), widget=DateInput)
    end = forms.DateField(label=_("To"), widget=DateInput)

    def __init__(self, data=None, *, today: datetime.date | None = None, **kwargs):
        self.today = today or timezone.localdate()
        default = Period.default(self.today)
        if data is not None and not (data.get("start") or data.get("end")):
            data = None  # the first visit: no period chosen yet, no errors
        super().__init__(data, initial={"start": default.start, "end": default.end}, **kwargs)
        self.style_widgets()

    def clean_end(self) -> datetime.date:
        end = self.cleaned_data["end"]
        if end >= self.today:
            raise forms.ValidationError(
                _("Choose a day before today: today's seats are counted tonight.")
            )
        return end

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("start", _("The first day must not be after the last day."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("start", _("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return cleaned

    def period(self) -> Period:
        """The chosen period (the default one until a valid one is chosen)."""
        if self.is_bound and self.is_valid():
            return Period(self.cleaned_data["start"], self.cleaned_data["end"])
        return Period.default(self.today)


class SubscriptionForm(StyledFormMixin, forms.Form):
    report = forms.ChoiceField(choices=ReportKind.choices, widget=forms.HiddenInput)
    file_format = forms.ChoiceField(label=_("Format"), choices=FileFormat.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="monthly", **kwargs)
        self.style_widgets()


class DownloadForm(forms.Form):
    """``?format=`` of a download link."""

    format = forms.ChoiceField(choices=FileFormat.choices)
