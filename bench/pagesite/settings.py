"""Benchmark-only settings for bench/pages.py: the portal's, plus two baseline views.

Never used by the product: only ``bench/pages.py`` points gunicorn at this module.
"""

from pathlib import Path

from portal.settings import *  # noqa: F403
from portal.settings import TEMPLATES

ROOT_URLCONF = "bench.pagesite.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).parent / "templates"]
