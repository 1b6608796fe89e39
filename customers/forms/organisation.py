"""Creating and editing a customer: quick, detailed (with advanced properties), edit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scoping import decider, has_permission
from customers.actions.codes import generate_code
from customers.actions.organisations import (
    DEFAULT_ALLOWED_ROLES,
    DEFAULT_RESTRICTED_ROLES,
    domain_problems,
    tags_from_names,
)
from customers.actions.roles import grantable_roles
from customers.actions.two_factor import inherited_requirement, requirement_source
from customers.forms.related import free_domain_name
from customers.forms.widgets import DomainListField, StyledFormMixin, comma_list
from customers.models import Organisation, Role, Status, User
from customers.models.organisation import (
    FIELD_GROUPS,
    FORM_MODEL_FIELDS,
    PARENT_DECIDED_FIELDS,
    PARENT_DECIDED_FORM_FIELDS,
    SELF_EDITABLE_FIELDS,
)
from customers.models.validators import (
    UNAVAILABLE_FIELD,
    normalise_domain,
    unavailable,
    validate_domain_name,
)

# Customers may be created below the provider or a reseller that is in service.
PARENT_STATES = [Status.DRAFT, Status.PROVISIONING, Status.ACTIVE, Status.FAILED]
HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f6feb."))


def eligible_parents(user: User):
    """Where ``user`` may create customers: providers and resellers they hold add_customer on."""
    return (
        Organisation.objects.restrict(user, "add")
        .filter(Q(is_reseller=True) | Q(parent__isnull=True), status__in=PARENT_STATES)
        .only("pk", "name", "code", "level", "tree_id", "lft", "rght", "parent_id")
    )


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{'— ' * obj.depth}{obj.name} ({obj.code})"


class RoleChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Role) -> str:
        return obj.name


def _check_domains_free(form: forms.Form, field: str, names: list[str]) -> None:
    for name in names:
        for problem in domain_problems(name):
            form.add_error(field, problem)


class OrganisationFieldsMixin(StyledFormMixin):
    """What the detailed create form and the edit form share."""

    def _groups(self, *, advanced: bool) -> list[tuple[str, list]]:
        """The field groups this form shows (a group whose fields it lacks is left out)."""
        groups = [
            (group.label, [self[name] for name in group.names if name in self.fields])
            for group in FIELD_GROUPS
            if group.advanced == advanced
        ]
        return [group for group in groups if group[1]]

    def sections(self):
        return self._groups(advanced=False)

    def advanced_sections(self):
        return self._groups(advanced=True)

    def advanced_has_errors(self) -> bool:
        return any(bf.errors for _, fields in self.advanced_sections() for bf in fields)

    def setup_common(
        self,
        *,
        role_source: Organisation | None,
        branding_from,
        two_factor_from: Organisation | None = None,
    ) -> None:
        self.fields["deal_ids_text"] = forms.CharField(
            label=_("Deal IDs"),
            required=False,
            max_length=1000,
            help_text=_("Separate deal IDs with commas."),
        )
        self.fields["tags_text"] = forms.CharField(
            label=_("Tags"),
            required=False,
            max_length=500,
            help_text=_("Separate tags with commas."),
        )
        self.fields["passwords_never_expire"] = forms.BooleanField(
            label=_("Passwords never expire"), required=False
        )
        self.fields["brand_colour"].validators.append(HEX_COLOUR)
        # Left empty (or not posted by an older client): the organisation keeps its value.
        self.fields["leaver_retention_days"].required = False
        if two_factor_from is not None:
            # An ancestor requires it for its whole subtree: shown ticked, and not this
            # organisation's to untick.
            field = self.fields["require_two_factor"]
            field.disabled = True
            field.initial = True
            self.initial["require_two_factor"] = True
            field.help_text = _(
                "Required by %(name)s for every organisation below it; only it can switch this off."
            ) % {"name": two_factor_from.name}
        self.fields["description"].widget.attrs["rows"] = 3
        if branding_from is not None:
            inherited = branding_from.effective_branding()
            for key in ("brand_name", "brand_colour"):
                self.fields[key].help_text = (
                    f"Empty: inherited ({inherited[key]})."
                    if inherited[key]
                    else "Empty: inherited from the parent."
                )
        if "language" in self.fields:
            # Empty inherits: say what it inherits, in that language's own name.
            names = dict(settings.LANGUAGES)
            inherited = branding_from.effective_language() if branding_from is not None else ""
            self.fields["language"].choices = [
                (
                    "",
                    _("Inherited (%(language)s)") % {"language": names[inherited]}
                    if inherited in names
                    else _("The browser's language"),
                ),
                *settings.LANGUAGES,
            ]
        self.role_choices: list[Role] = (
            grantable_roles(self.actor, role_source) if role_source is not None else []
        )
        choice_pks = [role.pk for role in self.role_choices]
        for key in ("allowed_roles", "restricted_roles"):
            self.fields[key] = RoleChoiceField(
                queryset=Role.objects.filter(pk__in=choice_pks),
                required=False,
                label=self.fields[key].label,
                help_text=_("Only roles you may grant are listed."),
            )
        self.fields["allowed_roles"].label = _("Allowed security roles")
        self.fields["restricted_roles"].label = _("Restricted security roles")

    def clean_leaver_retention_days(self) -> int:
        value = self.cleaned_data.get("leaver_retention_days")
        if value is None:
            current = getattr(self, "instance", None)
            return getattr(current, "leaver_retention_days", None) or 30
        return value

    def clean_deal_ids_text(self) -> str:
        for deal in comma_list(self.cleaned_data["deal_ids_text"]):
            if len(deal) > 100:
                raise forms.ValidationError(
                    _("Each deal ID may have at most 100 characters: %(deal)s") % {"deal": deal}
                )
        return self.cleaned_data["deal_ids_text"]

    def clean_tags_text(self) -> str:
        for tag in comma_list(self.cleaned_data["tags_text"]):
            if len(tag) > 50:
                raise forms.ValidationError(
                    _("Each tag may have at most 50 characters: %(tag)s") % {"tag": tag}
                )
        return self.cleaned_data["tags_text"]

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip()
        if not code:
            return generate_code(self.cleaned_data.get("name") or "", exclude_pk=self.instance.pk)
        clash = Organisation.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(unavailable("code", code))
        return code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("passwords_never_expire"):
            # "Never expires" is NULL; whatever was typed in the age box does not matter.
            cleaned["password_max_age_days"] = None
            self.errors.pop("password_max_age_days", None)
        elif "password_max_age_days" in cleaned and cleaned["password_max_age_days"] is None:
            self.add_error(
                "password_max_age_days",
                _("Enter the maximum age in days, or tick Passwords never expire."),
            )
        return cleaned

    def role_values(self, key: str, current: list[Role] | None = None) -> list[Role]:
        """The chosen roles, plus any set earlier that this actor may not see or change."""
        chosen = list(self.cleaned_data.get(key) or [])
        if current is None:
            return chosen
        choice_pks = {role.pk for role in self.role_choices}
        return chosen + [role for role in current if role.pk not in choice_pks]

    def drop_inherited(self, values: dict[str, Any]) -> dict[str, Any]:
        """Leave out what an ancestor decides (stored here, it would outlive the ancestor's
        choice)."""
        if self.fields["require_two_factor"].disabled:
            values.pop("require_two_factor", None)
        return values

    def common_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "deal_ids": comma_list(data.get("deal_ids_text", "")),
            "password_max_age_days": (
                None if data.get("passwords_never_expire") else data.get("password_max_age_days")
            ),
        }


MODEL_FIELDS = FORM_MODEL_FIELDS
ERROR_MESSAGES = {"code": {"unique": UNAVAILABLE_FIELD["code"]}}


class OrganisationForm(OrganisationFieldsMixin, forms.ModelForm):
    """The detailed New Customer form with advanced properties."""

    parent = ParentChoiceField(
        label=_("Hierarchy"),
        queryset=Organisation.objects.none(),
        empty_label=None,
        help_text=_("The provider or reseller this customer belongs to."),
    )
    domain_name = forms.CharField(
        label=_("Domain Name"),
        required=False,
        max_length=253,
        help_text=_("Such as example.com. Empty: users get the reseller's or provider's domain."),
    )
    domain_aliases = DomainListField(label=_("Domain Aliases"), required=False)

    class Meta:
        model = Organisation
        fields = MODEL_FIELDS
        error_messages = ERROR_MESSAGES

    def __init__(self, *args, actor: User, parents, initial_parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["parent"].queryset = parents
        self.fields["code"].required = False
        self.fields["code"].help_text = _(
            "Letters and digits, unique. Empty: generated from the Full Name."
        )
        parent = initial_parent
        if self.is_bound:
            chosen = str(self.data.get("parent", ""))
            if chosen.isdigit():
                parent = next((p for p in parents if p.pk == int(chosen)), parent)
        if parent is not None and not self.is_bound:
            self.initial.setdefault("parent", parent.pk)
        self.chosen_parent = parent
        self.setup_common(
            role_source=parent,
            branding_from=parent,
            two_factor_from=requirement_source(parent),
        )
        if not self.is_bound:
            for key, names in (
                ("allowed_roles", DEFAULT_ALLOWED_ROLES),
                ("restricted_roles", DEFAULT_RESTRICTED_ROLES),
            ):
                self.initial.setdefault(
                    key, [role.pk for role in self.role_choices if role.name in names]
                )
        self.style_widgets()

    def clean_domain_name(self) -> str:
        name = normalise_domain(self.cleaned_data.get("domain_name", ""))
        if name:
            validate_domain_name(name)
        return name

    def clean(self):
        cleaned = super().clean()
        primary = cleaned.get("domain_name")
        aliases = cleaned.get("domain_aliases") or []
        if aliases and not primary and "domain_name" not in self.errors:
            self.add_error("domain_name", _("Enter the Domain Name before adding aliases."))
        if primary and primary in aliases:
            self.add_error(
                "domain_aliases",
                _("%(primary)s is already the Domain Name.") % {"primary": primary},
            )
        duplicates = sorted({a for a in aliases if aliases.count(a) > 1})
        if duplicates:
            self.add_error(
                "domain_aliases", _("Listed twice: %(join)s.") % {"join": ", ".join(duplicates)}
            )
        if primary and "domain_name" not in self.errors:
            _check_domains_free(self, "domain_name", [primary])
        if aliases and "domain_aliases" not in self.errors:
            _check_domains_free(self, "domain_aliases", aliases)
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {key: data[key] for key in MODEL_FIELDS if key in data}
        values.pop("allowed_roles")
        values.pop("restricted_roles")
        values.update(self.common_values())
        self.drop_inherited(values)
        domains = [data["domain_name"], *data["domain_aliases"]] if data["domain_name"] else []
        return {
            **values,
            "domains": domains,
            "tags": tags_from_names(comma_list(data.get("tags_text", ""))),
            "allowed_roles": self.role_values("allowed_roles"),
            "restricted_roles": self.role_values("restricted_roles"),
        }


class OrganisationEditForm(OrganisationFieldsMixin, forms.ModelForm):
    """Edit Customer: the same fields; the code is locked once provisioned, and what the parent
    decides (code, billing flags, limits, roles, tags) is read-only to the customer's admins."""

    class Meta:
        model = Organisation
        fields = MODEL_FIELDS
        error_messages = ERROR_MESSAGES

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = self.instance
        self.actor = actor
        self.parent_decides = has_permission(actor, "change_organisation", decider(organisation))
        self.setup_common(
            role_source=decider(organisation) if self.parent_decides else None,
            branding_from=organisation.parent,
            two_factor_from=inherited_requirement(organisation),
        )
        self.current_allowed = list(organisation.allowed_roles.all())
        self.current_restricted = list(organisation.restricted_roles.all())
        if not self.is_bound:
            self.initial["allowed_roles"] = [r.pk for r in self.current_allowed]
            self.initial["restricted_roles"] = [r.pk for r in self.current_restricted]
            self.initial["deal_ids_text"] = ", ".join(organisation.deal_ids or [])
            self.initial["tags_text"] = ", ".join(t.name for t in organisation.tags.all())
            self.initial["passwords_never_expire"] = organisation.password_max_age_days is None
        if not self.parent_decides:
            # Shown as they are, read-only: the choices are the roles already set.
            current = [r.pk for r in self.current_allowed + self.current_restricted]
            for key in ("allowed_roles", "restricted_roles"):
                self.fields[key].queryset = Role.objects.filter(pk__in=current)
            for key in PARENT_DECIDED_FORM_FIELDS:
                if key in self.fields:
                    self.fields[key].disabled = True
                    self.fields[key].help_text = _("Set by the parent reseller or the provider.")
        if organisation.code_locked:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Locked: the customer is provisioned.")
        self.style_widgets()

    def clean_code(self) -> str:
        if self.fields["code"].disabled:
            return self.instance.code
        code = (self.cleaned_data.get("code") or "").strip()
        if not code:
            raise forms.ValidationError(_("This field is required."))
        return super().clean_code()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        editable = set(SELF_EDITABLE_FIELDS)
        if self.parent_decides:
            editable |= PARENT_DECIDED_FIELDS
        values = {key: data[key] for key in MODEL_FIELDS if key in data}
        values.update(self.common_values())
        self.drop_inherited(values)
        changes = {key: value for key, value in values.items() if key in editable}
        relations: dict[str, Any] = {}
        if self.parent_decides:
            relations = {
                "tags": tags_from_names(comma_list(data.get("tags_text", ""))),
                "allowed_roles": self.role_values("allowed_roles", self.current_allowed),
                "restricted_roles": self.role_values("restricted_roles", self.current_restricted),
            }
        return {"changes": changes, **relations}


class QuickCreateForm(StyledFormMixin, forms.Form):
    """Quick create: name, email contact and a domain; the rest is defaulted."""

    parent = ParentChoiceField(
        label=_("Hierarchy"), queryset=Organisation.objects.none(), empty_label=None
    )
    name = forms.CharField(label=_("Full Name"), max_length=200)
    email = forms.EmailField(label=_("Email Address"), max_length=254)
    domain_name = forms.CharField(label=_("Domain Name"), max_length=253)

    def __init__(self, *args, parents, initial_parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        if initial_parent is not None:
            self.initial.setdefault("parent", initial_parent.pk)
        self.style_widgets()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if not name.strip():
            raise forms.ValidationError(_("Enter the customer's full name."))
        return name

    def clean_domain_name(self) -> str:
        return free_domain_name(self.cleaned_data["domain_name"])
