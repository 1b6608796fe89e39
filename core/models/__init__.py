from core.models.drift import DriftReport, QuarantinedObject, QuarantineState
from core.models.jobs import Job, JobState

__all__ = ["DriftReport", "Job", "JobState", "QuarantineState", "QuarantinedObject"]
