"""The customers app's API routes (mounted at /api/v1/ in the "api" namespace)."""

from django.urls import path

from customers.api import views

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
    path("organisations/<int:pk>/contacts/", views.ContactList.as_view(), name="contact-list"),
    path(
        "organisations/<int:pk>/contacts/<int:contact_pk>/",
        views.ContactDetail.as_view(),
        name="contact-detail",
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
