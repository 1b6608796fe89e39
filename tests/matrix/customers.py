"""Matrix rows for the customers app: customers (customers:), their users (users:) and the
service catalogue (catalogue:).

Objects the rows need are made on first use (inside the test's transaction) by
``tests.fixtures.catalogue``.
"""

from __future__ import annotations

from tests.fixtures.catalogue import customer_import, customer_vpn, vpn_plan, vpn_service
from tests.matrix.shapes import (
    CHANGES_CUSTOMER_ONE,
    CREATES_CUSTOMERS,
    DECIDES_CUSTOMER_ONE,
    SEES_CUSTOMER_ONE,
    SEES_CUSTOMER_ONE_USERS,
    Row,
    as_post,
    expect,
)


def _contact(cast):
    from customers.models import Contact

    return Contact.objects.get_or_create(organisation=cast.customer, name="Matrix Contact")[0]


def _alias(cast):
    from customers.models import Domain

    return Domain.objects.get_or_create(organisation=cast.customer, name="matrix-alias.example")[0]


def _verified_alias(cast):
    """An alias already verified: "Check now" then asks no DNS server."""
    from django.utils import timezone

    from customers.models import Domain

    return Domain.objects.get_or_create(
        organisation=cast.customer,
        name="matrix-verified.example",
        defaults={"verified_at": timezone.now(), "verification_method": "manual"},
    )[0]


def _verification_state(cast):
    from customers.models import Domain

    return sorted(
        Domain.objects.filter(organisation=cast.customer).values_list("name", "verified_at")
    )


def _with_authenticator(person):
    """``person`` with a confirmed app (what the reset removes)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=person, defaults={"confirmed": True, "name": "App"})
    return person


def _authenticators_of_customer_admin(cast):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=cast.customer_admin).count()


def _end_user_grant(cast):
    return cast.end_user.role_grants.get(organisation=cast.customer)


def _state(cast):
    from customers.models import Contact, Domain, Organisation, RoleGrant

    org = Organisation.objects.get(pk=cast.customer.pk)
    return (
        org.status,
        org.is_reseller,
        org.name,
        sorted(Domain.objects.filter(organisation=org).values_list("name", "is_primary")),
        sorted(Contact.objects.filter(organisation=org).values_list("name", flat=True)),
        RoleGrant.objects.filter(organisation=org).count(),
    )


# Only provider admins configure the catalogue.
CATALOGUE = expect(403, provider_admin=200)
# Changing a user of Customer One: its admins and those above; Help Desk sees but may not.
CHANGES_USERS = expect(302, reseller2_admin=404, help_desk=403, end_user=404)
EDITS_USERS = expect(200, reseller2_admin=404, help_desk=403, end_user=404)
# Services of Customer One are decided one level up (Reseller One, the provider).
DECIDES_SERVICES = expect(200, reseller2_admin=404, customer_admin=403, help_desk=403, end_user=404)


def _assignments(cast):
    return sorted(customer_vpn(cast).assignments.values_list("user_id", flat=True))


def _end_user(*fields):
    def snapshot(cast):
        cast.end_user.refresh_from_db()
        return tuple(getattr(cast.end_user, f) for f in fields)

    return snapshot


def _end_user_session(cast):
    """A session of the end user in another browser (not the one the matrix signs in)."""
    from django.utils import timezone

    from customers.models import UserSession

    return UserSession.objects.get_or_create(
        key_hash="0" * 64, defaults={"user": cast.end_user, "last_seen": timezone.now()}
    )[0]


def _mailed_contact(cast):
    from customers.models import Contact

    return Contact.objects.get_or_create(
        organisation=cast.customer, name="Mailed Contact", defaults={"email": "c@example.com"}
    )[0]


def _emails_sent(cast):
    from customers.models import CustomerEmail

    return CustomerEmail.objects.filter(organisation=cast.customer).count()


def _end_user_sessions(cast):
    from customers.models import UserSession

    _end_user_session(cast)
    return sorted(UserSession.objects.filter(user=cast.end_user).values_list("pk", flat=True))


def _end_user_services(cast):
    return sorted(cast.end_user.services.values_list("subscription_id", flat=True))


def _webhook(cast):
    from tests.matrix.api import _webhook

    return _webhook(cast)


def _service_account(cast):
    from tests.matrix.api import _service_account

    return _service_account(cast)


def _webhook_delivery(cast):
    from tests.matrix.api import _webhook_delivery

    return _webhook_delivery(cast)


def _webhooks(cast):
    from tests.matrix.api import _webhooks

    return _webhooks(cast)


ROWS: dict[str, Row] = {
    "customers:list": Row(),
    "customers:detail": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    # Issue 3: find, create, manage customers.
    "customers:tree": Row(),
    # A branch of the tree: Reseller One's resellers, for those who see Reseller One.
    "customers:tree_children": Row(
        args=lambda cast: [cast.reseller.pk],
        statuses=expect(404, provider_admin=200, reseller_admin=200),
    ),
    "customers:export": Row(),
    "customers:parent_choices": Row(query="?q=one"),
    "customers:move_choices": Row(query="?q=two"),
    # Bulk export of a ticked row: a row one cannot see refuses the export (back to the list).
    "customers:bulk": Row(
        method="post",
        data=lambda cast: {"action": "export", "selected": [cast.customer.pk]},
        statuses=expect(200, reseller2_admin=302, end_user=302),
    ),
    "customers:create": Row(statuses=CREATES_CUSTOMERS),
    "customers:quick_create": Row(statuses=CREATES_CUSTOMERS),
    "customers:create_similar": Row(
        args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE
    ),
    "customers:wizard_admin": Row(
        args=lambda cast: [cast.customer.pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    "customers:wizard_services": Row(
        args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE
    ),
    "customers:wizard_summary": Row(
        args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE
    ),
    "customers:edit": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {
            "name": "Renamed",
            "code": cast.customer.code,
            "customer_type": "standard",
            "language": "en",
            "password_min_length": 8,
            "password_complexity": "on",
            "password_history": 12,
            "password_max_age_days": 90,
            "lockout_threshold": 10,
            "lockout_duration_minutes": 30,
        },
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:contacts": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {"name": "New Contact", "email": "new@example.com"},
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:contact_edit": Row(
        args=lambda cast: [cast.customer.pk, _contact(cast).pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    "customers:contact_delete": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _contact(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:domains": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {"name": "added-alias.example"},
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:domain_remove": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _alias(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:domain_make_primary": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _alias(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:domain_check": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _verified_alias(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    # Only the provider's administrators vouch for a domain without DNS.
    "customers:domain_verify": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _alias(cast).pk],
        statuses=expect(
            302,
            reseller_admin=403,
            reseller2_admin=404,
            customer_admin=403,
            help_desk=403,
            end_user=404,
        ),
        unchanged=_verification_state,
    ),
    "customers:roles": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    "customers:role_revoke": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _end_user_grant(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    # Service accounts: those who create users and grant roles on the customer.
    "customers:service_accounts": Row(
        args=lambda c: [c.customer.pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    "customers:service_account_keys": Row(
        args=lambda c: [c.customer.pk, _service_account(c).pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    # Webhooks: the customer's administrators; Help Desk sees the customer, not these.
    "customers:webhooks": Row(args=lambda c: [c.customer.pk], statuses=CHANGES_CUSTOMER_ONE),
    "customers:webhook_detail": Row(
        args=lambda c: [c.customer.pk, _webhook(c).pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    "customers:webhook_delete": Row(
        method="post",
        args=lambda c: [c.customer.pk, _webhook(c).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_webhooks,
    ),
    "customers:webhook_delivery_resend": Row(
        method="post",
        args=lambda c: [c.customer.pk, _webhook_delivery(c).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_webhooks,
    ),
    "customers:users": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE_USERS),
    "customers:jobs": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    "customers:history": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    # Send E-Mail: who may change the customer; a refused send leaves no record.
    "customers:send_email": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {
            "audience": ["contacts"],
            "subject": "Hi",
            "body": "Hello",
            "send": "1",
            "_": _mailed_contact(cast).pk,
        },
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_emails_sent,
    ),
    # The Security log is for administrators: Help Desk sees the customer but not its log.
    "customers:security_log": Row(
        args=lambda cast: [cast.customer.pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    "customers:provision": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:suspend": Row(args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE),
    "customers:resume": Row(args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE),
    "customers:deprovision": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:delete": Row(args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE),
    "customers:deprovision_delete": Row(
        args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE
    ),
    "customers:provision_chain": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:restore": Row(
        args=lambda cast: [cast.customer.pk],
        statuses=expect(403, provider_admin=200, reseller2_admin=404, end_user=404),
    ),
    "customers:move": Row(args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE),
    "customers:make_reseller": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    # Catalogue (provider admins)
    "catalogue:service_list": Row(statuses=CATALOGUE),
    "catalogue:service_create": Row(statuses=CATALOGUE),
    "catalogue:service_detail": Row(args=lambda c: [vpn_service().pk], statuses=CATALOGUE),
    "catalogue:service_edit": Row(args=lambda c: [vpn_service().pk], statuses=CATALOGUE),
    "catalogue:plan_create": Row(args=lambda c: [vpn_service().pk], statuses=CATALOGUE),
    "catalogue:plan_edit": Row(args=lambda c: [vpn_plan().pk], statuses=CATALOGUE),
    "catalogue:role_create": Row(args=lambda c: [vpn_service().pk], statuses=CATALOGUE),
    # A customer's services
    "catalogue:customer_services": Row(args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE),
    "catalogue:subscription_detail": Row(
        args=lambda c: [customer_vpn(c).pk], statuses=SEES_CUSTOMER_ONE
    ),
    "catalogue:subscription_give": Row(
        args=lambda c: [customer_vpn(c).pk],
        method="post",
        data=lambda c: {"users": [c.end_user.pk]},
        statuses=CHANGES_USERS,
        unchanged=_assignments,
    ),
    "catalogue:subscription_take": Row(
        args=lambda c: [customer_vpn(c).pk],
        method="post",
        data=lambda c: {"users": [c.end_user.pk]},
        statuses=CHANGES_USERS,
        unchanged=_assignments,
    ),
    "catalogue:subscription_plan": Row(
        args=lambda c: [customer_vpn(c).pk], statuses=DECIDES_SERVICES
    ),
    "catalogue:subscription_deprovision": Row(
        args=lambda c: [customer_vpn(c).pk], statuses=DECIDES_SERVICES
    ),
    # Users
    "users:list": Row(),
    "users:bulk": Row(
        method="post",
        data=lambda cast: {"action": "export", "selected": [cast.end_user.pk]},
        statuses=expect(200, reseller2_admin=302, end_user=302),
    ),
    "users:create": Row(args=lambda c: [c.customer.pk], statuses=EDITS_USERS),
    "users:detail": Row(args=lambda c: [c.end_user.pk], statuses=SEES_CUSTOMER_ONE_USERS),
    "users:edit": Row(args=lambda c: [c.end_user.pk], statuses=EDITS_USERS),
    "users:disable": Row(
        args=lambda c: [c.end_user.pk],
        method="post",
        statuses=CHANGES_USERS,
        unchanged=_end_user("is_active"),
    ),
    "users:enable": Row(
        args=lambda c: [c.end_user.pk],
        method="post",
        statuses=CHANGES_USERS,
        unchanged=_end_user("is_active"),
    ),
    # Help Desk may reset ordinary users (tests/customers/users) but not an administrator: 403.
    "users:reset_password": Row(args=lambda c: [c.customer_admin.pk], statuses=EDITS_USERS),
    "users:unlock": Row(
        args=lambda c: [c.customer_admin.pk], method="post", statuses=CHANGES_USERS
    ),
    "users:administrator": Row(
        args=lambda c: [c.end_user.pk],
        method="post",
        data=lambda c: {"admin": "1"},
        statuses=CHANGES_USERS,
        unchanged=_end_user("is_admin"),
    ),
    "users:services": Row(
        args=lambda c: [c.end_user.pk],
        method="post",
        data=lambda c: {"services": [customer_vpn(c).pk]},
        statuses=CHANGES_USERS,
        unchanged=_end_user_services,
    ),
    "users:delete": Row(args=lambda c: [c.end_user.pk], statuses=EDITS_USERS),
    # Who may reset the user's password may reset their two-factor sign-in: Help Desk not an
    # administrator's (403). The customer admin, who has the app, is sent to the code page
    # first (302); refusing one's own reset is tested in tests/customers/users/test_two_factor.
    "users:reset_two_factor": Row(
        args=lambda c: [_with_authenticator(c.customer_admin).pk],
        method="post",
        statuses=CHANGES_USERS,
        unchanged=_authenticators_of_customer_admin,
    ),
    "users:import_template": Row(args=lambda c: ["csv"]),
    "users:import": Row(args=lambda c: [c.customer.pk], statuses=EDITS_USERS),
    # Uploads are scoped by add_users: Help Desk does not see them at all.
    "users:import_detail": Row(
        args=lambda c: [customer_import(c).pk],
        statuses=expect(200, reseller2_admin=404, help_desk=404, end_user=404),
    ),
    "users:my_services": Row(),
    "users:my_password": Row(),
    "users:my_language": Row(),
    "users:my_sessions": Row(),
    # Only one's own sessions: anyone else's is not found.
    "users:end_my_session": Row(
        args=lambda c: [_end_user_session(c).pk],
        method="post",
        statuses=expect(404, end_user=302),
        unchanged=_end_user_sessions,
    ),
    "users:end_my_other_sessions": Row(method="post", statuses=expect(302)),
    "users:end_sessions": Row(
        args=lambda c: [c.end_user.pk],
        method="post",
        statuses=CHANGES_USERS,
        unchanged=_end_user_sessions,
    ),
    # One's own two-factor sign-in: everyone may set it up; new recovery codes without an app
    # are refused with a message (302); turning off without an app is a form error (200).
    "users:my_two_factor": Row(),
    # One's own e-mail choices: everyone has them.
    "users:my_email": Row(),
    "users:my_two_factor_enrol": Row(),
    "users:my_recovery_codes": Row(method="post", statuses=expect(302)),
    "users:my_two_factor_remove": Row(
        method="post", data=lambda c: {"code": "123456"}, statuses=expect(200)
    ),
}


def _help_desk_key(cast):
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import ApiKey

    return ApiKey.objects.get_or_create(
        owner=cast.help_desk,
        prefix="matrixhd",
        defaults={
            "name": "Matrix",
            "organisation": cast.customer,
            "scopes": ["view_organisation"],
            "digest": "x",
            "expires_at": timezone.now() + timedelta(days=1),
        },
    )[0]


def _own_key(cast):
    return _help_desk_key(cast)


def _key_revoked(cast):
    from customers.models import ApiKey

    return ApiKey.objects.get(pk=_help_desk_key(cast).pk).revoked_at


ROWS.update(
    {
        # API keys: one's own page for everyone; a customer's Keys tab for who sees its users.
        "users:my_api_keys": Row(),
        # Only its owner revokes a key here; anyone else's key is not found.
        "users:my_api_key_revoke": Row(
            method="post",
            args=lambda c: [_own_key(c).pk],
            statuses=expect(404, help_desk=302),
            unchanged=_key_revoked,
        ),
        "customers:api_keys": Row(args=lambda c: [c.customer.pk], statuses=SEES_CUSTOMER_ONE),
        # Help Desk's key: revoked by those who manage Help Desk's account, and by its owner.
        "customers:api_key_revoke": Row(
            method="post",
            args=lambda c: [c.customer.pk, _help_desk_key(c).pk],
            statuses=expect(302, reseller2_admin=404, end_user=404),
            unchanged=_key_revoked,
        ),
    }
)
