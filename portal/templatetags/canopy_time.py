"""Times as a person reads them: relative ("3 minutes ago"), the exact local time on hover.

Job logs store their times as ISO 8601 strings in JSON; model fields are datetimes. Both come
out as ``<time datetime="..." title="...">``, so a screen reader and a copy-paste still get
the exact moment.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

register = template.Library()

EXACT_FORMAT = "Y-m-d H:i:s T"


def _as_datetime(value) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            return None
        if moment is None:
            return None
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


@register.filter
def when(value):
    """``{{ job.created|when }}`` or ``{{ entry.at|when }}``: relative, exact on hover."""
    if value in (None, ""):
        return ""
    moment = _as_datetime(value)
    if moment is None:
        return value  # not a time: show what was stored rather than nothing
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(timespec="seconds"),
        format_date(local, EXACT_FORMAT),
        naturaltime(moment),
    )
