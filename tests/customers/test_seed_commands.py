"""seed_demo and seed_scale: the data the README and the benchmarks rely on."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.management.demo import DEMO_PASSWORD, LOGINS
from customers.models import Organisation, User
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_login_for_every_built_in_role_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert Organisation.objects.count() == 8
    for login in LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.role_grants.filter(role__name=login.role).count() == 1
    nested = Organisation.objects.get(code="NWEAST")
    assert [a.code for a in nested.get_ancestors()] == ["CANOPY", "NORTHWIND"]


def test_seed_demo_refuses_to_make_a_published_superuser_password_in_production(settings):
    """Issue 9, hole 10: a production portal got a superuser with the README's password."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.filter(username__in=[login.username for login in LOGINS]).exists()
    out = io.StringIO()
    call_command("seed_demo", "--allow-production", stdout=out)
    provider = User.objects.get(username="provider")
    assert provider.is_superuser and not provider.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD not in out.getvalue()


def test_seed_scale_writes_a_consistent_nested_set():
    call_command("seed_scale", orgs=300, users=900, prefix="T", stdout=io.StringIO())
    written = list(Organisation.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    Organisation.objects.rebuild()
    rebuilt = list(Organisation.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    assert written == rebuilt
    assert Organisation.objects.count() == 300
    assert User.objects.filter(username__startswith="tu").count() == 900
    root = Organisation.objects.get(code="TP")
    assert root.get_descendant_count() == 299


def test_scoping_costs_two_queries_on_a_scale_tree():
    call_command("seed_scale", orgs=500, users=0, prefix="Q", stdout=io.StringIO())

    reseller = Organisation.objects.get(code="QR1")
    person = UserFactory(username="scaleops", organisation=reseller, role="User")
    grant(person, reseller, "Help Desk")
    person = User.objects.get(pk=person.pk)
    with CaptureQueriesContext(connection) as queries:
        count = Organisation.objects.restrict(person, "view").count()
    assert count == reseller.get_descendant_count() + 1
    assert len(queries) == 2
