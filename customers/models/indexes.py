"""Indexes only PostgreSQL can build (trigram GIN, GiST), declared once on the models.

On SQLite (the laptop run) they are no-ops: SQLite cannot build them, and it rebuilds a
whole table, with every index the model declares, whenever a migration alters a column, so
skipping them only in the migration that adds them is not enough.
"""

from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.db.models.functions import Upper


class PostgresOnlyIndexMixin:
    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)


class PostgresGinIndex(PostgresOnlyIndexMixin, GinIndex):
    pass


class PostgresGistIndex(PostgresOnlyIndexMixin, GistIndex):
    pass


def trigram_index(column: str, name: str) -> PostgresGinIndex:
    """A trigram index over UPPER(column): ``icontains`` compiles to UPPER(column) LIKE
    UPPER(term) on PostgreSQL, which only an index over the same expression can serve."""
    return PostgresGinIndex(OpClass(Upper(column), name="gin_trgm_ops"), name=name)
