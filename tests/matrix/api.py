"""Matrix rows for the API (api:, api_schema, api_docs).

API rows (``api=True``) are called with a key of each cast member that carries every scope on
their own organisation, so what a key may do is bounded by its owner alone; anonymous
requests carry no key (401). Each operation (URL and method) has its own row; the key of a
row for a method other than GET ends in " <METHOD>".
"""

from __future__ import annotations

from tests.matrix.shapes import Row, expect


def api(default: int, **overrides: int) -> dict[str, int]:
    return expect(default, anonymous=401, **overrides)


SEES_CUSTOMER_ONE = api(200, reseller2_admin=404, end_user=404)
CHANGES_CUSTOMER_ONE = api(200, reseller2_admin=404, end_user=404, help_desk=403)
DECIDES_CUSTOMER_ONE = api(
    202, reseller2_admin=404, end_user=404, customer_admin=403, help_desk=403
)
# billing.visibility: Help Desk sees Customer One but not its billing (403, as on its pages).
SEES_CUSTOMER_ONE_BILLING = api(200, reseller2_admin=404, end_user=404, help_desk=403)
MANAGES_CUSTOMER_ONE_BILLING = api(
    201, reseller2_admin=404, end_user=404, customer_admin=403, help_desk=403
)
MANAGES_CUSTOMER_ONE_JOBS = api(200, reseller2_admin=404, end_user=404, help_desk=403)


def _with_status(organisation, status):
    from customers.models import Organisation

    Organisation.objects.filter(pk=organisation.pk).update(status=status)
    return organisation


def _invoice(cast):
    from tests.fixtures.invoices import issued_invoice

    return issued_invoice(cast)


def _draft(cast):
    from tests.fixtures.invoices import draft_invoice

    return draft_invoice(cast)


def _credit_note(cast):
    from tests.fixtures.invoices import credit_note

    return credit_note(cast)


def _billing_documents(cast):
    from billing.models import CreditNote, Invoice, Payment

    return (
        Payment.objects.count(),
        CreditNote.objects.count(),
        sorted(Invoice.objects.values_list("pk", "status", "paid", "credited")),
    )


def _today(cast):
    from django.utils import timezone

    return timezone.localdate().isoformat()


def _account(cast):
    from tests.fixtures.billing import customer_account

    return customer_account(cast)


def _deleted(organisation):
    from django.utils import timezone

    from customers.models import Organisation

    Organisation.objects.filter(pk=organisation.pk).update(
        status="deleted", status_before_deletion="deprovisioned", deleted_at=timezone.now()
    )
    return organisation


def _ready_to_provision(cast):
    """Customer One, its reseller on its way into the directory (a customer is built inside
    it)."""
    _with_status(cast.reseller, "provisioning")
    return cast.customer


def _state(cast):
    from customers.models import Organisation

    org = Organisation.objects.get(pk=cast.customer.pk)
    return (org.status, org.name, Organisation.objects.count())


def _contact(cast):
    from customers.models import Contact

    return Contact.objects.get_or_create(organisation=cast.customer, name="Api Contact")[0]


def _contacts(cast):
    from customers.models import Contact

    return sorted(Contact.objects.filter(organisation=cast.customer).values_list("name", "phone"))


def _deep_state(cast):
    from customers.models import Organisation

    return Organisation.objects.get(pk=cast.deep_customer.pk).status


def _end_user(cast):
    from customers.models import User

    person = User.objects.get(pk=cast.end_user.pk)
    return (person.first_name, person.is_active, person.password)


def _admin_password(cast):
    from customers.models import User

    return User.objects.get(pk=cast.customer_admin.pk).password


def _users(cast):
    from customers.models import User

    return User.objects.count()


def _failed_job(cast):
    from core.models import Job

    return Job.objects.create(
        kind="update_user",
        organisation=cast.customer,
        target_label=cast.customer.name,
        lock_key=f"org:{cast.customer.pk}:failed",
        state="failed",
    )


def _job_states(cast):
    from core.models import Job

    return sorted(Job.objects.filter(organisation=cast.customer).values_list("pk", "state"))


def _alias(cast):
    from tests.matrix.customers import _alias

    return _alias(cast)


def _verified_alias(cast):
    from tests.matrix.customers import _verified_alias

    return _verified_alias(cast)


def _domains(cast):
    from customers.models import Domain

    return sorted(
        Domain.objects.filter(organisation=cast.customer).values_list(
            "name", "is_primary", "verified_at"
        )
    )


def _end_user_grant(cast):
    return cast.end_user.role_grants.get(organisation=cast.customer)


def _grants(cast):
    from customers.models import RoleGrant

    return sorted(
        RoleGrant.objects.filter(organisation=cast.customer).values_list("user_id", "role_id")
    )


def _help_desk_role(cast):
    from customers.models import Role

    return Role.objects.get(name="Help Desk").pk


def _catalogue(cast):
    from customers.models import Plan, Service

    return (
        sorted(Service.objects.values_list("code", "description")),
        sorted(Plan.objects.values_list("name", "user_limit")),
    )


def _files_plan(cast):
    """Files, held by Reseller One (so it may pass it on) and not yet by Customer One."""
    from customers.models import Plan, Service
    from tests.fixtures.catalogue import subscribe

    service, _ = Service.objects.get_or_create(
        code="FILES", defaults={"name": "Files", "service_type": "security_group"}
    )
    plan, _ = Plan.objects.get_or_create(service=service, name="Standard")
    subscribe(cast.reseller, plan)
    return plan


def _subscriptions(cast):
    from customers.models import CustomerService

    return sorted(
        CustomerService.objects.filter(organisation=cast.customer).values_list(
            "service_id", "plan_id", "user_limit", "status"
        )
    )


def _customer_vpn(cast):
    from tests.fixtures.catalogue import customer_vpn

    return customer_vpn(cast)


def _assignments(cast):
    return sorted(_customer_vpn(cast).assignments.values_list("user_id", flat=True))


def _end_user_with_vpn(cast):
    from customers.models import UserService

    UserService.objects.get_or_create(user=cast.end_user, subscription=_customer_vpn(cast))
    return _customer_vpn(cast)


def _users_file(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    domain = cast.customer.primary_domain.name
    text = f"UPN,First Name,Last Name\nimported.one@{domain},Imported,One\n"
    return {"file": SimpleUploadedFile("users.csv", text.encode(), content_type="text/csv")}


def _imports(cast):
    from customers.models import UserImport

    return UserImport.objects.filter(organisation=cast.customer).count()


def _customer_import(cast):
    from tests.fixtures.catalogue import customer_import

    return customer_import(cast)


def _in_directory(cast):
    """Customer One, provisioned (only then is there a directory to check)."""
    import uuid

    from customers.models import Organisation

    Organisation.objects.filter(pk=cast.customer.pk).update(
        status="active", directory_guid=uuid.UUID("00000000-0000-4000-8000-0000000000c1")
    )
    return cast.customer


def _job_count(cast):
    from core.models import Job

    return Job.objects.filter(organisation=cast.customer).count()


def _webhook(cast):
    from core.credentials import encrypt_secret
    from customers.models import Webhook

    return Webhook.objects.get_or_create(
        organisation=cast.customer,
        url="https://8.8.8.8/canopy",
        defaults={"events": ["user.created"], "secret": encrypt_secret("whsec_matrix")},
    )[0]


def _webhook_delivery(cast):
    from customers.models import WebhookDelivery

    return WebhookDelivery.objects.get_or_create(
        webhook=_webhook(cast), event="user.created", defaults={"state": "failed"}
    )[0]


def _webhooks(cast):
    from customers.models import Webhook, WebhookDelivery

    return (
        sorted(Webhook.objects.values_list("url", "is_active")),
        sorted(WebhookDelivery.objects.values_list("pk", "state")),
    )


def _service_account(cast):
    from customers.actions.service_accounts import create_service_account
    from customers.models import Role, User

    found = User.objects.filter(organisation=cast.customer, is_service_account=True).first()
    return found or create_service_account(
        actor=cast.customer_admin,
        organisation=cast.customer,
        name="Matrix Sync",
        role=Role.objects.get(name="Help Desk"),
    )


def _service_accounts(cast):
    from customers.models import ApiKey, User

    return (
        sorted(User.objects.filter(is_service_account=True).values_list("username", flat=True)),
        ApiKey.objects.filter(owner__is_service_account=True).count(),
    )


def _in_ten_days(cast):
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.now() + timedelta(days=10)).isoformat()


CATALOGUE = api(403, provider_admin=200)
DECIDES_SERVICES = api(200, reseller2_admin=404, customer_admin=403, help_desk=403, end_user=404)


ROWS: dict[str, Row] = {
    # The OpenAPI document is for those who may use the API; its page is a portal page.
    "api_schema": Row(statuses=api(200), api=True),
    "api_docs": Row(),
    "api:organisation-list": Row(statuses=api(200), api=True),
    "api:organisation-detail": Row(
        args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE, api=True
    ),
    "api:organisation-detail PATCH": Row(
        method="patch",
        args=lambda c: [c.customer.pk],
        data=lambda c: {"name": "Renamed"},
        statuses=CHANGES_CUSTOMER_ONE,
        unchanged=_state,
        api=True,
    ),
    "api:organisation-provision POST": Row(
        method="post",
        args=lambda c: [_ready_to_provision(c).pk],
        statuses=DECIDES_CUSTOMER_ONE,
        unchanged=_state,
        api=True,
    ),
    "api:organisation-suspend POST": Row(
        method="post",
        args=lambda c: [_with_status(c.customer, "active").pk],
        statuses=DECIDES_CUSTOMER_ONE,
        unchanged=_state,
        api=True,
    ),
    # A suspended customer's own people may not sign in, so their keys are refused (401).
    "api:organisation-resume POST": Row(
        method="post",
        args=lambda c: [_with_status(c.customer, "suspended").pk],
        statuses=api(202, reseller2_admin=404, customer_admin=401, help_desk=401, end_user=401),
        unchanged=_state,
        api=True,
    ),
    # A draft with no users: deprovisioned at once, no job (200). Deep Customer is below Sub
    # Reseller, out of sight of Customer One's people.
    "api:organisation-deprovision POST": Row(
        method="post",
        args=lambda c: [c.deep_customer.pk],
        statuses=api(404, provider_admin=200, reseller_admin=200),
        unchanged=_deep_state,
        api=True,
    ),
    # Active Customer One: suspended, then deprovisioned by a job that deletes it (202).
    "api:organisation-delete POST": Row(
        method="post",
        args=lambda c: [_with_status(c.customer, "active").pk],
        data=lambda c: {"confirm_code": c.customer.code},
        statuses=DECIDES_CUSTOMER_ONE,
        unchanged=_state,
        api=True,
    ),
    # A deleted customer's own people may not sign in, so their keys are refused (401).
    "api:organisation-restore POST": Row(
        method="post",
        args=lambda c: [_deleted(c.customer).pk],
        statuses=api(
            403,
            provider_admin=200,
            reseller2_admin=404,
            customer_admin=401,
            help_desk=401,
            end_user=401,
        ),
        unchanged=_state,
        api=True,
    ),
    # Billing, by billing.visibility as the billing pages: lists are filtered; a document of a
    # customer out of sight is a 404, one whose billing the caller may not read a 403.
    "api:invoice-list": Row(args=lambda c: _invoice(c) and [], api=True, statuses=api(200)),
    "api:invoice-detail": Row(
        args=lambda c: [_invoice(c).pk], statuses=SEES_CUSTOMER_ONE_BILLING, api=True
    ),
    "api:invoice-pdf": Row(
        args=lambda c: [_invoice(c).pk], statuses=SEES_CUSTOMER_ONE_BILLING, api=True
    ),
    "api:payment-list": Row(api=True, statuses=api(200)),
    "api:credit-note-list": Row(args=lambda c: _credit_note(c) and [], api=True, statuses=api(200)),
    "api:credit-note-detail": Row(
        args=lambda c: [_credit_note(c).pk], statuses=SEES_CUSTOMER_ONE_BILLING, api=True
    ),
    # Billing writes: the admins above Customer One (manage_billing on Reseller One), as on
    # the Invoices tab; its own admins read but do not write (403), and a draft is not there
    # for them (404).
    "api:payment-list POST": Row(
        method="post",
        args=lambda c: _invoice(c) and [],
        data=lambda c: {
            "customer": c.customer.pk,
            "amount": "10.00",
            "received_on": _today(c),
            "method": "transfer",
        },
        statuses=MANAGES_CUSTOMER_ONE_BILLING,
        unchanged=_billing_documents,
        api=True,
    ),
    "api:invoice-issue POST": Row(
        method="post",
        args=lambda c: [_draft(c).pk],
        statuses=api(200, reseller2_admin=404, end_user=404, customer_admin=404, help_desk=403),
        unchanged=_billing_documents,
        api=True,
    ),
    "api:invoice-credit-notes POST": Row(
        method="post",
        args=lambda c: [_invoice(c).pk],
        data=lambda c: {"reason": "Matrix"},
        statuses=MANAGES_CUSTOMER_ONE_BILLING,
        unchanged=_billing_documents,
        api=True,
    ),
    "api:billing-account-list": Row(args=lambda c: _account(c) and [], api=True, statuses=api(200)),
    "api:billing-account-detail": Row(
        args=lambda c: [_account(c).pk], statuses=SEES_CUSTOMER_ONE_BILLING, api=True
    ),
    "api:contact-list": Row(args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE, api=True),
    "api:contact-list POST": Row(
        method="post",
        args=lambda c: [c.customer.pk],
        data=lambda c: {"name": "New Contact", "email": "new@example.com"},
        statuses=api(201, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_contacts,
        api=True,
    ),
    "api:contact-detail": Row(
        args=lambda c: [c.customer.pk, _contact(c).pk], statuses=SEES_CUSTOMER_ONE, api=True
    ),
    "api:contact-detail PATCH": Row(
        method="patch",
        args=lambda c: [c.customer.pk, _contact(c).pk],
        data=lambda c: {"phone": "+44 1"},
        statuses=CHANGES_CUSTOMER_ONE,
        unchanged=_contacts,
        api=True,
    ),
    "api:contact-detail DELETE": Row(
        method="delete",
        args=lambda c: [c.customer.pk, _contact(c).pk],
        statuses=api(204, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_contacts,
        api=True,
    ),
    # The parent is named in the body: one the caller cannot see is a 404, as in a URL.
    "api:customer-create POST": Row(
        method="post",
        data=lambda c: {
            "parent": c.reseller.pk,
            "name": "Matrix Customer",
            "email": "matrix@example.com",
            "domain_name": "matrix-customer.example",
        },
        statuses=api(404, provider_admin=201, reseller_admin=201),
        unchanged=_state,
        api=True,
    ),
    "api:user-list": Row(statuses=api(200), api=True),
    "api:user-list POST": Row(
        method="post",
        data=lambda c: {
            "organisation": c.customer.pk,
            "upn": f"matrix.user@{c.customer.primary_domain.name}",
            "first_name": "Matrix",
            "last_name": "User",
        },
        statuses=api(201, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_users,
        api=True,
    ),
    "api:user-detail": Row(args=lambda c: [c.end_user.pk], statuses=SEES_CUSTOMER_ONE, api=True),
    "api:user-detail PATCH": Row(
        method="patch",
        args=lambda c: [c.end_user.pk],
        data=lambda c: {"first_name": "Changed"},
        statuses=CHANGES_CUSTOMER_ONE,
        unchanged=_end_user,
        api=True,
    ),
    # The cast's users have no directory account: nothing for a job to do (200, no job).
    # The user is gone (with no directory account, no job: 200); Help Desk may not delete.
    "api:user-detail DELETE": Row(
        method="delete",
        args=lambda c: [c.end_user.pk],
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_users,
        api=True,
    ),
    "api:user-disable POST": Row(
        method="post",
        args=lambda c: [c.end_user.pk],
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_end_user,
        api=True,
    ),
    # Already enabled: nothing to do, no job (200).
    "api:user-enable POST": Row(
        method="post",
        args=lambda c: [c.end_user.pk],
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_end_user,
        api=True,
    ),
    # Help Desk may reset ordinary users, not an administrator (403).
    "api:user-reset-password POST": Row(
        method="post",
        args=lambda c: [c.customer_admin.pk],
        data=lambda c: {"password": "Matrix-Password-77!"},
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_admin_password,
        api=True,
    ),
    # As Unlock on the user's page: Help Desk may not unlock an administrator.
    "api:user-unlock POST": Row(
        method="post",
        args=lambda c: [c.customer_admin.pk],
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=403),
        api=True,
    ),
    "api:job-list": Row(statuses=api(200), api=True),
    "api:job-detail": Row(args=lambda c: [c.customer_job.pk], statuses=SEES_CUSTOMER_ONE, api=True),
    "api:job-retry POST": Row(
        method="post",
        args=lambda c: [_failed_job(c).pk],
        statuses=api(202, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_job_states,
        api=True,
    ),
    "api:job-cancel POST": Row(
        method="post",
        args=lambda c: [c.customer_job.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_states,
        api=True,
    ),
    # Domains and their verification
    "api:domain-list": Row(args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE, api=True),
    "api:domain-list POST": Row(
        method="post",
        args=lambda c: [c.customer.pk],
        data=lambda c: {"name": "api-alias.example"},
        statuses=api(201, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_domains,
        api=True,
    ),
    "api:domain-detail": Row(
        args=lambda c: [c.customer.pk, _alias(c).pk], statuses=SEES_CUSTOMER_ONE, api=True
    ),
    "api:domain-detail DELETE": Row(
        method="delete",
        args=lambda c: [c.customer.pk, _alias(c).pk],
        statuses=api(204, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_domains,
        api=True,
    ),
    "api:domain-primary POST": Row(
        method="post",
        args=lambda c: [c.customer.pk, _alias(c).pk],
        statuses=CHANGES_CUSTOMER_ONE,
        unchanged=_domains,
        api=True,
    ),
    # Already verified: "check now" asks no DNS server.
    "api:domain-check POST": Row(
        method="post",
        args=lambda c: [c.customer.pk, _verified_alias(c).pk],
        statuses=CHANGES_CUSTOMER_ONE,
        unchanged=_domains,
        api=True,
    ),
    # Only the provider's administrators vouch for a domain without DNS.
    "api:domain-verify POST": Row(
        method="post",
        args=lambda c: [c.customer.pk, _alias(c).pk],
        statuses=api(
            200,
            reseller_admin=403,
            reseller2_admin=404,
            customer_admin=403,
            help_desk=403,
            end_user=404,
        ),
        unchanged=_domains,
        api=True,
    ),
    # Roles and grants
    "api:role-list": Row(args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE, api=True),
    "api:grant-list": Row(args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE, api=True),
    "api:grant-list POST": Row(
        method="post",
        args=lambda c: [c.customer.pk],
        data=lambda c: {"user": c.end_user.pk, "role": _help_desk_role(c)},
        statuses=api(201, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_grants,
        api=True,
    ),
    "api:grant-detail": Row(
        args=lambda c: [c.customer.pk, _end_user_grant(c).pk],
        statuses=SEES_CUSTOMER_ONE,
        api=True,
    ),
    "api:grant-detail DELETE": Row(
        method="delete",
        args=lambda c: [c.customer.pk, _end_user_grant(c).pk],
        statuses=api(204, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_grants,
        api=True,
    ),
    # The catalogue: the provider's administrators
    "api:service-list": Row(statuses=CATALOGUE, api=True),
    "api:service-list POST": Row(
        method="post",
        data=lambda c: {"code": "APISVC", "name": "Api Service", "service_type": "home_folder"},
        statuses=api(403, provider_admin=201),
        unchanged=_catalogue,
        api=True,
    ),
    "api:service-detail": Row(
        args=lambda c: [_files_plan(c).service_id], statuses=CATALOGUE, api=True
    ),
    "api:service-detail PATCH": Row(
        method="patch",
        args=lambda c: [_files_plan(c).service_id],
        data=lambda c: {"description": "Shared folders"},
        statuses=CATALOGUE,
        unchanged=_catalogue,
        api=True,
    ),
    "api:plan-list": Row(args=lambda c: [_files_plan(c).service_id], statuses=CATALOGUE, api=True),
    "api:plan-list POST": Row(
        method="post",
        args=lambda c: [_files_plan(c).service_id],
        data=lambda c: {"name": "Premium", "user_limit": 20},
        statuses=api(403, provider_admin=201),
        unchanged=_catalogue,
        api=True,
    ),
    "api:plan-detail": Row(args=lambda c: [_files_plan(c).pk], statuses=CATALOGUE, api=True),
    "api:plan-detail PATCH": Row(
        method="patch",
        args=lambda c: [_files_plan(c).pk],
        data=lambda c: {"user_limit": 50},
        statuses=CATALOGUE,
        unchanged=_catalogue,
        api=True,
    ),
    # A customer's services are decided one level up; its users' by its admins.
    "api:subscription-list": Row(
        args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE, api=True
    ),
    "api:subscription-list POST": Row(
        method="post",
        args=lambda c: [c.customer.pk],
        data=lambda c: {"plan": _files_plan(c).pk, "user_limit": 5},
        statuses=api(201, reseller2_admin=404, customer_admin=403, help_desk=403, end_user=404),
        unchanged=_subscriptions,
        api=True,
    ),
    "api:offered-plan-list": Row(
        args=lambda c: [c.customer.pk], statuses=DECIDES_SERVICES, api=True
    ),
    "api:subscription-detail": Row(
        args=lambda c: [_customer_vpn(c).pk], statuses=SEES_CUSTOMER_ONE, api=True
    ),
    "api:subscription-detail PATCH": Row(
        method="patch",
        args=lambda c: [_customer_vpn(c).pk],
        data=lambda c: {"user_limit": 10},
        statuses=DECIDES_SERVICES,
        unchanged=_subscriptions,
        api=True,
    ),
    # A draft customer's service never reached the directory: removed at once (200, no job).
    "api:subscription-detail DELETE": Row(
        method="delete",
        args=lambda c: [_customer_vpn(c).pk],
        statuses=DECIDES_SERVICES,
        unchanged=_subscriptions,
        api=True,
    ),
    "api:assignment-list": Row(
        args=lambda c: [_end_user_with_vpn(c).pk], statuses=SEES_CUSTOMER_ONE, api=True
    ),
    "api:assignment-list POST": Row(
        method="post",
        args=lambda c: [_customer_vpn(c).pk],
        data=lambda c: {"users": [c.end_user.pk]},
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_assignments,
        api=True,
    ),
    "api:assignment-take POST": Row(
        method="post",
        args=lambda c: [_end_user_with_vpn(c).pk],
        data=lambda c: {"users": [c.end_user.pk]},
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_assignments,
        api=True,
    ),
    # Bulk import: the file is checked and queued (202); uploads are scoped by add_users.
    "api:import-create POST": Row(
        method="post",
        args=lambda c: [_in_directory(c).pk],
        data=_users_file,
        statuses=api(202, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_imports,
        api=True,
        multipart=True,
    ),
    "api:import-detail": Row(
        args=lambda c: [_customer_import(c).pk],
        statuses=api(200, reseller2_admin=404, help_desk=404, end_user=404),
        api=True,
    ),
    # Check directory: looking needs sight of the jobs; repairing, managing them.
    "api:directory-report": Row(
        args=lambda c: [c.customer.pk],
        statuses=api(204, reseller2_admin=404, end_user=404),
        api=True,
    ),
    "api:directory-check POST": Row(
        method="post",
        args=lambda c: [_in_directory(c).pk],
        statuses=api(202, reseller2_admin=404, end_user=404),
        unchanged=_job_count,
        api=True,
    ),
    "api:directory-repair POST": Row(
        method="post",
        args=lambda c: [_in_directory(c).pk],
        statuses=api(202, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_job_count,
        api=True,
    ),
    # Webhooks: the organisation's administrators (Help Desk sees the customer, not these).
    "api:webhook-list": Row(
        args=lambda c: [c.customer.pk], statuses=CHANGES_CUSTOMER_ONE, api=True
    ),
    "api:webhook-list POST": Row(
        method="post",
        args=lambda c: [c.customer.pk],
        data=lambda c: {"url": "https://8.8.4.4/canopy", "events": ["job.failed"]},
        statuses=api(201, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_webhooks,
        api=True,
    ),
    "api:webhook-detail": Row(
        args=lambda c: [_webhook(c).pk],
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=404),
        api=True,
    ),
    "api:webhook-detail PATCH": Row(
        method="patch",
        args=lambda c: [_webhook(c).pk],
        data=lambda c: {"is_active": False},
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=404),
        unchanged=_webhooks,
        api=True,
    ),
    "api:webhook-detail DELETE": Row(
        method="delete",
        args=lambda c: [_webhook(c).pk],
        statuses=api(204, reseller2_admin=404, end_user=404, help_desk=404),
        unchanged=_webhooks,
        api=True,
    ),
    "api:webhook-delivery-list": Row(
        args=lambda c: [_webhook(c).pk],
        statuses=api(200, reseller2_admin=404, end_user=404, help_desk=404),
        api=True,
    ),
    "api:webhook-delivery-resend POST": Row(
        method="post",
        args=lambda c: [_webhook_delivery(c).pk],
        statuses=api(202, reseller2_admin=404, end_user=404, help_desk=404),
        unchanged=_webhooks,
        api=True,
    ),
    # Service accounts: those who create users and grant roles on the organisation.
    "api:service-account-list": Row(
        args=lambda c: [c.customer.pk], statuses=CHANGES_CUSTOMER_ONE, api=True
    ),
    "api:service-account-list POST": Row(
        method="post",
        args=lambda c: [c.customer.pk],
        data=lambda c: {"name": "Matrix PSA", "role": _help_desk_role(c)},
        statuses=api(201, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_service_accounts,
        api=True,
    ),
    "api:service-account-key-create POST": Row(
        method="post",
        args=lambda c: [_service_account(c).pk],
        data=lambda c: {
            "name": "matrix",
            "scopes": ["view_users"],
            "expires_at": _in_ten_days(c),
        },
        statuses=api(201, reseller2_admin=404, end_user=404, help_desk=403),
        unchanged=_service_accounts,
        api=True,
    ),
}
