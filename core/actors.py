"""Who acts: a person (a ``User``) or the portal itself.

Every action takes a required keyword ``actor``. Beat tasks, job completion hooks and
management commands pass ``SYSTEM``: it may do anything, is recorded as nobody in history and
on jobs, and is never ``None``, so a forgotten actor is a ``TypeError``, not a skipped check.
"""

from __future__ import annotations

from typing import Any


class SystemActor:
    """The portal acting on its own behalf (a schedule, a job finishing, a command)."""

    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_superuser = False
    username = "system"

    def __str__(self) -> str:
        return "the system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def recorded_user(actor: Any):
    """The user to store as "done by" (history, ``Job.started_by``): nobody for the system."""
    return None if actor is SYSTEM else actor


def save_recorded(instance: Any, *, actor: Any) -> Any:
    """Validate and save a model ``instance``, its history recording ``actor`` as the one who
    did it; returns the instance."""
    instance._history_user = recorded_user(actor)
    instance.full_clean()
    instance.save()
    return instance
