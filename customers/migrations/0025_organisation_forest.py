"""One django-mptt tree per top-level organisation (issue 15): writes renumber one tree.

Before, each provider's whole hierarchy was one nested set, and creating, moving or deleting
an organisation early in it renumbered up to every row (1.4 s to 8 s at 100,000
organisations). Now a provider's tree holds the provider alone (tree id n * FOREST_SPAN) and
each organisation directly below it roots its own tree (ids n * FOREST_SPAN + 1, + 2 ...),
linked by ``tree_parent`` (django-mptt's parent); ``parent`` stays the business parent.
"""

from django.db import migrations, models
import django.db.models.deletion
import mptt.fields

FOREST_SPAN = 1_000_000  # core.scoping.FOREST_SPAN when this was written

PROVIDERS = """
    CREATE TEMPORARY TABLE canopy_forest_providers AS
    SELECT id, tree_id, ROW_NUMBER() OVER (ORDER BY tree_id, id) * {span} AS forest
    FROM customers_organisation WHERE parent_id IS NULL
"""

FORWARD = [
    PROVIDERS,
    """
    CREATE TEMPORARY TABLE canopy_forest_tops AS
    SELECT c.id, c.tree_id, c.lft, c.rght,
           p.forest + ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY c.lft, c.id) AS new_tree
    FROM customers_organisation c JOIN canopy_forest_providers p ON c.parent_id = p.id
    """,
    # Which top-level organisation each one is below, by the parent links (not the nested
    # sets, which a damaged tree may have wrong).
    """
    CREATE TEMPORARY TABLE canopy_forest_below AS
    WITH RECURSIVE walk(id, top) AS (
        SELECT id, id FROM canopy_forest_tops
        UNION ALL
        SELECT o.id, walk.top FROM customers_organisation o JOIN walk ON o.parent_id = walk.id
    ) SELECT id, top FROM walk
    """,
    # Every organisation below a top-level one moves into that one's tree, renumbered from 1.
    """
    UPDATE customers_organisation
    SET tree_id = t.new_tree,
        lft = customers_organisation.lft - t.lft + 1,
        rght = customers_organisation.rght - t.lft + 1,
        level = customers_organisation.level - 1,
        tree_parent_id = CASE WHEN customers_organisation.id = t.id THEN NULL
                              ELSE customers_organisation.parent_id END
    FROM canopy_forest_below b JOIN canopy_forest_tops t ON t.id = b.top
    WHERE customers_organisation.id = b.id
    """,
    """
    UPDATE customers_organisation
    SET tree_id = p.forest, lft = 1, rght = 2, level = 0, tree_parent_id = NULL
    FROM canopy_forest_providers p WHERE customers_organisation.id = p.id
    """,
    "DROP TABLE canopy_forest_below",
    "DROP TABLE canopy_forest_tops",
    "DROP TABLE canopy_forest_providers",
]

BACKWARD = [
    PROVIDERS,
    # Each top-level tree goes back into its provider's, after the trees before it.
    """
    CREATE TEMPORARY TABLE canopy_forest_tops AS
    SELECT c.id, c.tree_id, c.rght - c.lft + 1 AS size, p.id AS provider,
           p.forest / {span} AS old_tree,
           SUM(c.rght - c.lft + 1) OVER (
               PARTITION BY p.id ORDER BY c.tree_id ROWS UNBOUNDED PRECEDING
           ) - (c.rght - c.lft + 1) + 1 AS shift
    FROM customers_organisation c JOIN canopy_forest_providers p ON c.parent_id = p.id
    """,
    """
    UPDATE customers_organisation
    SET tree_id = t.old_tree,
        lft = customers_organisation.lft + t.shift,
        rght = customers_organisation.rght + t.shift,
        level = customers_organisation.level + 1
    FROM canopy_forest_tops t WHERE customers_organisation.tree_id = t.tree_id
    """,
    """
    UPDATE customers_organisation
    SET tree_id = p.forest / {span}, lft = 1,
        rght = 2 + COALESCE((SELECT SUM(size) FROM canopy_forest_tops t
                             WHERE t.provider = customers_organisation.id), 0),
        level = 0
    FROM canopy_forest_providers p WHERE customers_organisation.id = p.id
    """,
    "UPDATE customers_organisation SET tree_parent_id = parent_id",
    "DROP TABLE canopy_forest_tops",
    "DROP TABLE canopy_forest_providers",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement.format(span=FOREST_SPAN))
        if schema_editor.connection.vendor == "postgresql":
            # The new foreign keys are checked now, so the index below may be built in the
            # same transaction ("pending trigger events" otherwise).
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0024_user_language_db_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="tree_parent",
            field=mptt.fields.TreeForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tree_children",
                to="customers.organisation",
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="children",
                to="customers.organisation",
            ),
        ),
        migrations.AlterField(
            model_name="historicalorganisation",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="customers.organisation",
            ),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
        migrations.AddConstraint(
            model_name="organisation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("tree_parent__isnull", True)),
                fields=("tree_id",),
                name="organisation_one_root_per_tree",
            ),
        ),
    ]
