from django.urls import path

from billing.views import accounts, offers

app_name = "billing"

urlpatterns = [
    path("<int:pk>/", accounts.account_tab, name="account"),
    path("<int:pk>/units/", accounts.units_tab, name="units"),
    path("<int:pk>/units/export.csv", accounts.ledger_export, name="ledger_export"),
    path(
        "<int:pk>/purchases/<int:purchase_pk>/paid/",
        accounts.purchase_paid,
        name="purchase_paid",
    ),
    path("<int:pk>/offers/", offers.offer_list, name="offers"),
    path("<int:pk>/offers/<int:offer_pk>/", offers.offer_edit, name="offer_edit"),
]
