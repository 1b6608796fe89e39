from django.contrib import admin

from customers.admin import register_remaining
from provisioning.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "target_label", "state", "attempts", "created"]
    list_filter = ["state", "kind"]
    search_fields = ["target_label"]
    exclude = ["secret"]
    raw_id_fields = ["organisation", "user", "started_by"]


register_remaining("provisioning")
