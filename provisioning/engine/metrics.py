"""The engine's Prometheus metrics: job durations and failures by kind, queue depth by state.

Durations and failures are recorded by the worker process that runs the job. With
``PROMETHEUS_MULTIPROC_DIR`` set (production, see README "Metrics") prometheus_client writes
them to files in that directory, and the web process's ``/metrics`` adds up every process's
files, the workers' included. The queue depth is not a number any one process keeps: it is
counted in the database when Prometheus scrapes (``QueueDepthCollector``).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.models import Job, JobState

JOB_DURATION = Histogram(
    "canopy_job_duration_seconds",
    "Wall-clock time of one attempt of a job, by kind and outcome",
    ["kind", "outcome"],
    # From a one-step membership change to a bulk import of thousands of accounts.
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
JOB_FAILURES = Counter(
    "canopy_job_failures",
    "Jobs that failed for good (after their last attempt), by kind",
    ["kind"],
)
JOB_RETRIES = Counter(
    "canopy_job_retries",
    "Attempts that met a transient error and were queued again, by kind",
    ["kind"],
)
JOB_ABANDONED = Counter(
    "canopy_job_abandoned",
    "Running jobs whose worker stopped answering, queued again by the sweeper, by kind",
    ["kind"],
)

# The states a job waits or works in; finished jobs are history, not queue.
OPEN_STATES = (JobState.QUEUED, JobState.RUNNING)


def record_attempt(kind: str, outcome: str, seconds: float) -> None:
    """``outcome`` is what ``runner.run_job`` returns; "skipped" attempts never ran."""
    if outcome == "skipped":
        return
    JOB_DURATION.labels(kind=kind, outcome=outcome).observe(seconds)
    if outcome == "failed":
        JOB_FAILURES.labels(kind=kind).inc()
    elif outcome == "retrying":
        JOB_RETRIES.labels(kind=kind).inc()


def queue_depth() -> dict[str, int]:
    """Open jobs by state: one query on the ``state`` index, only the open states' rows."""
    counts = dict.fromkeys((str(state) for state in OPEN_STATES), 0)
    rows = (
        Job.objects.filter(state__in=OPEN_STATES)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    counts.update(dict(rows))
    return counts


class QueueDepthCollector(Collector):
    """Registered on the scrape's own registry (``portal.metrics``), never globally: a
    module-level registration would query the database at import time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "canopy_jobs", "Jobs waiting (queued, retries included) or running", labels=["state"]
        )
        for state, n in queue_depth().items():
            gauge.add_metric([state], n)
        yield gauge
