"""Matrix rows for the portal's own pages: sign-in, dashboard, context switch, and the
operators' URLs (health, metrics)."""

from __future__ import annotations

from tests.matrix.shapes import Row, expect

ROWS: dict[str, Row] = {
    "dashboard": Row(),
    "login": Row(statuses=expect(302, anonymous=200)),
    "logout": Row(method="post", statuses=expect(302, anonymous=302)),
    # The code step: nobody in the cast has an app, so everyone is sent on to the dashboard
    # (tests/customers/users/test_two_factor.py covers those who have one).
    # Django's set_language: sets the language cookie and goes back, for anyone.
    "set_language": Row(
        method="post",
        data=lambda cast: {"language": "de", "next": "/"},
        statuses=expect(302, anonymous=302),
    ),
    "two_factor_verify": Row(statuses=expect(302)),
    "password_change": Row(),
    "password_change_done": Row(),
    # The welcome e-mail's one-time link: open to anyone holding a good token; a bad one is
    # refused the same for everyone (tests/customers/test_notifications.py uses good ones).
    "set_password": Row(args=lambda cast: ["MQ", "bad-token"], statuses=expect(400, anonymous=400)),
    "switch_context": Row(
        method="post",
        data=lambda cast: {"organisation": cast.customer.pk},
        statuses=expect(302, reseller2_admin=404, end_user=404),
    ),
    "context_choices": Row(),
    # The load balancer's probe: the status for everyone, signed in or not (no sign-in wall).
    "health": Row(statuses=expect(200, anonymous=200)),
    # Prometheus's scrape: closed to every person; only METRICS_TOKEN or METRICS_ALLOWED_IPS
    # open it, and neither is set by default.
    "metrics": Row(statuses=expect(403, anonymous=403)),
}
