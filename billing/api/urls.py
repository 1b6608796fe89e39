"""The billing app's API routes (mounted at /api/v1/ in the "api" namespace)."""

from django.urls import path

from billing.api import views

urlpatterns = [
    path("invoices/", views.InvoiceList.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", views.InvoiceDetail.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdf.as_view(), name="invoice-pdf"),
    path("invoices/<int:pk>/issue/", views.InvoiceIssue.as_view(), name="invoice-issue"),
    path(
        "invoices/<int:pk>/credit-notes/",
        views.InvoiceCreditNotes.as_view(),
        name="invoice-credit-notes",
    ),
    path("credit-notes/", views.CreditNoteList.as_view(), name="credit-note-list"),
    path("credit-notes/<int:pk>/", views.CreditNoteDetail.as_view(), name="credit-note-detail"),
    path("payments/", views.PaymentList.as_view(), name="payment-list"),
    path("billing-accounts/", views.BillingAccountList.as_view(), name="billing-account-list"),
    path(
        "billing-accounts/<int:pk>/",
        views.BillingAccountDetail.as_view(),
        name="billing-account-detail",
    ),
]
