"""Celery tasks of the customers app: thin, each calls an action."""

from __future__ import annotations

from celery import shared_task

from customers.actions.verification import check_pending_domains as check_pending


@shared_task(name="customers.check_pending_domains", ignore_result=True)
def check_pending_domains() -> dict[str, int]:
    """Look for the DNS TXT record of every domain not verified yet."""
    return check_pending()
