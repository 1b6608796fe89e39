"""The Usage report: per customer and service, the seats of each day, the peak and the
average over a period, and the subtree's seats per service per day for the chart.

The seats come from the daily usage snapshots (``UsageSnapshot``). The chart sums a whole
subtree, which at 100,000 customers means millions of snapshot rows a month; it reads the
daily rollup instead (``UsageRollup``: per issuer, service and day), plus the snapshots of the
subtree's own top organisation, which no issuer inside the subtree bills.

The Reseller service holds no seats and is left out.

The average is over the days the subscription has a snapshot in the period (the days it
existed), so a service taken mid-month is not averaged down by the days before it.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Exists, Max, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from billing.models import UsageRollup, UsageSnapshot
from core.charts import Series
from core.scoping import EVERYTHING, SubtreeRange, has_permission, ranges_for, scope_q, within
from customers.models import CustomerService, Organisation
from customers.models.services import ServiceType

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> list[datetime.date]:
        return [
            self.start + datetime.timedelta(days=n) for n in range((self.end - self.start).days + 1)
        ]

    @classmethod
    def month_of(cls, day: datetime.date) -> Period:
        """The calendar month ``day`` falls in."""
        start = day.replace(day=1)
        following = (start + datetime.timedelta(days=32)).replace(day=1)
        return cls(start, following - datetime.timedelta(days=1))

    @classmethod
    def month_before(cls, day: datetime.date) -> Period:
        """The calendar month before the one ``day`` falls in."""
        return cls.month_of(day.replace(day=1) - datetime.timedelta(days=1))

    @classmethod
    def default(cls, today: datetime.date) -> Period:
        """The 30 days up to yesterday (today's snapshot is taken tomorrow)."""
        end = today - datetime.timedelta(days=1)
        return cls(end - datetime.timedelta(days=29), end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def _average(value) -> Decimal:
    return Decimal(value or 0).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _organisations(condition: Q):
    """The ids of the organisations ``condition`` selects, as a subquery: the tree's own
    index finds them, and the rollup is then read per issuer on its unique index (issuer,
    service, day), however small the subtree, rather than scanning the period's rows."""
    return Organisation.objects.filter(condition).values("pk")


def subscriptions(root: Organisation, period: Period):
    """The subscriptions in ``root``'s subtree with usage in ``period``, in tree order (a
    customer's services together, by name): what the page's table pages through."""
    used = UsageSnapshot.objects.filter(
        subscription=OuterRef("pk"), day__gte=period.start, day__lte=period.end
    )
    return (
        CustomerService.objects.filter(within(root, "organisation__"))
        .exclude(service__service_type=ServiceType.RESELLER)
        .filter(Exists(used))
        .select_related("organisation", "service")
        .order_by("organisation__tree_id", "organisation__lft", "service__name", "pk")
    )


def peaks_and_averages(ids: list[int], period: Period) -> dict[int, tuple[int, Decimal]]:
    """(peak, average) seats of each subscription in ``ids`` over ``period``: one query."""
    rows = (
        UsageSnapshot.objects.filter(
            subscription_id__in=ids, day__gte=period.start, day__lte=period.end
        )
        .values("subscription_id")
        .annotate(peak=Max("seats"), average=Avg("seats"))
        .order_by()
    )
    return {row["subscription_id"]: (row["peak"], _average(row["average"])) for row in rows}


# Up to this many organisations in a subtree, its snapshots are summed directly: an index
# walk over a few thousand rows beats reading the rollup (whose rows for a month are the
# same few thousand at any subtree size). Above it, the rollup: bench/usage_report.py.
DIRECT_UP_TO = 1000


def _subtree_size(ranges) -> int | None:
    """Organisations in ``ranges`` by their nested-set numbers; None for a provider's
    whole forest, whose size its own tree does not tell (it holds the provider alone)."""
    if any(subtree.whole_forest for subtree in ranges):
        return None
    return sum((subtree.rght - subtree.lft + 1) // 2 for subtree in ranges)


def _sum_by_service_and_day(queryset, service: str, totals) -> None:
    rows = (
        queryset.exclude(**{f"{service}__service_type": ServiceType.RESELLER})
        .values_list(f"{service}__name", "day")
        .annotate(total=Sum("seats"))
        .order_by()
    )
    for name, day, seats in rows:
        totals[name][day] += seats


def _totals(ranges, period: Period) -> dict[str, dict[datetime.date, int]]:
    """Seats per service per day in the subtrees ``ranges`` (or everything). Small subtrees:
    one query over their snapshots. Large ones: the rollup of every issuer inside them plus
    the snapshots of their top organisations (no issuer inside bills those): two queries."""
    totals: dict[str, dict[datetime.date, int]] = defaultdict(lambda: defaultdict(int))
    days = {"day__gte": period.start, "day__lte": period.end}
    size = None if ranges == EVERYTHING else _subtree_size(ranges)
    if size is not None and size <= DIRECT_UP_TO:
        _sum_by_service_and_day(
            UsageSnapshot.objects.filter(scope_q(ranges, "organisation__"), **days),
            "subscription__service",
            totals,
        )
        return totals
    if ranges == EVERYTHING:
        issuers = Q()
        tops = Q(parent__isnull=True)
    else:
        issuers = Q(issuer__in=_organisations(scope_q(ranges, "")))
        tops = Q(pk__in=[])
        for subtree in ranges:
            tops |= Q(tree_id=subtree.tree_id, lft=subtree.lft)
    _sum_by_service_and_day(
        # Through the tops' subscriptions: the (subscription, day) index, not a scan of every
        # snapshot of the period on (day, organisation).
        UsageSnapshot.objects.filter(
            subscription__in=CustomerService.objects.filter(
                organisation__in=_organisations(tops)
            ).values("pk"),
            **days,
        ),
        "subscription__service",
        totals,
    )
    _sum_by_service_and_day(UsageRollup.objects.filter(issuers, **days), "service", totals)
    return totals


def daily_totals(root: Organisation, period: Period) -> dict[str, dict[datetime.date, int]]:
    """Seats per service name per day in ``root``'s subtree: the chart's data."""
    return _totals((SubtreeRange(root.tree_id, root.lft, root.rght),), period)


def chart_series(root: Organisation, period: Period) -> tuple[list[str], list[Series]]:
    """(x labels, one series per service) for ``core.charts.line_chart``; a day without a
    snapshot in the subtree draws no point rather than a zero."""
    totals = daily_totals(root, period)
    days = period.days
    labels = [day.strftime("%d %b") for day in days]
    series = [
        Series(name, [per_day.get(day) for day in days]) for name, per_day in sorted(totals.items())
    ]
    return labels, series


def headers(period: Period) -> list[str]:
    return [
        _("Code"),
        _("Customer"),
        _("Service"),
        _("Peak"),
        _("Average"),
        *(day.isoformat() for day in period.days),
    ]


def rows(root: Organisation, period: Period) -> Iterator[list[object]]:
    """One row per customer and service of ``root``'s subtree with usage in ``period``:
    code, name, service, peak, average, then the seats of each day (empty: no snapshot).
    Streams the snapshots in tree order, so a whole provider's export holds one
    subscription in memory at a time."""
    days = period.days
    index = {day: n for n, day in enumerate(days)}
    snapshots = (
        UsageSnapshot.objects.filter(
            within(root, "organisation__"), day__gte=period.start, day__lte=period.end
        )
        .exclude(subscription__service__service_type=ServiceType.RESELLER)
        .order_by(
            "organisation__tree_id",
            "organisation__lft",
            "subscription__service__name",
            "subscription_id",
            "day",
        )
        .values_list(
            "subscription_id",
            "organisation__code",
            "organisation__name",
            "subscription__service__name",
            "day",
            "seats",
        )
    )
    for _key, group in itertools.groupby(
        snapshots.iterator(chunk_size=5000), key=lambda row: row[0]
    ):
        group = list(group)
        _id, code, name, service = group[0][:4]
        seats: list[int | None] = [None] * len(days)
        for row in group:
            seats[index[row[4]]] = row[5]
        present = [s for s in seats if s is not None]
        average = _average(Decimal(sum(present)) / len(present))
        yield [code, name, service, max(present), average, *seats]


@dataclass(frozen=True)
class ServiceSeats:
    service: str
    latest: int
    latest_day: datetime.date
    peak: int


def month_summary(user, acting: Organisation | None, today: datetime.date) -> list[ServiceSeats]:
    """Seats per service this month (to yesterday) in what ``user`` may see of billing
    (inside ``acting``, if they act in an organisation): the dashboard's summary, in at most
    two queries whatever the size of the tree (``_totals``)."""
    # The month of yesterday (the last day counted): on the 1st, the month that just ended.
    period = Period.month_of(today - datetime.timedelta(days=1))
    if acting is not None:
        if not has_permission(user, "view_billing", acting):
            return []
        ranges = (SubtreeRange(acting.tree_id, acting.lft, acting.rght),)
    else:
        ranges = ranges_for(user, "view_billing")
        if not ranges:
            return []
    totals = _totals(ranges, period)
    summary = []
    for name, per_day in sorted(totals.items()):
        latest_day = max(per_day)
        summary.append(ServiceSeats(name, per_day[latest_day], latest_day, max(per_day.values())))
    return summary
