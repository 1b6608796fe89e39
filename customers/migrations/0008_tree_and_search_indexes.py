"""Indexes for the organisation tree, the searches and the Customers list's sort columns.

- ``organisation_tree_lft`` (tree_id, lft) is the index django-mptt declares only at runtime,
  so until now no migration created it and every subtree query scanned all organisations.
- The GiST and trigram (GIN) indexes need the btree_gist and pg_trgm extensions and exist on
  PostgreSQL only; on SQLite (the laptop run) they are recorded in the migration state but not
  created, so ``makemigrations --check`` stays clean on both.
"""

import django.contrib.postgres.indexes

import customers.models.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension
from django.db import migrations, models


class PostgresOnly:
    """Skip the database side on anything but PostgreSQL (Django's CreateExtension skips
    forwards but queries pg_extension backwards, which fails on SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class BtreeGist(PostgresOnly, BtreeGistExtension):
    pass


class Trigram(PostgresOnly, TrigramExtension):
    pass


class AddPostgresIndex(PostgresOnly, migrations.AddIndex):
    """AddIndex for an index only PostgreSQL can build (GiST, GIN with an operator class)."""


def trigram(expression: str, name: str) -> customers.models.indexes.PostgresGinIndex:
    """A trigram index over UPPER(column): what ``icontains`` compiles to on PostgreSQL."""
    return customers.models.indexes.PostgresGinIndex(
        django.contrib.postgres.indexes.OpClass(
            django.db.models.functions.text.Upper(expression), name="gin_trgm_ops"
        ),
        name=name,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("customers", "0007_userimport_job_in_core"),
    ]

    operations = [
        BtreeGist(),
        Trigram(),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(fields=["tree_id", "lft"], name="organisation_tree_lft"),
        ),
        AddPostgresIndex(
            model_name="organisation",
            index=customers.models.indexes.PostgresGistIndex(
                fields=["tree_id", "lft", "rght"], name="organisation_tree_gist"
            ),
        ),
        AddPostgresIndex(
            model_name="organisation", index=trigram("name", "organisation_name_trgm")
        ),
        AddPostgresIndex(
            model_name="organisation", index=trigram("code", "organisation_code_trgm")
        ),
        AddPostgresIndex(
            model_name="organisation", index=trigram("email", "organisation_email_trgm")
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(fields=["name"], name="organisation_name"),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(fields=["customer_type"], name="organisation_customer_type"),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(fields=["created"], name="organisation_created"),
        ),
        AddPostgresIndex(model_name="domain", index=trigram("name", "domain_name_trgm")),
        AddPostgresIndex(model_name="contact", index=trigram("email", "contact_email_trgm")),
        AddPostgresIndex(model_name="user", index=trigram("username", "user_username_trgm")),
        AddPostgresIndex(model_name="user", index=trigram("upn", "user_upn_trgm")),
        AddPostgresIndex(
            model_name="user", index=trigram("display_name", "user_display_name_trgm")
        ),
    ]
