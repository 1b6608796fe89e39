from core.models.jobs import Job, JobState

__all__ = ["Job", "JobState"]
