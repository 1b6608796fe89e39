"""Cursor pages: the next page is "rows after this id", so page 2,000 costs what page 1 does
(an OFFSET would read and throw away every row before it)."""

from rest_framework.pagination import CursorPagination


class ByIdCursor(CursorPagination):
    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class NewestFirstCursor(ByIdCursor):
    ordering = "-pk"
