from django.urls import path

from billing.views import accounts, finance, invoices, offers, reports, statements

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
    path("<int:pk>/invoices/", invoices.invoices_tab, name="invoices"),
    path("<int:pk>/invoices/<int:invoice_pk>/", invoices.invoice_detail, name="invoice"),
    path("<int:pk>/invoices/<int:invoice_pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path(
        "<int:pk>/credit-notes/<int:note_pk>/pdf/",
        invoices.credit_note_pdf,
        name="credit_note_pdf",
    ),
    path("<int:pk>/drafts/", invoices.drafts, name="drafts"),
    path("<int:pk>/statement/", statements.statement, name="statement"),
    path("<int:pk>/statement/pdf/", statements.statement_pdf, name="statement_pdf"),
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
    path("<int:pk>/reports/receivables/", finance.receivables, name="report_receivables"),
    path("<int:pk>/reports/revenue/", finance.revenue, name="report_revenue"),
    path("<int:pk>/reports/journal/", finance.journal, name="report_journal"),
    path("<int:pk>/reports/monthly/", reports.report_subscription, name="report_subscription"),
]
