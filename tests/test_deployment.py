"""The deployment files agree with the settings, and the settings refuse bad values.

docker-compose.yml and .env.example may only set variables that portal/settings.py reads
(``portal.env.READ_NAMES``), .env.example and the README document every one of them, a
production-like environment passes ``check --deploy``, and a malformed value stops start-up
with a message naming the variable. Settings are loaded in subprocesses with a clean
environment, so nothing from the developer's shell (or ``make test``) leaks into them.
The last two tests pin what ``make test`` promises: PostgreSQL and Redis, for real.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management.utils import get_random_secret_key
from django.db import connection
from ruamel.yaml import YAML

from portal.env import READ_NAMES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"
APP_SERVICES = ("web", "worker", "beat", "migrate")
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")

# Loads the settings, runs `check --deploy`, and prints every variable name the settings read.
LOAD_AND_REPORT = """
import json
import django
from django.core.management import call_command
django.setup()
call_command("check", deploy=True, fail_level="WARNING")
from portal.env import READ_NAMES
print(json.dumps(sorted(READ_NAMES)))
"""
PRINT_SECRET_KEY = (
    "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
)


def production_env(**overrides: str) -> dict[str, str]:
    """A clean, production-like environment: only PATH, then the values given."""
    values = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/canopy",
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def manage_check(env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return run_python(["manage.py", "check", *options], env)


def names_read_under(env: dict[str, str]) -> set[str]:
    done = run_python(["-c", LOAD_AND_REPORT], env)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def readable(names: set[str]) -> set[str]:
    """Every name the settings accept: each one read, and ``<NAME>_FILE`` for each of them
    (``Environment`` looks for the file variant only when the plain one is not set)."""
    return names | {f"{name}_FILE" for name in names}


def load_compose() -> dict:
    return YAML(typ="safe").load(COMPOSE_FILE.read_text())


def compose_app_environment() -> dict[str, str]:
    """The environment web, worker, beat and migrate get; they must all get the same one."""
    services = load_compose()["services"]
    environments = [dict(services[name]["environment"]) for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments), "app services differ"
    return {name: str(value) for name, value in environments[0].items()}


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` with nothing set, as a fresh deployment sees it."""
    value = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)
    assert "${" not in value, f"unsupported interpolation in {value!r}"
    return value.replace("$$", "$")


def env_example_names() -> list[str]:
    """Names assigned in .env.example, whether the line is commented out or not."""
    return re.findall(r"^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)


# --- docker-compose.yml --------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification():
    done = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_every_part_the_design_names():
    services = load_compose()["services"]
    assert {"db", "redis", "web", "worker", "beat", "dc"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "noeviction" in services["redis"]["command"]
    assert services["dc"]["build"] == "docker/samba-dc"
    assert (ROOT / "docker" / "samba-dc" / "Dockerfile").is_file()


def test_compose_sets_only_variables_the_settings_read_and_passes_the_deploy_check(tmp_path):
    compose_env = {name: interpolate(value) for name, value in compose_app_environment().items()}
    assert compose_env["DIRECTORY_URL"].startswith("ldaps://")
    # Secrets arrive as files under /run/secrets in the containers; stand-ins here.
    samples = {
        "SECRET_KEY_FILE": get_random_secret_key(),
        "DATABASE_URL_FILE": "postgres://canopy:secret@db:5432/canopy",
    }
    for name, path in compose_env.items():
        if name.endswith("_FILE") and path.startswith("/run/secrets/"):
            stand_in = tmp_path / Path(path).name
            stand_in.write_text(samples.get(name, "sample-secret") + "\n")
            compose_env[name] = str(stand_in)
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "portal.settings"}
    read = names_read_under({**env, **compose_env})
    assert set(compose_env) - readable(read) == set()


# --- .env.example and README ---------------------------------------------------------------


def test_env_example_sets_only_variables_the_settings_read():
    read = READ_NAMES | names_read_under(production_env())
    assert set(env_example_names()) - readable(read) == set()


def test_env_example_and_readme_document_every_variable_the_settings_read():
    documented = set(env_example_names())
    names = {name for name in READ_NAMES if not name.endswith("_FILE")}
    assert names - documented == set(), "add them to .env.example and the README's table"
    readme = README.read_text()
    assert {name for name in documented if f"`{name}`" not in readme} == set()


# --- start-up checks -----------------------------------------------------------------------


def test_production_values_pass_the_deploy_check():
    done = manage_check(production_env(), "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("AXES_FAILURE_LIMIT", "ten"),
        ("SESSION_COOKIE_AGE", "8h"),
        ("DIRECTORY_CONNECT_TIMEOUT", "soon"),
        ("DATABASE_URL", "mysql://canopy@db/canopy"),
        ("LOG_FORMAT", "xml"),
        ("METRICS_ALLOWED_IPS", "10.0.0.1,prometheus.internal"),
        ("HEALTH_DIRECTORY_TIMEOUT", "0"),
        ("EMAIL_URL", "relay.example.com:25"),
        ("EMAIL_URL", "smtp://"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(name, value):
    done = manage_check(production_env(**{name: value}))
    assert done.returncode != 0
    assert name in done.stderr


def test_a_missing_secret_key_stops_start_up_when_debug_is_off():
    done = manage_check(production_env(SECRET_KEY=None))
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_a_secret_is_read_from_its_file(tmp_path):
    secret = get_random_secret_key()
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(secret + "\n")
    env = production_env(SECRET_KEY=None, SECRET_KEY_FILE=str(secret_file))
    assert manage_check(env).returncode == 0
    done = run_python(["-c", PRINT_SECRET_KEY], env)
    assert done.stdout.strip() == secret


def test_an_unreadable_secret_file_stops_start_up_naming_the_variable(tmp_path):
    done = manage_check(production_env(SECRET_KEY=None, SECRET_KEY_FILE=str(tmp_path / "none")))
    assert done.returncode != 0
    assert "SECRET_KEY_FILE" in done.stderr


# --- what the test run itself uses ---------------------------------------------------------


@pytest.mark.django_db
def test_the_test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_the_broker_is_a_redis_that_answers():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    key = f"canopy:test-deployment:{uuid.uuid4()}"
    try:
        client.set(key, b"reachable", ex=60)
        assert client.get(key) == b"reachable"
    finally:
        client.delete(key)
        client.close()
