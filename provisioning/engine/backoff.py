"""How long a job waits before its next attempt after a transient failure."""

from __future__ import annotations

import random

from django.conf import settings


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half the delay fixed, half random.

    ``attempt`` is the attempt that just failed (1 for the first). The delay doubles per
    attempt from ``JOB_RETRY_BASE_SECONDS`` and never exceeds ``JOB_RETRY_MAX_SECONDS``;
    jitter spreads jobs that failed together (a DC restart) so they do not return together.
    """
    draw = (rng or random).random()
    base = float(settings.JOB_RETRY_BASE_SECONDS)
    ceiling = float(settings.JOB_RETRY_MAX_SECONDS)
    delay = min(ceiling, base * 2 ** max(0, attempt - 1))
    return delay / 2 + draw * delay / 2
