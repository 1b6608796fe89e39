"""Jobs: every change to the directory is a row here first, then a Celery message.

The row lives in ``core`` because every app requests jobs (``core.jobs.request_job``); only
``provisioning`` runs them. The table keeps its first name, ``provisioning_job``.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Job(models.Model):
    """One unit of directory work, run in idempotent steps by a worker.

    The row is the source of truth: the broker message only says "run job N". A worker claims
    the job with a conditional update, records each step in ``log`` and ``steps_done``, and
    ends it succeeded or failed. ``secret`` holds an encrypted password while it travels to
    the step that needs it, and is erased when that step is done.
    """

    kind = models.CharField(max_length=50, db_index=True)
    organisation = models.ForeignKey(
        "customers.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_jobs",
        help_text=_("The user this job acts on, if any."),
    )
    target_label = models.CharField(
        max_length=300, help_text=_("What the job acts on, kept after the target is deleted.")
    )
    lock_key = models.CharField(
        max_length=100, db_index=True, help_text=_("Jobs with the same key never run at once.")
    )
    state = models.CharField(
        max_length=20, choices=JobState.choices, default=JobState.QUEUED, db_index=True
    )
    payload = models.JSONField(default=dict, blank=True)
    secret = models.TextField(blank=True, help_text=_("Encrypted credential, erased after use."))
    attempts = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    log = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="started_jobs",
    )
    worker = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    run_after = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "The id of the request that asked for the job: its log lines and the worker's carry it."
        ),
    )

    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_jobs", "change": "manage_jobs"}

    class Meta:
        db_table = "provisioning_job"
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(
                fields=["organisation", "-created"], name="provisionin_organis_fe579e_idx"
            ),
            models.Index(fields=["lock_key", "state"], name="provisionin_lock_ke_451fef_idx"),
        ]
        constraints = [
            # The per-target lock: a claim that would make a second job with the same key
            # "running" violates this index and is refused (PostgreSQL and SQLite alike).
            models.UniqueConstraint(
                fields=["lock_key"],
                condition=models.Q(state="running"),
                name="one_running_job_per_lock_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target_label}"

    def get_absolute_url(self) -> str:
        return reverse("provisioning:job_detail", args=[self.pk])

    def get_kind_display(self) -> str:
        return self.kind.replace("_", " ").capitalize()

    @property
    def is_finished(self) -> bool:
        return self.state in {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}

    @property
    def progress_percent(self) -> int:
        if self.state == JobState.SUCCEEDED:
            return 100
        if not self.steps_total:
            return 0
        return min(100, round(100 * self.steps_done / self.steps_total))
