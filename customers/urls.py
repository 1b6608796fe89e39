from django.urls import path

from customers.views import (
    contacts,
    create,
    detail,
    domains,
    export,
    history,
    manage,
    roles,
    wizard,
)
from customers.views import list as listing

app_name = "customers"

urlpatterns = [
    # Find
    path("", listing.customer_list, name="list"),
    path("tree/", listing.customer_tree, name="tree"),
    path("export.csv", export.customer_export, name="export"),
    # Create, then the wizard's next steps
    path("new/", create.customer_create, name="create"),
    path("new/quick/", create.customer_quick_create, name="quick_create"),
    path("<int:pk>/similar/", create.customer_create_similar, name="create_similar"),
    path("<int:pk>/setup/administrator/", wizard.wizard_admin, name="wizard_admin"),
    path("<int:pk>/setup/services/", wizard.wizard_services, name="wizard_services"),
    path("<int:pk>/setup/summary/", wizard.wizard_summary, name="wizard_summary"),
    # Manage: tabs
    path("<int:pk>/", detail.customer_detail, name="detail"),
    path("<int:pk>/edit/", manage.customer_edit, name="edit"),
    path("<int:pk>/contacts/", contacts.contact_list, name="contacts"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/delete/",
        contacts.contact_delete,
        name="contact_delete",
    ),
    path("<int:pk>/domains/", domains.domain_list, name="domains"),
    path("<int:pk>/domains/<int:domain_pk>/remove/", domains.domain_remove, name="domain_remove"),
    path(
        "<int:pk>/domains/<int:domain_pk>/primary/",
        domains.domain_make_primary,
        name="domain_make_primary",
    ),
    path("<int:pk>/roles/", roles.role_list, name="roles"),
    path("<int:pk>/roles/<int:grant_pk>/revoke/", roles.role_revoke, name="role_revoke"),
    path("<int:pk>/jobs/", detail.customer_jobs, name="jobs"),
    path("<int:pk>/history/", history.customer_history, name="history"),
    # Manage: actions
    path(
        "<int:pk>/provision/", manage.customer_lifecycle, {"action": "provision"}, name="provision"
    ),
    path("<int:pk>/suspend/", manage.customer_lifecycle, {"action": "suspend"}, name="suspend"),
    path("<int:pk>/resume/", manage.customer_lifecycle, {"action": "resume"}, name="resume"),
    path(
        "<int:pk>/deprovision/",
        manage.customer_lifecycle,
        {"action": "deprovision"},
        name="deprovision",
    ),
    path("<int:pk>/delete/", manage.customer_delete, name="delete"),
    path("<int:pk>/restore/", manage.customer_restore, name="restore"),
    path("<int:pk>/make-reseller/", manage.customer_make_reseller, name="make_reseller"),
]
