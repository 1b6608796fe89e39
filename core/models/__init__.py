from core.models.drift import DriftReport, QuarantinedObject, QuarantineState
from core.models.idempotency import IdempotentRequest
from core.models.jobs import Job, JobState

__all__ = [
    "DriftReport",
    "IdempotentRequest",
    "Job",
    "JobState",
    "QuarantineState",
    "QuarantinedObject",
]
