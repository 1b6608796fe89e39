"""API keys: each person's own keys (make, list, revoke) and a customer's Keys tab, where those
who manage its users see and revoke their keys."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.views import form_errors_from, require, visible_or_404
from customers.actions.api_keys import create_api_key, may_revoke, revoke_api_key
from customers.forms.api_keys import ApiKeyForm
from customers.models import ApiKey, Organisation
from customers.views.common import page_context


@never_cache
@login_required
def my_api_keys(request):
    """The list of one's keys and the form for a new one; after making one, its plain text,
    on this response only."""
    form = ApiKeyForm(request.POST or None, owner=request.user)
    plain = None
    if request.method == "POST" and form.is_valid():
        try:
            key, plain = create_api_key(
                actor=request.user,
                owner=request.user,
                name=form.cleaned_data["name"],
                organisation=form.cleaned_data["organisation"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at,
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("API key %(name)s made.") % {"name": key.name})
            form = ApiKeyForm(owner=request.user)
    keys = request.user.api_keys.select_related("organisation")
    return render(
        request,
        "users/api_keys.html",
        {"keys": keys, "form": form, "plain": plain},
    )


@require_POST
@login_required
def my_api_key_revoke(request, key_pk: int):
    key = get_object_or_404(request.user.api_keys, pk=key_pk)
    revoke_api_key(actor=request.user, key=key)
    messages.success(request, _("API key %(name)s revoked.") % {"name": key.name})
    return redirect("users:my_api_keys")


@login_required
def customer_api_keys(request, pk: int):
    """The Keys tab: every key of this customer's users, for those who may see its users."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "view_users", organisation)
    keys = list(
        ApiKey.objects.restrict(request.user, "view")
        .filter(owner__organisation=organisation)
        .select_related("owner", "owner__organisation", "organisation")
    )
    # Whether the viewer may act on a key's owner costs a query per owner (what the owner
    # holds): asked once per owner, not per key.
    by_owner: dict[int, bool] = {}
    for key in keys:
        if key.owner_id not in by_owner:
            by_owner[key.owner_id] = may_revoke(request.user, key)
        key.may_revoke = not key.is_revoked and by_owner[key.owner_id]
    context = page_context(request, organisation, "keys")
    context.update({"keys": keys})
    return render(request, "customers/api_keys.html", context)


@require_POST
@login_required
def customer_api_key_revoke(request, pk: int, key_pk: int):
    organisation = visible_or_404(request, Organisation, pk=pk)
    key = visible_or_404(
        request,
        ApiKey.objects.filter(owner__organisation=organisation).select_related("owner"),
        pk=key_pk,
    )
    revoke_api_key(actor=request.user, key=key)
    messages.success(request, _("API key %(name)s revoked.") % {"name": key.name})
    return redirect("customers:api_keys", pk=pk)
