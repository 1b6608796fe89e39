from django.urls import path

from customers.views import picker
from provisioning.views import adoption, information, quarantine
from provisioning.views import jobs as views

app_name = "provisioning"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    # The Organisation filter's search-as-you-type list (the customers' organisation picker).
    path(
        "organisations/",
        picker.organisation_choices,
        {"purpose": "jobs"},
        name="organisation_choices",
    ),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path(
        "organisations/<int:pk>/information/",
        information.customer_information,
        name="customer_information",
    ),
    path("directory/<int:pk>/", views.check_directory, name="check_directory"),
    path("directory/<int:pk>/check/", views.run_check, name="run_check"),
    path("directory/<int:pk>/repair/", views.repair_directory, name="repair_directory"),
    path("adopt/", adoption.adoption_start, name="adoption_start"),
    path("adopt/<int:pk>/", adoption.adoption_detail, name="adoption_detail"),
    path("quarantine/<int:pk>/adopt/", quarantine.adopt, name="quarantine_adopt"),
    path("quarantine/<int:pk>/delete/", quarantine.delete, name="quarantine_delete"),
]
