"""seed_demo and seed_scale: the data the README and the benchmarks rely on."""

import io
import re

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


def test_seed_scale_reports_every_stage_analyzes_and_prints_two_working_logins():
    out = io.StringIO()
    call_command("seed_scale", orgs=400, users=500, prefix="W", stdout=out)
    text = out.getvalue()
    for stage in ("organisations", "role links", "domains", "users", "analyze"):
        lines = [line for line in re.split(r"[\r\n]", text) if line.startswith(stage)]
        assert lines, f"no progress for {stage}"
        # Each stage shows its rate and time left while it runs, its total time at the end.
        assert re.search(r"/s, \d+:\d\d left", "".join(lines)) or len(lines) == 2, lines
        assert re.search(r"\] [\d,]+/[\d,]+  \d+:\d\d", lines[-1]), lines[-1]

    # ANALYZE ran: the planner's row estimate for the organisations is filled in.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'customers_organisation'")
        assert cursor.fetchone()[0] >= 400

    logins = dict(re.findall(r"^  (w\w+) +(\S+)  ", text, flags=re.MULTILINE))
    assert set(logins) == {"wprovider", "wreseller"}
    provider = User.objects.get(username="wprovider")
    reseller = User.objects.get(username="wreseller")
    assert provider.check_password(logins["wprovider"])
    assert reseller.check_password(logins["wreseller"])
    assert provider.role_grants.get().role.name == "Provider Admin"
    assert provider.organisation.code == "WP"
    grant = reseller.role_grants.get()
    assert grant.role.name == "Reseller Admin" and grant.organisation == reseller.organisation
    # Mid-size: as many resellers are smaller than it as larger.
    sizes = sorted(
        o.get_descendant_count()
        for o in Organisation.objects.filter(code__startswith="WR", is_reseller=True)
    )
    assert reseller.organisation.get_descendant_count() == sizes[len(sizes) // 2]
    seen = Organisation.objects.restrict(reseller, "view").count()
    assert seen == reseller.organisation.get_descendant_count() + 1
