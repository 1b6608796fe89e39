"""Customer pages. Every object is fetched through the scoping API: a foreign one is a 404,
a visible one the viewer may not act on is a 403 (``core.scoping``)."""
