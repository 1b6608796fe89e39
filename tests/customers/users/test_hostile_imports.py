"""A hostile or broken import file is refused with an error on the form's file field: never a
500, never a worker reading a zip bomb or a sheet of a million empty rows into memory."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import Workbook

from customers.actions.import_rows import ImportFileError, check_upload_size
from customers.models import Organisation, Status, UserImport

pytestmark = [
    pytest.mark.django_db,
    # A reader left half-read must close quietly, whenever it is collected.
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

HEADER = "UPN,Username,First Name,Last Name\r\n"
MIB = 1024 * 1024


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


@pytest.fixture
def upload(active_cast, login):
    """``upload(name, content)`` -> the error on the file field (the page answered 200)."""
    client = login(active_cast.customer_admin)
    url = reverse("users:import", args=[active_cast.customer.pk])

    def _upload(name: str, content: bytes) -> str:
        response = client.post(url, {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 200, "the file was accepted"
        errors = response.context["form"].errors
        assert list(errors) == ["file"], errors
        assert not UserImport.objects.exists()
        return " ".join(errors["file"])

    return _upload


def workbook_bytes(build) -> bytes:
    book = Workbook()
    build(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_padding(xlsx: bytes, padding: int) -> bytes:
    """The same workbook, its sheet XML followed by ``padding`` spaces: a few KiB that
    unpack to ``padding`` bytes (written in chunks, so the test stays small too)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info.filename, data)
                continue
            with bomb.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(data)
                chunk = b" " * MIB
                for _ in range(padding // MIB):
                    sheet.write(chunk)
    return out.getvalue()


def test_an_attacker_uploading_more_than_the_size_cap_is_refused_before_it_is_read(upload):
    message = upload("users.csv", HEADER.encode() + b"a" * (5 * MIB))

    assert "upload at most 5.0" in message


def test_an_attacker_uploading_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(upload):
    xlsx = workbook_bytes(lambda sheet: sheet.append(["UPN"]))
    bomb = with_sheet_padding(xlsx, 60 * MIB)
    assert len(bomb) < 1 * MIB

    assert "unpacks to" in upload("users.xlsx", bomb)


def test_an_attacker_uploading_an_xlsx_of_thousands_of_parts_is_refused(upload):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(1000):
            archive.writestr(f"xl/part{number}.xml", b"")

    assert "holds 1000 parts" in upload("users.xlsx", out.getvalue())


def test_an_attacker_uploading_an_xlsx_that_is_not_a_zip_gets_an_error(upload):
    assert "not an XLSX file" in upload("users.xlsx", b"UPN\r\nnot a workbook\r\n")


def test_an_attacker_declaring_a_million_empty_rows_is_stopped_at_the_row_cap(upload, settings):
    settings.IMPORT_MAX_ROWS = 100

    def build(sheet):
        sheet.append(["UPN"])
        sheet.cell(row=1_000_000, column=1, value="x@example.com")

    assert "more than 100 rows" in upload("users.xlsx", workbook_bytes(build))


def test_empty_csv_rows_count_towards_the_row_cap(upload, settings):
    settings.IMPORT_MAX_ROWS = 100

    assert "more than 100 rows" in upload("users.csv", (HEADER + "\r\n" * 500).encode())


def test_an_attacker_uploading_a_sheet_thousands_of_columns_wide_is_refused(upload):
    def build(sheet):
        sheet.append(["UPN"])
        sheet.cell(row=2, column=16000, value="far away")

    assert "more than 50 columns" in upload("users.xlsx", workbook_bytes(build))


def test_an_attacker_uploading_a_csv_hundreds_of_columns_wide_is_refused(upload):
    row = ",".join(["x"] * 500)

    assert "more than 50 columns" in upload("users.csv", (HEADER + row + "\r\n").encode())


def test_an_attacker_uploading_a_field_over_the_csv_modules_limit_gets_an_error_not_a_500(upload):
    huge = "a" * (200 * 1024)  # over Python's 128 KiB csv field limit

    message = upload("users.csv", f'{HEADER}"{huge}",u,A,B\r\n'.encode())

    assert "longer than 4096 characters" in message


def test_a_field_longer_than_the_field_cap_is_refused(upload):
    message = upload("users.csv", f"{HEADER}{'a' * 5000},u,A,B\r\n".encode())

    assert "Row 2 has a cell longer than 4096 characters" in message


def test_a_csv_that_is_not_utf_8_is_refused_with_a_hint(upload):
    content = (HEADER + "jos\u00e9@example.com,jose,Jos\u00e9,P\r\n").encode("latin-1")

    assert "not UTF-8" in upload("users.csv", content)


def test_a_binary_file_named_csv_is_refused(upload):
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20

    message = upload("users.csv", content)

    assert "not UTF-8" in message or "cannot be read as CSV" in message


def test_a_file_with_the_wrong_columns_is_refused(upload):
    assert "Unknown column 'Salary'" in upload("users.csv", b"UPN,Salary\r\nx@y,1\r\n")


def test_an_attacker_streaming_a_huge_file_gets_nothing_kept_past_the_cap(settings, tmp_path):
    """Past the cap no chunk reaches Django's temporary-file handler, so a request of any
    size writes at most the cap (and one chunk) to disk; the file still tells its size."""
    settings.IMPORT_MAX_UPLOAD_BYTES = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # anything bigger goes to a temporary file
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    sent = HEADER.encode() + b"a" * (3 * MIB)
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("users.csv", sent)})

    upload = request.FILES["file"]  # parsed here, the temporary file still open

    on_disk = sum(path.stat().st_size for path in tmp_path.iterdir())
    assert on_disk <= 64 * 1024 + 64 * 1024
    assert upload.size == len(sent) and upload.read() == b""
    with pytest.raises(ImportFileError, match=r"upload at most 64\.0"):
        check_upload_size(upload)


def test_a_file_under_the_cap_arrives_whole(settings, tmp_path):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    sent = HEADER.encode() + b"a" * (2 * MIB)
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("users.csv", sent)})
    assert request.FILES["file"].read() == sent
