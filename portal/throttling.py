"""How the sign-in throttle (django-axes) counts: per account, and per account and address.

Two limits, because one cannot do both jobs:

* ``AXES_FAILURE_LIMIT`` wrong passwords for one account from one client address lock that
  account *for that address*. One guesser gets a handful of tries, and cannot lock the
  account's owner out, who signs in from another address.
* ``AXES_ACCOUNT_FAILURE_LIMIT`` wrong passwords for one account from *all* addresses
  together lock the account for everyone until the cool-off ends. That bounds a guesser
  with many addresses; the price is that such a guesser can keep the account locked, which
  is why this limit is much higher than the first.

Both count failures of the last ``AXES_COOLOFF_TIME``. The client address comes from
``client_ip``: behind a reverse proxy every request comes from the proxy, and counting by
that address would let five bad posts lock an account out for every client at once.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.conf import settings as axes_settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from ipware import get_client_ip


def client_ip(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the address of the client, not of our reverse proxy.

    Each of our ``TRUSTED_PROXY_COUNT`` proxies appends the address it was connected from to
    ``X-Forwarded-For``; the last proxy is ``REMOTE_ADDR``. So, counting ``REMOTE_ADDR`` as
    the chain's last link, the client is the link just before our proxies. Anything further
    left was written by the client and proves nothing. With no trusted proxy (the default),
    the header is ignored: anyone can send it.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").strip()
    if proxies == 0 or not forwarded or not remote:
        return remote
    chain = {"HTTP_X_FORWARDED_FOR": f"{forwarded}, {remote}"}
    address, _routable = get_client_ip(
        _Meta(chain),
        proxy_order="left-most",
        proxy_count=proxies,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    # Fewer links than proxies: the request did not come through all of them.
    return address or remote


class _Meta:
    """The one attribute of a request that ipware reads."""

    def __init__(self, meta: dict[str, str]) -> None:
        self.META = meta


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
