"""What reconcile found shows where people look: a badge in the customers list for a
customer whose latest check left differences, and on its page the report and what a repair
quarantined, with the decisions the viewer may take."""

import uuid

import pytest

from core.models import DriftReport, QuarantinedObject, QuarantineState
from tests.customers.helpers import url

pytestmark = pytest.mark.django_db


def report(organisation, remaining, found=None):
    return DriftReport.objects.create(
        organisation=organisation,
        found=remaining if found is None else found,
        remaining=remaining,
        differences=[{"kind": "extra", "what": "account", "name": "x", "detail": ""}],
    )


def badged(response):
    return {
        row.record.name
        for row in response.context["table"].paginated_rows
        if row.record.drift_remaining
    }


def test_a_customer_whose_latest_check_left_drift_carries_a_badge(cast, login):
    report(cast.customer, remaining=3)
    client = login(cast.reseller_admin)

    response = client.get(url("list"))

    assert badged(response) == {cast.customer.name}
    assert "data-drift" in response.content.decode()


def test_a_later_repair_takes_the_badge_away(cast, login):
    report(cast.customer, remaining=3)
    report(cast.customer, remaining=0, found=3)

    response = login(cast.reseller_admin).get(url("list"))

    assert badged(response) == set()
    assert "data-drift" not in response.content.decode()


def test_the_dashboard_lists_customers_whose_latest_check_left_drift(cast, login):
    """Found from the reports that left differences, not by reading every organisation."""
    from customers.models import Organisation

    Organisation.objects.filter(pk__in=[cast.customer.pk, cast.deep_customer.pk]).update(
        directory_guid=uuid.uuid4()
    )
    report(cast.customer, remaining=3)
    report(cast.deep_customer, remaining=2)
    report(cast.deep_customer, remaining=0, found=2)  # repaired since
    drifted = login(cast.provider_admin).get("/").context["drifted"]
    assert [(o.name, o.drift_remaining) for o in drifted] == [(cast.customer.name, 3)]


def quarantined(cast, kind=QuarantinedObject.ACCOUNT, state=QuarantineState.QUARANTINED):
    return QuarantinedObject.objects.create(
        organisation=cast.customer,
        guid=uuid.uuid4(),
        kind=kind,
        name=f"stray-{kind}",
        dn="CN=stray,OU=Quarantine",
        reason="Quarantined by Canopy on 2026-12-01: not in the portal",
        state=state,
    )


def test_the_customer_page_shows_the_report_and_the_quarantine_with_decisions(cast, login):
    report(cast.customer, remaining=2)
    account = quarantined(cast)
    quarantined(cast, kind=QuarantinedObject.GROUP)
    quarantined(cast, state=QuarantineState.DELETED)

    html = login(cast.customer_admin).get(url("detail", cast.customer.pk)).content.decode()

    assert "found 2 differences from the portal" in html
    assert html.count("data-quarantined=") == 2
    assert "Quarantined by Canopy on 2026-12-01: not in the portal" in html
    assert f"/quarantine/{account.pk}/adopt/" in html
    assert f"/quarantine/{account.pk}/delete/" in html
    assert html.count("Adopt into the portal") == 1  # a group cannot be adopted


def test_help_desk_sees_the_quarantine_but_may_not_decide(cast, login):
    quarantined(cast)

    html = login(cast.help_desk).get(url("detail", cast.customer.pk)).content.decode()

    assert "data-quarantined=" in html
    assert "Adopt into the portal" not in html
    assert "Delete for good" not in html


def test_an_end_user_sees_neither(cast, login):
    report(cast.customer, remaining=2)
    quarantined(cast)

    response = login(cast.end_user).get(url("detail", cast.customer.pk))

    assert "data-quarantined=" not in response.content.decode()
    assert "data-drift-report" not in response.content.decode()
