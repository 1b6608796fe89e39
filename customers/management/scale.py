"""Bulk data for benchmarks: a whole tenant tree written with bulk inserts.

Saving 100,000 MPTT nodes one by one would rewrite ``lft``/``rght`` of a tree on every
insert. Here the shape is planned in memory, nested-set numbers assigned by one walk per tree
(the provider alone in its own, each organisation directly below it rooting one of its
forest's: ``core.scoping.FOREST_SPAN``), and rows inserted level by level (parents first, so
their primary keys exist) in large batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F

from core.actors import SYSTEM
from core.scoping import within
from customers.actions.roles import grant_role
from customers.management.demo import fresh_password
from customers.models import (
    Domain,
    Organisation,
    OrganisationUserObjectPermission,
    Role,
    RoleGrant,
    User,
)

BATCH = 5000
Progress = Callable[[str, int, int], None]


@dataclass
class PlannedNode:
    code: str
    name: str
    is_reseller: bool
    level: int
    children: list[PlannedNode] = field(default_factory=list)
    tree: int = 0  # which tree of the forest: 0 the provider's, k the k-th top-level one's
    tree_level: int = 0
    lft: int = 0
    rght: int = 0
    row: Organisation | None = None


def plan_tree(prefix: str, organisations: int, fanout: int = 50) -> PlannedNode:
    """A provider, resellers (some nested) and customers: ``organisations`` nodes in all."""
    root = PlannedNode(f"{prefix}P", f"{prefix} Provider", True, 0)
    resellers = max(1, organisations // (fanout + 1))
    reseller_nodes: list[PlannedNode] = []
    for n in range(resellers):
        # Every fifth reseller nests under the previous one: depth grows with the tree.
        parent = reseller_nodes[-1] if n % 5 == 4 else root
        node = PlannedNode(f"{prefix}R{n}", f"{prefix} Reseller {n}", True, parent.level + 1)
        parent.children.append(node)
        reseller_nodes.append(node)
    for n in range(organisations - 1 - resellers):
        parent = reseller_nodes[n % resellers]
        parent.children.append(
            PlannedNode(f"{prefix}C{n}", f"{prefix} Customer {n}", False, parent.level + 1)
        )
    root.lft, root.rght = 1, 2
    for tree, top in enumerate(root.children, start=1):
        _number(top, tree)
    return root


def _number(top: PlannedNode, tree: int) -> None:
    """Assign one tree's nested-set numbers without recursion (the tree can be deep)."""
    counter = 1
    stack: list[tuple[PlannedNode, bool]] = [(top, False)]
    while stack:
        node, done = stack.pop()
        if done:
            node.rght = counter
            counter += 1
            continue
        node.lft, node.tree, node.tree_level = counter, tree, node.level - 1
        counter += 1
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children))


def _levels(root: PlannedNode) -> Iterator[list[tuple[PlannedNode, PlannedNode | None]]]:
    current: list[tuple[PlannedNode, PlannedNode | None]] = [(root, None)]
    while current:
        yield current
        current = [(child, node) for node, _ in current for child in node.children]


def _batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def seed_scale(
    *, organisations: int, users: int, prefix: str = "S", progress: Progress | None = None
) -> Organisation:
    """Insert a tree of ``organisations`` nodes and ``users`` users spread over customers."""
    report = progress or (lambda stage, done, total: None)
    forest = Organisation.objects.next_tree_id(None)
    root = plan_tree(prefix, organisations)
    allowed = list(Role.objects.filter(name__in=["Customer Admin", "Help Desk", "User"]))
    done = 0
    customers: list[Organisation] = []
    for level in _levels(root):
        rows = [
            Organisation(
                code=node.code,
                name=node.name,
                is_reseller=node.is_reseller,
                parent=parent.row if parent else None,
                tree_parent=parent.row if parent and parent is not root else None,
                tree_id=forest + node.tree,
                lft=node.lft,
                rght=node.rght,
                level=node.tree_level,
            )
            for node, parent in level
        ]
        for batch in _batches(rows):
            Organisation.objects.bulk_create(batch)
            done += len(batch)
            report("organisations", done, organisations)
        for (node, _), row in zip(level, rows, strict=True):
            node.row = row
            if not node.is_reseller:
                customers.append(row)
    through = Organisation.allowed_roles.through
    links = [through(organisation_id=c.pk, role_id=r.pk) for c in customers for r in allowed]
    done = 0
    report("role links", done, len(links))
    for batch in _batches(links):
        through.objects.bulk_create(batch)
        done += len(batch)
        report("role links", done, len(links))
    domains = [
        Domain(organisation=c, name=f"{c.code.lower()}.scale.example", is_primary=True)
        for c in customers
    ]
    done = 0
    report("domains", done, len(domains))
    for batch in _batches(domains):
        Domain.objects.bulk_create(batch)
        done += len(batch)
        report("domains", done, len(domains))
    targets = customers or [root.row]
    made = 0
    if users:
        report("users", made, users)
    while made < users:
        batch = []
        for n in range(made, min(users, made + BATCH)):
            organisation = targets[n % len(targets)]
            username = f"{prefix.lower()}u{n}"
            batch.append(
                User(
                    username=username,
                    upn=f"{username}@{organisation.code.lower()}.scale.example",
                    first_name="Scale",
                    last_name=f"User {n}",
                    display_name=f"Scale User {n}",
                    organisation=organisation,
                    is_admin=n < len(targets),
                    password="!",  # unusable: scale users never sign in
                )
            )
        User.objects.bulk_create(batch)
        made += len(batch)
        report("users", made, users)
    return root.row


@dataclass(frozen=True)
class ScaleLogin:
    username: str
    password: str
    role: str
    organisation: Organisation


def mid_size_reseller(root: Organisation) -> Organisation:
    """The reseller whose subtree is the median size among the tree's resellers: what a
    typical reseller admin sees, neither the smallest nor the nested giant."""
    resellers = list(
        Organisation.objects.filter(within(root), is_reseller=True)
        .exclude(pk=root.pk)
        .annotate(size=F("rght") - F("lft"))
        .order_by("size", "lft")
    )
    return resellers[len(resellers) // 2] if resellers else root


@transaction.atomic
def create_logins(root: Organisation, prefix: str) -> list[ScaleLogin]:
    """A provider admin of the tree and a reseller admin of a mid-size reseller, each with a
    fresh password, so the pages can be measured as those people see them."""
    logins = []
    for stem, role_name, organisation in (
        ("provider", "Provider Admin", root),
        ("reseller", "Reseller Admin", mid_size_reseller(root)),
    ):
        username = f"{prefix.lower()}{stem}"
        password = fresh_password()
        user = User(
            username=username,
            upn=f"{username}@{organisation.code.lower()}.scale.example",
            first_name="Scale",
            last_name=role_name,
            display_name=f"Scale {role_name}",
            organisation=organisation,
            is_admin=True,
        )
        user.set_password(password)
        user.save()
        grant_role(
            actor=SYSTEM,
            user=user,
            organisation=organisation,
            role=Role.objects.get(name=role_name, organisation__isnull=True),
        )
        logins.append(ScaleLogin(username, password, role_name, organisation))
    return logins


# What a scale run writes: fresh statistics for each, or the planner guesses from empty tables.
def analysed_tables() -> list[str]:
    return [
        model._meta.db_table
        for model in (
            Organisation,
            Organisation.allowed_roles.through,
            Domain,
            User,
            RoleGrant,
            OrganisationUserObjectPermission,
        )
    ]


def analyze(progress: Progress | None = None) -> None:
    """ANALYZE the tables a scale run filled (after its transaction committed)."""
    report = progress or (lambda stage, done, total: None)
    tables = analysed_tables()
    report("analyze", 0, len(tables))
    with connection.cursor() as cursor:
        for done, table in enumerate(tables, start=1):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            report("analyze", done, len(tables))
