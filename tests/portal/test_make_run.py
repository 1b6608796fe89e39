"""`make run` serves the portal with DEBUG off: a visitor who hits an error gets the portal's
own page, never Django's debug page (a traceback, the settings, the URL list), and static
files still come from WhiteNoise.

The portal is started here as `make run` starts it: the environment from scripts/run-env.sh,
a migrated SQLite file, collectstatic, then `manage.py runserver`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.serial


def run_environment(state: Path) -> dict[str, str]:
    """The variables `make run` exports, over a clean copy of this environment."""
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(
            ("DATABASE_", "TEST_DATABASE_", "CELERY_", "DIRECTORY_", "SECRET_KEY", "DEBUG")
        )
        and not name.startswith("SECURE_")
    }
    base.update(CANOPY_STATE_DIR=str(state), PYTHONPATH=str(ROOT))
    exports = subprocess.run(
        ["bash", "-c", f'eval "$(scripts/run-env.sh {state})" && env -0'],
        cwd=ROOT,
        env=base,
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout.decode()
    env = dict(item.split("=", 1) for item in exports.split("\0") if "=" in item)
    env.update(
        DATABASE_URL=f"sqlite:///{state / 'canopy.sqlite3'}",
        STATIC_ROOT=str(state / "static"),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(errors="replace"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), dict(error.headers)


def test_the_environment_keeps_debug_off_and_a_key_of_its_own(tmp_path):
    env = run_environment(tmp_path)
    assert env["DEBUG"] == "false"
    assert env["SECURE_COOKIES"] == "false" and env["SECURE_SSL_REDIRECT"] == "false"
    key = Path(env["SECRET_KEY_FILE"])
    assert len(key.read_text()) >= 50 and oct(key.stat().st_mode)[-3:] == "600"
    again = run_environment(tmp_path)
    assert again["SECRET_KEY_FILE"] == env["SECRET_KEY_FILE"]
    assert key.read_text() == Path(again["SECRET_KEY_FILE"]).read_text()  # kept, not remade


def test_make_run_serves_no_debug_page_and_its_static_files(tmp_path):
    env = run_environment(tmp_path)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, timeout=600)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, login, headers = fetch(f"{base}/login/")
                break
            except OSError:
                assert server.poll() is None, "runserver exited"
                assert time.monotonic() < deadline, "runserver did not answer"
                time.sleep(0.3)
        assert status == 200
        assert "secure" not in headers.get("Set-Cookie", "").lower()  # plain http works
        status, page, _ = fetch(f"{base}/no-such-page/")
        assert status == 404
        assert "Using the URLconf" not in page and "DEBUG = True" not in page
        assert 'href="/static/' in login
        stylesheet = login.split('href="/static/vendor/bootstrap/', 1)[1].split('"', 1)[0]
        status, css, _ = fetch(f"{base}/static/vendor/bootstrap/{stylesheet}")
        assert status == 200 and len(css) > 1000
        status, _, _ = fetch(f"{base}/static/canopy/canopy.js")
        assert status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
