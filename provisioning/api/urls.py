"""The provisioning app's API routes (mounted at /api/v1/ in the "api" namespace)."""

from django.urls import path

from provisioning.api import views

urlpatterns = [
    path("jobs/", views.JobList.as_view(), name="job-list"),
    path("jobs/<int:pk>/", views.JobDetail.as_view(), name="job-detail"),
    path("jobs/<int:pk>/retry/", views.JobRetry.as_view(), name="job-retry"),
    path("jobs/<int:pk>/cancel/", views.JobCancel.as_view(), name="job-cancel"),
    path(
        "organisations/<int:pk>/directory/",
        views.DirectoryReport.as_view(),
        name="directory-report",
    ),
    path(
        "organisations/<int:pk>/directory/check/",
        views.DirectoryCheck.as_view(repair=False),
        name="directory-check",
    ),
    path(
        "organisations/<int:pk>/directory/repair/",
        views.DirectoryCheck.as_view(repair=True),
        name="directory-repair",
    ),
]
