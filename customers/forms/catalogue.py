"""Forms of the catalogue pages; choices come restricted from the service layer."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from core.registry import SERVICE_DRIVER_LABELS
from customers.actions.catalogue import offered_plans
from customers.models import CustomerService, Plan, Service, ServiceType, User


def service_driver_choices() -> list[tuple[str, str]]:
    """The built-in service types, then any driver registered by other modules."""
    builtin = list(ServiceType.choices)
    known = {code for code, _ in builtin}
    return builtin + [(c, label) for c, label in SERVICE_DRIVER_LABELS.items() if c not in known]


class ServiceForm(forms.ModelForm):
    service_type = forms.ChoiceField(label=_("Type"), choices=())

    class Meta:
        model = Service
        fields = ["code", "name", "description", "service_type", "settings", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "settings": 'JSON. Home folder: {"path": "\\\\\\\\fs1\\\\home\\\\{username}", '
            '"drive": "H:"}. A plan\'s settings override these.',
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = service_driver_choices()


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["name", "settings", "user_limit", "price_per_user_month", "setup_fee"]


class ServiceRoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, help_text=_("For example: VPN Admin"))
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    permissions = forms.ModelMultipleChoiceField(
        label=_("Permissions"),
        queryset=Permission.objects.filter(
            content_type__app_label="customers", content_type__model="organisation"
        ).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ProvisionForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Service and plan"), queryset=Plan.objects.none())
    user_limit = forms.IntegerField(
        label=_("Seats"), min_value=0, required=False, help_text=_("Leave empty for no limit.")
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        had = organisation.services.values("service")
        self.fields["plan"].queryset = offered_plans(organisation).exclude(service__in=had)


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=Plan.objects.none())
    user_limit = forms.IntegerField(
        label=_("Seats"), min_value=0, required=False, help_text=_("Leave empty for no limit.")
    )

    def __init__(self, *args, subscription: CustomerService, **kwargs):
        super().__init__(*args, **kwargs)
        offered = offered_plans(subscription.organisation).filter(service=subscription.service)
        self.fields["plan"].queryset = (
            offered | Plan.objects.filter(pk=subscription.plan_id)
        ).distinct()


class DeprovisionForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Take the service from every user who has it"), required=False
    )


class UsersForm(forms.Form):
    """Pick users of one customer (the service page's "give to many users")."""

    users = forms.ModelMultipleChoiceField(
        label=_("Users"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = queryset
