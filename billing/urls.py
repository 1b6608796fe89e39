from django.urls import path

from billing.views import accounts, offers, reports

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
    # Reports (billing.views.reports): the organisation's subtree.
    path("<int:pk>/reports/usage/", reports.usage_report, name="report_usage"),
    path("<int:pk>/reports/usage/download/", reports.usage_download, name="report_usage_download"),
    path("<int:pk>/reports/licence/", reports.licence_report, name="report_licence"),
    path(
        "<int:pk>/reports/licence/download/",
        reports.licence_download,
        name="report_licence_download",
    ),
    path("<int:pk>/reports/monthly/", reports.report_subscription, name="report_subscription"),
]
