from django.urls import path

from customers.catalogue import views

app_name = "catalogue"

urlpatterns = [
    # The provider's catalogue
    path("", views.service_list, name="service_list"),
    path("new/", views.service_edit, name="service_create"),
    path("<int:pk>/", views.service_detail, name="service_detail"),
    path("<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("<int:service_pk>/plans/new/", views.plan_edit, name="plan_create"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/roles/new/", views.role_create, name="role_create"),
    # A customer's services (the customer wizard's "provision services" step links here)
    path("customers/<int:organisation>/", views.customer_services, name="customer_services"),
    path("subscriptions/<int:pk>/", views.subscription_detail, name="subscription_detail"),
    path("subscriptions/<int:pk>/give/", views.subscription_give, name="subscription_give"),
    path("subscriptions/<int:pk>/take/", views.subscription_take, name="subscription_take"),
    path("subscriptions/<int:pk>/plan/", views.subscription_plan, name="subscription_plan"),
    path(
        "subscriptions/<int:pk>/deprovision/",
        views.subscription_deprovision,
        name="subscription_deprovision",
    ),
]
