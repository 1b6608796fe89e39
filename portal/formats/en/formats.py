"""English as the portal has always shown it: British day-month-year dates ("1 Dec 2026",
"01/12/2026"), where Django's ``en`` would give "Dec. 1, 2026" and "12/01/2026"."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
