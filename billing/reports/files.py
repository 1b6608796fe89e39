"""Tables as files: CSV and XLSX, for a download or an e-mail attachment.

Every report (and any other table the billing pages offer as a file) goes through here:
``table_response(filename, headers, rows, file_format)`` answers a download,
``table_file(headers, rows, file_format)`` gives the bytes to attach. ``rows`` may be any
iterable (a queryset's ``iterator()``): the CSV download streams it row by row; the XLSX
workbook is written in openpyxl's write-only mode, which keeps one row in memory at a time.

Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` ...) are written
with a leading quote in CSV and as text in XLSX.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's sheet names: at most 31 characters, none of these.
SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def csv_cell(value) -> str:
    """A value as CSV text: dates in ISO form, booleans as yes/no, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, int | float | Decimal):
        return text
    return f"'{text}" if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def _xlsx_value(value):
    if value is None or isinstance(value, int | float | Decimal | datetime.date):
        return value
    if isinstance(value, bool):
        return value
    return str(value)


def xlsx_bytes(
    headers: Sequence[object], rows: Iterable[Sequence[object]], *, sheet: str = "Report"
) -> bytes:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=str(sheet).translate(SHEET_FORBIDDEN)[:31] or "Report")
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(worksheet, value=str(header))
        cell.font = bold
        header_cells.append(cell)
    worksheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            value = _xlsx_value(value)
            cell = WriteOnlyCell(worksheet, value=value)
            if isinstance(value, str):
                # Text stays text, even "=1+1": no formula runs when the file is opened.
                cell.data_type = "s"
            elif isinstance(value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_file(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    file_format: str,
    *,
    sheet: str = "Report",
) -> bytes:
    """The table as the bytes of a CSV (UTF-8) or XLSX file."""
    if file_format == CSV:
        return "".join(csv_lines(headers, rows)).encode("utf-8")
    if file_format == XLSX:
        return xlsx_bytes(headers, rows, sheet=sheet)
    raise ValueError(f"unknown file format {file_format!r}")


def filename_for(stem: str, file_format: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem)
    return f"{safe}.{file_format}"


def table_response(
    stem: str,
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    file_format: str,
    *,
    sheet: str = "Report",
) -> HttpResponse:
    """A download of the table: ``stem`` becomes the file name (``stem.csv``/``stem.xlsx``).
    CSV streams; an unknown format is a ValueError (the view validates it first)."""
    if file_format == CSV:
        response = StreamingHttpResponse(csv_lines(headers, rows), content_type=CONTENT_TYPES[CSV])
    else:
        response = HttpResponse(
            table_file(headers, rows, file_format, sheet=sheet),
            content_type=CONTENT_TYPES[file_format],
        )
    response["Content-Disposition"] = f'attachment; filename="{filename_for(stem, file_format)}"'
    return response
