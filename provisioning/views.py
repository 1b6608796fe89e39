"""Jobs: a scoped list and a detail page that follows a running job."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from provisioning.models import Job


@login_required
def job_list(request):
    jobs = Job.objects.restrict(request.user, "view").select_related("organisation", "started_by")
    acting = request.acting_organisation
    if acting is not None and request.GET.get("scope") != "all":
        jobs = jobs.filter(
            organisation__tree_id=acting.tree_id,
            organisation__lft__gte=acting.lft,
            organisation__lft__lte=acting.rght,
        )
    return render(request, "provisioning/job_list.html", {"jobs": jobs[:200]})


@login_required
def job_detail(request, pk: int):
    job = get_object_or_404(
        Job.objects.restrict(request.user, "view").select_related("organisation", "started_by"),
        pk=pk,
    )
    template = "provisioning/_job_status.html" if request.htmx else "provisioning/job_detail.html"
    return render(request, template, {"job": job})
