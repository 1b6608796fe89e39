"""E-mail forms: Send E-Mail (the customer page's tab) and one's own notice choices."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.forms.widgets import StyledFormMixin
from customers.models import Audience, NoticeKind


class SendEmailForm(StyledFormMixin, forms.Form):
    """Subject and message to the customer's people; Preview shows it before it is sent."""

    audience = forms.MultipleChoiceField(
        label=_("Recipients"),
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose who receives the message.")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), max_length=10000, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise forms.ValidationError(_("Enter a subject."))
        return subject

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        if not body:
            raise forms.ValidationError(_("Enter a message."))
        return body


class EmailPreferencesForm(forms.Form):
    """Ticked: the notice is wanted. Notices about one's own account are not listed: they
    always go."""

    wanted = forms.MultipleChoiceField(
        label=_("Send me e-mail when"),
        choices=NoticeKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
