"""Navigation: show each user only what they may do."""

from core.scoping import EVERYTHING, has_permission, ranges_for
from customers.views.themes import branding_for

NAV_PERMISSIONS = {
    "customers": "view_organisation",
    "users": "view_users",
    "jobs": "view_jobs",
    "add_customer": "add_customer",
    "catalogue": "manage_catalogue",
}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    nav = {key: bool(ranges_for(user, codename)) for key, codename in NAV_PERMISSIONS.items()}
    nav["everything"] = ranges_for(user, "view_organisation") == EVERYTHING
    # A provider's or reseller's own Security log (customers' is a tab of their page).
    home = user.organisation if user.organisation_id else None
    nav["security_log"] = (
        home
        if home is not None
        and (home.is_reseller or home.is_provider)
        and has_permission(user, "grant_roles", home)
        else None
    )
    acting = getattr(request, "acting_organisation", None)
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
    # Only the part of the hierarchy the user may see: a reseller does not see the provider.
    breadcrumb = [
        node
        for node in ([*acting.ancestor_list(), acting] if acting else [])
        if has_permission(user, "view_organisation", node)
    ]
    return {
        "nav": nav,
        "acting_organisation": acting,
        "hierarchy_breadcrumb": breadcrumb,
    }


def branding(request):
    return {"branding": branding_for(request)}
