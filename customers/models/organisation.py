"""The organisation tree: provider at the root, resellers below it, customers as leaves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey
from simple_history.models import HistoricalRecords

from core.scoping import RestrictedManager, ScopedTreeQuerySet
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


class Organisation(MPTTModel):
    """A tenant: the provider (root), a reseller, or a customer.

    Every object permission in Canopy is stored against an organisation and holds on its whole
    subtree; see ``core.scoping``.
    """

    parent = TreeForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
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
        excluded_fields=["lft", "rght", "tree_id", "level", "updated"], bases=[ActingHistory]
    )

    objects = OrganisationManager()

    scope_permissions = {
        "view": "view_organisation",
        "change": "change_organisation",
        "add": "add_customer",
        "delete": "manage_lifecycle",
    }
    scope_path = ""

    class Meta:
        ordering = ["tree_id", "lft"]
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
        return self._tree_manager.filter(pk__in=chain).order_by("-lft" if ascending else "lft")

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
