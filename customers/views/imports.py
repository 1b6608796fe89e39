"""Bulk import pages: template download, upload and check, the report, the import itself."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.views import require, run_action, visible_or_404
from customers.actions.import_rows import COLUMNS, SHOWN_ERRORS
from customers.actions.imports import check_upload, queue_import
from customers.actions.limits import user_usage
from customers.forms.users import ImportConfirmForm, ImportUploadForm
from customers.models import Organisation, UserImport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def import_template(request, fmt: str):
    """The columns, their meaning, and one example row, as CSV or XLSX."""
    titles = [c.title for c in COLUMNS]
    example = [c.example for c in COLUMNS]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(titles)
        writer.writerow(example)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = "Users"
        sheet.append(titles)
        sheet.append(example)
        for cell, column in zip(sheet[1], COLUMNS, strict=True):
            cell.font = Font(bold=True)
            if column.help:
                cell.comment = Comment(column.help, "Canopy")
        data = io.BytesIO()
        book.save(data)
        response = HttpResponse(data.getvalue(), content_type=XLSX)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="users-template.{fmt}"'
    return response


@login_required
def import_upload(request, organisation: int):
    organisation = visible_or_404(
        request, Organisation.objects.select_related("parent"), pk=organisation
    )
    require(request, "add_users", organisation)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            checked = check_upload(
                actor=request.user, organisation=organisation, upload=upload, filename=upload.name
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("users:import_detail", checked.pk)
    context = {
        "form": form,
        "organisation": organisation,
        "usage": user_usage(organisation),
        "columns": COLUMNS,
    }
    return render(request, "users/import_upload.html", context)


@login_required
def import_detail(request, pk: int):
    """The check's report (errors by row and column), the import button, then progress."""
    checked = visible_or_404(
        request,
        UserImport.objects.select_related("organisation", "job"),
        pk=pk,
    )
    form = ImportConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return run_action(
            request,
            lambda: queue_import(
                actor=request.user, user_import=checked, only_valid=form.cleaned_data["only_valid"]
            ),
            success=_("Importing %(count)s users: this page follows it.")
            % {"count": checked.rows_valid},
            redirect_to=reverse("users:import_detail", args=[checked.pk]),
        )
    errors = checked.errors
    context = {
        "checked": checked,
        "organisation": checked.organisation,
        "errors": errors[:SHOWN_ERRORS],
        "hidden_errors": max(len(errors) - SHOWN_ERRORS, 0),
        "bad_rows": len({e["row"] for e in errors if e["row"] is not None}),
        "blocking": any(e["row"] is None for e in errors),
        "form": form,
        "job": checked.job,
    }
    return render(request, "users/import_detail.html", context)
