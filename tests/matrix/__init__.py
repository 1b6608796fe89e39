"""The permission matrix: every named URL x every cast member -> the expected status.

``test_permission_matrix`` walks the URLconf; a URL with no row here fails it. When you add a
URL, add its row to the module of its app (tests/matrix/<app>.py): how to build its arguments
from the cast, the method, optional POST data, and the status each cast member must get. A
POST that a cast member may not make must also leave the target unchanged (``unchanged``
names what to compare). The shapes the rows share are in tests/matrix/shapes.py; this module
only collects the apps' rows, so no rows module imports another.

A row's key is the URL's name, followed by " <METHOD>" for an API operation other than GET:
every operation of the API (each method each API view answers) needs its own row.
"""

from __future__ import annotations

from tests.matrix import api, billing, customers, portal, provisioning, reports, themes
from tests.matrix.shapes import ROLES, Row

__all__ = ["MATRIX", "ROLES", "Row"]


def _collect(*modules) -> dict[str, Row]:
    matrix: dict[str, Row] = {}
    for module in modules:
        twice = sorted(set(matrix) & set(module.ROWS))
        assert not twice, f"{module.__name__} repeats rows of another app: {twice}"
        matrix.update(module.ROWS)
    return matrix


MATRIX = _collect(portal, customers, provisioning, api, billing, reports, themes)
