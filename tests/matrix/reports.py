"""Matrix rows for the billing app's Reports tab (Usage, Licence, their downloads and the
monthly e-mail), on Customer One: whoever holds ``view_billing`` there (its admins and those
above) gets them; help desk sees the customer but not its billing (403); a sibling reseller
and an end user do not see it at all (404)."""

from __future__ import annotations

from tests.matrix.shapes import Row, as_post, expect

SEES_CUSTOMER_ONE_BILLING = expect(200, reseller2_admin=404, end_user=404, help_desk=403)


def _subscriptions(cast):
    from billing.models import ReportSubscription

    return sorted(ReportSubscription.objects.values_list("user_id", "organisation_id", "report"))


ROWS = {
    "billing:report_usage": Row(
        args=lambda cast: [cast.customer.pk],
        query="?start=2026-11-01&end=2026-11-30",
        statuses=SEES_CUSTOMER_ONE_BILLING,
    ),
    "billing:report_usage_download": Row(
        args=lambda cast: [cast.customer.pk],
        query="?start=2026-11-01&end=2026-11-30&format=csv",
        statuses=SEES_CUSTOMER_ONE_BILLING,
    ),
    "billing:report_licence": Row(
        args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE_BILLING
    ),
    "billing:report_licence_download": Row(
        args=lambda cast: [cast.customer.pk],
        query="?format=xlsx",
        statuses=SEES_CUSTOMER_ONE_BILLING,
    ),
    "billing:report_subscription": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {"monthly-report": "usage", "monthly-file_format": "xlsx"},
        statuses=as_post(SEES_CUSTOMER_ONE_BILLING),
        unchanged=_subscriptions,
    ),
}
