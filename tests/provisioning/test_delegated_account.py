"""Canopy works with a delegated directory account, never the domain Administrator.

``scripts/samba-dc.sh delegate`` (the same ``docker/samba-dc/delegate.sh`` the compose DC
runs) makes ``canopy-service`` with rights on the tenants OU, the password policies and
UPN suffixes alone. The whole life of a customer works with it, and nothing outside those
places can be changed with it.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

import pytest
from ldap3 import MODIFY_REPLACE

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions.lifecycle import deprovision_and_delete, provision_organisation
from customers.models import Organisation, Status
from directory import (
    connect,
    delete_tree,
    ensure_ou,
    list_upn_suffixes,
    ops,
    read_entry,
    reset_connection,
)
from directory.dn import cn_dn, ou_dn
from directory.errors import DirectoryError
from directory.policy import password_settings_container
from provisioning.engine.connection import directory_config
from provisioning.job_plans import layout
from tests.fixtures.samba import _exports, _script
from tests.provisioning.helpers import provision, run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]


@pytest.fixture(scope="session")
def delegated_account(samba_dc):
    """(bind user, password) of the delegated account on the test DC."""
    env = _exports(_script("delegate"))
    return env["DIRECTORY_BIND_USER"], Path(env["DIRECTORY_PASSWORD_FILE"]).read_text().strip()


@pytest.fixture
def delegated_root(samba_dc, delegated_account):
    """A tenants root of this test's own inside OU=Tenants, where the delegation holds."""
    tenants_root = ou_dn(samba_dc.base_dn, "Tenants")
    name = f"Delegated-{secrets.token_hex(4)}"
    conn = connect(samba_dc)
    try:
        ensure_ou(conn, tenants_root, name)
    finally:
        conn.unbind()
    yield ou_dn(tenants_root, name)
    conn = connect(samba_dc)
    try:
        delete_tree(conn, ou_dn(tenants_root, name))
    finally:
        conn.unbind()


@pytest.fixture
def as_delegated(directory_settings, delegated_account, delegated_root):
    """The portal's settings, bound as the delegated account."""
    user, password = delegated_account
    directory_settings.DIRECTORY_BIND_USER = user
    directory_settings.DIRECTORY_PASSWORD = password
    directory_settings.DIRECTORY_TENANTS_ROOT = delegated_root
    reset_connection()
    yield directory_settings
    reset_connection()


def test_a_customer_is_provisioned_and_deleted_with_the_delegated_account(
    as_delegated, tenants, ldap, samba_dc
):
    customer = tenants.customer(password_min_length=14, lockout_threshold=5)
    admin = tenants.user(customer, first_name="Ada")
    provision(customer, admin)

    assert read_entry(ldap, customer.directory_guid) is not None
    assert read_entry(ldap, admin.directory_guid) is not None
    policy_dn = cn_dn(password_settings_container(ldap), layout.policy_name(customer.code))
    assert ops.read(ldap, policy_dn, ["msDS-MinimumPasswordLength"]) is not None
    assert customer.primary_domain.name in list_upn_suffixes(ldap, samba_dc.base_dn)

    Organisation.objects.filter(pk=customer.pk).update(status=Status.ACTIVE)
    customer.refresh_from_db()
    deprovision = deprovision_and_delete(
        actor=SYSTEM, organisation=customer, confirm_code=customer.code
    )
    suspend = Job.objects.get(organisation=customer, kind=JobKind.SUSPEND_ORGANISATION)
    assert run(suspend).state == JobState.SUCCEEDED, suspend.error
    deprovision = run(deprovision)
    assert deprovision.state == JobState.SUCCEEDED, deprovision.error
    assert read_entry(ldap, customer.directory_guid) is None


@pytest.mark.parametrize(
    "attempt",
    [
        "describe the Administrator",
        "add an OU beside the tenants",
        "rename the forest's partitions",
    ],
)
def test_the_delegated_account_cannot_change_anything_outside_its_places(
    attempt, samba_dc, delegated_account, ldap
):
    user, password = delegated_account
    conn = connect(replace(samba_dc, bind_user=user, password=password))
    base = samba_dc.base_dn
    try:
        with pytest.raises(DirectoryError):
            if attempt == "describe the Administrator":
                ops.modify(
                    conn,
                    cn_dn(cn_dn(base, "Users"), "Administrator"),
                    {"description": [(MODIFY_REPLACE, ["owned"])]},
                )
            elif attempt == "add an OU beside the tenants":
                ensure_ou(conn, base, f"Rogue{secrets.token_hex(3)}")
            else:
                ops.modify(
                    conn,
                    cn_dn(cn_dn(base, "Configuration"), "Partitions"),
                    {"description": [(MODIFY_REPLACE, ["owned"])]},
                )
    finally:
        conn.unbind()
    administrator = ops.read(ldap, cn_dn(cn_dn(base, "Users"), "Administrator"), ["description"])
    assert "owned" not in str(administrator)


def test_outside_the_tenants_ou_the_delegated_account_is_refused_and_nothing_is_written(
    directory_settings, delegated_account, tenants, ldap, test_ou
):
    """The jobs above really bind as the delegated account: under OU=Tests, where it has
    no rights, the same provisioning fails for good and leaves the OU empty."""
    directory_settings.DIRECTORY_BIND_USER, directory_settings.DIRECTORY_PASSWORD = (
        delegated_account
    )
    reset_connection()
    customer = tenants.customer()
    job = run(provision_organisation(actor=SYSTEM, organisation=customer))
    assert job.state == JobState.FAILED
    assert "insufficient" in job.error.lower() or "access" in job.error.lower(), job.error
    ous = ops.search(ldap, test_ou, "(objectClass=organizationalUnit)", attributes=["ou"])
    assert [entry["dn"] for entry in ous] == [test_ou]


def test_the_delegated_account_quarantines_and_deletes_strays(as_delegated, tenants, ldap):
    """Quarantine writes what the delegation allows inside the tenants OU: a new OU, a
    disabled account, a security group made a distribution group, moves and a delete."""
    from core.models import QuarantinedObject
    from directory import UserSpec, ensure_group, ensure_user, find_by_guid
    from provisioning.actions.jobs import request_reconcile
    from provisioning.actions.quarantine import delete_quarantined_object

    customer = tenants.customer()
    admin = tenants.user(customer)
    provision(customer, admin)
    where = layout.Layout(directory_config())
    name = tenants.unique("x")
    account = ensure_user(
        ldap,
        where.users_ou(customer),
        UserSpec(
            upn=f"{name}@{customer.primary_domain.name}",
            sam_account_name=name,
            given_name="Made",
            surname="By hand",
            display_name=name,
        ),
    )
    group = ensure_group(ldap, where.groups_ou(customer), tenants.unique("G"))

    job = run(request_reconcile(actor=SYSTEM, organisation=customer, repair=True))

    assert job.state == JobState.SUCCEEDED, job.error
    for guid in (account.guid, group):
        assert "OU=Quarantine," in find_by_guid(ldap, guid, ["cn"])["dn"]
    item = QuarantinedObject.objects.get(guid=group)
    deleted = run(delete_quarantined_object(actor=SYSTEM, item=item))
    assert deleted.state == JobState.SUCCEEDED, deleted.error
    assert find_by_guid(ldap, group, ["cn"]) is None
