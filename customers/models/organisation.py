"""The organisation tree: provider at the root, resellers below it, customers as leaves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Max, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey
from simple_history.models import HistoricalRecords

from core.scoping import (
    FOREST_SPAN,
    RestrictedManager,
    ScopedTreeQuerySet,
    SubtreeRange,
    forest_of,
    is_forest_root,
)
from customers.models.branding import Theme
from customers.models.history import ActingHistory
from customers.models.indexes import PostgresGistIndex, trigram_index
from customers.models.validators import UNAVAILABLE_FIELD, validate_code


class OrganisationType(models.TextChoices):
    STANDARD = "standard", _("Standard")
    TEST = "test", _("Test")
    DEMO = "demo", _("Demo")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    DEPROVISIONING = "deprovisioning", _("Deprovisioning")
    DEPROVISIONED = "deprovisioned", _("Deprovisioned")
    DELETED = "deleted", _("Deleted")
    FAILED = "failed", _("Failed")


# On the way out of the directory, or gone: nothing new may be given to or put below them.
CLOSED_STATES = frozenset({Status.DEPROVISIONING, Status.DEPROVISIONED, Status.DELETED})


class Tag(models.Model):
    """A free label on organisations, used to filter lists (Availability tags)."""

    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationManager(RestrictedManager.from_queryset(ScopedTreeQuerySet)):
    """Default manager: a tree manager whose querysets can be restricted to a user's scope."""

    def next_tree_id(self, provider: Organisation | None) -> int:
        """A free tree id: the next provider's forest (``provider`` None), or the next tree
        of ``provider``'s forest. Call with the provider's row locked (``lock_tree``)."""
        if provider is None:
            top = self.aggregate(top=Max("tree_id"))["top"] or 0
            return forest_of(top) + FOREST_SPAN
        forest = forest_of(provider.tree_id)
        top = self.filter(tree_id__gte=forest, tree_id__lt=forest + FOREST_SPAN).aggregate(
            top=Max("tree_id")
        )["top"]
        tree_id = (top or forest) + 1
        if tree_id >= forest + FOREST_SPAN:
            raise ValueError(f"{provider} has no free tree id left.")
        return tree_id

    def _get_next_tree_id(self):
        # django-mptt's own choice (the highest id + 1) would put a tree outside its forest;
        # Organisation.save places every root before mptt looks.
        raise RuntimeError("Organisation trees are placed by Organisation.save (the forest).")

    def rebuild(self, batch_size: int = 1000, **filters) -> None:
        """Rebuild every tree from the ``parent`` links: the tree parents first (none for a
        provider and for what is directly below one), then each tree's nested-set numbers.
        A root keeps its tree id when it is already a right one; others get a free one."""
        if filters:
            raise ValueError("Organisation trees are rebuilt whole.")
        rows = {o.pk: o for o in self.all().order_by("tree_id", "lft", "pk")}
        by_parent: dict[int | None, list[Organisation]] = {}
        for row in rows.values():
            by_parent.setdefault(row.parent_id, []).append(row)
        taken: set[int] = set()
        providers = by_parent.get(None, [])
        for provider in providers:
            if (
                not provider.tree_id
                or not is_forest_root(provider.tree_id)
                or (provider.tree_id in taken)
            ):
                provider.tree_id = 0
            taken.add(provider.tree_id)
        next_forest = max(taken | {0})
        for provider in providers:
            if provider.tree_id == 0:
                next_forest = forest_of(next_forest) + FOREST_SPAN
                provider.tree_id = next_forest
                taken.add(next_forest)
        updated: list[Organisation] = []

        def number(node: Organisation, tree_id: int, left: int, level: int) -> int:
            # Recursion is fine: the hierarchy is a few levels deep.
            node.tree_id, node.lft, node.level = tree_id, left, level
            right = left + 1
            for child in by_parent.get(node.pk, []):
                child.tree_parent_id = node.pk
                right = number(child, tree_id, right, level + 1) + 1
            node.rght = right
            updated.append(node)
            return right

        for provider in providers:
            forest = provider.tree_id
            provider.tree_parent_id, provider.lft, provider.rght, provider.level = None, 1, 2, 0
            tops = by_parent.get(provider.pk, [])
            kept: dict[int, Organisation] = {}
            for top in tops:
                if forest < top.tree_id < forest + FOREST_SPAN and top.tree_id not in kept:
                    kept[top.tree_id] = top
            following = max([forest, *kept])
            for top in tops:
                if kept.get(top.tree_id) is not top:
                    following += 1
                    top.tree_id = following
                top.tree_parent_id = None
                number(top, top.tree_id, 1, 0)
        # First the providers, and every other row below its parent for now, so no two roots
        # share a tree id in between (the unique index checks row by row); then the rest.
        self.bulk_update(providers, ["tree_id", "tree_parent", "lft", "rght", "level"])
        for row in updated:
            row._final_tree_parent_id, row.tree_parent_id = row.tree_parent_id, row.parent_id
        self.bulk_update(updated, ["tree_parent"], batch_size=batch_size)
        for row in updated:
            row.tree_parent_id = row._final_tree_parent_id
        self.bulk_update(
            updated, ["tree_id", "tree_parent", "lft", "rght", "level"], batch_size=batch_size
        )


class Organisation(MPTTModel):
    """A tenant: the provider (root), a reseller, or a customer.

    Every object permission in Canopy is stored against an organisation and holds on its whole
    subtree; see ``core.scoping``.
    """

    # The business parent: the provider, reseller or sub-reseller this one belongs to.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    # django-mptt's parent: the same, except that whatever sits directly below a provider
    # roots a tree of its own (None here), so a write renumbers one reseller's tree, not the
    # provider's 100,000 organisations (see core.scoping.FOREST_SPAN). Kept by save().
    tree_parent = TreeForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="tree_children",
    )
    code = models.CharField(
        _("Code"),
        max_length=20,
        unique=True,
        validators=[validate_code],
        error_messages={"unique": UNAVAILABLE_FIELD["code"]},
        help_text=_("Unique short code, letters and digits. Locked once provisioned."),
    )
    name = models.CharField(_("Full Name"), max_length=200)
    is_reseller = models.BooleanField(
        _("Reseller"), default=False, help_text=_("Resellers may create customers of their own.")
    )
    customer_type = models.CharField(
        _("Customer Type"),
        max_length=10,
        choices=OrganisationType.choices,
        default=OrganisationType.STANDARD,
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )

    contact_name = models.CharField(_("Contact Name"), max_length=200, blank=True)
    email = models.EmailField(_("Email Address"), max_length=254, blank=True)
    phone = models.CharField(_("Phone Number"), max_length=40, blank=True)
    address = models.CharField(_("Address"), max_length=250, blank=True)
    city = models.CharField(_("City"), max_length=100, blank=True)
    state = models.CharField(_("State"), max_length=100, blank=True)
    zip_code = models.CharField(_("ZIP Code"), max_length=20, blank=True)
    country = models.CharField(_("Country"), max_length=100, blank=True)
    description = models.TextField(_("Description"), max_length=1000, blank=True)
    extended_name = models.CharField(_("Extended Name"), max_length=200, blank=True)
    external_id = models.CharField(_("External Customer ID"), max_length=100, blank=True)
    account_id = models.CharField(_("Account ID"), max_length=100, blank=True)
    deal_ids = models.JSONField(_("Deal IDs"), default=list, blank=True)
    public_sector = models.BooleanField(_("Public Sector"), default=False)
    inactive_billing = models.BooleanField(_("Inactive Billing"), default=False)
    # Empty: inherit the parent's (the provider's empty means the browser's); see
    # effective_language and README "Languages".
    language = models.CharField(
        _("Default language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("The language of the portal and e-mails for this organisation's users."),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="organisations")

    # Branding: empty means "inherit from the parent".
    brand_name = models.CharField(_("Brand name"), max_length=100, blank=True)
    brand_colour = models.CharField(
        _("Brand colour"), max_length=7, blank=True, help_text=_("Hex colour such as #1f6feb.")
    )
    # Empty: the nearest ancestor's Active Theme holds (effective_branding). Chosen among the
    # Available Themes: those of its ancestors, and its own if it is a reseller
    # (customers.actions.themes.available_themes).
    active_theme = models.ForeignKey(
        "customers.Theme",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Active Theme"),
    )

    # Account settings: the customer's password policy (a fine-grained policy in AD).
    password_min_length = models.PositiveSmallIntegerField(
        _("Minimum password length"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(255)],
    )
    password_complexity = models.BooleanField(_("Require complex passwords"), default=True)
    password_history = models.PositiveSmallIntegerField(
        _("Password history"), default=12, validators=[MaxValueValidator(1024)]
    )
    password_max_age_days = models.PositiveIntegerField(
        _("Maximum password age (days)"),
        null=True,
        blank=True,
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(999)],
        help_text=_("Leave empty: passwords never expire."),
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        _("Lockout threshold"),
        default=10,
        validators=[MaxValueValidator(999)],
        help_text=_("Failed logons before the account locks; 0 never locks."),
    )
    lockout_duration_minutes = models.PositiveIntegerField(
        _("Lockout duration (minutes)"), default=30, validators=[MaxValueValidator(99999)]
    )
    # Holds on the whole subtree: a provider or reseller that sets it sets it for every
    # organisation below, which cannot switch it off (customers.actions.two_factor).
    require_two_factor = models.BooleanField(
        _("Require two-factor sign-in for administrators"),
        default=False,
        help_text=_(
            "Everyone who can change other people's accounts signs in with a code from an "
            "authenticator app as well as their password."
        ),
    )
    user_limit = models.PositiveIntegerField(
        _("User limit"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    leaver_retention_days = models.PositiveIntegerField(
        _("Leaver retention (days)"),
        default=30,
        validators=[MaxValueValidator(3650)],
        help_text=_("How long a leaver's disabled account is kept after their end date."),
    )

    allowed_roles = models.ManyToManyField(
        "customers.Role",
        blank=True,
        related_name="allowed_in",
        verbose_name=_("Allowed security roles"),
    )
    restricted_roles = models.ManyToManyField(
        "customers.Role",
        blank=True,
        related_name="restricted_in",
        verbose_name=_("Restricted security roles"),
    )

    directory_guid = models.UUIDField(null=True, blank=True, editable=False)
    provisioned_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_before_deletion = models.CharField(max_length=20, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(
        excluded_fields=["lft", "rght", "tree_id", "level", "tree_parent", "updated"],
        bases=[ActingHistory],
    )

    objects = OrganisationManager()

    scope_permissions = {
        "view": "view_organisation",
        "change": "change_organisation",
        "add": "add_customer",
        "delete": "manage_lifecycle",
    }
    scope_path = ""

    class MPTTMeta:
        parent_attr = "tree_parent"

    class Meta:
        ordering = ["tree_id", "lft"]
        constraints = [
            # One root per tree: two writes that picked the same new tree id fail, not merge.
            models.UniqueConstraint(
                fields=["tree_id"],
                condition=Q(tree_parent__isnull=True),
                name="organisation_one_root_per_tree",
            ),
        ]
        indexes = [
            # django-mptt adds this index to the model at runtime only, so no migration ever
            # created it; declared here it is migrated (and mptt does not add a second one).
            # Serves every subtree range (tree_id = t, lft between) and the tree order.
            models.Index(fields=["tree_id", "lft"], name="organisation_tree_lft"),
            # Ancestors (tree_id = t, lft < x, rght > y): a btree can bound only one of the
            # two ranges, which for an organisation in the middle of the tree is half of it.
            # A GiST over both columns finds only the pages that hold ancestors.
            PostgresGistIndex(fields=["tree_id", "lft", "rght"], name="organisation_tree_gist"),
            # Search: icontains compiles to UPPER(column) LIKE UPPER(term), so the trigram
            # indexes are over UPPER(column).
            trigram_index("name", "organisation_name_trgm"),
            trigram_index("code", "organisation_code_trgm"),
            trigram_index("email", "organisation_email_trgm"),
            # Is this code taken, in any case (customers.actions.codes)? An equality the
            # trigram index above would also answer, 30 times slower: a plain btree here.
            models.Index(Upper("code"), name="organisation_code_upper"),
            # The Customers list's sortable columns (code is unique, status is indexed).
            models.Index(fields=["name"], name="organisation_name"),
            models.Index(fields=["customer_type"], name="organisation_customer_type"),
            models.Index(fields=["created"], name="organisation_created"),
            # The resellers of a subtree, in tree order: the dashboard's reseller count, the
            # list's "is any row a reseller" and the hierarchy tree read only them (about 2%
            # of the organisations), not every organisation of the subtree.
            models.Index(
                fields=["tree_id", "lft"],
                condition=Q(is_reseller=True),
                name="organisation_reseller_tree",
            ),
        ]
        permissions = [
            ("add_customer", "Create customers below this organisation"),
            ("manage_lifecycle", "Provision, suspend, deprovision and delete customers"),
            ("grant_roles", "Grant and revoke security roles"),
            ("view_users", "View users"),
            ("add_users", "Create users"),
            ("change_users", "Edit, enable and disable users"),
            ("delete_users", "Delete users"),
            ("reset_passwords", "Reset passwords and unlock ordinary users"),
            ("reset_admin_passwords", "Reset passwords of administrators"),
            ("view_jobs", "View provisioning jobs"),
            ("manage_jobs", "Retry and cancel provisioning jobs"),
            ("manage_services", "Provision services to customers"),
            ("assign_services", "Give services to users"),
            ("manage_catalogue", "Configure the service catalogue"),
            # Billing's (the billing app reads them; an account is managed one level up).
            ("view_billing", "View billing accounts, balances and ledgers"),
            ("manage_billing", "Manage billing profiles, unit offers and credits"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])

    # ---- The forest: business parent -> django-mptt's tree parent -------------------------

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._loaded_parent_id = self.__dict__.get("parent_id")

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "parent" in fields or "parent_id" in fields:
            self._loaded_parent_id = self.__dict__.get("parent_id")

    def save(self, *args, **kwargs) -> None:
        self._place_in_forest()
        super().save(*args, **kwargs)
        self._loaded_parent_id = self.parent_id

    def _place_in_forest(self) -> None:
        """Set ``tree_parent`` (and, for a new tree, its id) from ``parent`` before django-mptt
        inserts or moves the node: below a reseller, the reseller's tree; directly below the
        provider, a tree of its own in the provider's forest; a provider, a forest of its own.
        Moves between trees are mptt's; becoming a top-level organisation is done here."""
        adding = self._state.adding
        if self.parent_id is None:
            if not adding and not is_forest_root(self.tree_id):
                raise ValueError("An organisation below a provider cannot become a provider.")
            if adding and not self.lft:
                self._new_root(Organisation.objects.next_tree_id(None))
            return
        if self.tree_parent_id == self.parent_id:
            return
        if self.tree_parent_id is None and not adding and self.parent_id == self._loaded_parent_id:
            return  # a top-level organisation that stays where it is
        if not adding and is_forest_root(self.tree_id):
            raise ValueError("The provider is at the top of the hierarchy and cannot be moved.")
        parent = self.parent
        if parent.parent_id is not None:
            if not adding and self.tree_parent_id is None:
                # A root joins another tree: it stops being a root first, or for a moment
                # two roots would share that tree's id (the unique index checks each row).
                Organisation.objects.filter(pk=self.pk).update(tree_parent=parent)
            self.tree_parent = parent  # mptt inserts or moves it into the parent's tree
            return
        # Directly below a provider: a tree of its own.
        tree_id = Organisation.objects.next_tree_id(parent)
        if adding:
            self._new_root(tree_id)
        elif self.tree_parent_id is not None:
            self.refresh_from_db(fields=["lft", "rght", "tree_id", "level"])
            Organisation._tree_manager._make_child_root_node(self, new_tree_id=tree_id)
        elif forest_of(self.tree_id) != forest_of(tree_id):
            # A whole top-level tree to another provider's forest: one id changes.
            Organisation.objects.filter(tree_id=self.tree_id).update(tree_id=tree_id)
            self.tree_id = tree_id

    def move_to(self, target: Organisation, position: str = "last-child") -> None:
        """Make this the last child of ``target`` (django-mptt's call, kept for the business
        parent: the forest's tree parent follows in ``save``)."""
        if position != "last-child":
            raise ValueError("Organisations move only as the last child of their new parent.")
        self.parent = target
        self.save()

    def _new_root(self, tree_id: int) -> None:
        self.tree_parent = None
        self.tree_id, self.lft, self.rght, self.level = tree_id, 1, 2, 0

    @property
    def depth(self) -> int:
        """How far below its provider: 0 for the provider, 1 for a top-level reseller."""
        if self.parent_id is None:
            return 0
        return self.level + 1

    @property
    def subtree(self) -> SubtreeRange:
        """This organisation and everything below it, as the scoping API sees it."""
        return SubtreeRange(self.tree_id, self.lft, self.rght)

    def holds(self, other: Organisation) -> bool:
        """Is ``other`` this organisation or below it?"""
        return self.subtree.contains(other.tree_id, other.lft)

    @property
    def _roots_forest(self) -> bool:
        """Is this a provider, whose subtree is its whole forest (not its one-node tree)?"""
        return self.tree_id is not None and is_forest_root(self.tree_id)

    def get_descendants(self, include_self: bool = False):
        if not self._roots_forest:
            return super().get_descendants(include_self=include_self)
        below = self._tree_manager.filter(self.subtree.q())
        return below if include_self else below.exclude(pk=self.pk)

    def get_descendant_count(self) -> int:
        if not self._roots_forest:
            return super().get_descendant_count()
        return self.get_descendants().count()

    def get_children(self):
        if not self._roots_forest:
            return super().get_children()
        return self._tree_manager.filter(parent=self)

    @property
    def kind(self) -> str:
        """Provider, Reseller or Customer: what this organisation is in the hierarchy."""
        if self.parent_id is None:
            return "Provider"
        return "Reseller" if self.is_reseller else "Customer"

    @property
    def is_provider(self) -> bool:
        return self.parent_id is None

    @property
    def code_locked(self) -> bool:
        """The code names the OU in the directory: it cannot change once provisioned."""
        return self.provisioned_at is not None

    @property
    def primary_domain(self):
        for domain in self.domains.all():
            if domain.is_primary:
                return domain
        return None

    def get_ancestors(self, ascending: bool = False, include_self: bool = False):
        """Ancestors by following parent links, root first (``ascending``: nearest first).

        django-mptt asks ``lft <= x AND rght >= y``, which the planner estimates as a quarter
        of the tree and answers by walking thousands of rows at 100,000 organisations. A
        recursive walk up ``parent_id`` reads exactly the ancestors, through the primary key,
        in one query, and still returns a queryset.
        """
        start = self.pk if include_self else self.parent_id
        if start is None:
            return self._tree_manager.none()
        # The table name is the model's own; the only value travels as a parameter.
        table = self._meta.db_table
        chain = RawSQL(  # noqa: S611
            f"WITH RECURSIVE up(id, parent_id) AS ("  # noqa: S608
            f"SELECT id, parent_id FROM {table} WHERE id = %s "
            f"UNION ALL SELECT o.id, o.parent_id FROM {table} o JOIN up ON o.id = up.parent_id"
            f") SELECT id FROM up",
            [start],
        )
        # A provider's tree id is below its forest's other trees: (tree_id, lft) is root first.
        order = ["-tree_id", "-lft"] if ascending else ["tree_id", "lft"]
        return self._tree_manager.filter(pk__in=chain).order_by(*order)

    @classmethod
    def ancestors_of(cls, organisations) -> list[Organisation]:
        """Every ancestor of every organisation in ``organisations``, in one query, with only
        ``pk``, ``name``, ``parent_id``, ``tree_id`` and ``lft`` loaded.

        A page that shows many rows with their paths (the hierarchy picker) would otherwise
        ask once per row. The same walk up ``parent_id`` as ``get_ancestors``, started from
        all the rows' parents at once; UNION (not UNION ALL) stops where the walks meet.
        From twenty starts PostgreSQL expects hundreds of rows per step and would hash the
        whole table for the join; a LATERAL subquery it cannot flatten (OFFSET 0) keeps each
        step to one primary-key lookup per row. The columns come from the walk itself, so no
        second pass over the table matches them up.
        """
        starts = sorted({o.parent_id for o in organisations if o.parent_id is not None})
        if not starts:
            return []
        table = cls._meta.db_table
        names = ["id", "parent_id", "name", "tree_id", "lft"]
        columns = ", ".join(names)
        joined = ", ".join(f"o.{name}" for name in names)
        placeholders = ", ".join(["%s"] * len(starts))
        # The table name is the model's own; the only values travel as parameters.
        if connection.vendor == "postgresql":
            lookup = f"SELECT {columns} FROM {table} WHERE id = up.parent_id OFFSET 0"  # noqa: S608
            step = f"SELECT {joined} FROM up CROSS JOIN LATERAL ({lookup}) o"  # noqa: S608
        else:
            step = f"SELECT {joined} FROM {table} o JOIN up ON o.id = up.parent_id"  # noqa: S608
        sql = (
            f"WITH RECURSIVE up({columns}) AS ("  # noqa: S608
            f"SELECT {columns} FROM {table} WHERE id IN ({placeholders}) UNION {step}"
            f") SELECT {columns} FROM up"
        )
        return list(cls._tree_manager.raw(sql, starts))

    def ancestor_list(self) -> list[Organisation]:
        """``get_ancestors()`` as a list, fetched once per instance: the breadcrumb, the
        branding and the page of one request share the acting organisation's."""
        cached = self.__dict__.get("_ancestor_list")
        if cached is None:
            cached = self.__dict__["_ancestor_list"] = list(self.get_ancestors())
        return cached

    def two_factor_required_by(self, include_self: bool = True) -> Organisation | None:
        """The organisation whose *Require two-factor sign-in for administrators* holds here:
        this one or the nearest ancestor that ticks it (the ancestors fetched once)."""
        if include_self and self.require_two_factor:
            return self
        if self.parent_id is None:
            return None
        return next(
            (node for node in reversed(self.ancestor_list()) if node.require_two_factor), None
        )

    def effective_language(self) -> str:
        """The Default language set here, else the nearest ancestor's (the ancestors fetched
        once, shared with the breadcrumb); "" when none sets one: the browser decides."""
        if self.language:
            return self.language
        if self.parent_id is None:
            return ""
        return next((node.language for node in reversed(self.ancestor_list()) if node.language), "")

    def effective_branding(self) -> dict[str, str]:
        """The look of the portal for this organisation's people (a dict every page, e-mail
        and PDF reads).

        The nearest Active Theme (this organisation's, else its nearest ancestor's) gives
        product name, colours, logo and support details; a Brand name or colour set on an
        organisation nearer than that theme's wins for that key. ``brand_name`` and
        ``brand_colour`` stay the keys the templates have always read. One query for the
        theme, and none when no organisation of the chain has one.
        """
        chain = [self, *reversed(self.ancestor_list())]  # nearest first
        with_theme = next((node for node in chain if node.active_theme_id), None)
        theme = None
        if with_theme is not None:
            theme = self.__dict__.get("_theme_cache")
            if theme is None or theme.pk != with_theme.active_theme_id:
                theme = Theme.objects.filter(pk=with_theme.active_theme_id).defer("logo").first()
                self.__dict__["_theme_cache"] = theme
        branding = {
            "brand_name": "",
            "brand_colour": "",
            "accent_colour": "",
            "logo_url": "",
            "support_email": "",
            "support_phone": "",
            "support_url": "",
            "sign_in_text": "",
            "theme_id": "",
            "theme_name": "",
        }
        for node in chain:
            branding["brand_name"] = branding["brand_name"] or node.brand_name
            branding["brand_colour"] = branding["brand_colour"] or node.brand_colour
            if node is with_theme:
                break
        if theme is not None:
            branding["brand_name"] = branding["brand_name"] or theme.product_name
            branding["brand_colour"] = branding["brand_colour"] or theme.primary_colour
            branding.update(
                accent_colour=theme.accent_colour,
                logo_url=theme.logo_url(),
                support_email=theme.support_email,
                support_phone=theme.support_phone,
                support_url=theme.support_url,
                sign_in_text=theme.sign_in_text,
                theme_id=str(theme.pk),
                theme_name=theme.name,
            )
        branding["version"] = hashlib.sha256(
            "|".join(f"{k}={v}" for k, v in sorted(branding.items())).encode()
        ).hexdigest()[:12]
        return branding


@dataclass(frozen=True)
class OrganisationField:
    """One field of the customer forms.

    ``column`` is the Organisation field it edits (``None``: a form-only box, or the parent,
    which is chosen once at creation); ``parent_decides``: set one level up, by the parent
    reseller or the provider, never by the customer's own admins; ``similar``: copied by
    Create Similar (settings, never identity).
    """

    name: str
    column: str | None = ""
    parent_decides: bool = False
    similar: bool = False

    def __post_init__(self) -> None:
        if self.column == "":
            object.__setattr__(self, "column", self.name)


@dataclass(frozen=True)
class FieldGroup:
    """A fieldset of the customer forms, in the order shown; ``advanced`` ones sit under
    Advanced properties."""

    label: str
    fields: tuple[OrganisationField, ...]
    advanced: bool = False

    @property
    def names(self) -> list[str]:
        return [field.name for field in self.fields]


_F = OrganisationField

# The organisation's fields, grouped as the New Customer and Edit Customer forms show them.
# The forms, Create Similar and update_organisation all read this one list.
FIELD_GROUPS: tuple[FieldGroup, ...] = (
    FieldGroup(
        "Customer details",
        (
            _F("parent", column=None),
            _F("name"),
            _F("code", parent_decides=True),
            _F("contact_name"),
            _F("email"),
            _F("phone"),
            _F("customer_type", parent_decides=True, similar=True),
            _F("language", similar=True),
            _F("tags_text", column="tags", parent_decides=True),
        ),
    ),
    FieldGroup("Domains", (_F("domain_name", column=None), _F("domain_aliases", column=None))),
    FieldGroup(
        "Additional options",
        (
            _F("address"),
            _F("city"),
            _F("state"),
            _F("zip_code"),
            _F("country", similar=True),
            _F("description"),
            _F("extended_name"),
            _F("external_id", parent_decides=True),
            _F("account_id", parent_decides=True),
            _F("deal_ids_text", column="deal_ids", parent_decides=True),
            _F("public_sector", parent_decides=True, similar=True),
            _F("inactive_billing", parent_decides=True, similar=True),
        ),
    ),
    FieldGroup(
        "Branding",
        (_F("brand_name", similar=True), _F("brand_colour", similar=True)),
        advanced=True,
    ),
    FieldGroup(
        "Security roles",
        (
            _F("allowed_roles", parent_decides=True),
            _F("restricted_roles", parent_decides=True),
        ),
        advanced=True,
    ),
    FieldGroup(
        "Account settings",
        (
            _F("password_min_length", similar=True),
            _F("password_complexity", similar=True),
            _F("password_history", similar=True),
            _F("password_max_age_days", similar=True),
            _F("passwords_never_expire", column=None),
            _F("lockout_threshold", similar=True),
            _F("lockout_duration_minutes", similar=True),
            _F("require_two_factor", similar=True),
            _F("user_limit", parent_decides=True, similar=True),
            _F("leaver_retention_days", similar=True),
        ),
        advanced=True,
    ),
)

_ALL_FIELDS = [field for group in FIELD_GROUPS for field in group.fields]
_RELATIONS = {f.name for f in Organisation._meta.local_many_to_many}

# The Organisation fields a ModelForm edits as they are (the rest are form boxes).
FORM_MODEL_FIELDS: list[str] = [f.name for f in _ALL_FIELDS if f.column == f.name]
# Plain columns update_organisation changes; the many-to-many ones travel separately.
_COLUMNS = [f for f in _ALL_FIELDS if f.column is not None and f.column not in _RELATIONS]
PARENT_DECIDED_FIELDS = frozenset(f.column for f in _COLUMNS if f.parent_decides)
SELF_EDITABLE_FIELDS = frozenset(f.column for f in _COLUMNS if not f.parent_decides)
EDITABLE_FIELDS = SELF_EDITABLE_FIELDS | PARENT_DECIDED_FIELDS
# Form fields only the parent reseller or the provider may change.
PARENT_DECIDED_FORM_FIELDS: list[str] = [f.name for f in _ALL_FIELDS if f.parent_decides]
# What Create Similar copies: settings, never identity (name, code, domains, contacts, ids).
SIMILAR_FIELDS: list[str] = [f.column for f in _ALL_FIELDS if f.similar]
