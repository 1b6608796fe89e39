"""Matrix rows for Login to CP, the Themes tab (themes, Active Theme, host names) and what
every page links (the style sheet, a theme's logo)."""

from __future__ import annotations

from tests.fixtures.themes import reseller_host, reseller_theme
from tests.matrix.shapes import CHANGES_CUSTOMER_ONE, Row, as_post, expect

# Reseller One's themes and host names: its admins and the provider's; nobody below sees
# Reseller One itself (a 404), and Reseller Two is outside.
DEFINES_RESELLER_ONE = expect(404, provider_admin=200, reseller_admin=200, anonymous=302)


def _acting_started(cast):
    from customers.models import SecurityEvent, SecurityEventKind

    return SecurityEvent.objects.filter(kind=SecurityEventKind.ACTING_STARTED).count()


def _active_theme(cast):
    from customers.models import Organisation

    return Organisation.objects.get(pk=cast.customer.pk).active_theme_id


def _reseller_themes(cast):
    from customers.models import Theme

    return sorted(Theme.objects.filter(owner=cast.reseller).values_list("name", flat=True))


def _reseller_hosts(cast):
    from customers.models import PortalHost

    return sorted(PortalHost.objects.filter(organisation=cast.reseller).values_list("host_name"))


ROWS: dict[str, Row] = {
    # Login to CP as Customer One's administrator: those above it whose power covers the
    # administrator's; its own people may not (403), Reseller Two and the end user see
    # nothing (404).
    "customers:login_to_cp": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {"target": cast.customer_admin.pk, "reason": "matrix"},
        statuses=expect(302, reseller2_admin=404, end_user=404, customer_admin=403, help_desk=403),
        unchanged=_acting_started,
    ),
    # The banner's End with no session to end: back to the dashboard, for everyone.
    "end_login_to_cp": Row(method="post", statuses=expect(302)),
    "branding_css": Row(statuses=expect(200, anonymous=200)),
    # A logo, to whoever has its URL (pages, sign-in pages, e-mails): the version in it is
    # keyed with SECRET_KEY (tests/customers/test_themes.py: a wrong one is a 404).
    "theme_logo": Row(
        args=lambda cast: [reseller_theme(cast).pk, reseller_theme(cast).version],
        statuses=expect(200, anonymous=200),
    ),
    "customers:themes": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {"theme": reseller_theme(cast).pk},
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_active_theme,
    ),
    "customers:theme_create": Row(
        args=lambda cast: [cast.reseller.pk], statuses=DEFINES_RESELLER_ONE
    ),
    "customers:theme_edit": Row(
        args=lambda cast: [cast.reseller.pk, reseller_theme(cast).pk],
        statuses=DEFINES_RESELLER_ONE,
    ),
    "customers:theme_delete": Row(
        method="post",
        args=lambda cast: [cast.reseller.pk, reseller_theme(cast).pk],
        statuses=as_post(DEFINES_RESELLER_ONE),
        unchanged=_reseller_themes,
    ),
    "customers:portal_host_add": Row(
        method="post",
        args=lambda cast: [cast.reseller.pk],
        data=lambda cast: {"host_name": "matrix.reseller-one.example"},
        statuses=as_post(DEFINES_RESELLER_ONE),
        unchanged=_reseller_hosts,
    ),
    "customers:portal_host_remove": Row(
        method="post",
        args=lambda cast: [cast.reseller.pk, reseller_host(cast).pk],
        statuses=as_post(DEFINES_RESELLER_ONE),
        unchanged=_reseller_hosts,
    ),
}
