"""Jobs over HTTP (state and steps, retry and cancel) and Check directory (the latest drift
report, check, repair), through the same actions as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import NewestFirstCursor
from core.api.safe_writes import idempotent
from core.api.serializers import ACCEPTED, AcceptedSerializer, JobSerializer, accepted
from core.models import DriftReport, Job
from core.views import require, visible_or_404
from customers.models import Organisation
from provisioning.actions.jobs import cancel_job, request_reconcile, retry_job


class JobList(generics.ListAPIView):
    """Jobs you may see, newest first."""

    serializer_class = JobSerializer
    pagination_class = NewestFirstCursor
    filterset_fields = ["state", "kind", "organisation"]

    def get_queryset(self):
        return Job.objects.restrict(self.request.user, "view")


class JobDetail(generics.RetrieveAPIView):
    serializer_class = JobSerializer

    def get_object(self):
        return visible_or_404(self.request, Job, pk=self.kwargs["pk"])


class JobRetry(APIView):
    @extend_schema(request=None, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        """Run a failed job again: 202 with the job."""
        job = visible_or_404(request, Job, pk=pk)
        return accepted(request, [retry_job(actor=request.user, job=job)])


class JobCancel(APIView):
    @extend_schema(request=None, responses=JobSerializer)
    @idempotent
    def post(self, request, pk: int):
        job = visible_or_404(request, Job, pk=pk)
        job = cancel_job(actor=request.user, job=job)
        return Response(JobSerializer(job, context={"request": request}).data)


# --- Check directory ------------------------------------------------------------------------


class DriftReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = DriftReport
        fields = [
            "id",
            "organisation",
            "job",
            "created",
            "repair",
            "found",
            "remaining",
            "checked",
            "differences",
            "error",
        ]
        read_only_fields = fields


def _checked_organisation(request, pk: int) -> Organisation:
    """As the Check directory page: it needs sight of the organisation's jobs."""
    organisation = visible_or_404(request, Organisation, pk=pk)
    require(request.user, "view_jobs", organisation)
    return organisation


class DirectoryReport(APIView):
    @extend_schema(responses={200: DriftReportSerializer, 204: None})
    def get(self, request, pk: int):
        """The latest drift report (204 if the directory was never checked)."""
        organisation = _checked_organisation(request, pk)
        report = DriftReport.objects.filter(organisation=organisation).first()
        if report is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(DriftReportSerializer(report).data)


class DirectoryCheck(APIView):
    repair = False

    @extend_schema(request=None, responses={202: AcceptedSerializer})
    @idempotent
    def post(self, request, pk: int):
        """Compare the organisation with the directory (``check``) or also put right what
        drifted (``repair``): 202 with the reconcile job; its drift report follows."""
        organisation = _checked_organisation(request, pk)
        require(request.user, "manage_jobs" if self.repair else "view_jobs", organisation)
        job = request_reconcile(actor=request.user, organisation=organisation, repair=self.repair)
        return accepted(request, [job])
