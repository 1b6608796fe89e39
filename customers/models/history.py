"""What every history row of a customer's objects carries besides simple-history's own."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

_deletions = threading.local()


@contextmanager
def deletion_history_in_bulk() -> Iterator[None]:
    """Inside this block the "-" history rows simple-history writes for every object a
    delete cascades to are collected and inserted once per history table at its end, not
    one INSERT (and one model save) per object: purging a customer with its users wrote
    one row per user, a third of the purge's time. The rows are the same; call it inside
    the transaction that deletes."""
    if getattr(_deletions, "rows", None) is not None:
        yield  # an outer block inserts them
        return
    _deletions.rows = rows = {}
    try:
        yield
    finally:
        _deletions.rows = None
    for model, batch in rows.items():
        model._default_manager.bulk_create(batch)


class ActingHistory(models.Model):
    """``history_acting_actor``: who really made the change while acting as ``history_user``
    (Login to CP). Empty for every ordinary change; written by
    ``customers.actions.acting.record_acting_actor`` from the request being served."""

    history_acting_actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("Acting"),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        rows = getattr(_deletions, "rows", None)
        if rows is not None and self.history_type == "-" and self._state.adding:
            rows.setdefault(type(self), []).append(self)
            return
        super().save(*args, **kwargs)
