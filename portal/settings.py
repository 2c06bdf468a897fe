"""Settings of Espace Famille, read from the environment.

``DJANGO_ENV`` is ``development`` (default) or ``production``; the differences are grouped at the
end of this file. Tests use ``portal.settings_test``.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlparse, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("EF_DATA_DIR", BASE_DIR / ".data"))
logger = logging.getLogger("portal.settings")


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"

# CORE
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    SECRET_KEY = "dev-only-secret-key-not-for-production-" + "x" * 20

# The root domain of the portal; each collectivité lives at <slug>.<PORTAL_DOMAIN>.
PORTAL_DOMAIN = os.environ.get("PORTAL_DOMAIN", "localhost")
# How links in e-mails reach the portal: https in production, the dev server's port otherwise.
SITE_SCHEME = "https" if PRODUCTION else "http"
SITE_PORT = "" if PRODUCTION else os.environ.get("PORT", "8000")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", f"{PORTAL_DOMAIN},.{PORTAL_DOMAIN},127.0.0.1,localhost,.localhost"
)

ROOT_URLCONF = "portal.urls_tenants"
PUBLIC_SCHEMA_URLCONF = "portal.urls_public"
WSGI_APPLICATION = "portal.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# APPS
# Decided once (moving an app between the two lists later means faking migrations):
# the public schema holds tenants, domains, accounts and sessions; every family, booking,
# invoice, news post and message lives in its collectivité's schema.
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "portal",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "import_export",
    "formtools",
    # The audit trail (portal.audit): django-auditlog's registry and middleware; the entries
    # themselves live in portal.audit's table, in the public schema and in each collectivité's.
    "auditlog",
    "portal.audit",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    # Admin log entries are kept per collectivité: an audit trail of its own staff.
    "django.contrib.admin",
    "families",
    "reservations",
    "billing",
    "news",
    "requests_inbox",
    "portal.audit",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Collectivite"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Under load `SET search_path` on every cursor dominated database time (django-tenants #801).
TENANT_LIMIT_SET_CALLS = True
DEFAULT_NOT_FOUND_TENANT_VIEW = "portal.views.unknown_host"

MIDDLEWARE = [
    # First: everything after it (axes, rate limits) must see the real client's address.
    "portal.middleware.TrustedProxyMiddleware",
    # /sante/ and /sante/pret/ on any host, before the tenant lookup (# HEALTH).
    "portal.health.HealthCheckMiddleware",
    # Request id, query count and one log line per request (# LOGGING).
    "portal.observability.RequestLogMiddleware",
    "tenants.middleware.CachedTenantMiddleware",
    "portal.middleware.RejectNulBytesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who changed what, from which address (# AUDIT).
    "portal.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Turns django-ratelimit's refusals into RATELIMIT_VIEW's « Trop de demandes » (429).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Every page of a logged-in account holds personal data: never stored by a cache.
    "portal.middleware.PrivatePagesMiddleware",
    # Last, so it sees the views' exceptions: lock and statement timeouts answer 503.
    "portal.middleware.DatabaseBusyMiddleware",
]

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
                "portal.context_processors.portal",
                "requests_inbox.context_processors.requests_inbox",
            ],
        },
    },
]

# DATABASES
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Persistent connections (seconds; 0 closes each request's): a new connection per request
# cost about as much as rendering the Vue Période. Health-checked before reuse. Off by
# default in development: runserver starts a thread per request, each would keep its own.
CONN_MAX_AGE = int(os.environ.get("CONN_MAX_AGE", "60" if PRODUCTION else "0"))
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL)
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must be set in production.")
else:
    from portal import embedded_db

    embedded_db.database_url()  # starts the embedded server once; later processes reuse it
    _db = dj_database_url.parse(embedded_db.database_url())
_db.update(CONN_MAX_AGE=CONN_MAX_AGE, CONN_HEALTH_CHECKS=CONN_MAX_AGE > 0)
# Per connection: a statement waits at most DB_LOCK_TIMEOUT_MS for a row lock and runs at
# most DB_STATEMENT_TIMEOUT_MS; past either the request answers « réessayez » (503, nothing
# saved, portal.middleware.DatabaseBusyMiddleware) instead of hanging (a validation once
# waited 23 s behind a held lock).
DB_LOCK_TIMEOUT_MS = int(os.environ.get("DB_LOCK_TIMEOUT_MS", "5000"))
DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "30000"))
_db.setdefault("OPTIONS", {})["options"] = (
    f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
)
_db["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES = {"default": _db}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

# AUTHENTICATION
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tenants.backends.EmailRoleBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# ABUSE LIMITS
# Logins: 10 failures lock the account, and separately the IP address, for 30 minutes.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"
# Logins match e-mails whatever their case: so must the per-account lockout.
AXES_USERNAME_CALLABLE = "portal.auth.axes_username"
# A success (maybe the attacker's own account, from the same address) must not wipe the
# failures that lock an address or an account: they expire after the cool-off only.
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
# Adhesion codes: wrong guesses are counted per IP and per account (families.services).
# Sign-up, password reset, requests and messages: portal.ratelimits.
RATELIMIT_VIEW = "portal.views.rate_limited"

# INTERNATIONALIZATION
LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# STATIC AND MEDIA
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Attachments of news and requests: never served by the proxy, only through their views.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", DATA_DIR / "private"))
STORAGES = {
    # Each collectivité's files live in a folder of its own (MEDIA_ROOT/<schema>/...).
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"

# Any file django-import-export writes escapes formulas too (see portal.spreadsheets).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"


# REDIS, CACHE AND CELERY
def redis_reachable(url: str, timeout: float = 0.3) -> bool:
    """Tell whether a TCP connection to the Redis server of ``url`` opens."""
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=timeout
        ):
            return True
    except OSError:
        return False


REDIS_URL = os.environ.get("REDIS_URL", "")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production.")
# In production Redis is required and never probed; elsewhere an unreachable Redis means
# tasks run in-process (the same code, called eagerly).
USE_REDIS = bool(REDIS_URL) and (PRODUCTION or redis_reachable(REDIS_URL))
if REDIS_URL and not USE_REDIS:
    logger.warning("REDIS_URL=%s is not reachable: Celery tasks run in-process.", REDIS_URL)

# A Redis outage degrades to « no cache » (portal.cache): pages read the database instead.
# Short timeouts: a hung Redis must not hold a request longer than a cache is worth.
CACHES = {
    "default": (
        {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if USE_REDIS
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# How long a host -> collectivité lookup is cached; changes to domains invalidate it at once.
TENANT_CACHE_SECONDS = 300

CELERY_BROKER_URL = REDIS_URL if USE_REDIS else "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL if USE_REDIS else None
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_ALWAYS_EAGER = not USE_REDIS
CELERY_TASK_EAGER_PROPAGATES = False
# Nothing reads task results: without this, .delay() subscribes to the result store and,
# with Redis down, retried 20 times a second apart before raising.
CELERY_TASK_IGNORE_RESULT = True
# Publishing fails fast when the broker is down (portal.dispatch then decides what to do):
# no retry, short socket timeouts. The e-mail journal keeps what was not published.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A task taken by a worker that died (acks_late) is handed out again after the broker's
# visibility timeout (one hour); the e-mail journal makes the second run harmless.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Development without a production Redis: a task the broker refuses runs in-process, decided
# at each call (Redis may stop or start while the server runs). In production it is left
# to the journal and the periodic requeue instead of making the request wait for SMTP.
CELERY_INPROCESS_FALLBACK = not PRODUCTION
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# tenant-schemas-celery refetches the tenant for each task unless cached.
CELERY_TASK_TENANT_CACHE_SECONDS = 60
CELERY_BEAT_SCHEDULE = {
    "email-resend-pending": {
        "task": "portal.tasks.email_resend_pending_task",
        "schedule": 600.0,
    },
    # RGPD: each collectivité's data_retention_years, counted from a foyer's last activity.
    "families-retention-purge": {
        "task": "families.tasks.retention_purge_task",
        "schedule": 24 * 3600.0,
    },
    "reservations-holds-release": {
        "task": "reservations.tasks.holds_release_task",
        "schedule": 60.0,
    },
    # Prépaiement orders whose hold ran out are closed and their families told.
    "billing-orders-expire": {"task": "billing.tasks.orders_expire_task", "schedule": 60.0},
    # PayFiP payments still pending are asked again (the notification may never come).
    "billing-payments-poll": {"task": "billing.tasks.payments_poll_task", "schedule": 300.0},
    # Reminders of unpaid invoices, at each collectivité's delays, once a day.
    "billing-reminders-send": {"task": "billing.tasks.reminders_send_task", "schedule": 86400.0},
}


# PAYMENTS
def _origin(url: str) -> str:
    """« https://www.payfip.gouv.fr » of a URL: what a CSP source names."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Stripe Checkout when a key is set (one account for the platform; each session names its
# collectivité); otherwise the demonstration provider, outside production only. PayFiP is
# configured per collectivité (billing.PaymentSettings); its addresses are the DGFiP's.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET must be set with STRIPE_SECRET_KEY.")
PAYFIP_SERVICE_URL = os.environ.get(
    "PAYFIP_SERVICE_URL", "https://www.payfip.gouv.fr/tpa/services/securite"
)
PAYFIP_PAYMENT_URL = os.environ.get(
    "PAYFIP_PAYMENT_URL", "https://www.payfip.gouv.fr/tpa/paiementws.web"
)

# EMAIL
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", f"Espace Famille <ne-pas-repondre@{PORTAL_DOMAIN}>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 20
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif PRODUCTION:
    raise ImproperlyConfigured("EMAIL_HOST must be set in production.")
else:
    # Development: every e-mail lands as an .eml file in .data/outbox/.
    EMAIL_BACKEND = "portal.mail.OutboxEmailBackend"
EMAIL_OUTBOX_DIR = DATA_DIR / "outbox"

# LOGGING
# One line per request (portal.request) and per Celery task (portal.task), with the request
# id, the collectivité's schema and the account id on every record (portal.observability).
# JSON in production or with LOG_FORMAT=json, one readable line otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "portal.observability.ContextFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
        "text": {
            "()": "portal.observability.ReadableFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        },
        # Without Sentry, errors reach the ADMINS mailbox (# SENTRY), personal data masked.
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "pgserver": {"level": "WARNING"},
        # Django's default sends these to its own console handler too: once is enough.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console", "mail_admins"], "propagate": False},
        # runserver's own access line: portal.request says the same with more.
        "django.server": {"level": "WARNING"},
    },
}
# The worker keeps this configuration instead of installing its own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# SENTRY
# Error reports: Sentry when SENTRY_DSN is set (portal.error_reports scrubs personal data),
# otherwise the log and the ADMINS mailbox. The 500 page says the team was told only then.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
# ADMINS="Nom <adresse>,Autre <adresse>"
ADMINS = [
    (name, address) for name, address in getaddresses([os.environ.get("ADMINS", "")]) if address
]
DEFAULT_EXCEPTION_REPORTER = "portal.error_reports.PrivateExceptionReporter"
if SENTRY_DSN:
    from portal.error_reports import sentry_init

    sentry_init(SENTRY_DSN, environment=ENVIRONMENT)

# AUDIT
# Staff changes recorded by django-auditlog into portal.audit.AuditEntry (what is recorded:
# portal/audit/registry.py). The address is REMOTE_ADDR, as the proxy handling set it.
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITLOG_CID_GETTER = "portal.observability.current_request_id"

# HEALTH
# /sante/pret/ asks the migration state again after this many seconds (polled every second).
HEALTH_MIGRATIONS_CACHE_SECONDS = 5
HEALTH_REDIS_TIMEOUT_SECONDS = 0.5

# SECURITY
# Sessions read from the cache (Redis when configured), written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# django-csp: scripts only from our own static files (no inline script anywhere: tested by
# tests/security/test_headers.py). Inline styles stay allowed: Bootstrap's and htmx's
# scripts set them, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # « Payer » posts here, then the browser is sent to the payment provider's page:
        # Chromium applies form-action to that redirect too.
        "form-action": ["'self'", "https://checkout.stripe.com", _origin(PAYFIP_PAYMENT_URL)],
    }
}
# django-permissions-policy: no page needs the camera, microphone, location or payment API.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

# PROXY
# Addresses or CIDR blocks of the reverse proxies in front of the web processes (the TLS
# proxy of docker-compose.yml). Empty: nobody is trusted and REMOTE_ADDR is the client.
# When the peer is one of them, portal.middleware.TrustedProxyMiddleware takes the client's
# address from X-Forwarded-For (the rightmost address that is not itself a trusted proxy).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# PRODUCTION
if PRODUCTION:
    DEBUG = False
    # Static files are served by the web process itself (compressed, cache-busted names).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if not CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS = [f"https://{PORTAL_DOMAIN}", f"https://*.{PORTAL_DOMAIN}"]
