"""An existing deployment keeps its data across the house-map move (issue 8).

The Job row moved from provisioning to core with SeparateDatabaseAndState: the table stays
``provisioning_job`` and only Django's idea of where the model lives changes. This test
builds what a deployment of the previous main holds (customers at 0006, provisioning at
0002, core not there yet), writes rows through the models as they were then, migrates
forward to today's head and reads the same rows back through today's models.

It runs in its own test database (pytest-xdist gives each worker one), outside a test
transaction because migrations manage their own; it puts the schema back at the head even
when it fails, so the tests after it on the same worker see the usual database.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.models import Job
from core.scoping import FOREST_SPAN
from customers.models import Domain, Organisation, User, UserImport
from provisioning.models import DirectoryObject

pytestmark = pytest.mark.django_db(transaction=True)

# The heads of the previous main (2b84549): no core app yet, Job still in provisioning.
PREVIOUS_MAIN = [
    ("customers", "0006_history_reason_as_text"),
    ("provisioning", "0002_engine_lock_and_directory_objects"),
    ("core", None),
]


def _migrate(targets=None):
    """Migrate to ``targets`` (the leaf nodes, today's head, if None); returns the executor."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    return executor


@pytest.fixture
def previous_main():
    """The database as the previous main's migrations left it; today's head again afterwards."""
    executor = _migrate(PREVIOUS_MAIN)
    try:
        heads = [(app, name) for app, name in PREVIOUS_MAIN if name is not None]
        yield executor.loader.project_state(heads).apps
    finally:
        _migrate()


def _populate(apps) -> dict:
    """Rows a running deployment has, written through the models as they were."""
    OldOrganisation = apps.get_model("customers", "Organisation")
    OldUser = apps.get_model("customers", "User")
    OldUserImport = apps.get_model("customers", "UserImport")
    OldJob = apps.get_model("provisioning", "Job")
    OldDirectoryObject = apps.get_model("provisioning", "DirectoryObject")
    assert not any(config.label == "core" for config in apps.get_app_configs())

    tree_id = OldOrganisation.objects.order_by("-tree_id").values_list("tree_id", flat=True)[:1]
    organisation = OldOrganisation.objects.create(
        code="MIGR8",
        name="Migrated Ltd",
        status="active",
        user_limit=25,
        lft=1,
        rght=2,
        level=0,
        tree_id=(tree_id[0] + 1) if tree_id else 1,
    )
    user = OldUser.objects.create(
        username="m.admin",
        upn="m.admin@migrated.example",
        first_name="Mia",
        last_name="Admin",
        is_admin=True,
        organisation=organisation,
    )
    finished = timezone.now()
    job = OldJob.objects.create(
        kind="import_users",
        target_label="Migrated Ltd",
        lock_key=f"org:{organisation.pk}",
        state="succeeded",
        payload={"import": "users.csv", "rows": 2},
        attempts=1,
        steps_done=2,
        steps_total=2,
        log=[{"level": "info", "message": "Made 2 accounts."}],
        organisation=organisation,
        started_by=user,
        user=user,
        finished=finished,
    )
    upload = OldUserImport.objects.create(
        organisation=organisation,
        filename="users.csv",
        state="imported",
        rows_total=2,
        rows_valid=2,
        imported=2,
        created_by=user,
        job=job,
    )
    guid = uuid.uuid4()
    OldDirectoryObject.objects.create(
        organisation=organisation, key="ou:users", guid=guid, name="Users"
    )
    return {
        "organisation": organisation.pk,
        "user": user.pk,
        "job": job.pk,
        "upload": upload.pk,
        "guid": guid,
        "finished": finished,
    }


def test_rows_written_before_the_move_are_read_after_it(previous_main):
    before = _populate(previous_main)

    _migrate()

    organisation = Organisation.objects.get(pk=before["organisation"])
    assert (organisation.code, organisation.name, organisation.status) == (
        "MIGR8",
        "Migrated Ltd",
        "active",
    )
    assert organisation.user_limit == 25
    user = User.objects.get(pk=before["user"])
    assert (user.username, user.upn, user.is_admin) == ("m.admin", "m.admin@migrated.example", True)
    assert user.organisation_id == organisation.pk

    job = Job.objects.get(pk=before["job"])
    assert Job._meta.db_table == "provisioning_job"
    assert (job.kind, job.target_label, job.state) == ("import_users", "Migrated Ltd", "succeeded")
    assert job.lock_key == f"org:{organisation.pk}"
    assert job.payload == {"import": "users.csv", "rows": 2}
    assert (job.attempts, job.steps_done, job.steps_total) == (1, 2, 2)
    assert job.log == [{"level": "info", "message": "Made 2 accounts."}]
    assert job.organisation == organisation
    assert job.started_by == user
    assert job.user == user
    assert job.finished == before["finished"]
    assert list(organisation.jobs.values_list("pk", flat=True)) == [job.pk]

    upload = UserImport.objects.get(pk=before["upload"])
    assert upload.job == job
    assert isinstance(upload.job, Job)
    assert (upload.filename, upload.state, upload.imported) == ("users.csv", "imported", 2)
    assert upload.created_by == user
    assert upload.organisation == organisation

    placed = DirectoryObject.objects.get(organisation=organisation, key="ou:users")
    assert (placed.guid, placed.name) == (before["guid"], "Users")


@pytest.fixture
def before_verification():
    """The database just before domains needed verifying; today's head again afterwards."""
    target = [("customers", "0010_names_not_available")]
    executor = _migrate(target)
    try:
        yield executor.loader.project_state(target).apps
    finally:
        _migrate()


def test_domains_in_the_directory_stay_usable_and_drafts_domains_must_be_verified(
    before_verification,
):
    apps = before_verification
    OldOrganisation = apps.get_model("customers", "Organisation")
    OldDomain = apps.get_model("customers", "Domain")
    suffix = uuid.uuid4().hex[:6]
    tree_id = (
        OldOrganisation.objects.order_by("-tree_id").values_list("tree_id", flat=True)[:1] or [0]
    )[0] + 1

    def organisation(code, parent=None, provisioned=False):
        return OldOrganisation.objects.create(
            name=f"{code} {suffix}",
            code=f"{code}{suffix}".upper(),
            parent=parent,
            provisioned_at=timezone.now() if provisioned else None,
            lft=1,
            rght=2,
            tree_id=tree_id,
            level=0 if parent is None else 1,
        )

    root = organisation("R")
    live = organisation("L", parent=root, provisioned=True)
    draft = organisation("D", parent=root)
    for org in (root, live, draft):
        OldDomain.objects.create(organisation=org, name=f"{org.code.lower()}.example")

    _migrate()

    domains = {
        d.organisation_id: d for d in Domain.objects.filter(name__endswith=suffix + ".example")
    }
    assert domains[live.pk].verification_method == "existing" and domains[live.pk].is_verified
    assert domains[root.pk].is_verified  # the provider's own names
    assert not domains[draft.pk].is_verified
    tokens = {d.verification_token for d in domains.values()}
    assert len(tokens) == 3


BEFORE_FOREST = [("customers", "0024_user_language_db_default")]
FOREST = [("customers", "0025_organisation_forest")]

# A provider's tree as django-mptt numbered it before the forest: code, parent, lft, rght, level.
ONE_TREE = [
    ("P", None, 1, 14, 0),
    ("R1", "P", 2, 9, 1),
    ("S1", "R1", 3, 6, 2),
    ("C1", "S1", 4, 5, 3),
    ("C2", "R1", 7, 8, 2),
    ("R2", "P", 10, 13, 1),
    ("C3", "R2", 11, 12, 2),
]
TREE_FIELDS = ("tree_id", "lft", "rght", "level", "tree_parent_id")


def test_the_forest_migration_splits_each_provider_tree_and_puts_it_back():
    """Issue 15: customers 0025 gives every organisation directly below a provider a tree
    of its own, renumbered from 1, and the reverse migration restores the one tree."""
    apps = _migrate(BEFORE_FOREST).loader.project_state(BEFORE_FOREST).apps
    try:
        OldOrganisation = apps.get_model("customers", "Organisation")
        suffix = uuid.uuid4().hex[:5].upper()
        tree_id = (
            OldOrganisation.objects.order_by("-tree_id").values_list("tree_id", flat=True)[:1]
            or [0]
        )[0] + 1
        rows = {}
        for code, parent, lft, rght, level in ONE_TREE:
            rows[code] = OldOrganisation.objects.create(
                name=code,
                code=f"{code}{suffix}",
                parent=rows.get(parent),
                tree_id=tree_id,
                lft=lft,
                rght=rght,
                level=level,
            )
        ids = {code: row.pk for code, row in rows.items()}

        _migrate(FOREST)
        forest = {
            o["pk"]: tuple(o[k] for k in TREE_FIELDS)
            for o in Organisation.objects.filter(pk__in=ids.values()).values("pk", *TREE_FIELDS)
        }
        top = forest[ids["P"]][0]
        assert top % FOREST_SPAN == 0
        assert {code: forest[pk] for code, pk in ids.items()} == {
            "P": (top, 1, 2, 0, None),
            "R1": (top + 1, 1, 8, 0, None),
            "S1": (top + 1, 2, 5, 1, ids["R1"]),
            "C1": (top + 1, 3, 4, 2, ids["S1"]),
            "C2": (top + 1, 6, 7, 1, ids["R1"]),
            "R2": (top + 2, 1, 4, 0, None),
            "C3": (top + 2, 2, 3, 1, ids["R2"]),
        }
        below = Organisation.objects.get(pk=ids["P"]).get_descendants()
        assert set(below.values_list("pk", flat=True)) == set(ids.values()) - {ids["P"]}

        _migrate(BEFORE_FOREST)
        back = OldOrganisation.objects.filter(pk__in=ids.values())
        assert {o.pk: (o.lft, o.rght, o.level) for o in back} == {
            ids[code]: (lft, rght, level) for code, _parent, lft, rght, level in ONE_TREE
        }
        assert len({o.tree_id for o in back}) == 1
    finally:
        _migrate()
