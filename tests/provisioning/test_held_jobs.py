"""An administrator created while the customer is a draft gets the password that was chosen."""

import pytest

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions.lifecycle import deprovision_organisation, provision_organisation
from customers.actions.users import create_user
from directory import verify_password
from provisioning.engine.rows import claim
from tests.provisioning.helpers import run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]

CHOSEN = "Chosen-in-draft-9!"


def test_the_first_password_waits_for_provisioning_then_works(
    tenants, directory_settings, samba_dc
):
    customer = tenants.customer()
    domain = customer.domains.get(is_primary=True).name
    admin, (held,) = create_user(
        actor=SYSTEM,
        is_admin=True,
        organisation=customer,
        upn=f"first.admin@{domain}",
        username=tenants.unique("fadm"),
        first_name="First",
        last_name="Admin",
        display_name="First Admin",
        email="",
        password=CHOSEN,
    )
    assert held.kind == JobKind.CREATE_USER and held.state == JobState.QUEUED
    assert held.secret and CHOSEN not in held.secret
    assert claim(held.pk, "test-worker") is None  # not runnable while the customer is a draft

    provisioned = run(provision_organisation(actor=SYSTEM, organisation=customer))
    assert provisioned.state == JobState.SUCCEEDED, provisioned.error

    held.refresh_from_db()
    assert held.run_after is None and held.lock_key == f"org:{customer.pk}"
    done = run(held)
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.secret == ""
    assert verify_password(samba_dc, admin.upn, CHOSEN)


def test_deprovisioning_a_draft_cancels_what_waited_for_it(tenants, directory_settings):
    customer = tenants.customer()
    domain = customer.domains.get(is_primary=True).name
    _, (held,) = create_user(
        actor=SYSTEM,
        is_admin=True,
        organisation=customer,
        upn=f"gone.admin@{domain}",
        username=tenants.unique("gadm"),
        first_name="Gone",
        last_name="Admin",
        display_name="Gone Admin",
        email="",
        password=CHOSEN,
    )
    deprovision_organisation(actor=SYSTEM, organisation=customer)
    held = Job.objects.get(pk=held.pk)
    assert held.state == JobState.CANCELLED and held.secret == ""
