"""Bulk import over HTTP: upload a CSV or XLSX file of users (the template's columns), checked
row by row and queued for a worker at once; 202 with the import's URL, which names the
directory job once the worker has created the users."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import valid_form
from core.api.safe_writes import idempotent
from core.api.serializers import job_url
from core.views import require, visible_or_404
from customers.actions.imports import check_upload, queue_import
from customers.forms.users import ImportUploadForm
from customers.models import Organisation, UserImport


class UserImportSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    job_url = serializers.SerializerMethodField()

    class Meta:
        model = UserImport
        fields = [
            "id",
            "url",
            "organisation",
            "filename",
            "state",
            "rows_total",
            "rows_valid",
            "imported",
            "errors",
            "only_valid",
            "failure",
            "job",
            "job_url",
            "created",
            "queued_at",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, user_import: UserImport) -> str:
        return self._absolute(reverse("api:import-detail", args=[user_import.pk]))

    def get_job_url(self, user_import: UserImport) -> str | None:
        """The directory job, once the worker has created the users."""
        if user_import.job_id is None:
            return None
        return job_url(user_import.job, self.context.get("request"))


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv or .xlsx file with the template's columns.")
    only_valid = serializers.BooleanField(
        default=False, help_text="Import the valid rows and skip those with errors."
    )


class ImportCreate(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportUploadSerializer, responses={202: UserImportSerializer})
    @idempotent
    @transaction.atomic
    def post(self, request, pk: int):
        """Check the file and queue its import (as Upload, then Import, on the page). A file
        with errors is refused whole (400, the errors by row and column) unless
        ``only_valid``; nothing of a refused upload is kept."""
        organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
        require(request.user, "add_users", organisation)
        form = valid_form(ImportUploadForm(request.data, request.FILES))
        only_valid = serializers.BooleanField().to_internal_value(
            request.data.get("only_valid") or False
        )
        upload = form.cleaned_data["file"]
        checked = check_upload(
            actor=request.user, organisation=organisation, upload=upload, filename=upload.name
        )
        if checked.errors and not only_valid:
            transaction.set_rollback(True)
            raise serializers.ValidationError(
                {
                    "file": ["The file has errors: correct them, or import only the valid rows."],
                    "rows": [
                        f"row {error['row']}, {error.get('column') or '-'}: {error['message']}"
                        for error in checked.errors[:200]
                    ],
                }
            )
        queued = queue_import(actor=request.user, user_import=checked, only_valid=only_valid)
        body = UserImportSerializer(queued, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ImportDetail(APIView):
    @extend_schema(responses=UserImportSerializer)
    def get(self, request, pk: int):
        """How the import goes: its state, the users made, and the directory job."""
        checked = visible_or_404(
            request, UserImport.objects.select_related("organisation", "job"), pk=pk
        )
        return Response(UserImportSerializer(checked, context={"request": request}).data)
