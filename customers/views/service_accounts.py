"""Service accounts (a tab of the organisation): the programs' identities that own API keys,
made by those who create users and grant roles here; a key for one, shown once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.views import form_errors_from, visible_or_404
from customers.actions.api_keys import create_api_key
from customers.actions.service_accounts import (
    create_service_account,
    may_manage_service_accounts,
)
from customers.forms.api_keys import ApiKeyForm
from customers.forms.service_accounts import ServiceAccountForm
from customers.models import Organisation, User
from customers.views.common import page_context


def _organisation(request, pk: int) -> Organisation:
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if not may_manage_service_accounts(request.user, organisation):
        raise PermissionDenied
    return organisation


@login_required
def service_account_list(request, pk: int):
    organisation = _organisation(request, pk)
    form = ServiceAccountForm(request.POST or None, organisation=organisation, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = create_service_account(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Service account %(name)s made.") % {"name": account})
            form = ServiceAccountForm(organisation=organisation, actor=request.user)
    accounts = (
        User.objects.restrict(request.user, "view")
        .filter(organisation=organisation, is_service_account=True)
        .order_by("username")
    )
    context = page_context(request, organisation, "service_accounts")
    context.update({"accounts": list(accounts), "form": form})
    return render(request, "customers/service_accounts.html", context)


@login_required
def service_account_keys(request, pk: int, user_pk: int):
    """The account's keys, and a new one (its plain text on this answer only)."""
    organisation = _organisation(request, pk)
    account = visible_or_404(
        request,
        User.objects.filter(organisation=organisation, is_service_account=True),
        pk=user_pk,
    )
    form = ApiKeyForm(request.POST or None, owner=account)
    plain = None
    if request.method == "POST" and form.is_valid():
        try:
            key, plain = create_api_key(
                actor=request.user,
                owner=account,
                name=form.cleaned_data["name"],
                organisation=form.cleaned_data["organisation"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at,
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("API key %(name)s made.") % {"name": key.name})
            form = ApiKeyForm(owner=account)
    context = page_context(request, organisation, "service_accounts")
    context.update(
        {
            "account": account,
            "keys": list(account.api_keys.select_related("organisation")),
            "form": form,
            "plain": plain,
        }
    )
    return render(request, "customers/service_account_keys.html", context)
