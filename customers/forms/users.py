"""Forms of the user pages. Password fields are checked against the customer's policy."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.actions.catalogue import HELD
from customers.actions.import_rows import check_upload_size
from customers.actions.users import USERNAME_PATTERN
from customers.actions.verification import upn_domain_names
from customers.forms.passwords import PasswordCheckMixin
from customers.models import CustomerService, Organisation, ServiceType, User
from customers.models.validators import unavailable, validate_upn_local


def domain_choices(organisation: Organisation) -> list[tuple[str, str]]:
    return [(name, f"@{name}") for name in upn_domain_names(organisation)]


def offered_subscriptions(organisation: Organisation):
    """The customer's services a user can be given (the directory account comes by itself)."""
    return (
        CustomerService.objects.filter(organisation=organisation, status__in=HELD)
        .exclude(service__service_type=ServiceType.DIRECTORY_ACCOUNT)
        .select_related("service", "plan")
    )


def language_choices(organisation: Organisation | None) -> list[tuple[str, str]]:
    """A person's Language: their organisation's default (named, so they see what empty
    means), or one of the portal's languages, each in its own language."""
    inherited = organisation.effective_language() if organisation is not None else ""
    names = dict(settings.LANGUAGES)
    default = (
        _("Organisation's default (%(language)s)") % {"language": names[inherited]}
        if inherited in names
        else _("The browser's language")
    )
    return [("", default), *settings.LANGUAGES]


class LanguageForm(forms.Form):
    """A person's own Language (My language)."""

    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, person: User, **kwargs):
        super().__init__(*args, initial={"language": person.language}, **kwargs)
        self.fields["language"].choices = language_choices(person.organisation)


class SubscriptionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CustomerService) -> str:
        return f"{obj.service.name} ({obj.plan.name})"


class PasswordPair(PasswordCheckMixin, forms.Form):
    """A password typed twice, checked against ``organisation``'s policy in ``clean``."""

    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password_repeat = forms.CharField(
        label=_("Repeat password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )


class UpnMixin:
    # The actions name the whole UPN; the form asks for the part before the @.
    error_fields = {"upn": "upn_local"}

    def upn_from(self, cleaned: dict, exclude_pk: int | None = None) -> str:
        local = (cleaned.get("upn_local") or "").strip().lower()
        domain = cleaned.get("domain") or ""
        if not local:
            return ""
        if "@" in local:
            self.add_error("upn_local", _("Type only the part before the @."))
            return ""
        try:
            validate_upn_local(local)
        except ValidationError as error:
            self.add_error("upn_local", error)
            return ""
        upn = f"{local}@{domain}"
        taken = User.objects.filter(upn=upn)
        if exclude_pk:
            taken = taken.exclude(pk=exclude_pk)
        if taken.exists():
            self.add_error("upn_local", unavailable("upn", upn))
        return upn


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DatesMixin:
    """Start and end dates (joiners and leavers); the end must come after the start."""

    def check_dates(self, cleaned: dict) -> None:
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends <= starts:
            self.add_error("ends_on", _("The end date must come after the start date."))


def date_fields() -> dict[str, forms.DateField]:
    return {
        "starts_on": forms.DateField(
            label=_("Start date"),
            required=False,
            widget=date_input(),
            help_text=_("The account is created disabled and enabled on this day."),
        ),
        "ends_on": forms.DateField(
            label=_("End date"),
            required=False,
            widget=date_input(),
            help_text=_(
                "Disabled on this day and its services released; removed after the "
                "customer's leaver retention period."
            ),
        ),
    }


class UserCreateForm(DatesMixin, UpnMixin, PasswordPair):
    upn_local = forms.CharField(
        label=_("UPN"), max_length=64, help_text=_("The part before the @.")
    )
    domain = forms.ChoiceField(label=_("Domain"))
    username = forms.CharField(
        label=_("Username"),
        max_length=20,
        required=False,
        help_text=_("Made from the names when left empty. At most 20 of A-Z 0-9 . - _"),
    )
    first_name = forms.CharField(label=_("First Name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last Name"), max_length=150, required=False)
    display_name = forms.CharField(label=_("Display Name"), max_length=256, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    must_change_password = forms.BooleanField(
        label=_("Must change password at next logon"), required=False, initial=True
    )
    is_admin = forms.BooleanField(label=_("Administrator"), required=False)
    services = SubscriptionChoice(
        label=_("Services"),
        queryset=CustomerService.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    field_order = [
        "upn_local",
        "domain",
        "username",
        "first_name",
        "last_name",
        "display_name",
        "email",
        "password",
        "password_repeat",
        "must_change_password",
        "is_admin",
        "starts_on",
        "ends_on",
        "services",
    ]

    def __init__(self, *args, organisation: Organisation, may_make_admins: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(date_fields())
        self.order_fields(self.field_order)
        self.organisation = organisation
        self.fields["domain"].choices = domain_choices(organisation)
        self.fields["services"].queryset = offered_subscriptions(organisation)
        if not may_make_admins:
            del self.fields["is_admin"]

    def clean(self):
        cleaned = super().clean()
        cleaned["upn"] = self.upn_from(cleaned)
        username = cleaned.get("username") or ""
        if username:
            if not USERNAME_PATTERN.match(username):
                self.add_error("username", _("At most 20 of letters, digits and . - _"))
            elif User.objects.filter(username__iexact=username).exists():
                self.add_error("username", unavailable("username", username))
        display = cleaned.get("display_name") or " ".join(
            filter(None, [cleaned.get("first_name"), cleaned.get("last_name")])
        )
        self.check_pair(cleaned, username or cleaned["upn"].partition("@")[0], display)
        self.check_dates(cleaned)
        return cleaned


class UserEditForm(DatesMixin, UpnMixin, forms.Form):
    upn_local = forms.CharField(
        label=_("UPN"), max_length=64, help_text=_("The part before the @.")
    )
    domain = forms.ChoiceField(label=_("Domain"))
    first_name = forms.CharField(label=_("First Name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last Name"), max_length=150, required=False)
    display_name = forms.CharField(label=_("Display Name"), max_length=256, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    email_aliases = forms.CharField(
        label=_("E-mail aliases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Further addresses on the customer's verified domains, one a line. The Mail "
            "attributes service writes them to the directory beside the UPN."
        ),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, person: User, **kwargs):
        local, _at, domain = (person.upn or "").partition("@")
        initial = {
            "upn_local": local,
            "domain": domain,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "display_name": person.display_name,
            "email": person.email,
            "email_aliases": "\n".join(person.email_aliases),
            "language": person.language,
            "starts_on": person.starts_on,
            "ends_on": person.ends_on,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(date_fields())
        self.person = person
        self.fields["language"].choices = language_choices(person.organisation)
        choices = domain_choices(person.organisation)
        if domain and (domain, f"@{domain}") not in choices:
            choices.append((domain, f"@{domain}"))
        self.fields["domain"].choices = choices

    def clean_email_aliases(self) -> list[str]:
        """One address a line (commas and spaces separate too); the action checks them."""
        text = self.cleaned_data.get("email_aliases") or ""
        return [part.lower() for part in text.replace(",", " ").split()]

    def clean(self):
        cleaned = super().clean()
        cleaned["upn"] = self.upn_from(cleaned, exclude_pk=self.person.pk)
        self.check_dates(cleaned)
        return cleaned

    def changes(self) -> dict:
        fields = (
            "first_name",
            "last_name",
            "display_name",
            "email",
            "email_aliases",
            "upn",
            "language",
            "starts_on",
            "ends_on",
        )
        return {
            f: self.cleaned_data[f]
            for f in fields
            if self.cleaned_data[f] != getattr(self.person, f)
        }


class ResetPasswordForm(PasswordPair):
    must_change_password = forms.BooleanField(
        label=_("Must change password at next logon"), required=False, initial=True
    )

    def __init__(self, *args, person: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.organisation = person.organisation

    def clean(self):
        cleaned = super().clean()
        self.check_pair(cleaned, self.person.username, self.person.display_name)
        return cleaned


class OwnPasswordForm(PasswordPair):
    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput
    )
    field_order = ["old_password", "password", "password_repeat"]

    def __init__(self, *args, person: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.organisation = person.organisation
        self.fields["password"].label = _("New password")
        self.fields["password_repeat"].label = _("Repeat new password")

    def clean(self):
        cleaned = super().clean()
        if self.organisation is not None:
            self.check_pair(cleaned, self.person.username, self.person.display_name)
        return cleaned


class ServicesForm(forms.Form):
    services = SubscriptionChoice(
        label=_("Services"),
        queryset=CustomerService.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, organisation: Organisation, person: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["services"].queryset = offered_subscriptions(organisation)

    def clean_services(self) -> list[CustomerService]:
        """The boxes ticked, plus the directory account the user holds: the page does not
        offer it (it comes by itself), so leaving it out is not asking to remove it."""
        chosen = list(self.cleaned_data["services"])
        if self.person is not None:
            chosen += CustomerService.objects.filter(
                assignments__user=self.person,
                service__service_type=ServiceType.DIRECTORY_ACCOUNT,
            ).select_related("service")
        return chosen


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"), help_text=_("Use the template's columns."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        check_upload_size(upload)  # before anything reads it
        return upload


class ImportConfirmForm(forms.Form):
    only_valid = forms.BooleanField(
        label=_("Import only the valid rows (skip the rows with errors)"), required=False
    )
