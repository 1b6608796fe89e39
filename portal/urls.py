from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from customers.urls import catalogue_patterns, user_patterns
from customers.views import acting, picker, themes
from portal import metrics, views
from portal.api.urls import urlpatterns as api_patterns
from portal.health import HealthView

# 403 and 404 are Django's own views with templates/403.html and 404.html; the 500 page needs
# a reference that is also in the log.
handler500 = "portal.errors.server_error"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("context/", views.switch_context, name="switch_context"),
    # The switcher's search-as-you-type list: the same picker as the Parent Reseller filter.
    path(
        "context/choices/",
        picker.organisation_choices,
        {"purpose": "context"},
        name="context_choices",
    ),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/code/", views.two_factor_verify, name="two_factor_verify"),
    # The sign-in page's language picker: a cookie that outranks the browser's
    # Accept-Language (a signed-in user's own Language is on My language).
    path("language/", set_language, name="set_language"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The Login to CP banner's End button (the session starts from a customer's page).
    path("acting/end/", acting.end_login_to_cp, name="end_login_to_cp"),
    # A theme's colours and logo: for the sign-in page too, so no sign-in wall.
    path("branding.css", themes.branding_css, name="branding_css"),
    path("themes/<int:pk>/logo/<str:version>", themes.theme_logo, name="theme_logo"),
    path("password/", views.OwnPasswordChangeView.as_view(), name="password_change"),
    path("password/set/<str:uidb64>/<str:token>/", views.set_password, name="set_password"),
    # The admin's own page would change the portal password alone: send it to ours.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change")),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("customers/", include("customers.urls")),
    path("jobs/", include("provisioning.urls")),
    path("billing/", include("billing.urls")),
    path("users/", include((user_patterns, "users"))),
    path("services/", include((catalogue_patterns, "catalogue"))),
    path("admin/", admin.site.urls),
    # For the load balancer and Prometheus: no sign-in (see portal.health, portal.metrics).
    path("health/", HealthView.as_view(), name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    *api_patterns,
]
