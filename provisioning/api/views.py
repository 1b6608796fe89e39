"""Jobs over HTTP: state and steps, retry and cancel, through the same actions as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import NewestFirstCursor
from core.api.safe_writes import idempotent
from core.api.serializers import ACCEPTED, JobSerializer, accepted
from core.models import Job
from core.views import visible_or_404
from provisioning.actions.jobs import cancel_job, retry_job


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
