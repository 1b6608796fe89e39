"""Django admin for provider superusers: every model, for support and repair."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.translation import gettext as _
from mptt.admin import MPTTModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.counting import BoundedPaginator
from customers.models import (
    Contact,
    Domain,
    Organisation,
    OrganisationGroupObjectPermission,
    OrganisationUserObjectPermission,
    Role,
    RoleGrant,
    Tag,
    User,
)


class BoundedCountAdmin(admin.ModelAdmin):
    """A changelist that never counts 100,000 organisations or 1,000,000 users: the count is
    exact up to COUNT_EXACT_UP_TO and PostgreSQL's estimate above it (core.counting), and the
    unfiltered total Django shows next to a search ("of N") is not counted at all."""

    paginator = BoundedPaginator
    show_full_result_count = False
    # The changelist renders each cell through the admin's own machinery: 50 rows cost half
    # of Django's default 100, and a support tool needs the search more than long pages.
    list_per_page = 50

    def action_checkbox(self, obj):
        """Django's tick box per row, written directly: Django renders a form widget's
        template for each row, a millisecond a row, most of the changelist's own cost."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin, MPTTModelAdmin, BoundedCountAdmin):
    list_display = ["name", "code", "status", "is_reseller", "customer_type"]
    list_filter = ["status", "is_reseller", "customer_type"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]


@admin.register(User)
class CanopyUserAdmin(UserAdmin, BoundedCountAdmin):
    list_display = ["username", "upn", "organisation", "is_admin", "is_active"]
    search_fields = ["username", "upn", "email"]
    raw_id_fields = ["organisation"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Canopy", {"fields": ["organisation", "upn", "display_name", "is_admin", "language"]}),
    ]

    # Django's own pages would set the portal password alone: no organisation policy, no
    # floor, no directory job, so portal and directory passwords drift apart. A user is
    # created, and another user's password set, only through the portal's actions.
    def user_change_password(self, request, id, form_url=""):
        return redirect("users:reset_password", pk=id)

    def has_add_permission(self, request):
        return False


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "is_builtin", "is_admin_role", "organisation"]
    filter_horizontal = ["permissions"]


admin.site.register(Domain, SimpleHistoryAdmin)
admin.site.register(Contact, SimpleHistoryAdmin)
admin.site.register(RoleGrant, SimpleHistoryAdmin)
admin.site.register(Tag)
admin.site.register(OrganisationUserObjectPermission)
admin.site.register(OrganisationGroupObjectPermission)


def register_remaining(app_label: str) -> None:
    """Give every model of the app an admin page, so none is forgotten as the apps grow."""
    from django.apps import apps

    for model in apps.get_app_config(app_label).get_models():
        if not admin.site.is_registered(model) and not model.__name__.startswith("Historical"):
            admin.site.register(model)


register_remaining("customers")
