"""The README's API examples, run as written against a live server: every curl command of the
API section (in bash, failing on any 4xx or 5xx) and its Python, in order. Only what cannot
be the same here is changed: the host, the ids the README makes up (reseller 12, customer
345, invoice 5120) and, for the Python, the customer's domain.

No Celery worker runs here, so a stand-in finishes queued jobs while the Python example waits
for one (the worker itself is tested in tests/provisioning)."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import InvoiceStatus, Payment
from core.models import Job
from customers.models import Organisation, User
from tests.api.helpers import make_key
from tests.cast import build_cast
from tests.fixtures.invoices import issued_invoice

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"


def _api_section() -> str:
    text = README.read_text()
    start = text.index("\n## API\n")
    return text[start : text.index("\n### Webhooks\n", start)]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", _api_section(), re.S)


def script(block: str) -> str:
    """A console block's commands (``$ `` lines, with their continuations and quoted text
    running over lines) as a bash script; output lines are left out, and so is ``KEY=``
    (the test's key is in the environment)."""
    commands, current = [], None
    for line in block.splitlines():
        if current is None:
            if not line.startswith("$ "):
                continue  # what the command printed
            current = line[2:]
        else:
            current += "\n" + line
        if current.endswith("\\") or current.count("'") % 2:
            continue
        if not current.startswith("KEY="):
            commands.append(current)
        current = None
    return "set -euo pipefail\n" + "\n".join(commands) + "\n"


def localise(text: str, base: str, ids: dict[str, int]) -> str:
    text = text.replace("https://canopy.example", base)
    for made_up, real in ids.items():
        text = re.sub(rf"(?<=[/ ]){made_up}(?=[/,}}\s])", str(real), text)
    return text


@pytest.fixture
def readme_world(live_server):
    """The cast, with Reseller One and Customer One in the directory (so suspending one
    starts a job) and Customer One billed an invoice of 119.00."""
    cast = build_cast()
    for organisation in (cast.reseller, cast.customer):
        Organisation.objects.filter(pk=organisation.pk).update(
            status="active", directory_guid=uuid.uuid4()
        )
    invoice = issued_invoice(cast)
    assert str(invoice.total) == "119.00"
    cast.refresh()
    ids = {"12": cast.reseller.pk, "345": cast.customer.pk, "5120": invoice.pk}
    _key, plain = make_key(cast.reseller_admin)
    return cast, invoice, ids, plain, live_server.url


def test_the_curl_examples_work_as_written(readme_world):
    cast, invoice, ids, key, base = readme_world
    consoles = blocks("console")
    assert len(consoles) == 2  # the tour, and recording a payment
    for block in consoles:
        commands = localise(script(block), base, ids)
        commands = re.sub(r"\bcurl -s(i?) ", r"curl -s\1 --fail-with-body ", commands)
        done = subprocess.run(
            ["bash", "-c", commands],
            env={**os.environ, "KEY": key},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert Organisation.objects.filter(name="Acme Ltd", parent=cast.reseller).exists()
    assert Organisation.objects.get(pk=cast.customer.pk).external_id == "PSA-0042"
    assert Job.objects.filter(organisation=cast.customer, kind__contains="suspend").exists()
    payment = Payment.objects.get()
    assert payment.allocations.get().invoice == invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


class StandInWorker(threading.Thread):
    """Finishes every queued job, as a worker would that found the directory as wanted."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.wait(0.2):
                Job.objects.filter(state="queued").update(
                    state="succeeded", started=timezone.now(), finished=timezone.now()
                )
        finally:
            connection.close()


def test_the_python_examples_work_as_written(readme_world):
    cast, invoice, ids, key, base = readme_world
    domain = cast.customer.primary_domain.name
    worker = StandInWorker()
    worker.start()
    namespace = {"KEY": key}
    try:
        for block in blocks("python"):
            code = localise(block, base, ids).replace("@acme.example", f"@{domain}")
            exec(compile(code, str(README), "exec"), namespace)
    finally:
        worker.stopping.set()
        worker.join()
    assert Organisation.objects.get(pk=cast.customer.pk).external_id == "PSA-0042"
    assert User.objects.filter(upn=f"ada@{domain}").exists()
    assert namespace["job"]["state"] == "succeeded"
    assert namespace["invoice"]["status"] == "paid"
    assert Payment.objects.get().allocations.get().invoice == invoice
