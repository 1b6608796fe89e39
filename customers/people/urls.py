from django.urls import path

from customers.people import imports, views

app_name = "people"

urlpatterns = [
    path("", views.user_list, name="list"),
    path("organisations/<int:organisation>/new/", views.user_create, name="create"),
    path("<int:pk>/", views.user_detail, name="detail"),
    path("<int:pk>/edit/", views.user_edit, name="edit"),
    path("<int:pk>/disable/", views.user_disable, name="disable"),
    path("<int:pk>/enable/", views.user_enable, name="enable"),
    path("<int:pk>/reset-password/", views.user_reset_password, name="reset_password"),
    path("<int:pk>/unlock/", views.user_unlock, name="unlock"),
    path("<int:pk>/administrator/", views.user_administrator, name="administrator"),
    path("<int:pk>/services/", views.user_services, name="services"),
    path("<int:pk>/delete/", views.user_delete, name="delete"),
    # Bulk import
    path("import/template.<str:fmt>", imports.import_template, name="import_template"),
    path("organisations/<int:organisation>/import/", imports.import_upload, name="import"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    # Self-service
    path("me/", views.my_services, name="my_services"),
    path("me/password/", views.my_password, name="my_password"),
]
