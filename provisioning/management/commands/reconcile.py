"""``manage.py reconcile [--repair] [--organisation CODE]``: compare the portal with AD.

Prints the drift of every provisioned organisation (or one), and keeps it as the
organisation's latest drift report. With ``--repair``, starts a repair job for each
organisation that drifted, runs it here (as a worker would; a worker that receives the same
job finds it taken), and checks again.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from core.actors import SYSTEM
from core.models import Job
from customers.models import Organisation
from provisioning.actions.jobs import request_repair
from provisioning.actions.reconcile import (
    Report,
    check_organisation,
    keep,
    kept_after_repair,
    organisations_to_check,
)
from provisioning.engine.runner import run_job

WAIT_SECONDS = 300


class Command(BaseCommand):
    help = "Compare what the portal says with what Active Directory holds; optionally repair."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Re-apply what drifted.")
        parser.add_argument("--organisation", metavar="CODE", help="Only this organisation.")

    def handle(self, *args, repair: bool = False, organisation: str | None = None, **options):
        if organisation:
            found = Organisation.objects.filter(code__iexact=organisation).first()
            if found is None:
                raise CommandError(f"No organisation has the code {organisation!r}.")
            organisations = [found]
        else:
            organisations = list(organisations_to_check())
        drifted = failed = 0
        for org in organisations:
            report = check_organisation(org)
            kept = keep(report, repair=repair and bool(report.drift))
            self.show(report)
            if report.error:
                failed += 1
                continue
            if not report.drift:
                continue
            drifted += 1
            if repair:
                job = request_repair(actor=SYSTEM, organisation=org)
                outcome = self.run(job)
                self.stdout.write(f"  repair job {job.pk}: {outcome}")
                after = check_organisation(org)
                kept_after_repair(kept, after)
                self.show(after, prefix="  after repair: ")
        summary = f"{len(organisations)} checked, {drifted} with drift, {failed} not checked"
        self.stdout.write(self.style.SUCCESS(summary) if not (drifted or failed) else summary)
        if failed or (drifted and not repair):
            raise SystemExit(1)

    def run(self, job: Job) -> str:
        outcome = run_job(job.pk)
        if outcome == "skipped":  # a worker took it first: wait for it
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                job.refresh_from_db()
                if job.is_finished:
                    break
                time.sleep(1)
            outcome = job.state
        job.refresh_from_db()
        return job.state + (f" ({job.error})" if job.error else "")

    def show(self, report: Report, prefix: str = "") -> None:
        org = report.organisation
        if report.error:
            self.stdout.write(f"{prefix}{org.code}: {report.error}")
        elif not report.drift:
            self.stdout.write(f"{prefix}{org.code}: in step ({report.checked} objects checked)")
        else:
            self.stdout.write(f"{prefix}{org.code}: {len(report.drift)} difference(s)")
            for drift in report.drift:
                detail = f" ({drift.detail})" if drift.detail else ""
                self.stdout.write(f"{prefix}  {drift.kind:9} {drift.what}: {drift.name}{detail}")
