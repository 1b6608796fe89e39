"""Bulk import of users from CSV or XLSX: read, validate every row, then import in bulk.

Nothing is created until the file is clean, or until the admin chooses to import only the
valid rows. Validation costs a handful of queries whatever the file's size (existing names
are fetched with one ``IN`` query per column). The valid rows wait encrypted in a
``UserImport`` (they carry passwords); importing creates the users, their roles and their
services with bulk inserts in one transaction, under the same limits as one user, and
records one job that creates the directory accounts with a progress bar
(``provisioning.job_plans.subscriptions``). The rows are then erased.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from core.scoping import has_permission
from customers.actions.catalogue import HELD
from customers.actions.limits import subscription_usage, user_usage
from customers.actions.organisations import default_upn_domain
from customers.actions.passwords import password_problems
from customers.actions.users import USERNAME_MAX, USERNAME_PATTERN, username_stem
from customers.actions.verification import needs_verified_upn, verified_upn_domains
from customers.models import (
    CustomerService,
    Organisation,
    ServiceType,
    User,
)
from customers.models.validators import UPN_LOCAL_MESSAGE, UPN_LOCAL_PATTERN, unavailable

SHOWN_ERRORS = 1000
EXPIRES_AFTER = timedelta(hours=24)
TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    help: str
    example: str
    required: bool = False
    max_length: int = 256


COLUMNS = [
    Column("upn", "UPN", "name@domain, on one of the customer's domains", "jane.doe@", True),
    Column("username", "Username", "Empty: made from the names. At most 20 of A-Z 0-9 . - _", ""),
    Column("first_name", "First Name", "", "Jane", max_length=150),
    Column("last_name", "Last Name", "", "Doe", max_length=150),
    Column("display_name", "Display Name", "Empty: First Name Last Name", ""),
    Column("email", "Email", "", "jane.doe@example.com", max_length=254),
    Column("password", "Password", "Empty: set one later with Reset password", "Change-me-2024!"),
    Column("must_change_password", "Must Change Password", "yes or no", "yes"),
    Column("administrator", "Administrator", "yes or no", "no"),
    Column("services", "Services", "Service codes separated by ;", ""),
]
BY_NAME = {re.sub(r"[\s_-]", "", c.title.lower()): c for c in COLUMNS}


@dataclass(frozen=True)
class RowError:
    row: int | None  # the spreadsheet's row number (the header is row 1); None: the file
    column: str
    message: str

    def as_dict(self) -> dict:
        # Stored as JSON: a message translated lazily (a validator's) becomes text here.
        return {"row": self.row, "column": str(self.column), "message": str(self.message)}


class ImportFileError(ValidationError):
    """The file cannot be read at all (format, header, size)."""


# --- Reading --------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _limit(name: str) -> int:
    return int(getattr(settings, name))


def _size_text(size: int) -> str:
    return filesizeformat(size)


def check_upload_size(upload) -> None:
    """Refuse a file over IMPORT_MAX_UPLOAD_BYTES before anything reads it."""
    cap = _limit("IMPORT_MAX_UPLOAD_BYTES")
    if upload.size is not None and upload.size > cap:
        raise ImportFileError(
            _("The file is %(size)s; upload at most %(cap)s.")
            % {"size": _size_text(upload.size), "cap": _size_text(cap)}
        )


def _check_zip(upload) -> None:
    """An XLSX is a zip: count and add up its entries from the directory at its end, before
    anything is decompressed. Python's zipfile never inflates an entry past the size the
    directory declares, so the declared total bounds what openpyxl can read."""
    upload.seek(0)
    if not zipfile.is_zipfile(upload):
        raise ImportFileError(_("This is not an XLSX file: save it again as Excel Workbook."))
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(_("This is not a readable XLSX file.")) from exc
    if len(entries) > _limit("IMPORT_MAX_ZIP_ENTRIES"):
        raise ImportFileError(
            _("The XLSX file holds %(count)d parts; a user list needs far fewer.")
            % {"count": len(entries)}
        )
    total = sum(entry.file_size for entry in entries)
    cap = _limit("IMPORT_MAX_UNCOMPRESSED_BYTES")
    if total > cap:
        raise ImportFileError(
            _("The XLSX file unpacks to %(size)s; at most %(cap)s is read.")
            % {"size": _size_text(total), "cap": _size_text(cap)}
        )
    upload.seek(0)


def _xlsx_rows(upload) -> Iterator[list[str]]:
    _check_zip(upload)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(_("This is not a readable XLSX file.")) from exc
    declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
    if declared_columns > _limit("IMPORT_MAX_COLUMNS"):
        raise ImportFileError(
            _("The sheet has more than %(max)d columns: use the template's columns.")
            % {"max": _limit("IMPORT_MAX_COLUMNS")}
        )
    if declared_rows > _limit("IMPORT_MAX_ROWS") + 1:
        raise ImportFileError(
            _("The file has more than %(max)d rows (empty rows count too).")
            % {"max": _limit("IMPORT_MAX_ROWS")}
        )
    # Bounded on both axes even when the declared size is missing or wrong: openpyxl pads
    # rows up to these bounds only, and the caller's checks catch anything reaching them.
    bounds = {"max_row": _limit("IMPORT_MAX_ROWS") + 2, "max_col": _limit("IMPORT_MAX_COLUMNS") + 1}
    try:
        for values in sheet.iter_rows(values_only=True, **bounds):
            yield [_cell(v) for v in values]
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet fails only while it is read
        raise ImportFileError(_("This is not a readable XLSX file.")) from exc
    finally:
        workbook.close()


def _csv_rows(upload) -> Iterator[list[str]]:
    """Read the CSV as a stream of UTF-8 text, never the whole file at once."""
    upload.seek(0)
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
    reader = None
    try:
        sample = text.read(4096)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        text.seek(0)
        reader = csv.reader(text, dialect)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            yield [_cell(v) for v in values]
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is not UTF-8 text: save it as CSV UTF-8 (or as XLSX) and upload it again.")
        ) from exc
    except csv.Error as exc:
        # Python's csv refuses a field over its limit (128 KiB) or a NUL byte: both mean
        # this is not a user list.
        row = reader.line_num if reader is not None else 1
        if "field limit" in str(exc):
            raise ImportFileError(
                _("Row %(row)d has a cell longer than %(max)d characters.")
                % {"row": row, "max": _limit("IMPORT_MAX_FIELD_CHARS")}
            ) from exc
        raise ImportFileError(
            _("Line %(line)d of the file cannot be read as CSV; is it a CSV file?") % {"line": row}
        ) from exc
    finally:
        # Leave the upload open for Django to clean up. A reader abandoned halfway (a refused
        # file) is closed when it is collected, maybe after the upload itself was closed:
        # then there is nothing to leave open, and detach() would raise.
        if not text.buffer.closed:
            text.detach()


def _table_rows(upload, filename: str) -> Iterator[list[str]]:
    check_upload_size(upload)
    if filename.lower().endswith(".xlsx"):
        yield from _xlsx_rows(upload)
    else:
        yield from _csv_rows(upload)


def _checked(table: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(row number, values) for every row read, empty ones included, refusing a file with
    too many rows, too many columns or too long a field before a row is kept."""
    max_rows = _limit("IMPORT_MAX_ROWS")
    max_columns = _limit("IMPORT_MAX_COLUMNS")
    max_field = _limit("IMPORT_MAX_FIELD_CHARS")
    for number, values in enumerate(table, start=1):
        if number > max_rows + 1:  # the header and at most max_rows rows under it
            raise ImportFileError(
                _("The file has more than %(max)d rows (empty rows count too).") % {"max": max_rows}
            )
        while values and not values[-1]:
            values.pop()  # trailing empty cells are not columns
        if len(values) > max_columns:
            raise ImportFileError(
                _("Row %(row)d has more than %(max)d columns: use the template's columns.")
                % {"row": number, "max": max_columns}
            )
        for value in values:
            if len(value) > max_field:
                raise ImportFileError(
                    _("Row %(row)d has a cell longer than %(max)d characters.")
                    % {"row": number, "max": max_field}
                )
        yield number, values


def read_rows(upload, filename: str) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column key: text}) for every non-empty row under the header."""
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    table = _checked(_table_rows(upload, filename))
    header = next(table, (1, []))[1]
    if not header:
        raise ImportFileError(_("The file is empty: its first row must name the columns."))
    columns: list[Column | None] = []
    for title in header:
        column = BY_NAME.get(re.sub(r"[\s_-]", "", title.lower()))
        if title and column is None:
            raise ImportFileError(
                _("Unknown column %(title)r: use the template's columns.") % {"title": title}
            )
        columns.append(column)
    missing = [c.title for c in COLUMNS if c.required and c not in columns]
    if missing:
        raise ImportFileError(
            _("The file has no %(columns)s column.") % {"columns": ", ".join(missing)}
        )
    rows = []
    for number, values in table:
        if not any(values):
            continue
        row = {c.key: "" for c in COLUMNS}
        for column, value in zip(columns, values, strict=False):
            if column is not None:
                row[column.key] = value
        rows.append((number, row))
    return rows


# --- Validating -----------------------------------------------------------------------------


def _domains(organisation: Organisation) -> set[str]:
    names = set(organisation.domains.values_list("name", flat=True))
    fallback = default_upn_domain(organisation)
    names = names or ({fallback} if fallback else set())
    if needs_verified_upn(organisation):
        names &= verified_upn_domains(organisation)
    return names


def _existing(field: str, values: Iterable[str]) -> set[str]:
    values = list({v.lower() for v in values if v})
    if not values:
        return set()
    return set(
        User.objects.annotate(key=Lower(field)).filter(key__in=values).values_list("key", flat=True)
    )


def _free_usernames(wanted: dict[int, str], taken: set[str]) -> dict[int, str]:
    """Usernames for rows without one: ``stem``, ``stem2``, ... free in the file and the DB.

    One query per round; a round settles every row whose next candidate is free.
    """
    result: dict[int, str] = {}
    attempt = dict.fromkeys(wanted, 1)
    while attempt:
        candidates = {}
        for row, number in attempt.items():
            stem = wanted[row]
            suffix = "" if number == 1 else str(number)
            candidates[row] = f"{stem[: USERNAME_MAX - len(suffix)]}{suffix}"
        in_db = _existing("username", candidates.values())
        for row, candidate in candidates.items():
            if candidate not in in_db and candidate not in taken:
                taken.add(candidate)
                result[row] = candidate
                del attempt[row]
            else:
                attempt[row] += 1
    return result


def _flag(row: dict, key: str, errors: list[RowError], number: int) -> bool:
    value = row[key].lower()
    if value not in TRUE | FALSE:
        title = next(c.title for c in COLUMNS if c.key == key)
        errors.append(RowError(number, title, f"Write yes or no, not {row[key]!r}."))
    return value in TRUE


def validate_rows(
    actor: Any, organisation: Organisation, rows: list[tuple[int, dict[str, str]]]
) -> tuple[list[dict], list[RowError]]:
    """Check every row; return the valid rows (normalised) and every error found."""
    errors: list[RowError] = []
    domains = _domains(organisation)
    subscriptions = {
        s.service.code.upper(): s
        for s in CustomerService.objects.filter(organisation=organisation, status__in=HELD)
        .exclude(service__service_type=ServiceType.DIRECTORY_ACCOUNT)
        .select_related("service")
    }
    may_make_admins = has_permission(actor, "grant_roles", organisation)
    upn_counts = Counter(r["upn"].lower() for _, r in rows if r["upn"])
    name_counts = Counter(r["username"].lower() for _, r in rows if r["username"])
    upns_in_db = _existing("upn", upn_counts)
    names_in_db = _existing("username", name_counts)
    stems = {n: username_stem(r["first_name"], r["last_name"], r["upn"]) for n, r in rows}
    generated = _free_usernames(
        {n: stems[n] for n, r in rows if not r["username"]}, set(name_counts)
    )
    valid = []
    for number, row in rows:
        found: list[RowError] = []
        for column in COLUMNS:
            if column.required and not row[column.key]:
                found.append(RowError(number, column.title, f"{column.title} is required."))
            elif len(row[column.key]) > column.max_length:
                found.append(
                    RowError(
                        number,
                        column.title,
                        _("At most %(max_length)s characters.") % {"max_length": column.max_length},
                    )
                )
        upn = row["upn"].lower()
        local, _at, domain = upn.partition("@")
        if upn and not (local and domain):
            found.append(RowError(number, "UPN", f"{row['upn']!r} is not name@domain."))
        elif upn and not (UPN_LOCAL_PATTERN.match(local) and len(local) <= 64):
            found.append(RowError(number, "UPN", UPN_LOCAL_MESSAGE))
        elif upn and domain not in domains:
            allowed = ", ".join(sorted(domains)) or "none verified: add and verify one"
            found.append(
                RowError(
                    number, "UPN", _("Use one of the domains: %(allowed)s.") % {"allowed": allowed}
                )
            )
        elif upn_counts[upn] > 1:
            found.append(RowError(number, "UPN", f"{upn} appears more than once in the file."))
        elif upn in upns_in_db:
            found.append(RowError(number, "UPN", unavailable("upn", upn)))
        username = row["username"] or generated.get(number, "")
        if row["username"]:
            key = username.lower()
            if not USERNAME_PATTERN.match(username):
                found.append(
                    RowError(number, "Username", "At most 20 of letters, digits and . - _")
                )
            elif name_counts[key] > 1:
                found.append(RowError(number, "Username", _("Appears more than once in the file.")))
            elif key in names_in_db:
                found.append(RowError(number, "Username", unavailable("username", username)))
        if row["email"]:
            try:
                validate_email(row["email"])
            except ValidationError:
                found.append(RowError(number, "Email", _("Not an email address.")))
        display = row["display_name"] or f"{row['first_name']} {row['last_name']}".strip()
        if row["password"]:
            for problem in password_problems(
                organisation, row["password"], username=username, display_name=display
            ):
                found.append(RowError(number, "Password", problem))  # never the value itself
        must_change = _flag(row, "must_change_password", found, number)
        admin = _flag(row, "administrator", found, number)
        if admin and not may_make_admins:
            found.append(RowError(number, "Administrator", _("You may not create administrators.")))
        codes = [c.upper() for c in re.split(r"[;,\s]+", row["services"]) if c]
        for code in codes:
            if code not in subscriptions:
                offered = ", ".join(sorted(subscriptions)) or "none"
                found.append(
                    RowError(
                        number,
                        "Services",
                        f"{organisation.name} has no service {code} (it has: {offered}).",
                    )
                )
        errors.extend(found)
        if not found:
            valid.append(
                {
                    "row": number,
                    "upn": upn,
                    "username": username,
                    "first_name": row["first_name"],
                    "last_name": row["last_name"],
                    "display_name": display or local,
                    "email": row["email"],
                    "password": row["password"],
                    "must_change_password": must_change,
                    "administrator": admin,
                    "services": sorted(set(codes)),
                }
            )
    errors.extend(_limit_errors(organisation, valid, subscriptions))
    return valid, errors


def _limit_errors(
    organisation: Organisation, valid: list[dict], subscriptions: dict[str, CustomerService]
) -> list[RowError]:
    """Whole-file problems: more users or seats than the customer has left."""
    found = []
    usage = user_usage(organisation)
    if usage.allowed is not None and usage.used + len(valid) > usage.allowed:
        left = max(usage.allowed - usage.used, 0)
        found.append(
            RowError(
                None,
                "",
                f"{organisation.name} can have {left} more users ({usage}); "
                f"the file has {len(valid)} valid rows.",
            )
        )
    wanted = Counter(code for row in valid for code in row["services"])
    for code, count in sorted(wanted.items()):
        seats = subscription_usage(subscriptions[code])
        if seats.allowed is not None and seats.used + count > seats.allowed:
            found.append(
                RowError(
                    None,
                    "Services",
                    f"{count} users would get {code}, but only "
                    f"{max(seats.allowed - seats.used, 0)} seats are left ({seats}).",
                )
            )
    return found
