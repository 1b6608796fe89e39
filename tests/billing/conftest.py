import pytest

from core import jobs


@pytest.fixture(autouse=True)
def no_job_messages(monkeypatch):
    """Jobs the billing tests request (a suspension, a resume) are run by the test itself
    where it needs them: no message goes to the shared broker, where another worktree's
    worker could take it."""
    sent: list[int] = []
    monkeypatch.setattr(
        jobs, "send_run_message", lambda job_id, countdown=None: sent.append(job_id)
    )
    return sent


@pytest.fixture(autouse=True)
def private_media(tmp_path, settings):
    """Invoice PDFs go to the test's own directory, not the worktree's .state."""
    settings.MEDIA_ROOT = tmp_path / "private"
