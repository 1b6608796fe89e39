"""Bulk import: every row checked first, errors by row and column, nothing created until the
file is clean or the admin imports only the valid rows; then bulk inserts and one job."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from core.credentials import decrypt_secret
from core.jobs import JobKind
from core.models import Job
from customers.actions.import_rows import EXPIRES_AFTER
from customers.actions.imports import (
    check_upload,
    import_queued,
    queue_import,
    requeue_stale_imports,
    run_import,
)
from customers.models import ImportState, Organisation, Status, User, UserImport
from customers.tasks import expire_uploads
from portal.celery import app
from tests.fixtures.catalogue import customer_vpn

pytestmark = pytest.mark.django_db

HEADER = ["UPN", "Username", "First Name", "Last Name", "Email", "Password", "Services"]
GOOD_PASSWORD = "Import-pass-42"


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    customer_vpn(cast)
    return cast


def csv_file(rows, header=HEADER, name="users.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def checked_upload(cast, upload):
    """The customer admin's upload of ``upload``, checked."""
    return check_upload(
        actor=cast.customer_admin, organisation=cast.customer, upload=upload, filename="users.csv"
    )


def good_rows(cast, count, start=0):
    domain = cast.customer.primary_domain.name
    return [
        [f"bulk{n}@{domain}", "", "Bulk", f"User{n}", "", GOOD_PASSWORD, "VPN"]
        for n in range(start, start + count)
    ]


def test_every_row_is_checked_and_errors_are_shown_by_row_and_column(active_cast, login):
    cast = active_cast
    domain = cast.customer.primary_domain.name
    rows = [
        *good_rows(cast, 2),
        ["x@elsewhere.example", "", "A", "B", "", GOOD_PASSWORD, ""],  # row 4: wrong domain
        [f"bulk0@{domain}", "", "C", "D", "", GOOD_PASSWORD, ""],  # row 5: UPN twice
        [f"ok@{domain}", "enduser", "E", "F", "not-an-email", "short", "NOPE"],  # row 6
    ]
    client = login(cast.customer_admin)
    response = client.post(
        reverse("users:import", args=[cast.customer.pk]), {"file": csv_file(rows)}
    )
    checked = UserImport.objects.get()
    assert response.url == reverse("users:import_detail", args=[checked.pk])
    found = {(e["row"], e["column"]) for e in checked.errors}
    assert {(4, "UPN"), (2, "UPN"), (5, "UPN"), (6, "Username"), (6, "Email")} <= found
    assert {(6, "Password"), (6, "Services")} <= found
    assert checked.rows_total == 5 and checked.rows_valid == 1  # row 3
    assert "short" not in json.dumps(checked.errors)  # a password is never echoed
    page = client.get(response.url).content.decode()
    assert "has no service NOPE" in page
    assert "Use one of the domains" in page
    assert User.objects.filter(upn__startswith="bulk").count() == 0


def test_nothing_is_imported_while_the_file_has_errors_unless_only_valid_rows(active_cast):
    cast = active_cast
    rows = [*good_rows(cast, 3), ["broken", "", "", "", "", "", ""]]
    checked = checked_upload(cast, csv_file(rows))
    assert checked.rows_valid == 3 and checked.errors == [
        {"row": 5, "column": "UPN", "message": "'broken' is not name@domain."}
    ]
    with pytest.raises(Exception, match="correct them"):
        run_import(actor=cast.customer_admin, user_import=checked)
    assert not User.objects.filter(upn__startswith="bulk").exists()
    job = run_import(actor=cast.customer_admin, user_import=checked, only_valid=True)
    imported = User.objects.filter(upn__startswith="bulk").order_by("pk")
    assert imported.count() == 3
    assert all(u.services.filter(subscription__service__code="VPN").exists() for u in imported)
    assert all(not u.has_usable_password() for u in imported)  # the job sets the hashes
    assert job.kind == JobKind.IMPORT_USERS
    assert job.payload["user_ids"] == [u.pk for u in imported]
    assert set(json.loads(decrypt_secret(job.secret)).values()) == {GOOD_PASSWORD}
    checked.refresh_from_db()
    assert checked.state == "imported" and checked.rows == "" and checked.imported == 3
    with pytest.raises(Exception, match="imported already"):
        run_import(actor=cast.customer_admin, user_import=checked, only_valid=True)


def test_the_import_page_imports_only_valid_rows_when_asked(active_cast, login):
    cast = active_cast
    client = login(cast.customer_admin)
    rows = [*good_rows(cast, 2), ["broken", "", "", "", "", "", ""]]
    client.post(reverse("users:import", args=[cast.customer.pk]), {"file": csv_file(rows)})
    checked = UserImport.objects.get()
    url = reverse("users:import_detail", args=[checked.pk])
    client.post(url, {})
    assert not User.objects.filter(upn__startswith="bulk").exists()
    client.post(url, {"only_valid": "on"})
    # The request only queues the import: no user is made inside it.
    checked.refresh_from_db()
    assert checked.state == ImportState.QUEUED
    assert not User.objects.filter(upn__startswith="bulk").exists()
    page = client.get(url).content.decode()
    assert "Creating 2 users in the portal" in page and 'hx-trigger="every 2s"' in page

    import_queued(checked.pk)  # what the worker's customers.import_users task does

    assert User.objects.filter(upn__startswith="bulk").count() == 2
    page = client.get(url).content.decode()
    assert 'role="progressbar"' in page and "2 users were created" in page


def test_an_import_refused_in_the_worker_says_why_on_its_page_and_can_be_tried_again(
    active_cast, login
):
    """The customer's user limit is lowered between Import and the worker: nothing is
    created, the page says why, and the upload may be imported again."""
    cast = active_cast
    client = login(cast.customer_admin)
    client.post(
        reverse("users:import", args=[cast.customer.pk]), {"file": csv_file(good_rows(cast, 3))}
    )
    checked = UserImport.objects.get()
    url = reverse("users:import_detail", args=[checked.pk])
    client.post(url, {})
    Organisation.objects.filter(pk=cast.customer.pk).update(
        user_limit=User.objects.filter(organisation=cast.customer).count()
    )

    assert import_queued(checked.pk) is None

    checked.refresh_from_db()
    assert checked.state == ImportState.VALIDATED and checked.rows
    assert not User.objects.filter(upn__startswith="bulk").exists()
    page = client.get(url).content.decode()
    assert "The import was refused:" in page and "a limit reached" in page
    assert "Import 3 users" in page


def test_a_queued_import_whose_message_was_lost_is_sent_again_and_runs_once(active_cast):
    cast = active_cast
    checked = checked_upload(cast, csv_file(good_rows(cast, 2)))
    queue_import(actor=cast.customer_admin, user_import=checked)
    UserImport.objects.filter(pk=checked.pk).update(queued_at=timezone.now() - timedelta(minutes=5))

    assert requeue_stale_imports() == 1
    assert import_queued(checked.pk) is not None
    assert import_queued(checked.pk) is None  # a second message does nothing
    assert User.objects.filter(upn__startswith="bulk").count() == 2
    assert requeue_stale_imports() == 0


def test_limits_hold_for_the_whole_file(active_cast):
    cast = active_cast
    Organisation.objects.filter(pk=cast.customer.pk).update(
        user_limit=cast.customer.users.count() + 2
    )
    cast.customer.refresh_from_db()
    checked = checked_upload(cast, csv_file(good_rows(cast, 3)))
    assert checked.errors[0]["row"] is None
    assert "can have 2 more users" in checked.errors[0]["message"]
    with pytest.raises(Exception, match="more users or seats"):
        run_import(actor=cast.customer_admin, user_import=checked, only_valid=True)


def test_usernames_are_generated_free_in_the_file_and_the_system(active_cast):
    cast = active_cast
    domain = cast.customer.primary_domain.name
    rows = [
        [f"a@{domain}", "", "Ed", "User", "", GOOD_PASSWORD, ""],
        [f"b@{domain}", "", "Eve", "User", "", GOOD_PASSWORD, ""],
        [f"c@{domain}", "euser", "X", "Y", "", GOOD_PASSWORD, ""],
    ]
    checked = check_upload(
        actor=cast.customer_admin,
        organisation=cast.customer,
        upload=csv_file(rows),
        filename="u.csv",
    )
    run_import(actor=cast.customer_admin, user_import=checked)
    names = set(
        User.objects.filter(upn__in=[r[0] for r in rows]).values_list("username", flat=True)
    )
    assert names == {"euser", "euser2", "euser3"}


def test_xlsx_files_and_the_templates(active_cast, login):
    cast = active_cast
    client = login(cast.customer_admin)
    template = client.get(reverse("users:import_template", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(template.content)).active
    titles = [cell.value for cell in sheet[1]]
    assert titles[:2] == ["UPN", "Username"]
    book = Workbook()
    book.active.append(titles)
    domain = cast.customer.primary_domain.name
    book.active.append(
        [
            f"sheet.user@{domain}",
            None,
            "Sheet",
            "User",
            None,
            None,
            GOOD_PASSWORD,
            "yes",
            "no",
            "vpn",
        ]
    )
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("users.xlsx", data.getvalue())
    checked = check_upload(
        actor=cast.customer_admin,
        organisation=cast.customer,
        upload=upload,
        filename="users.xlsx",
    )
    assert checked.errors == [] and checked.rows_valid == 1
    run_import(actor=cast.customer_admin, user_import=checked)
    user = User.objects.get(upn=f"sheet.user@{domain}")
    assert user.must_change_password and user.username == "suser"
    csv_template = client.get(reverse("users:import_template", args=["csv"]))
    assert csv_template.content.decode().startswith("UPN,Username,First Name")


def test_a_file_with_an_unknown_column_is_refused_whole(active_cast):
    cast = active_cast
    with pytest.raises(Exception, match="Unknown column 'Shoe Size'"):
        check_upload(
            actor=cast.customer_admin,
            organisation=cast.customer,
            upload=csv_file([], header=["UPN", "Shoe Size"]),
            filename="u.csv",
        )


def test_help_desk_cannot_import(active_cast, login):
    cast = active_cast
    response = login(cast.help_desk).post(
        reverse("users:import", args=[cast.customer.pk]), {"file": csv_file(good_rows(cast, 1))}
    )
    assert response.status_code == 403
    assert not UserImport.objects.exists()


def test_five_hundred_rows_take_a_fixed_number_of_queries(
    active_cast, django_assert_max_num_queries
):
    """The CI-sized cousin of bench/bulk_import.py (10,000 rows)."""
    cast = active_cast
    upload = csv_file(good_rows(cast, 500))
    with django_assert_max_num_queries(40):
        checked = check_upload(
            actor=cast.customer_admin,
            organisation=cast.customer,
            upload=upload,
            filename="users.csv",
        )
    assert checked.rows_valid == 500
    with django_assert_max_num_queries(80):
        run_import(actor=cast.customer_admin, user_import=checked)
    assert User.objects.filter(upn__startswith="bulk").count() == 500
    assert Job.objects.filter(kind=JobKind.IMPORT_USERS).count() == 1


def test_an_upload_left_unimported_is_erased_by_beat_without_waiting_for_the_next(active_cast):
    """Issue 9, hole 10: rows (with passwords) stayed until somebody uploaded again."""
    cast = active_cast
    stale = checked_upload(cast, csv_file(good_rows(cast, 1)))
    fresh = checked_upload(cast, csv_file(good_rows(cast, 1, start=5)))
    UserImport.objects.filter(pk=stale.pk).update(
        created=timezone.now() - EXPIRES_AFTER - timedelta(minutes=1)
    )
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "customers.expire_uploads" in scheduled
    app.loader.import_default_modules()
    assert "customers.expire_uploads" in app.tasks

    assert expire_uploads() == 1

    assert not UserImport.objects.filter(pk=stale.pk).exists()
    assert UserImport.objects.get(pk=fresh.pk).rows


def test_an_imported_upn_with_a_double_dot_is_refused_by_row(active_cast):
    cast = active_cast
    domain = cast.customer.primary_domain.name
    rows = [[f"a..b@{domain}", "", "A", "B", "", GOOD_PASSWORD, ""]]
    checked = checked_upload(cast, csv_file(rows))
    assert checked.rows_valid == 0
    assert "no spaces, quotes or backslashes" in checked.errors[0]["message"]
