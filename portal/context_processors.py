"""Navigation: show each user only what they may do."""

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.scoping import EVERYTHING, has_permission, ranges_for, scope_fingerprint
from customers.views.themes import branding_for

NAV_PERMISSIONS = {
    "customers": "view_organisation",
    "users": "view_users",
    "jobs": "view_jobs",
    "add_customer": "add_customer",
    "catalogue": "manage_catalogue",
}
# The menu is the same on every page for the same user, scope, organisations and language:
# worked out and rendered once, then read from the cache (a per-process cache is enough: a
# changed grant, organisation or language is a new key, never a stale entry).
NAV_CACHE_SECONDS = 600


def _position(organisation) -> tuple | None:
    if organisation is None:
        return None
    return (
        organisation.pk,
        organisation.tree_id,
        organisation.lft,
        organisation.rght,
        organisation.is_reseller,
        organisation.parent_id,
    )


def _nav_key(user, acting, home) -> str | None:
    """The menu's cache key: the user, their role grants' version (a digest of their scope),
    the organisations it reads (where they sit in the tree) and the language."""
    fingerprint = scope_fingerprint(user)
    if fingerprint is None:
        return None
    material = repr((user.pk, user.organisation_id, _position(acting), _position(home)))
    digest = hashlib.blake2b(material.encode(), digest_size=12).hexdigest()
    return f"canopy-nav:{fingerprint}:{digest}:{get_language()}"


def _work_out_nav(user, acting, home) -> dict:
    nav = {key: bool(ranges_for(user, codename)) for key, codename in NAV_PERMISSIONS.items()}
    nav["everything"] = ranges_for(user, "view_organisation") == EVERYTHING
    # A provider's or reseller's own Security log (customers' is a tab of their page).
    nav["security_log"] = (
        home
        if home is not None
        and (home.is_reseller or home.is_provider)
        and has_permission(user, "grant_roles", home)
        else None
    )
    # Reports: of the organisation acted in, else of one's own (no query: the scope and the
    # home organisation are loaded already).
    nav["reports"] = next(
        (
            organisation
            for organisation in (acting, home)
            if organisation is not None and has_permission(user, "view_billing", organisation)
        ),
        None,
    )
    return nav


def _cached_nav(user, acting, home) -> tuple[dict, str]:
    """The menu's flags and its HTML, from the cache when this user saw it before. The
    organisations in it are kept as which one ("acting", "home"), not as objects."""
    key = _nav_key(user, acting, home)
    stored = cache.get(key) if key else None
    named = {"acting": acting, "home": home}
    if stored is None:
        nav = _work_out_nav(user, acting, home)
        menu = render_to_string("includes/nav_menu.html", {"nav": nav, "user": user})
        if key:
            which = {
                name: next((k for k, v in named.items() if v is not None and v is nav[name]), None)
                for name in ("security_log", "reports")
            }
            cache.set(key, ({**nav, **which}, menu), NAV_CACHE_SECONDS)
        return nav, menu
    flags, menu = stored
    nav = {**flags, **{name: named.get(flags[name]) for name in ("security_log", "reports")}}
    return nav, mark_safe(menu)  # our own rendered template, as stored  # noqa: S308


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    home = user.organisation if user.organisation_id else None
    acting = getattr(request, "acting_organisation", None)
    nav, menu = _cached_nav(user, acting, home)
    # Only the part of the hierarchy the user may see: a reseller does not see the provider.
    breadcrumb = [
        node
        for node in ([*acting.ancestor_list(), acting] if acting else [])
        if has_permission(user, "view_organisation", node)
    ]
    return {
        "nav": nav,
        "nav_menu": menu,
        "acting_organisation": acting,
        "hierarchy_breadcrumb": breadcrumb,
    }


def branding(request):
    return {"branding": branding_for(request)}
