"""How a step says what went wrong, sorted by what the engine does about it.

- `directory.TransientDirectoryError` (the DC is down, busy, slow): queued again with
  exponential backoff and jitter, up to ``JOB_MAX_ATTEMPTS``.
- `JobFailed` and `directory.PermanentDirectoryError`: the job fails at once; the message
  is shown to people on the job page, so write it for them (what is wrong, what to do).
- anything else is a bug: the job fails with a short notice, the traceback goes to the
  worker log only.
"""

from __future__ import annotations


class JobFailed(Exception):
    """An expected failure with a message a person understands; the job can be retried."""


class LostClaim(Exception):
    """Another worker (or the sweeper) took the job over: stop without touching it."""


INTERNAL_ERROR_MESSAGE = (
    "An internal error stopped this job. The details are in the worker's log "
    "(search it for job {job_id}); retrying may help once the cause is fixed."
)
