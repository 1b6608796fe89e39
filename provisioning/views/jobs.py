"""Jobs: a scoped list, a detail page that follows a running job, retry and cancel; and the
per-organisation "Check directory" page that starts reconcile jobs and shows their drift.

Every fetch goes through the scoping API: what the viewer may not see is a 404; what they
see but may not change is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.jobs import JobKind
from core.models import DriftReport, Job
from core.scoping import has_permission, within
from core.views import require, visible_or_404
from customers.models import Organisation
from provisioning.actions import jobs as actions
from provisioning.filters import JobFilter

LIST_LIMIT = 200


def _visible_job(request, pk: int) -> Job:
    return visible_or_404(request, Job.objects.select_related("organisation", "started_by"), pk=pk)


def _may_manage(user, job: Job) -> bool:
    return actions.may_manage_job(user, job)


@login_required
def job_list(request):
    jobs = Job.objects.restrict(request.user, "view").select_related("organisation", "started_by")
    acting = request.acting_organisation
    if acting is not None and request.GET.get("scope") != "all":
        jobs = jobs.filter(within(acting, "organisation__"))
    filterset = JobFilter(request.GET or None, queryset=jobs, user=request.user)
    jobs = list(filterset.qs.defer("log", "payload", "secret")[:LIST_LIMIT])
    context = {
        "jobs": jobs,
        "filter": filterset,
        "limited": len(jobs) == LIST_LIMIT,
        "any_running": any(not job.is_finished for job in jobs),
        "query": request.GET.urlencode(),
    }
    template = "provisioning/_job_table.html" if request.htmx else "provisioning/job_list.html"
    return render(request, template, context)


@login_required
def job_detail(request, pk: int):
    job = _visible_job(request, pk)
    context = {
        "job": job,
        "may_manage": _may_manage(request.user, job),
        "log": list(reversed(job.log or [])),
    }
    template = "provisioning/_job_status.html" if request.htmx else "provisioning/job_detail.html"
    return render(request, template, context)


def _act_on_job(request, pk: int, action, success: str):
    """POST an action on a job the viewer may manage; show its refusal or `success`, and
    go back to the job."""
    job = _visible_job(request, pk)
    if not _may_manage(request.user, job):
        raise PermissionDenied
    try:
        action(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(job)


@login_required
@require_POST
def job_retry(request, pk: int):
    return _act_on_job(request, pk, actions.retry_job, _("The job is queued to run again."))


@login_required
@require_POST
def job_cancel(request, pk: int):
    return _act_on_job(request, pk, actions.cancel_job, _("The job was cancelled."))


def _visible_organisation(request, pk: int) -> Organisation:
    organisation = visible_or_404(request, Organisation, pk=pk)
    require(request, "view_jobs", organisation)
    return organisation


RECENT_CHECKS = 5


def _reconcile_jobs(organisation: Organisation):
    return Job.objects.filter(organisation=organisation, kind=JobKind.RECONCILE).defer(
        "log", "payload", "secret"
    )


@login_required
def check_directory(request, pk: int):
    """The organisation's latest drift report, and the reconcile job in progress (followed
    with htmx): the page never reads the directory itself, a job does."""
    organisation = _visible_organisation(request, pk)
    recent = list(_reconcile_jobs(organisation)[:RECENT_CHECKS])
    running = next((job for job in recent if not job.is_finished), None)
    report = DriftReport.objects.filter(organisation=organisation).select_related("job").first()
    context = {
        "organisation": organisation,
        "report": report,
        "job": running,
        "may_repair": has_permission(request.user, "manage_jobs", organisation),
        "recent_checks": recent,
    }
    if request.htmx:
        return render(request, "provisioning/_check_result.html", context)
    return render(request, "provisioning/check_directory.html", context)


def _start_reconcile(request, pk: int, *, repair: bool):
    organisation = _visible_organisation(request, pk)
    require(request, "manage_jobs" if repair else "view_jobs", organisation)
    try:
        actions.request_reconcile(actor=request.user, organisation=organisation, repair=repair)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("A repair job is queued; this page follows it.")
            if repair
            else _("A check of the directory is queued; this page follows it."),
        )
    return redirect("provisioning:check_directory", organisation.pk)


@login_required
@require_POST
def run_check(request, pk: int):
    """Start a reconcile job that only reports."""
    return _start_reconcile(request, pk, repair=False)


@login_required
@require_POST
def repair_directory(request, pk: int):
    """Start a reconcile job in repair mode: everything the portal says applied again, then
    what it does not know quarantined."""
    return _start_reconcile(request, pk, repair=True)
