"""Celery tasks of the core app (the worker imports each app's ``tasks`` module)."""

from core.mail import send_email

__all__ = ["send_email"]
