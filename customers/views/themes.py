"""The Themes tab of an organisation's page: its Active Theme (chosen from the Available
Themes), the themes a provider or reseller defines (New, Edit, Delete) and a reseller's
portal host names; and the logo, served to those whose pages show it."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import require, run_action, visible_or_404
from customers.actions import themes as theme_actions
from customers.actions.acting import branding_while_acting
from customers.forms.themes import ActiveThemeForm, PortalHostForm, ThemeForm
from customers.models import Organisation, PortalHost, Theme
from customers.models.branding import LOGO_TYPES
from customers.views.common import page_context


def branding_for(request) -> dict[str, str]:
    """The look of this request's pages (``Organisation.effective_branding``'s dict, or {}
    for Canopy's own), worked out once per request; the page's context processor, the
    style sheet and the logo all ask here.

    Acting as a customer's administrator: whose look Login to CP shows
    (``branding_while_acting``). Signed in: the organisation the user acts in. Signed out
    on a reseller's registered host name (white-label): that reseller's.
    """
    cached = getattr(request, "_canopy_branding", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    actor = getattr(request, "acting_actor", None)
    acting = getattr(request, "acting_organisation", None)
    host = getattr(request, "portal_host", None)
    if actor is not None:
        branding = branding_while_acting(actor, user)
    elif user is not None and user.is_authenticated and acting is not None:
        branding = acting.effective_branding()
    elif host is not None:
        branding = host.organisation.effective_branding()
    else:
        branding = {}
    request._canopy_branding = branding
    return branding


def branding_css(request):
    """/branding.css: the request's theme colours as CSS custom properties (base.html links
    it with the theme's version in the URL, so it may be cached). A style sheet, not an
    inline style: the Content-Security-Policy allows none."""
    branding = branding_for(request)
    properties = [
        f"  --canopy-{name}: {branding[key]};"
        for name, key in (("brand", "brand_colour"), ("accent", "accent_colour"))
        # Validated when saved; checked again here, as anything written into CSS.
        if COLOUR.fullmatch(branding.get(key) or "")
    ]
    response = HttpResponse(
        ":root {\n" + "\n".join(properties) + "\n}\n", content_type="text/css; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response


COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _organisation(request, pk: int) -> Organisation:
    return visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)


@login_required
def theme_list(request, pk: int):
    """Active Theme (for those who may change the organisation), the organisation's own
    themes, and a reseller's host names."""
    organisation = _organisation(request, pk)
    context = page_context(request, organisation, "themes")
    may_change = context["may"]["edit"]
    available = theme_actions.available_themes(organisation)
    form = None
    if may_change:
        form = ActiveThemeForm(
            request.POST or None,
            available=available,
            initial={"theme": organisation.active_theme_id},
        )
    elif request.method == "POST":
        require(request, "change_organisation", organisation)
    response = form is not None and run_action(
        request,
        lambda: theme_actions.set_active_theme(
            actor=request.user, organisation=organisation, theme=form.cleaned_data["theme"]
        ),
        form=form,
        success=_("The Active Theme was saved."),
        redirect_to=reverse("customers:themes", args=[pk]),
    )
    if response:
        return response
    defines = theme_actions.may_define_themes(request.user, organisation)
    branding = organisation.effective_branding()
    context.update(
        {
            "form": form,
            "branding_here": branding,
            "inherited": organisation.active_theme_id is None,
            "own_themes": list(organisation.themes.defer("logo")) if defines else [],
            "may_define": defines,
            "hosts": list(organisation.portal_hosts.all()) if organisation.is_reseller else [],
            "may_hosts": organisation.is_reseller and may_change,
            "host_form": PortalHostForm() if organisation.is_reseller and may_change else None,
        }
    )
    return render(request, "customers/themes.html", context)


def _theme_for_change(request, theme_pk: int) -> Theme:
    theme = visible_or_404(request, Theme.objects.select_related("owner"), pk=theme_pk)
    if not theme_actions.may_define_themes(request.user, theme.owner):
        require(request, "change_organisation", theme.owner)
        raise Http404  # visible and changeable, but not a provider or reseller: no such page
    return theme


@login_required
def theme_edit(request, pk: int, theme_pk: int | None = None):
    """New theme (``theme_pk`` None) or Edit: the fields and the logo upload."""
    organisation = _organisation(request, pk)
    theme = None
    if theme_pk is not None:
        theme = _theme_for_change(request, theme_pk)
        if theme.owner_id != organisation.pk:
            raise Http404
    else:
        require(request, "change_organisation", organisation)
        if not theme_actions.may_define_themes(request.user, organisation):
            raise Http404
    form = ThemeForm(request.POST or None, request.FILES or None, instance=theme)
    if theme is None:

        def save():
            return theme_actions.create_theme(
                actor=request.user,
                owner=organisation,
                values=form.values(),
                logo=form.cleaned_data.get("logo"),
            )

    else:

        def save():
            return theme_actions.update_theme(
                actor=request.user,
                theme=Theme.objects.get(pk=theme.pk),
                values=form.values(),
                logo=form.cleaned_data.get("logo"),
                remove_logo=form.cleaned_data.get("remove_logo", False),
            )

    response = run_action(
        request,
        save,
        form=form,
        success=lambda saved: _("Theme %(name)s saved.") % {"name": saved.name},
        redirect_to=reverse("customers:themes", args=[pk]),
    )
    if response:
        return response
    context = page_context(request, organisation, "themes")
    context.update({"form": form, "theme": theme})
    return render(request, "customers/theme_form.html", context)


@login_required
def theme_delete(request, pk: int, theme_pk: int):
    """GET asks "Delete?"; POST deletes (organisations wearing it inherit again)."""
    organisation = _organisation(request, pk)
    theme = _theme_for_change(request, theme_pk)
    if theme.owner_id != organisation.pk:
        raise Http404
    if request.method == "POST":
        theme_actions.delete_theme(actor=request.user, theme=theme)
        messages.success(request, _("Theme %(name)s deleted.") % {"name": theme.name})
        return redirect("customers:themes", pk=pk)
    context = page_context(request, organisation, "themes")
    context["theme"] = theme
    return render(request, "customers/theme_delete.html", context)


@require_POST
@login_required
def portal_host_add(request, pk: int):
    organisation = _organisation(request, pk)
    require(request, "change_organisation", organisation)
    form = PortalHostForm(request.POST)
    response = run_action(
        request,
        lambda: theme_actions.add_portal_host(
            actor=request.user,
            organisation=organisation,
            host_name=form.cleaned_data["host_name"],
        ),
        form=form,
        success=lambda host: _("Host name %(host)s registered.") % {"host": host.host_name},
        redirect_to=reverse("customers:themes", args=[pk]),
    )
    if response:
        return response
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("customers:themes", pk=pk)


@require_POST
@login_required
def portal_host_remove(request, pk: int, host_pk: int):
    organisation = _organisation(request, pk)
    host = visible_or_404(request, PortalHost.objects.filter(organisation=organisation), pk=host_pk)
    require(request, "change_organisation", organisation)
    theme_actions.remove_portal_host(actor=request.user, host=host)
    messages.success(request, _("Host name %(host)s removed.") % {"host": host.host_name})
    return redirect("customers:themes", pk=pk)


def theme_logo(request, pk: int, version: str):
    """A theme's logo, for whoever has its URL: pages wearing the theme, the reseller's
    sign-in page, and e-mails (a mail client is signed in nowhere). The URL's version is
    keyed with SECRET_KEY and changes with the theme, so it is not guessed from the theme's
    number and an old URL stops working; any other is a 404. Served only as the image type
    found at upload, never sniffed, never as a page."""
    theme = Theme.objects.filter(pk=pk).exclude(logo_type="").first()
    if (
        theme is None
        or not constant_time_compare(version, theme.version)
        or theme.logo_type not in LOGO_TYPES.values()
    ):
        raise Http404
    response = HttpResponse(bytes(theme.logo), content_type=theme.logo_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="logo"'
    # The URL names the theme's version: a changed logo is a new URL.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
