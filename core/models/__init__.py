from core.models.idempotency import IdempotentRequest
from core.models.jobs import Job, JobState

__all__ = ["IdempotentRequest", "Job", "JobState"]
