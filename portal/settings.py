"""Canopy's one settings module.

Every value comes from the environment (see README.md and .env.example). Defaults serve the
laptop run (`make run`): SQLite, Celery on kombu's filesystem transport read by a real worker
process, no directory unless one is configured. A value that does not parse stops start-up
with a message that names the variable. Any secret may be given as ``<NAME>_FILE`` instead.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.env import Environment

BASE_DIR = Path(__file__).resolve().parent.parent
env = Environment()

STATE_DIR = Path(env.str("CANOPY_STATE_DIR", default=str(BASE_DIR / ".state")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.secret("SECRET_KEY", default="insecure-development-key" if DEBUG else None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Encrypts passwords while they travel to a job (never stored in plaintext). A Fernet key;
# derived from SECRET_KEY when not given, so a laptop run needs nothing extra.
CREDENTIAL_ENCRYPTION_KEY = env.secret("CREDENTIAL_ENCRYPTION_KEY", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Its ready() teaches index expressions the trigram operator class (customers' search
    # indexes); harmless on SQLite.
    "django.contrib.postgres",
    "mptt",
    "guardian",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "django_filters",
    "django_tables2",
    "django_celery_results",
    "django_celery_beat",
    "simple_history",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files in static/, so the API docs need no CDN.
    "drf_spectacular_sidecar",
    "core",
    "customers",
    "provisioning",
    "billing",
    "portal",
]

MIDDLEWARE = [
    # Outermost, so the request metrics time the whole stack (and its own "after" is last
    # but one).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before anything that may log or fail: every line and the 500 page carry the id.
    "portal.middleware.RequestIdMiddleware",
    # Before anything asks for the host: a reseller's registered host name is accepted,
    # every other host still meets ALLOWED_HOSTS.
    "portal.middleware.PortalHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one, so every response (redirects, lock-outs, errors) carries the policy.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything that may write the security log.
    "portal.middleware.ClientAddressMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the user's and their organisation's language come first.
    "portal.middleware.LanguageMiddleware",
    "portal.middleware.LogUserMiddleware",
    # request.user.is_verified(): has this session given a code from its confirmed device?
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.EndDisabledSessionsMiddleware",
    "portal.middleware.EndEndedSessionsMiddleware",
    "portal.middleware.ActingOrganisationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The code before anything else, the forced password change included.
    "portal.middleware.TwoFactorMiddleware",
    "portal.middleware.MustChangePasswordMiddleware",
    # Login to CP: after the actor's own checks above, before history reads request.user.
    "portal.middleware.ActingAsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it must see the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "portal.context_processors.branding",
                "provisioning.context_processors.directory_status",
                "billing.context_processors.billing_banner",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{STATE_DIR / 'canopy.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The laptop run has a web process and a worker writing one file. WAL lets readers go on
    # while one writes; IMMEDIATE takes the write lock at BEGIN, so a transaction that reads
    # and then writes waits its turn (the busy timeout) instead of failing at once with
    # "database is locked" when it would have to upgrade its read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # synchronous=NORMAL is safe with WAL (a power cut may lose the last commit, never
            # corrupt the file) and keeps commits from waiting on fsync.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation fires on the cost estimates of the search over a large tree and costs
    # far more than it saves (440 of a 455 ms search); the portal's queries are short.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "customers.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.auth.UsernameOrUpnBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# The floor under every organisation's password policy: no organisation can lower it, and
# every password Canopy sets (portal and directory are one password) must pass it
# (customers.actions.passwords).
PASSWORD_MIN_LENGTH = 12
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {
            "user_attributes": ("username", "first_name", "last_name", "display_name", "email")
        },
    },
    {
        "NAME": "portal.validators.FloorLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: anonymous visitors see nothing

# Login throttling (django-axes), counted per account whatever spelling of its username or
# UPN is typed (portal.auth.axes_username). An account locks for one client address after
# AXES_FAILURE_LIMIT failures from it, and for everyone after AXES_ACCOUNT_FAILURE_LIMIT
# failures from all addresses together (portal.throttling explains the trade-off).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_USERNAME_CALLABLE = "portal.auth.axes_username"
AXES_HANDLER = "portal.throttling.AccountAndAddressHandler"
# How many reverse proxies of our own stand in front of the portal, each appending the
# address it was connected from to X-Forwarded-For. 0 (the default): the header is ignored,
# REMOTE_ADDR is the client. Set it to the real number: too low locks out everyone behind
# the proxy together, too high lets clients choose their own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} must be 0 or more")
AXES_CLIENT_IP_CALLABLE = "portal.throttling.client_ip"
# What a successful sign-in forgets: that address's failures only, so the owner signing in
# does not give a guesser elsewhere a fresh set of tries.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Two-factor sign-in (django-otp, customers.actions.two_factor). The issuer is the name an
# authenticator app shows beside the code. Each wrong code doubles the wait before the next
# try on that device (1 s, 2 s, 4 s ...): ten wrong codes in a row cost over eight minutes.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Canopy")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# E-mail (notifications, Send E-Mail): one URL, e.g. smtp://relay:25 or
# smtp+tls://user:password@relay:587 (core.mail sends from a Celery task, never in a request).
# The password may instead come from EMAIL_PASSWORD (or EMAIL_PASSWORD_FILE) like every
# secret. `make run` sets filemail://<state>/mail: each message is a file there.
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env.secret("EMAIL_PASSWORD", default="") or (
    _email.get("EMAIL_HOST_PASSWORD") or ""
)
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Canopy <canopy@localhost>")
# A message the relay refused or could not take is tried again this many times, waiting
# longer each time (seconds doubling up to EMAIL_RETRY_MAX_SECONDS).
EMAIL_MAX_RETRIES = env.int("EMAIL_MAX_RETRIES", default=8)
EMAIL_RETRY_MAX_SECONDS = env.int("EMAIL_RETRY_MAX_SECONDS", default=3600)
# The portal's own address, for links in e-mails (a set-password link, a job's page): the
# worker that renders them has no request to take a host name from.
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000").rstrip("/")

# Login to CP (customers.actions.acting): how long a session acting as a customer's
# administrator lasts, and whether the actor must give a reason to start one.
ACT_AS_MINUTES = env.int("ACT_AS_MINUTES", default=30)
if ACT_AS_MINUTES < 1:
    raise ImproperlyConfigured(f"ACT_AS_MINUTES={ACT_AS_MINUTES} must be 1 or more")
ACT_AS_REASON_REQUIRED = env.bool("ACT_AS_REASON_REQUIRED", default=False)

# Lists and the dashboard count exactly up to this many rows, then show the planner's
# estimate as "about N" (core/counting.py).
COUNT_EXACT_UP_TO = env.int("COUNT_EXACT_UP_TO", default=10_000)

# Bulk import (customers.actions.import_rows): limits checked before a file is parsed, so a
# hostile upload (a zip bomb, a sheet of empty or very wide rows, a huge field) is refused
# with an error on the form instead of filling the worker's memory.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
# Django's handlers, after one that keeps nothing of a file past IMPORT_MAX_UPLOAD_BYTES.
FILE_UPLOAD_HANDLERS = [
    "core.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_ZIP_ENTRIES = env.int("IMPORT_MAX_ZIP_ENTRIES", default=200)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=50)
IMPORT_MAX_FIELD_CHARS = env.int("IMPORT_MAX_FIELD_CHARS", default=4096)
for _name in (
    "COUNT_EXACT_UP_TO",
    "IMPORT_MAX_UPLOAD_BYTES",
    "IMPORT_MAX_UNCOMPRESSED_BYTES",
    "IMPORT_MAX_ZIP_ENTRIES",
    "IMPORT_MAX_ROWS",
    "IMPORT_MAX_COLUMNS",
    "IMPORT_MAX_FIELD_CHARS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name}={globals()[_name]} must be 1 or more")

# The API (/api/v1/, issue 13): API keys first (a missing or bad key is a 401 with
# WWW-Authenticate), then the portal's own session for the docs page's "Try it out". JSON
# only: the browsable API's pages would need inline script.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttling.PerKeyThrottle",
        "portal.api.throttling.PerUserThrottle",
    ],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Canopy API",
    "DESCRIPTION": "Everything the portal does, for programs: the same actions and scoping.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several models have a "status"; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationStatusEnum": "customers.models.organisation.Status",
        "SubscriptionStatusEnum": "customers.models.services.SubscriptionStatus",
        "WebhookEventEnum": "customers.models.webhooks.WebhookEvent",
        "InvoiceStatusEnum": "billing.models.invoices.InvoiceStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
}

# Cookies and transport security. Secure by default; the laptop run (DEBUG) relaxes what
# needs HTTPS because it serves plain http://127.0.0.1.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Joining the browsers' preload list is hard to undo: the operator opts in with the variable
# above, so `check --deploy` need not warn (security.W021) while it is off.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles only from our own files (a theme's
# colours come as /branding.css, never inline). No page has an inline script, a style
# attribute or an event-handler attribute; the browser tests fail on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws select arrows and checks as data: SVG
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The languages the portal speaks (README "Languages"), each with a complete catalogue in
# locale/ (compiled by `make run` and `make test`; tests/conftest.py compiles stale ones).
# Each is named in its own language, as a picker shows them. Which one a request gets is
# portal.middleware.LanguageMiddleware's order: the user's own choice, their organisation's
# Default language (inherited down the tree), the browser, LANGUAGE_CODE.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English keeps the day-month-year dates the portal always showed (portal/formats/en).
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# History rows may carry many-to-many edits (tags, roles) in their change reason.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}

# --- Celery -----------------------------------------------------------------------------------
# The default broker is kombu's filesystem transport: the laptop run needs no Redis, yet a
# separate worker process really consumes the queue (never eager mode).
_broker_dir = STATE_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any countdown we schedule (retry backoff caps at 1 hour), so a delayed
    # message is never redelivered to a second worker while the first still holds it.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_broker_dir / "queue"),
            "data_folder_out": str(_broker_dir / "queue"),
            "processed_folder": str(_broker_dir / "processed"),
            # kombu's default is ./control, relative to whatever directory a process runs in.
            "control_folder": str(_broker_dir / "control"),
            "store_processed": False,
        }
    )
    for folder in ("queue", "processed", "control"):
        (_broker_dir / folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_RESULT_EXTENDED = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# API rate limits (portal.api.throttling): requests per key and per user (all their keys and
# their session together), "<n>/<second|minute|hour|day>". Counted in a cache every web
# process shares: Redis when the broker is Redis (its own key prefix per database), else
# this process's memory (the laptop run has one web process).
API_RATE_PER_KEY = env.str("API_RATE_PER_KEY", default="600/minute")
API_RATE_PER_USER = env.str("API_RATE_PER_USER", default="1200/minute")
_throttle_url = env.str(
    "API_THROTTLE_CACHE_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api_throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _throttle_url,
            "KEY_PREFIX": f"canopy-throttle-{DATABASES['default'].get('NAME', '')}",
        }
        if _throttle_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep-stranded-jobs": {"task": "provisioning.sweep_jobs", "schedule": 60.0},
    "reconcile-directory": {
        "task": "provisioning.reconcile_all",
        "schedule": env.float("RECONCILE_INTERVAL_SECONDS", default=6 * 60 * 60.0),
    },
    "purge-deleted-organisations": {
        "task": "provisioning.purge_deleted_organisations",
        "schedule": 60 * 60.0,
    },
    "expire-user-uploads": {"task": "customers.expire_uploads", "schedule": 10 * 60.0},
    # Billing: yesterday's seat-days, debited from prepaid balances (README "Billing").
    "billing-daily-usage": {
        "task": "billing.daily_usage",
        "schedule": crontab(
            hour=env.int("BILLING_DAILY_HOUR", default=0),
            minute=env.int("BILLING_DAILY_MINUTE", default=30),
        ),
    },
    # Postpaid: last month's invoices, as drafts, on the 1st (README "Billing").
    "billing-monthly-invoices": {
        "task": "billing.monthly_invoices",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    "billing-daily-checks": {"task": "billing.daily_checks", "schedule": crontab(hour=6, minute=0)},
    # Reports: each "Subscribe monthly" e-mail, for the month before (billing.actions.reports).
    "billing-monthly-reports": {
        "task": "billing.monthly_reports",
        "schedule": crontab(day_of_month=1, hour=7, minute=0),
    },
    # Joiners and leavers: start and end dates applied (customers.actions.joiners).
    "joiners-and-leavers": {"task": "customers.joiners_and_leavers", "schedule": 60 * 60.0},
    "requeue-stale-imports": {"task": "customers.requeue_stale_imports", "schedule": 60.0},
    "sweep-webhook-deliveries": {"task": "customers.sweep_webhook_deliveries", "schedule": 60.0},
    "purge-webhook-deliveries": {
        "task": "customers.purge_webhook_deliveries",
        "schedule": crontab(hour=3, minute=15),
    },
    "check-pending-domains": {
        "task": "customers.check_pending_domains",
        "schedule": env.float("DOMAIN_CHECK_INTERVAL_SECONDS", default=10 * 60.0),
    },
}

# --- Webhooks (customers.actions.webhooks) -------------------------------------------------------
# Deliveries go to public HTTPS addresses only; allow internal ones (loopback, private) for
# tests and closed networks.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# A CA bundle to check endpoints' certificates against (empty: the system's).
WEBHOOK_CA_FILE = env.str("WEBHOOK_CA_FILE", default="")
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)

# --- Jobs ---------------------------------------------------------------------------------------
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=8)
JOB_RETRY_BASE_SECONDS = env.float("JOB_RETRY_BASE_SECONDS", default=2.0)
JOB_RETRY_MAX_SECONDS = env.float("JOB_RETRY_MAX_SECONDS", default=3600.0)
# A job queued or running longer than this without progress is re-enqueued by the sweeper.
JOB_STALE_AFTER_SECONDS = env.int("JOB_STALE_AFTER_SECONDS", default=300)
DELETED_RETENTION_DAYS = env.int("DELETED_RETENTION_DAYS", default=30)
# The periodic reconcile: "report" keeps a drift report per customer; "repair" also puts
# right what drifted and quarantines what the portal does not know (never deletes it).
RECONCILE_MODE = env.str("RECONCILE_MODE", default="report")
if RECONCILE_MODE not in ("report", "repair"):
    raise ImproperlyConfigured(f"RECONCILE_MODE={RECONCILE_MODE!r} is not report or repair")

# Billing (README "Billing"): the currency of accounts whose issuer has none of its own.
BILLING_CURRENCY = env.str("BILLING_CURRENCY", default="EUR")
# Customers whose drafts the monthly run writes per transaction: a killed worker loses one batch.
BILLING_INVOICE_BATCH = env.int("BILLING_INVOICE_BATCH", default=500)
# The issuer's country for VAT when its own billing account names none (two letters).
BILLING_COUNTRY = env.str("BILLING_COUNTRY", default="DE").upper()
# Where invoice and statement PDFs are kept: never served as static files, only through the
# billing views that check who asks (billing.views.invoices).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(STATE_DIR / "private")))
# Accounts the daily debit locks and debits per transaction: a killed worker loses one batch.
BILLING_DAILY_BATCH = env.int("BILLING_DAILY_BATCH", default=2000)

# --- Directory (Active Directory / Samba AD) ---------------------------------------------------
DIRECTORY_URL = env.str("DIRECTORY_URL", default="")
DIRECTORY_BIND_USER = env.str("DIRECTORY_BIND_USER", default="")
DIRECTORY_PASSWORD = env.secret("DIRECTORY_PASSWORD", default="")
DIRECTORY_CA_FILE = env.str("DIRECTORY_CA_FILE", default="") or None
DIRECTORY_BASE_DN = env.str("DIRECTORY_BASE_DN", default="")
DIRECTORY_TENANTS_ROOT = env.str(
    "DIRECTORY_TENANTS_ROOT",
    default=f"OU=Tenants,{DIRECTORY_BASE_DN}" if DIRECTORY_BASE_DN else "",
)
DIRECTORY_CONNECT_TIMEOUT = env.float("DIRECTORY_CONNECT_TIMEOUT", default=5.0)
DIRECTORY_RECEIVE_TIMEOUT = env.float("DIRECTORY_RECEIVE_TIMEOUT", default=15.0)
DIRECTORY_USE_STARTTLS = env.bool("DIRECTORY_USE_STARTTLS", default=False)

# --- Domain verification (DNS TXT records) ---------------------------------------------------
# Where to look for ``canopy-verification=<token>`` records: ``host:port`` (comma-separated for
# several), or empty for the machine's own resolver (/etc/resolv.conf).
DNS_RESOLVER = env.str("DNS_RESOLVER", default="")
DNS_TIMEOUT = env.float("DNS_TIMEOUT", default=5.0)

# --- Operating it: health, metrics, logs ---------------------------------------------------------
# /health/ (portal.health): seconds each check may take; the directory's bind and read.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=3.0)
HEALTH_DIRECTORY_TIMEOUT = env.float("HEALTH_DIRECTORY_TIMEOUT", default=3.0)
for _name in ("HEALTH_CHECK_TIMEOUT", "HEALTH_DIRECTORY_TIMEOUT"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name}={globals()[_name]} must be more than 0")
# The load balancer may probe over plain http inside the network: /health/ answers there
# instead of redirecting. It reveals nothing but up or down.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# /metrics (portal.metrics) is closed unless one of these is set: a bearer token, or the
# addresses (networks) Prometheus scrapes from.
METRICS_TOKEN = env.secret("METRICS_TOKEN", default="")
try:
    METRICS_ALLOWED_IPS = [
        ipaddress.ip_network(item, strict=False)
        for item in env.list("METRICS_ALLOWED_IPS", default=[])
    ]
except ValueError as _exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {_exc}") from None
# The database's migration gauges would query it in every process at start-up.
PROMETHEUS_EXPORT_MIGRATIONS = False
# The header the reverse proxy puts its request id in (e.g. X-Request-ID), trusted only when
# named here: otherwise every request gets a new id.
REQUEST_ID_HEADER = env.str("REQUEST_ID_HEADER", default="")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not text or json")
# The worker logs through the LOGGING below (with the job and request ids), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[req=%(request_id)s job=%(job_id)s user=%(user_id)s] %(message)s"
        },
        "json": {"()": "core.tracing.JsonFormatter"},
    },
    "filters": {
        # The reference a user sees on the 500 page, on the log line that has the traceback.
        "error_reference": {"()": "portal.errors.ErrorReferenceFilter"},
        "context": {"()": "core.tracing.ContextFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"filters": ["error_reference"]},
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")},
        # WeasyPrint logs every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

env.check()
