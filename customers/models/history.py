"""What every history row of a customer's objects carries besides simple-history's own."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
