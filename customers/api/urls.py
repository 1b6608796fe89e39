"""The customers app's API routes (mounted at /api/v1/ in the "api" namespace)."""

from django.urls import path

from customers.api.views import (
    catalogue,
    domains,
    imports,
    roles,
    service_accounts,
    webhooks,
)
from customers.api.views import organisations as views

ORGANISATION = "organisations/<int:pk>/"
DOMAIN = f"{ORGANISATION}domains/<int:domain_pk>/"

urlpatterns = [
    path("organisations/", views.OrganisationList.as_view(), name="organisation-list"),
    path("organisations/<int:pk>/", views.OrganisationDetail.as_view(), name="organisation-detail"),
    *[
        path(
            f"organisations/<int:pk>/{action}/",
            views.OrganisationLifecycle.as_view(action=action),
            name=f"organisation-{action}",
        )
        for action in ("provision", "suspend", "resume", "deprovision")
    ],
    path(
        "organisations/<int:pk>/delete/",
        views.OrganisationDelete.as_view(),
        name="organisation-delete",
    ),
    path(
        "organisations/<int:pk>/restore/",
        views.OrganisationRestore.as_view(),
        name="organisation-restore",
    ),
    path("organisations/<int:pk>/contacts/", views.ContactList.as_view(), name="contact-list"),
    path(
        "organisations/<int:pk>/contacts/<int:contact_pk>/",
        views.ContactDetail.as_view(),
        name="contact-detail",
    ),
    # Domains and their verification
    path(f"{ORGANISATION}domains/", domains.DomainList.as_view(), name="domain-list"),
    path(DOMAIN, domains.DomainDetail.as_view(), name="domain-detail"),
    path(f"{DOMAIN}make-primary/", domains.DomainMakePrimary.as_view(), name="domain-primary"),
    path(f"{DOMAIN}check/", domains.DomainCheck.as_view(), name="domain-check"),
    path(f"{DOMAIN}verify/", domains.DomainVerify.as_view(), name="domain-verify"),
    # Roles and grants
    path(f"{ORGANISATION}roles/", roles.GrantableRoleList.as_view(), name="role-list"),
    path(f"{ORGANISATION}grants/", roles.GrantList.as_view(), name="grant-list"),
    path(f"{ORGANISATION}grants/<int:grant_pk>/", roles.GrantDetail.as_view(), name="grant-detail"),
    # Services, plans, subscriptions, assignments
    path("services/", catalogue.ServiceList.as_view(), name="service-list"),
    path("services/<int:pk>/", catalogue.ServiceDetail.as_view(), name="service-detail"),
    path("services/<int:pk>/plans/", catalogue.PlanList.as_view(), name="plan-list"),
    path("plans/<int:pk>/", catalogue.PlanDetail.as_view(), name="plan-detail"),
    path(
        f"{ORGANISATION}subscriptions/",
        catalogue.SubscriptionList.as_view(),
        name="subscription-list",
    ),
    path(f"{ORGANISATION}plans/", catalogue.OfferedPlanList.as_view(), name="offered-plan-list"),
    path(
        "subscriptions/<int:pk>/",
        catalogue.SubscriptionDetail.as_view(),
        name="subscription-detail",
    ),
    path(
        "subscriptions/<int:pk>/assignments/",
        catalogue.AssignmentList.as_view(),
        name="assignment-list",
    ),
    path(
        "subscriptions/<int:pk>/assignments/take/",
        catalogue.AssignmentTake.as_view(),
        name="assignment-take",
    ),
    # Bulk import
    path(f"{ORGANISATION}imports/", imports.ImportCreate.as_view(), name="import-create"),
    path("imports/<int:pk>/", imports.ImportDetail.as_view(), name="import-detail"),
    # Service accounts
    path(
        f"{ORGANISATION}service-accounts/",
        service_accounts.ServiceAccountList.as_view(),
        name="service-account-list",
    ),
    path(
        "service-accounts/<int:pk>/keys/",
        service_accounts.ServiceAccountKeyCreate.as_view(),
        name="service-account-key-create",
    ),
    # Webhooks
    path(f"{ORGANISATION}webhooks/", webhooks.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", webhooks.WebhookDetail.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:pk>/deliveries/",
        webhooks.DeliveryList.as_view(),
        name="webhook-delivery-list",
    ),
    path(
        "webhook-deliveries/<int:pk>/resend/",
        webhooks.DeliveryResend.as_view(),
        name="webhook-delivery-resend",
    ),
    path("customers/", views.CustomerCreate.as_view(), name="customer-create"),
    path("users/", views.UserList.as_view(), name="user-list"),
    path("users/<int:pk>/", views.UserDetail.as_view(), name="user-detail"),
    path("users/<int:pk>/disable/", views.UserEnabled.as_view(enabled=False), name="user-disable"),
    path("users/<int:pk>/enable/", views.UserEnabled.as_view(enabled=True), name="user-enable"),
    path("users/<int:pk>/unlock/", views.UserUnlock.as_view(), name="user-unlock"),
    path(
        "users/<int:pk>/reset-password/",
        views.UserResetPassword.as_view(),
        name="user-reset-password",
    ),
]
