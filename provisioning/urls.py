from django.urls import path

from provisioning import views

app_name = "provisioning"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
]
