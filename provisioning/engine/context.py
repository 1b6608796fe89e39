"""What a step sees while it runs: the job, the directory connection, and a recorder.

The context also keeps the job's log and progress, writing them to the row at most every
``FLUSH_SECONDS`` (and at the end), so a plan with thousands of steps does not rewrite the
log thousands of times. A worker killed between two writes loses only log lines: the steps
themselves are idempotent and run again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from ldap3 import Connection

from core.credentials import decrypt_secret
from core.models import Job
from directory import DirectoryConfig, get_connection
from provisioning.engine import rows
from provisioning.job_plans.layout import Layout

if TYPE_CHECKING:
    from provisioning.job_plans.base import Step

FLUSH_SECONDS = 0.5
MAX_OBJECTS_PER_ENTRY = 50


class StepContext:
    """Handed to every ``Step.run``. Plans use: ``conn``, ``config``, ``job``, ``layout``,
    ``state`` (a dict shared by the steps of one attempt), ``touched()``, ``note()``,
    ``password()``, ``save_payload()`` and ``then()``."""

    def __init__(self, job: Job, claim: rows.Claim, config: DirectoryConfig | None) -> None:
        self.job = job
        self.claim = claim
        self.config = config
        self.state: dict[str, Any] = {}
        self._layout: Layout | None = None
        self._log: list[dict[str, Any]] = list(job.log or [])
        self._dirty: dict[str, Any] = {}
        self._last_flush = time.monotonic()
        self._objects: list[str] = []
        self._notes: list[str] = []
        self._pending: list[Step] = []
        self.steps_done = 0
        self.steps_total = 0

    # --- for steps ---------------------------------------------------------------------

    @property
    def conn(self) -> Connection:
        """This process's directory connection (reopened after a transient failure)."""
        assert self.config is not None, "steps run only with a configured directory"
        return get_connection(self.config)

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            assert self.config is not None
            self._layout = Layout(self.config)
        return self._layout

    def touched(self, *dns: str) -> None:
        """Record directory objects this step created, changed or checked."""
        for dn in dns:
            if dn and dn not in self._objects:
                self._objects.append(dn)

    def note(self, text: str) -> None:
        """Add a sentence to this step's log entry ("already there", "renamed back")."""
        self._notes.append(text)

    def password(self) -> str | None:
        """The job's password, decrypted now, for this step only. Never log or store it."""
        if not self.job.secret:
            return None
        return decrypt_secret(self.job.secret)

    def save_payload(self) -> None:
        """Persist ``job.payload`` now (a step that must remember something across attempts,
        such as which accounts were enabled before a suspension)."""
        self._dirty["payload"] = self.job.payload
        self.flush(force=True)

    def progress(self, done: int, total: int) -> None:
        """Progress inside one long step (a reconcile reading 10,000 accounts): the job's
        bar shows ``done`` of ``total`` while it runs, and this step counts as the last
        unit, so the bar ends full when it is done. Written at most every FLUSH_SECONDS."""
        self.steps_total = total + 1
        self.steps_done = min(done, total)
        self._dirty.update(steps_total=self.steps_total, steps_done=self.steps_done)
        self.flush()

    def then(self, steps: list[Step]) -> None:
        """Run these steps right after the current one (for work discovered while running,
        such as one step per account found in an OU); the progress total grows with them."""
        self._pending.extend(steps)

    # --- for the runner -------------------------------------------------------------------

    def log(self, message: str, *, level: str = "info", step: int | None = None) -> None:
        entry: dict[str, Any] = {
            "at": timezone.now().isoformat(timespec="seconds"),
            "attempt": self.claim.attempt,
            "level": level,
            "message": message,
        }
        if step is not None:
            entry["step"] = step
        if self._objects:
            entry["objects"] = self._objects[:MAX_OBJECTS_PER_ENTRY]
            if len(self._objects) > MAX_OBJECTS_PER_ENTRY:
                entry["more_objects"] = len(self._objects) - MAX_OBJECTS_PER_ENTRY
        self._log.append(entry)
        self._objects = []
        self._dirty["log"] = self._log

    def begin_step(self) -> None:
        self._objects = []
        self._notes = []
        self._pending = []

    def end_step(self, step: Step, number: int) -> list[Step]:
        """Log the finished step, count it, and hand back the steps it added."""
        message = step.message
        if self._notes:
            message = f"{message}: {'; '.join(self._notes)}"
        self.log(message, step=number)
        self.steps_done += 1
        added, self._pending = self._pending, []
        self.steps_total += len(added)
        self._dirty["steps_done"] = self.steps_done
        self._dirty["steps_total"] = self.steps_total
        return added

    def erase_secret(self) -> None:
        self.job.secret = ""
        self._dirty["secret"] = ""
        self.flush(force=True)

    def set_total(self, total: int) -> None:
        self.steps_total = total
        self.steps_done = 0
        self._dirty.update(steps_total=total, steps_done=0)

    def flush(self, *, force: bool = False) -> None:
        """Write the pending log/progress to the row (raises LostClaim if not ours)."""
        now = time.monotonic()
        if not force and now - self._last_flush < FLUSH_SECONDS:
            return
        rows.update_running(self.claim, **self._dirty)
        self._dirty = {}
        self._last_flush = now

    def pending_fields(self) -> dict[str, Any]:
        """What has not been written yet (the runner folds it into the final update)."""
        fields, self._dirty = self._dirty, {}
        return fields
