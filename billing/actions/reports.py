"""The Reports' writes: the daily usage rollup, a person's monthly report e-mail, and
sending those e-mails.

- ``roll_up(day)``: recompute the day's ``UsageRollup`` rows from its snapshots (the daily
  run calls it in the snapshot's transaction; ``manage.py roll_up_usage`` fills past days);
- ``subscribe_report`` / ``unsubscribe_report``: "Subscribe monthly" on a report page;
- ``queue_monthly_reports(today)``: the beat task on the 1st claims each subscription for the
  month before (a conditional update: run twice, it sends once) and asks a worker, on commit,
  to build each one's file (``send_report``), which goes out through ``core.mail`` like every
  other e-mail (the mail worker sends it and retries).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from billing.models import (
    FINANCE_REPORTS,
    FileFormat,
    ReportKind,
    ReportSubscription,
    UsageRollup,
    UsageSnapshot,
)
from billing.reports import files, finance, licence, usage
from core.actors import SYSTEM
from core.mail import Attachment, queue_email
from core.scoping import has_permission
from customers.models import CustomerService, Organisation
from customers.notifications import language_of

logger = logging.getLogger("billing.reports")

SEND_TASK = "billing.send_report"
ERROR_MAX = ReportSubscription._meta.get_field("last_error").max_length

ROLL_UP_SQL = """
INSERT INTO {rollup} (issuer_id, service_id, day, seats)
SELECT o.parent_id, s.service_id, u.day, SUM(u.seats)
FROM {snapshot} u
JOIN {subscription} s ON s.id = u.subscription_id
JOIN {organisation} o ON o.id = u.organisation_id
WHERE u.day = %(day)s AND o.parent_id IS NOT NULL
GROUP BY o.parent_id, s.service_id, u.day
"""


def roll_up(day: datetime.date) -> int:
    """The day's rollup, recomputed from its snapshots (a second run gives the same rows,
    and a customer moved since is counted under its issuer of that day's run). Returns the
    number of rows written."""
    tables = {
        "rollup": UsageRollup._meta.db_table,
        "snapshot": UsageSnapshot._meta.db_table,
        "subscription": CustomerService._meta.db_table,
        "organisation": Organisation._meta.db_table,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        UsageRollup.objects.filter(day=day).delete()
        cursor.execute(ROLL_UP_SQL.format(**tables), {"day": day})
        return cursor.rowcount


def may_see_report(person: Any, organisation: Organisation, report: str) -> bool:
    """Whether ``person`` may see ``report`` on ``organisation``, as its page decides: Usage
    and Licence with ``view_billing``; the money reports (Receivables, Revenue and margin,
    the journal) only on a reseller and with ``manage_billing`` there."""
    if report in FINANCE_REPORTS:
        return organisation.is_reseller and has_permission(person, "manage_billing", organisation)
    return has_permission(person, "view_billing", organisation)


def _require_viewer(actor: Any, organisation: Organisation, report: str = "") -> None:
    if not may_see_report(actor, organisation, report or ReportKind.USAGE):
        raise PermissionDenied(
            _("You may not see the reports of %(name)s.") % {"name": organisation}
        )


def subscribe_report(
    *, actor: Any, organisation: Organisation, report: str, file_format: str
) -> ReportSubscription:
    """``actor`` gets ``report`` on ``organisation`` by e-mail each month, as ``file_format``
    (a second subscription to the same report changes the format)."""
    _require_viewer(actor, organisation, report)
    if actor is SYSTEM or not getattr(actor, "pk", None):
        raise ValidationError(_("Only a person can subscribe to a report."))
    if report not in ReportKind.values:
        raise ValidationError({"report": _("There is no such report.")})
    if file_format not in FileFormat.values:
        raise ValidationError({"file_format": _("Choose CSV or Excel (XLSX).")})
    if not actor.email:
        raise ValidationError(
            {"file_format": _("Your account has no e-mail address to send the report to.")}
        )
    subscription, _created = ReportSubscription.objects.update_or_create(
        user=actor,
        organisation=organisation,
        report=report,
        defaults={"file_format": file_format},
    )
    return subscription


def unsubscribe_report(*, actor: Any, organisation: Organisation, report: str) -> int:
    """Stop ``actor``'s monthly e-mail of ``report`` on ``organisation``."""
    _require_viewer(actor, organisation, report)
    deleted, _detail = ReportSubscription.objects.filter(
        user_id=getattr(actor, "pk", None), organisation=organisation, report=report
    ).delete()
    return deleted


def send_report_message(subscription_id: int, period_start: datetime.date) -> None:
    """After commit; a broker that does not take it is logged (the next month sends again)."""
    try:
        current_app.send_task(SEND_TASK, args=[subscription_id, period_start.isoformat()])
    except (OSError, KombuOperationalError):
        logger.warning(
            "report subscription %s: the broker did not take its message", subscription_id
        )


@dataclass
class MonthlyRun:
    period: usage.Period
    queued: list[int]


def queue_monthly_reports(today: datetime.date, *, actor: Any = SYSTEM) -> MonthlyRun:
    """Claim every subscription not yet sent for the month before ``today``'s and ask a
    worker to send each, on commit."""
    del actor  # the portal's own schedule
    period = usage.Period.month_before(today)
    run = MonthlyRun(period, [])
    due = ReportSubscription.objects.filter(
        Q(last_period__isnull=True) | Q(last_period__lt=period.start)
    ).values_list("pk", flat=True)
    for subscription_id in list(due.iterator(chunk_size=2000)):
        with transaction.atomic():
            claimed = ReportSubscription.objects.filter(
                Q(last_period__isnull=True) | Q(last_period__lt=period.start),
                pk=subscription_id,
            ).update(last_period=period.start)
            if claimed != 1:
                continue  # another run took it
            transaction.on_commit(lambda pk=subscription_id: send_report_message(pk, period.start))
            run.queued.append(subscription_id)
    return run


def report_file(
    report: str, organisation: Organisation, period: usage.Period, file_format: str
) -> tuple[str, bytes]:
    """(file name, bytes) of ``report`` on ``organisation``'s subtree: the usage over
    ``period``, the licences as they are now; the money reports as their pages give them for
    that month: the journal of ``period``, receivables as of the 1st after it (when the
    task runs), revenue and margin of ``period``."""
    if report in FINANCE_REPORTS:
        return _finance_file(report, organisation, period, file_format)
    if report == ReportKind.USAGE:
        stem = f"usage-{organisation.code}-{period.start:%Y-%m}"
        data = files.table_file(
            usage.headers(period), usage.rows(organisation, period), file_format, sheet=_("Usage")
        )
    else:
        columns = licence.services()
        stem = f"licences-{organisation.code}-{timezone.localdate():%Y-%m-%d}"
        data = files.table_file(
            licence.headers(columns),
            licence.rows(organisation, columns),
            file_format,
            sheet=_("Licences"),
        )
    return files.filename_for(stem, file_format), data


def _finance_file(
    report: str, organisation: Organisation, period: usage.Period, file_format: str
) -> tuple[str, bytes]:
    if report == ReportKind.JOURNAL:
        stem = f"journal-{organisation.code}-{period.start:%Y-%m}"
        headers, rows = finance.journal(organisation, period.start, period.end)
    elif report == ReportKind.RECEIVABLES:
        as_of = period.end + datetime.timedelta(days=1)
        stem = f"receivables-{organisation.code}-{as_of:%Y-%m-%d}"
        headers, rows = finance.receivables(organisation)
    else:
        stem = f"revenue-{organisation.code}-{period.start:%Y-%m}"
        headers, rows, _summary = finance.revenue_and_margin(organisation, period.start, period.end)
    return files.filename_for(stem, file_format), files.table_file(headers, rows, file_format)


def send_report(subscription_id: int, period_start: datetime.date) -> bool:
    """Build one subscription's file for the month starting ``period_start`` and queue the
    e-mail that carries it (``core.mail``: the mail worker sends it and retries): only while
    its person is active, has an e-mail address and still may see the organisation's
    billing (a role taken away stops the e-mail). Returns whether it was queued."""
    subscription = (
        ReportSubscription.objects.select_related("user__organisation", "organisation")
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        return False
    person, organisation = subscription.user, subscription.organisation
    if (
        not person.is_active
        or not person.email
        or not may_see_report(person, organisation, subscription.report)
    ):
        ReportSubscription.objects.filter(pk=subscription_id).update(
            last_error=_("Not sent: the recipient may no longer see this report.")[:ERROR_MAX]
        )
        return False
    period = usage.Period.month_of(period_start)
    with transaction.atomic():
        # In the recipient's language (their own, else their organisation's): the headers too.
        with translation.override(language_of(person, person.organisation)):
            _queue_report_email(subscription, period)
        ReportSubscription.objects.filter(pk=subscription_id).update(
            last_sent_at=timezone.now(), last_error=""
        )
    return True


def _queue_report_email(subscription: ReportSubscription, period: usage.Period) -> None:
    organisation, person = subscription.organisation, subscription.user
    name, data = report_file(subscription.report, organisation, period, subscription.file_format)
    values = {
        "report": subscription.get_report_display(),
        "name": organisation.name,
        "period": date_format(period.start, "F Y"),
    }
    content_type = files.CONTENT_TYPES[subscription.file_format].split(";")[0]
    queue_email(
        subject=_("%(report)s report of %(name)s, %(period)s") % values,
        body=_(
            "Attached is the %(report)s report of %(name)s for %(period)s, as you asked on its "
            "page in the portal. To stop these e-mails, use Unsubscribe on that page."
        )
        % values,
        to=[person.email],
        kind="monthly_report",
        attachments=[Attachment.of(name, data, content_type)],
    )
