"""Subscribe monthly on the money reports (Receivables, Revenue and margin, the accounting
journal): the same control as Usage and Licence, the same permission as the page
(``manage_billing`` on a reseller), and on the 1st the file of the month before, received by
a real SMTP server on a loopback port (tests/fixtures/smtp.py)."""

import csv
import datetime
import io

import pytest
from celery import current_app
from django.urls import reverse

from billing import tasks  # noqa: F401 - registers the billing tasks with the app
from billing.actions.reports import queue_monthly_reports, report_file, subscribe_report
from billing.models import ReportSubscription
from billing.reports.usage import Period
from core.actors import SYSTEM
from customers.actions.roles import revoke_role
from customers.models import RoleGrant
from tests.fixtures.invoices import issued_invoice

pytestmark = pytest.mark.django_db

FIRST_OF_JANUARY = datetime.date(2027, 1, 1)  # issued_invoice issues on 1 December 2026


def run_messages(messages, capture_on_commit):
    """Have this process run each message as a worker would: the registered task, its
    arguments as they crossed the broker (``Task.apply``); the e-mail it queues through
    ``core.mail`` leaves on commit (the ``smtp`` fixture runs the mail task eagerly)."""
    with capture_on_commit(execute=True):
        for name, args in messages:
            current_app.tasks[name].apply(args=args).get(propagate=True)


@pytest.fixture
def queued(monkeypatch):
    messages: list[tuple[str, list]] = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=(), **kw: messages.append((name, args))
    )
    return messages


@pytest.mark.parametrize(
    ("report", "page"),
    [
        ("receivables", "billing:report_receivables"),
        ("revenue", "billing:report_revenue"),
        ("journal", "billing:report_journal"),
    ],
)
def test_each_money_report_page_has_the_monthly_control(cast, login, report, page):
    cast.reseller_admin.email = "radmin@reseller.example"
    cast.reseller_admin.save()
    client = login(cast.reseller_admin)
    url = reverse(page, args=[cast.reseller.pk])
    content = client.get(url).content.decode()
    assert "Subscribe monthly" in content and f'value="{report}"' in content
    response = client.post(
        reverse("billing:report_subscription", args=[cast.reseller.pk]),
        {"monthly-report": report, "monthly-file_format": "csv"},
    )
    assert response["Location"] == url
    assert ReportSubscription.objects.get().report == report
    assert "data-subscribed" in client.get(url).content.decode()


# The subscription POST for a money report answers as its page does (tests/matrix/billing.py,
# KEEPS_RESELLER_ONE_OFFERS): Reseller One's admins and those above; nobody else.
@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("provider_admin", 302),
        ("reseller_admin", 302),
        ("reseller2_admin", 404),
        ("customer_admin", 404),
        ("help_desk", 404),
        ("end_user", 404),
    ],
)
def test_subscribing_to_the_journal_asks_what_its_page_asks(cast, login, user, status):
    person = getattr(cast, user)
    person.email = f"{user}@example.test"
    person.save()
    response = login(person).post(
        reverse("billing:report_subscription", args=[cast.reseller.pk]),
        {"monthly-report": "journal", "monthly-file_format": "csv"},
    )
    assert response.status_code == status
    assert ReportSubscription.objects.exists() == (status == 302)


def test_a_customer_has_no_money_reports_to_subscribe_to(cast, login):
    cast.customer_admin.email = "cadmin@customer.example"
    cast.customer_admin.save()
    response = login(cast.customer_admin).post(
        reverse("billing:report_subscription", args=[cast.customer.pk]),
        {"monthly-report": "receivables", "monthly-file_format": "csv"},
    )
    assert response.status_code == 404
    assert not ReportSubscription.objects.exists()


def test_a_journal_subscriber_receives_last_months_csv_with_the_issued_invoice(
    cast, smtp, queued, django_capture_on_commit_callbacks
):
    invoice = issued_invoice(cast)
    cast.reseller_admin.email = "radmin@reseller.example"
    cast.reseller_admin.save()
    subscribe_report(
        actor=cast.reseller_admin, organisation=cast.reseller, report="journal", file_format="csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert len(queue_monthly_reports(FIRST_OF_JANUARY, actor=SYSTEM).queued) == 1
    run_messages(queued, django_capture_on_commit_callbacks)
    [message] = smtp.messages
    assert smtp.recipients == [["radmin@reseller.example"]]
    assert message["Subject"] == "Accounting export report of Reseller One, December 2026"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == f"journal-{cast.reseller.code}-2026-12.csv"
    lines = list(csv.reader(io.StringIO(attachment.get_content())))
    assert lines[0][:3] == ["Date", "Type", "Number"]
    assert [line[2] for line in lines[1:] if line[1] == "invoice"] == [invoice.number]
    subscription = ReportSubscription.objects.get()
    assert subscription.last_period == datetime.date(2026, 12, 1)
    assert subscription.last_error == ""


def test_someone_who_lost_the_permission_receives_no_journal(
    cast, smtp, queued, django_capture_on_commit_callbacks
):
    issued_invoice(cast)
    cast.reseller_admin.email = "radmin@reseller.example"
    cast.reseller_admin.save()
    subscription = subscribe_report(
        actor=cast.reseller_admin, organisation=cast.reseller, report="journal", file_format="csv"
    )
    for grant in RoleGrant.objects.filter(user=cast.reseller_admin):
        revoke_role(actor=SYSTEM, grant=grant)
    with django_capture_on_commit_callbacks(execute=True):
        queue_monthly_reports(FIRST_OF_JANUARY, actor=SYSTEM)
    run_messages(queued, django_capture_on_commit_callbacks)
    assert smtp.messages == []
    subscription.refresh_from_db()
    assert "may no longer see this report" in subscription.last_error


def test_receivables_and_revenue_files_cover_the_month_before(cast):
    invoice = issued_invoice(cast)
    november = Period.month_of(datetime.date(2026, 11, 1))
    name, data = report_file("receivables", cast.reseller, november, "csv")
    assert name == f"receivables-{cast.reseller.code}-2026-12-01.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][:2] == [cast.customer.code, cast.customer.name]
    name, data = report_file("revenue", cast.reseller, november, "csv")
    assert name == f"revenue-{cast.reseller.code}-2026-11.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][:2] == ["2026-11", cast.customer.code]
    assert rows[1][3] == str(invoice.subtotal)
