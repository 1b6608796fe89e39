"""Subscribe monthly: a report's file by e-mail on the 1st, for the month before, sent by a
worker after the beat task's commit, received by a real SMTP server on a loopback port
(tests/fixtures/smtp.py) with the file attached."""

import csv
import datetime
import io

import pytest
from celery import current_app
from django.urls import reverse
from openpyxl import load_workbook

from billing import tasks  # noqa: F401 - registers the billing tasks with the app
from billing.actions.reports import queue_monthly_reports, subscribe_report
from billing.models import ReportSubscription
from core.actors import SYSTEM
from customers.actions.roles import revoke_role
from customers.models import RoleGrant
from tests.billing.usage_data import used_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

FIRST_OF_DECEMBER = datetime.date(2026, 12, 1)


def run_messages(messages, capture_on_commit):
    """Have this process run each message as a worker would: the registered task, its
    arguments as they crossed the broker (``Task.apply``); the e-mail it queues through
    ``core.mail`` leaves on commit (the ``smtp`` fixture runs the mail task eagerly)."""
    with capture_on_commit(execute=True):
        for name, args in messages:
            current_app.tasks[name].apply(args=args).get(propagate=True)


def test_a_reseller_admin_subscribes_and_unsubscribes_on_the_report_page(cast, login):
    cast.reseller_admin.email = "radmin@reseller.example"
    cast.reseller_admin.save()
    client = login(cast.reseller_admin)
    url = reverse("billing:report_subscription", args=[cast.reseller.pk])
    response = client.post(url, {"monthly-report": "licence", "monthly-file_format": "xlsx"})
    assert response["Location"] == reverse("billing:report_licence", args=[cast.reseller.pk])
    subscription = ReportSubscription.objects.get()
    assert (subscription.user, subscription.organisation, subscription.report) == (
        cast.reseller_admin,
        cast.reseller,
        "licence",
    )
    assert subscription.file_format == "xlsx"
    page = client.get(response["Location"]).content.decode()
    assert "data-subscribed" in page and "Unsubscribe" in page and "radmin@reseller.example" in page
    client.post(url, {"monthly-report": "licence", "unsubscribe": "1"})
    assert not ReportSubscription.objects.exists()
    assert "Subscribe monthly" in client.get(response["Location"]).content.decode()


def test_without_an_email_address_the_subscription_is_refused_with_a_message(cast, login):
    cast.reseller_admin.email = ""
    cast.reseller_admin.save()
    client = login(cast.reseller_admin)
    response = client.post(
        reverse("billing:report_subscription", args=[cast.reseller.pk]),
        {"monthly-report": "usage", "monthly-file_format": "csv"},
        follow=True,
    )
    assert "no e-mail address" in response.content.decode()
    assert not ReportSubscription.objects.exists()


def test_on_the_first_each_subscriber_receives_last_months_file_once(
    used, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    cast = used
    messages: list[tuple[str, list]] = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=(), **kw: messages.append((name, args))
    )
    cast.reseller_admin.email = "radmin@reseller.example"
    cast.reseller_admin.save()
    cast.customer_admin.email = "cadmin@customer.example"
    cast.customer_admin.save()
    subscribe_report(
        actor=cast.reseller_admin, organisation=cast.reseller, report="usage", file_format="xlsx"
    )
    subscribe_report(
        actor=cast.customer_admin, organisation=cast.customer, report="licence", file_format="csv"
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = queue_monthly_reports(FIRST_OF_DECEMBER, actor=SYSTEM)
    assert len(run.queued) == 2 and not messages  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(name for name, _args in messages) == ["billing.send_report"] * 2
    # The beat task running twice queues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_monthly_reports(FIRST_OF_DECEMBER, actor=SYSTEM).queued == []
    assert len(messages) == 2

    run_messages(
        messages, django_capture_on_commit_callbacks
    )  # what the worker does with each message

    received = {tuple(to): message for to, message in zip(smtp.recipients, smtp.messages)}
    assert set(received) == {("radmin@reseller.example",), ("cadmin@customer.example",)}
    usage_mail = received[("radmin@reseller.example",)]
    assert usage_mail["Subject"] == "Usage report of Reseller One, November 2026"
    [attachment] = list(usage_mail.iter_attachments())
    assert attachment.get_filename() == "usage-RONE-2026-11.xlsx"
    sheet = load_workbook(io.BytesIO(attachment.get_content())).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][5] == "2026-11-01" and values[0][-1] == "2026-11-30"
    assert values[-1][:5] == ["CONE", "Customer One", "VPN", 4, 3]
    licence_mail = received[("cadmin@customer.example",)]
    [attachment] = list(licence_mail.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename().startswith("licences-CONE-")
    lines = list(csv.reader(io.StringIO(attachment.get_content())))
    assert lines[0][2:7] == [
        "External Customer ID",
        "Account ID",
        "Deal IDs",
        "Public Sector",
        "Inactive Billing",
    ]
    assert [line[0] for line in lines[1:]] == ["CONE"]
    for subscription in ReportSubscription.objects.all():
        assert subscription.last_period == datetime.date(2026, 11, 1)
        assert subscription.last_sent_at is not None and subscription.last_error == ""


def test_a_person_who_lost_the_role_receives_nothing_and_the_page_says_why(
    cast, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    messages: list[tuple[str, list]] = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=(), **kw: messages.append((name, args))
    )
    cast.customer_admin.email = "cadmin@customer.example"
    cast.customer_admin.save()
    subscription = subscribe_report(
        actor=cast.customer_admin, organisation=cast.customer, report="usage", file_format="csv"
    )
    for grant in RoleGrant.objects.filter(user=cast.customer_admin):
        revoke_role(actor=SYSTEM, grant=grant)
    with django_capture_on_commit_callbacks(execute=True):
        queue_monthly_reports(FIRST_OF_DECEMBER, actor=SYSTEM)
    run_messages(messages, django_capture_on_commit_callbacks)
    assert smtp.messages == []
    subscription.refresh_from_db()
    assert "may no longer see this report" in subscription.last_error


def test_the_file_and_the_message_are_in_the_recipients_language(
    used, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    cast = used
    messages: list[tuple[str, list]] = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=(), **kw: messages.append((name, args))
    )
    cast.customer_admin.email = "cadmin@customer.example"
    cast.customer_admin.language = "de"
    cast.customer_admin.save()
    subscribe_report(
        actor=cast.customer_admin, organisation=cast.customer, report="usage", file_format="csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue_monthly_reports(FIRST_OF_DECEMBER, actor=SYSTEM)
    run_messages(messages, django_capture_on_commit_callbacks)
    [message] = smtp.messages
    assert message["Subject"] == "Bericht Nutzung von Customer One, November 2026"
    [attachment] = list(message.iter_attachments())
    header = next(csv.reader(io.StringIO(attachment.get_content())))
    assert header[:5] == ["Code", "Kunde", "Dienst", "Spitze", "Durchschnitt"]
