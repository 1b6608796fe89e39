"""Adopt a tenant that already lives in AD: name its OU, read the preview, confirm."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.views import require, run_action, visible_or_404
from customers.forms.organisation import ParentChoiceField, eligible_parents
from customers.models import Organisation
from provisioning.actions import adoption as actions
from provisioning.models import Adoption, AdoptionState

PREVIEW_USERS = 50


class AdoptionForm(forms.Form):
    parent = ParentChoiceField(
        label=gettext_lazy("Parent"), queryset=Organisation.objects.none(), empty_label=None
    )
    ou_dn = forms.CharField(
        label=gettext_lazy("OU"),
        max_length=1000,
        help_text=gettext_lazy(
            "The distinguished name of the tenant's OU, e.g. OU=ACME,OU=Hosting,DC=example,DC=com"
        ),
    )
    admin_group = forms.CharField(
        label=gettext_lazy("Administrators group"),
        max_length=256,
        required=False,
        help_text=gettext_lazy("Its members become administrators. Empty: <code>-Admins."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = eligible_parents(user)

    def clean_ou_dn(self) -> str:
        value = self.cleaned_data["ou_dn"].strip()
        if not value.upper().startswith("OU="):
            raise forms.ValidationError(_("Name an OU: the DN starts with OU=."))
        return value


class ConfirmForm(forms.Form):
    user_limit = forms.IntegerField(
        label=gettext_lazy("User limit"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Leave empty for no limit."),
    )


@login_required
def adoption_start(request):
    """Name the OU to adopt and where the customer goes; a job reads it."""
    if not eligible_parents(request.user).exists():
        raise PermissionDenied
    form = AdoptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        require(request, "add_customer", form.cleaned_data["parent"])
    response = run_action(
        request,
        lambda: actions.start_adoption(
            actor=request.user,
            parent=form.cleaned_data["parent"],
            ou_dn=form.cleaned_data["ou_dn"],
            admin_group=form.cleaned_data["admin_group"],
        ),
        form=form,
        success=_("Reading the OU: the preview follows."),
        redirect_to=lambda adoption: reverse("provisioning:adoption_detail", args=[adoption.pk]),
    )
    return response or render(request, "provisioning/adoption_start.html", {"form": form})


@login_required
def adoption_detail(request, pk: int):
    """The preview (while the job reads, its progress, followed with htmx like the job
    pages) and the confirmation. The page never reads the directory itself, a job does."""
    adoption = visible_or_404(
        request, Adoption.objects.select_related("parent", "job", "organisation"), pk=pk
    )
    form = ConfirmForm(request.POST or None)
    if request.method == "POST":
        require(request, "add_customer", adoption.parent)
        response = run_action(
            request,
            lambda: actions.adopt(
                actor=request.user,
                adoption=adoption,
                user_limit=form.cleaned_data["user_limit"],
            ),
            form=form,
            success=lambda organisation: _("%(name)s is adopted.") % {"name": organisation.name},
            redirect_to=lambda organisation: organisation.get_absolute_url(),
        )
        if response:
            return response
    preview = adoption.preview or {}
    users = preview.get("users", [])
    context = {
        "adoption": adoption,
        "form": form,
        "preview": preview,
        "users": users[:PREVIEW_USERS],
        "more_users": max(len(users) - PREVIEW_USERS, 0),
        "user_count": len(users),
        "admins": [user for user in users if user.get("admin")][:PREVIEW_USERS],
        "ready": adoption.state == AdoptionState.READY,
        "reading": adoption.state == AdoptionState.READING and adoption.job is not None,
    }
    if request.htmx and request.method == "GET":
        # Followed while the job reads: the page's body alone, progress or preview.
        return render(request, "provisioning/_adoption_body.html", context)
    return render(request, "provisioning/adoption_detail.html", context)
