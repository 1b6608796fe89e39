"""How the sign-in throttle (django-axes) counts: per account, and per account and address.

Two limits, because one cannot do both jobs:

* ``AXES_FAILURE_LIMIT`` wrong passwords for one account from one client address lock that
  account *for that address*. One guesser gets a handful of tries, and cannot lock the
  account's owner out, who signs in from another address.
* ``AXES_ACCOUNT_FAILURE_LIMIT`` wrong passwords for one account from *all* addresses
  together lock the account for everyone until the cool-off ends. That bounds a guesser
  with many addresses; the price is that such a guesser can keep the account locked, which
  is why this limit is much higher than the first.

Both count failures of the last ``AXES_COOLOFF_TIME``.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.conf import settings as axes_settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum


class AccountAndAddressHandler(AxesDatabaseHandler):
    """django-axes' database handler with the two limits described above.

    axes compares one number, ``get_failures``, with ``AXES_FAILURE_LIMIT``: the failures for
    this account from this address, raised to the limit once the account as a whole has
    reached ``AXES_ACCOUNT_FAILURE_LIMIT``.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        recent = AccessAttempt.objects.filter(username=username)
        if axes_settings.AXES_COOLOFF_TIME is not None:
            recent = recent.filter(attempt_time__gte=get_cool_off_threshold(request))
        totals = recent.aggregate(
            account=Sum("failures_since_start"),
            here=Sum("failures_since_start", filter=Q(ip_address=request.axes_ip_address)),
        )
        here = totals["here"] or 0
        if (totals["account"] or 0) >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
            return max(here, get_failure_limit(request, credentials))
        return here
