from django.urls import path

from customers.views import (
    acting,
    api_keys,
    bulk,
    catalogue,
    contacts,
    create,
    detail,
    domains,
    email,
    export,
    history,
    imports,
    manage,
    picker,
    roles,
    security,
    service_accounts,
    themes,
    two_factor,
    users,
    webhooks,
    wizard,
)
from customers.views import list as listing

app_name = "customers"

urlpatterns = [
    # Find
    path("", listing.customer_list, name="list"),
    path("tree/", listing.customer_tree, name="tree"),
    path("<int:pk>/tree/", listing.customer_tree_children, name="tree_children"),
    path("export.csv", export.customer_export, name="export"),
    path("bulk/", bulk.customer_bulk, name="bulk"),
    path(
        "parents/",
        picker.organisation_choices,
        {"purpose": "parent"},
        name="parent_choices",
    ),
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
    path(
        "<int:pk>/domains/<int:domain_pk>/check/",
        domains.domain_check,
        name="domain_check",
    ),
    path(
        "<int:pk>/domains/<int:domain_pk>/verify/",
        domains.domain_verify,
        name="domain_verify",
    ),
    path("<int:pk>/roles/", roles.role_list, name="roles"),
    path("<int:pk>/roles/<int:grant_pk>/revoke/", roles.role_revoke, name="role_revoke"),
    path("<int:pk>/users/", detail.customer_users, name="users"),
    path("<int:pk>/jobs/", detail.customer_jobs, name="jobs"),
    path("<int:pk>/keys/", api_keys.customer_api_keys, name="api_keys"),
    path(
        "<int:pk>/keys/<int:key_pk>/revoke/",
        api_keys.customer_api_key_revoke,
        name="api_key_revoke",
    ),
    path(
        "<int:pk>/service-accounts/",
        service_accounts.service_account_list,
        name="service_accounts",
    ),
    path(
        "<int:pk>/service-accounts/<int:user_pk>/keys/",
        service_accounts.service_account_keys,
        name="service_account_keys",
    ),
    path("<int:pk>/webhooks/", webhooks.webhook_list, name="webhooks"),
    path("<int:pk>/webhooks/<int:webhook_pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path(
        "<int:pk>/webhooks/<int:webhook_pk>/remove/",
        webhooks.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "<int:pk>/webhooks/deliveries/<int:delivery_pk>/resend/",
        webhooks.delivery_resend,
        name="webhook_delivery_resend",
    ),
    path("<int:pk>/send-email/", email.customer_send_email, name="send_email"),
    path("<int:pk>/history/", history.customer_history, name="history"),
    path("<int:pk>/security-log/", security.security_log, name="security_log"),
    path("<int:pk>/login-to-cp/", acting.login_to_cp, name="login_to_cp"),
    path("<int:pk>/themes/", themes.theme_list, name="themes"),
    path("<int:pk>/themes/new/", themes.theme_edit, name="theme_create"),
    path("<int:pk>/themes/<int:theme_pk>/edit/", themes.theme_edit, name="theme_edit"),
    path("<int:pk>/themes/<int:theme_pk>/delete/", themes.theme_delete, name="theme_delete"),
    path("<int:pk>/host-names/", themes.portal_host_add, name="portal_host_add"),
    path(
        "<int:pk>/host-names/<int:host_pk>/remove/",
        themes.portal_host_remove,
        name="portal_host_remove",
    ),
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
    path(
        "<int:pk>/deprovision-and-delete/",
        manage.customer_deprovision_delete,
        name="deprovision_delete",
    ),
    path("<int:pk>/restore/", manage.customer_restore, name="restore"),
    path(
        "<int:pk>/provision-parent-chain/",
        manage.customer_provision_chain,
        name="provision_chain",
    ),
    path("<int:pk>/make-reseller/", manage.customer_make_reseller, name="make_reseller"),
    path("<int:pk>/move/", manage.customer_move, name="move"),
    path(
        "move/choices/",
        picker.organisation_choices,
        {"purpose": "move"},
        name="move_choices",
    ),
]

# A customer's people and their services (mounted at /users/, namespace "users").
user_patterns = [
    path("", users.user_list, name="list"),
    path("bulk/", bulk.user_bulk, name="bulk"),
    path("organisations/<int:organisation>/new/", users.user_create, name="create"),
    path("<int:pk>/", users.user_detail, name="detail"),
    path("<int:pk>/edit/", users.user_edit, name="edit"),
    path("<int:pk>/disable/", users.user_disable, name="disable"),
    path("<int:pk>/enable/", users.user_enable, name="enable"),
    path("<int:pk>/reset-password/", users.user_reset_password, name="reset_password"),
    path("<int:pk>/unlock/", users.user_unlock, name="unlock"),
    path("<int:pk>/administrator/", users.user_administrator, name="administrator"),
    path("<int:pk>/services/", users.user_services, name="services"),
    path("<int:pk>/delete/", users.user_delete, name="delete"),
    path("<int:pk>/end-sessions/", security.end_user_sessions, name="end_sessions"),
    path("<int:pk>/reset-two-factor/", users.user_reset_two_factor, name="reset_two_factor"),
    # Bulk import
    path("import/template.<str:fmt>", imports.import_template, name="import_template"),
    path("organisations/<int:organisation>/import/", imports.import_upload, name="import"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    # Self-service
    path("me/", users.my_services, name="my_services"),
    path("me/password/", users.my_password, name="my_password"),
    path("me/language/", users.my_language, name="my_language"),
    path("me/sessions/", security.my_sessions, name="my_sessions"),
    path("me/sessions/<int:pk>/end/", security.end_my_session, name="end_my_session"),
    path("me/sessions/end-others/", security.end_my_other_sessions, name="end_my_other_sessions"),
    path("me/two-factor/", two_factor.my_two_factor, name="my_two_factor"),
    path("me/two-factor/set-up/", two_factor.my_two_factor_enrol, name="my_two_factor_enrol"),
    path("me/two-factor/recovery-codes/", two_factor.my_recovery_codes, name="my_recovery_codes"),
    path("me/two-factor/remove/", two_factor.my_two_factor_remove, name="my_two_factor_remove"),
    path("me/api-keys/", api_keys.my_api_keys, name="my_api_keys"),
    path("me/email/", email.my_email, name="my_email"),
    path("me/api-keys/<int:key_pk>/revoke/", api_keys.my_api_key_revoke, name="my_api_key_revoke"),
]

# The service catalogue and customers' subscriptions (mounted at /services/).
catalogue_patterns = [
    # The provider's catalogue
    path("", catalogue.service_list, name="service_list"),
    path("new/", catalogue.service_edit, name="service_create"),
    path("<int:pk>/", catalogue.service_detail, name="service_detail"),
    path("<int:pk>/edit/", catalogue.service_edit, name="service_edit"),
    path("<int:service_pk>/plans/new/", catalogue.plan_edit, name="plan_create"),
    path("plans/<int:pk>/edit/", catalogue.plan_edit, name="plan_edit"),
    path("<int:pk>/roles/new/", catalogue.role_create, name="role_create"),
    # A customer's services (the customer wizard's "provision services" step links here)
    path("customers/<int:organisation>/", catalogue.customer_services, name="customer_services"),
    path("subscriptions/<int:pk>/", catalogue.subscription_detail, name="subscription_detail"),
    path("subscriptions/<int:pk>/give/", catalogue.subscription_give, name="subscription_give"),
    path("subscriptions/<int:pk>/take/", catalogue.subscription_take, name="subscription_take"),
    path("subscriptions/<int:pk>/plan/", catalogue.subscription_plan, name="subscription_plan"),
    path(
        "subscriptions/<int:pk>/deprovision/",
        catalogue.subscription_deprovision,
        name="subscription_deprovision",
    ),
]
