"""The job, as every app's API shows it (the row is ``core``'s), and the 202 answer of a
request that starts one."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.response import Response

from core.models import Job


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "state",
            "organisation",
            "user",
            "target_label",
            "attempts",
            "steps_done",
            "steps_total",
            "error",
            "created",
            "started",
            "finished",
            "log",
        ]
        read_only_fields = fields

    def get_url(self, job: Job) -> str:
        return job_url(job, self.context.get("request"))


class AcceptedSerializer(serializers.Serializer):
    """What a request that started jobs answers: the jobs, to follow with GET."""

    jobs = JobSerializer(many=True)


# The responses of an operation that may start a job: 202 with it, or 200 with none.
ACCEPTED = {200: AcceptedSerializer, 202: AcceptedSerializer}


def job_url(job: Job, request=None) -> str:
    path = reverse("api:job-detail", args=[job.pk])
    return request.build_absolute_uri(path) if request is not None else path


def accepted(request, jobs) -> Response:
    """202 with the jobs' URLs (the first also in ``Location``); a request that started no
    job (nothing to do in the directory) is a plain 200 with an empty list."""
    jobs = [job for job in jobs if job is not None]
    body = AcceptedSerializer({"jobs": jobs}, context={"request": request}).data
    if not jobs:
        return Response(body, status=status.HTTP_200_OK)
    return Response(
        body, status=status.HTTP_202_ACCEPTED, headers={"Location": job_url(jobs[0], request)}
    )
