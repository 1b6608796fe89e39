"""Matrix rows for the user pages (people:) and the service pages (catalogue:).

Merged into ``tests.matrix.MATRIX`` at the end of that module. Objects the rows need are
made on first use (inside the test's transaction) by ``tests.fixtures.catalogue``.
"""

from __future__ import annotations

from tests.fixtures.catalogue import customer_import, customer_vpn, vpn_plan, vpn_service
from tests.matrix import SEES_CUSTOMER_ONE, SEES_CUSTOMER_ONE_USERS, Row, expect

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


def _end_user_services(cast):
    return sorted(cast.end_user.services.values_list("subscription_id", flat=True))


ROWS: dict[str, Row] = {
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
    "users:import_template": Row(args=lambda c: ["csv"]),
    "users:import": Row(args=lambda c: [c.customer.pk], statuses=EDITS_USERS),
    # Uploads are scoped by add_users: Help Desk does not see them at all.
    "users:import_detail": Row(
        args=lambda c: [customer_import(c).pk],
        statuses=expect(200, reseller2_admin=404, help_desk=404, end_user=404),
    ),
    "users:my_services": Row(),
    "users:my_password": Row(),
}
