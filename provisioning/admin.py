from django.contrib import admin

from core.models import Job
from customers.admin import register_remaining


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "target_label", "state", "attempts", "created"]
    list_filter = ["state", "kind"]
    search_fields = ["target_label"]
    exclude = ["secret"]
    raw_id_fields = ["organisation", "user", "started_by"]


register_remaining("provisioning")
