"""The `make run` database (SQLite) takes a web write and a worker write at the same moment.

Each side runs in its own process, as `runserver` and the Celery worker do, against one SQLite
file migrated by `manage.py migrate`. Both open a transaction that reads and then writes, and
the two transactions deliberately overlap: with SQLite's defaults the second one to write
fails at once with "database is locked" (its read lock cannot be upgraded), whatever the
timeout. Nothing here touches PostgreSQL, Redis or the directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Both sides wait at a start line (files in the state folder), then open their transaction,
# read, hold it open long enough for the other side to read too, and write.
SIDE = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.db import connection, transaction

side, start = sys.argv[1], Path(sys.argv[2])
(start / side).touch()
deadline = time.monotonic() + 60
while len(list(start.iterdir())) < 2:
    assert time.monotonic() < deadline, "the other side never started"
    time.sleep(0.01)
with transaction.atomic():
    if side == "web":
        from customers.models import Organisation
        Organisation.objects.filter(code__startswith="WEB").count()
        time.sleep(1)
        Organisation.objects.create(name="Web Customer", code="WEBCUST")
    else:
        from core.models import Job
        Job.objects.filter(lock_key="worker").exists()
        time.sleep(1)
        Job.objects.create(kind="test", target_label="Worker", lock_key="worker")
print(side, "wrote", connection.cursor().execute("PRAGMA journal_mode").fetchone()[0])
"""


def make_run_environment(state: Path) -> dict[str, str]:
    """What `make run` gives both processes: a SQLite file and the filesystem broker."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "TEST_DATABASE_", "CELERY_", "DIRECTORY_"))
    }
    env.update(
        CANOPY_STATE_DIR=str(state),
        DATABASE_URL=f"sqlite:///{state / 'canopy.sqlite3'}",
        DJANGO_SETTINGS_MODULE="portal.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture
def migrated_sqlite(tmp_path) -> dict[str, str]:
    env = make_run_environment(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return env


def test_a_web_write_and_a_worker_write_at_the_same_moment_both_succeed(migrated_sqlite, tmp_path):
    start = tmp_path / "start"
    start.mkdir()
    sides = {
        side: subprocess.Popen(
            [sys.executable, "-c", SIDE, side, str(start)],
            cwd=ROOT,
            env=migrated_sqlite,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for side in ("web", "worker")
    }
    outcomes = {side: process.communicate(timeout=120) for side, process in sides.items()}
    for side, (out, err) in outcomes.items():
        assert "database is locked" not in err
        assert sides[side].returncode == 0, err
        assert out.split() == [side, "wrote", "wal"]
