"""Pulso settings. Everything that differs between environments comes from an environment
variable of the same name; the defaults run the embedded mode (SQLite, a filesystem Celery
broker, e-mail to files) from a fresh clone with nothing else installed."""

from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from dj_database_url import DBConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .client_ip import trusted_networks
from .env import (
    DEFAULT_BIND,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    host_of,
    replica_database,
    secret_key_from_env_or_file,
    site_url_for_bind,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
# Every folder a process writes, made here in every mode: no process may die at its start on a
# folder it expected (celery beat does not make its schedule's; the runner logs to log/).
for _folder in ("celery", "log", "mail", "media", "staticfiles"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)

SECRET_KEY = secret_key_from_env_or_file(VAR_DIR / "secret_key")
# A key kept in VAR_DIR is this host's own: fine for one machine, wrong for several sharing a
# database (sessions and survey links break between them). `check --deploy` warns then.
SECRET_KEY_FROM_ENVIRONMENT = bool(env_str("SECRET_KEY"))
DEBUG = env_bool("DEBUG", False)
EMBEDDED = not env_str("DATABASE_URL")
# The address of every link in an e-mail. In the embedded mode it follows where `make run`
# listens (PULSO_BIND), unless set.
SITE_URL = env_str(
    "SITE_URL",
    site_url_for_bind(env_str("PULSO_BIND", DEFAULT_BIND)) if EMBEDDED else "http://127.0.0.1:8000",
).rstrip("/")
# Loopback, and the host SITE_URL names (so that a PULSO_BIND of another address answers).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"localhost,127.0.0.1,[::1],{host_of(SITE_URL)}")
SITE_NAME = "Pulso"
TICKET_REFERENCE_PREFIX = env_str("TICKET_REFERENCE_PREFIX", "PUL")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "cases",
    "surveys",
    "metrics",
    "knowledge",
    "quality",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns a blocked django-ratelimit request into RATELIMIT_VIEW's 429.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Only with DATABASE_REPLICA_URL (else it removes itself): which views read the replica.
    "config.replica.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "cases.context_processors.pulso",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# select_for_update() is a no-op on SQLite: IMMEDIATE transactions take the write lock up
# front, WAL lets readers proceed, the timeout waits instead of failing.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASES: dict[str, DBConfig]
if EMBEDDED:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "pulso.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL"), conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
# A PostgreSQL streaming replica for the list pages, dashboards, KPI API and exports
# (config/replica.py says what reads from it and when the primary is read instead).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = replica_database(DATABASE_REPLICA_URL, DATABASES["default"])
    DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
# After a user writes, their reads go to the replica only once it has replayed that write
# (the primary's WAL position is kept this long in the cache, for every web host); a read waits
# at most REPLICA_CATCH_UP_SECONDS for it, else reads the primary.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 60)
REPLICA_CATCH_UP_SECONDS = env_float("REPLICA_CATCH_UP_SECONDS", 0.1)
# A replica still behind the primary whose newest replayed transaction is older than this is not
# read from (replication stopped or far behind); one that replayed everything is read, however
# idle the desk.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 60)
# Each process checks the replica (reachable, recent) at most this often.
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits live in their own alias) ---------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        # Redis, counting in the process while Redis is down or frozen (config/ratelimit_cache.py).
        "ratelimit": {
            "BACKEND": "config.ratelimit_cache.FailSafeRedisCache",
            "LOCATION": REDIS_URL,
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ratelimit",
        },
    }
RATELIMIT_USE_CACHE = "ratelimit"
# The embedded mode runs a single web process, where a local-memory cache counts correctly;
# with Redis the fail-safe cache counts with Redis's atomic SET NX + INCR (not a backend
# django-ratelimit knows by name, hence W001).
SILENCED_SYSTEM_CHECKS = (
    ["django_ratelimit.W001"] if REDIS_URL else ["django_ratelimit.E003", "django_ratelimit.W001"]
)
# The KPI facts' covering indexes carry INCLUDE columns for PostgreSQL's index-only scans;
# SQLite builds the same indexes without them, as it should.
SILENCED_SYSTEM_CHECKS += ["models.W040"]
RATELIMIT_VIEW = "cases.views.errors.rate_limited"
# A refused form (expired or missing CSRF token) gets Pulso's page, in the visitor's language.
CSRF_FAILURE_VIEW = "cases.views.errors.csrf_failure"
# Every rate limit keys on the client's address (config/client_ip.py): REMOTE_ADDR, or behind
# these reverse proxies (addresses or CIDR networks), the X-Forwarded-For address they saw.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
trusted_networks(tuple(TRUSTED_PROXIES))  # a wrong entry stops the start, named
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "cases.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:queue"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N -------------------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "es")
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/Bogota")
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pulso <soporte@pulso.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The support mailbox: customers' answers go there (Reply-To), and mail from it is never taken
# in as a customer's (no loops). Defaults to DEFAULT_FROM_EMAIL's address.
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL") or parseaddr(DEFAULT_FROM_EMAIL)[1]

# --- E-mail in (cases/services/inbound.py) ----------------------------------------------------
INBOUND_EMAIL_MAX_BYTES = env_int("INBOUND_EMAIL_MAX_BYTES", 25 * 1024 * 1024)
INBOUND_ATTACHMENT_MAX_BYTES = env_int("INBOUND_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
INBOUND_ATTACHMENTS_MAX = env_int("INBOUND_ATTACHMENTS_MAX", 20)

# --- Agents' attachments (cases/services/attachments.py) --------------------------------------
# Separate from the inbound limits: what an agent may send is bounded by what the customers'
# mail servers accept, what the desk takes in by what it is willing to keep. The total of one
# reply's files stays well under the 20–25 MB most servers take once base64 adds its third.
REPLY_ATTACHMENT_MAX_BYTES = env_int("REPLY_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
REPLY_ATTACHMENTS_MAX = env_int("REPLY_ATTACHMENTS_MAX", 20)
REPLY_ATTACHMENTS_TOTAL_MAX_BYTES = env_int("REPLY_ATTACHMENTS_TOTAL_MAX_BYTES", 15 * 1024 * 1024)
# At most this many automatic confirmations to one address an hour: a robot that answers
# every confirmation without saying it is a robot still gets no endless loop.
INBOUND_ACK_LIMIT = env_int("INBOUND_ACK_LIMIT", 5)
# Shared secret of POST /api/v1/inbound-email/ (Bearer token or Basic password); empty: off.
INBOUND_EMAIL_SECRET = env_str("INBOUND_EMAIL_SECRET")
# An IMAP mailbox the beat polls; IMAP_HOST empty: no polling.
IMAP_HOST = env_str("IMAP_HOST")
IMAP_PORT = env_int("IMAP_PORT", 993 if env_bool("IMAP_SSL", True) else 143)
IMAP_USER = env_str("IMAP_USER")
IMAP_PASSWORD = env_str("IMAP_PASSWORD")
IMAP_SSL = env_bool("IMAP_SSL", True)
IMAP_STARTTLS = env_bool("IMAP_STARTTLS", False)
IMAP_FOLDER = env_str("IMAP_FOLDER", "INBOX")
# Where read messages go; empty: they stay in IMAP_FOLDER, marked as read.
IMAP_PROCESSED_FOLDER = env_str("IMAP_PROCESSED_FOLDER")
IMAP_TIMEOUT = env_int("IMAP_TIMEOUT", 30)
IMAP_BATCH = env_int("IMAP_BATCH", 100)

# --- Security ---------------------------------------------------------------------------------
_https = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _https)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _https)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _https)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _https)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # DRF's default is AllowAny: every endpoint is closed unless it opens itself.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # page from 1, page_size from 1 (at most 100); anything else is a 400 / 404 (see the class).
    "DEFAULT_PAGINATION_CLASS": "cases.api.pagination.PagePagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "cases.api.common.PulsoAutoSchema",
    # OPTIONS describes each view's InputSerializer (DRF's default needs get_serializer()).
    "DEFAULT_METADATA_CLASS": "cases.api.metadata.PulsoMetadata",
    "EXCEPTION_HANDLER": "cases.api.errors.exception_handler",
    # JSON only: DRF's browsable HTML page builds its forms from get_serializer(), which
    # Pulso's views (an input serializer per action) do not have, so a browser opening an
    # endpoint got a 500. The OpenAPI docs page (/api/v1/docs/) is the human view.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
# API tokens expire this many days after they are issued (or refreshed, by exchanging a valid
# token at /api/v1/auth/token/refresh/ for a new one).
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1: API tokens expire.")
REST_KNOX = {"TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS), "AUTH_HEADER_PREFIX": "Token"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pulso API",
    "DESCRIPTION": "Tickets, customers and teams of the Pulso support desk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets named "status": the tickets' keeps its name, the articles' gets its own.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "cases.models.Status",
        "ArticleStatusEnum": "knowledge.models.Status",
        "ProblemStatusEnum": "quality.models_problems.ProblemStatus",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery (docs/reliability.md) -----------------------------------------------------------------
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any]  # the chosen transport's own options
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
else:
    # A folder as the broker: kombu's file-system transport with every file written whole and
    # each message taken once (config/broker.py; kombu's own hands out half-written files).
    _broker_dir = VAR_DIR / "celery" / "broker"
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "pulsofs://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
        # The folder is polled; kombu's default 1 s caps a worker near 1 task/s (measured).
        "polling_interval": 0.1,
    }
    # Remote control (celery inspect / control) gives every worker a fan-out queue in the folder
    # that outlives a killed worker and keeps filling; nothing in Pulso uses it.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# How long a sender holds an outbox row (cases/services/send_attempts.py): a row whose sender
# died is sent by another worker once it runs out. It must outlast every live send. EMAIL_TIMEOUT
# bounds each SMTP step, not the conversation (a server that trickles bytes never trips it);
# the hard time limit bounds the whole task (prefork kills the child), so the lease must exceed
# it, plus a margin for the pool noticing the limit and for clocks that differ between hosts.
OUTBOX_LEASE_MARGIN_SECONDS = 10
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
if OUTBOX_LEASE_SECONDS < CELERY_TASK_TIME_LIMIT + OUTBOX_LEASE_MARGIN_SECONDS:
    raise ImproperlyConfigured(
        f"OUTBOX_LEASE_SECONDS={OUTBOX_LEASE_SECONDS} is too short: a send may run until "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT} s) kills it, and a lease that ends "
        "first lets a second worker send the same e-mail again. Use at least "
        f"{CELERY_TASK_TIME_LIMIT + OUTBOX_LEASE_MARGIN_SECONDS}."
    )
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = 2
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "cases-sweep-outbox": {
        "task": "cases.tasks.sweep_customer_notifications",
        "schedule": env_float("OUTBOX_SWEEP_SECONDS", 30.0),
    },
    "surveys-sweep-invitations": {
        "task": "surveys.tasks.sweep_invitations",
        "schedule": env_float("OUTBOX_SWEEP_SECONDS", 30.0),
    },
    "surveys-reminders-and-expiry": {
        "task": "surveys.tasks.send_reminders_and_expire",
        "schedule": env_float("SURVEY_HOUSEKEEPING_SECONDS", 300.0),
    },
    "cases-close-resolved": {
        "task": "cases.tasks.close_resolved_tickets",
        "schedule": env_float("AUTO_CLOSE_CHECK_SECONDS", 3600.0),
    },
    "cases-check-sla": {
        "task": "cases.tasks.check_sla",
        "schedule": env_float("SLA_CHECK_SECONDS", 60.0),
    },
    "cases-poll-mailbox": {
        "task": "cases.tasks.poll_mailbox",
        "schedule": env_float("IMAP_POLL_SECONDS", 60.0),
    },
    "metrics-refresh-rollups": {
        "task": "metrics.tasks.refresh_rollups",
        "schedule": env_float("ROLLUP_REFRESH_SECONDS", 60.0),
    },
    "metrics-weekly-digest": {
        "task": "metrics.tasks.send_weekly_digests",
        # Hourly: each manager's Monday digest goes out at the first run of the week
        # (a run missed while the beat was down is made up by the next one).
        "schedule": env_float("WEEKLY_DIGEST_CHECK_SECONDS", 3600.0),
    },
    "surveys-sweep-follow-up-alerts": {
        "task": "surveys.tasks.sweep_follow_up_alerts",
        "schedule": env_float("OUTBOX_SWEEP_SECONDS", 30.0),
    },
    "quality-sample-last-week": {
        "task": "quality.tasks.sample_last_week",
        # Hourly: the previous week is sampled at the first run of a week (one SamplingRun
        # per rule and week: a later run assigns nothing, a run missed is made up).
        "schedule": env_float("QUALITY_SAMPLING_CHECK_SECONDS", 3600.0),
    },
    "quality-sweep-bulk-answers": {
        "task": "quality.tasks_problems.sweep_bulk_answers",
        # A problem's bulk answer left unfinished (a lost message, a dead worker) goes on.
        "schedule": env_float("BULK_ANSWER_SWEEP_SECONDS", 300.0),
    },
    "insights-train-models": {
        "task": "insights.tasks.train_models_when_due",
        # Hourly: each kind of model is trained at INSIGHTS_TRAIN_HOUR, or at once when it
        # has none or missed a night (a training on unchanged data writes nothing).
        "schedule": env_float("INSIGHTS_TRAIN_CHECK_SECONDS", 3600.0),
    },
}

# --- Insights: text models learned from the desk's own history (docs/insights.md) ----------
# Where trained models are kept: shared by every web and worker host, like media/.
INSIGHTS_MODEL_DIR = Path(env_str("INSIGHTS_MODEL_DIR", str(VAR_DIR / "models")))
INSIGHTS_TRAIN_HOUR = env_int("INSIGHTS_TRAIN_HOUR", 3)  # local time, nightly
# A process asks the database this often whether a newer model is ready.
INSIGHTS_RELOAD_SECONDS = env_float("INSIGHTS_RELOAD_SECONDS", 60.0)
INSIGHTS_TRAIN_MAX_TICKETS = env_int("INSIGHTS_TRAIN_MAX_TICKETS", 200_000)  # the newest
INSIGHTS_MIN_TICKETS = env_int("INSIGHTS_MIN_TICKETS", 100)  # labelled, before suggesting
INSIGHTS_MIN_COMMENTS = env_int("INSIGHTS_MIN_COMMENTS", 60)  # clearly scored survey comments

# --- Surveys (issue 3; every SURVEY_* comes from the environment variable of the same name) --
# Resolved tickets close on their own after this many days without a customer reply.
AUTO_CLOSE_DAYS = env_int("AUTO_CLOSE_DAYS", 7)

# KPI rollups (metrics/rollups.py): per-day aggregates kept by the beat; the engine reads
# them for whole-day periods once built. Off: every KPI is computed live.
METRICS_ROLLUPS = env_bool("METRICS_ROLLUPS", True)
# A figure computed over fewer items than this is flagged `low_sample` (docs/kpis.md): still
# computed and shown, muted on the dashboard.
KPI_MIN_SAMPLE = env_int("KPI_MIN_SAMPLE", 20)
# Without usable rollups (docs/kpis.md, "Why it moved") the dashboard's explanations read the
# tickets: over more tickets than this in the two periods they load after the page.
EXPLAIN_INLINE_MAX_TICKETS = env_int("EXPLAIN_INLINE_MAX_TICKETS", 20_000)

SURVEY_SEND_DELAY = env_int("SURVEY_SEND_DELAY", 600)  # seconds after the resolution; 0 = at once
SURVEY_THROTTLE_DAYS = env_int("SURVEY_THROTTLE_DAYS", 7)
SURVEY_SAMPLE_RATE = env_float("SURVEY_SAMPLE_RATE", 1.0)
SURVEY_REMINDER_DAYS = env_int("SURVEY_REMINDER_DAYS", 3)
SURVEY_EXPIRY_DAYS = env_int("SURVEY_EXPIRY_DAYS", 30)
SURVEY_QUESTIONS = env_list("SURVEY_QUESTIONS", "csat,ces,nps")
SURVEY_RATE = env_str("SURVEY_RATE", "30/m")  # per client IP, on the page and the API
# Key that turns an invitation's random nonce into its link token; defaults to SECRET_KEY.
SURVEY_TOKEN_KEY = env_str("SURVEY_TOKEN_KEY") or SECRET_KEY

# --- Pulso ------------------------------------------------------------------------------------
PUBLIC_FORM_RATE = env_str("PUBLIC_FORM_RATE", "5/h")
# "Was this helpful?" votes and help-centre searches, per client IP (docs/knowledge.md).
HELP_VOTE_RATE = env_str("HELP_VOTE_RATE", "30/h")
HELP_SEARCH_RATE = env_str("HELP_SEARCH_RATE", "60/m")
# Failed passwords (cases/login_guard.py; the login form, the admin's and the API's token
# endpoint share them): per account and client address (tight); per account from any address
# (once spent, it refuses only the addresses that tried the account, never a new one: the
# owner still gets in); per client address over all accounts.
LOGIN_RATE = env_str("LOGIN_RATE", "10/5m")
LOGIN_ACCOUNT_RATE = env_str("LOGIN_ACCOUNT_RATE", "20/h")
LOGIN_IP_RATE = env_str("LOGIN_IP_RATE", "30/h")
CUSTOMER_LINK_RATE = env_str("CUSTOMER_LINK_RATE", "60/m")
# A customer's private link opens their case until this many days after it closed (a link
# sent later, on request: after it was sent); agents can withdraw a case's links sooner.
CUSTOMER_LINK_DAYS_AFTER_CLOSE = env_int("CUSTOMER_LINK_DAYS_AFTER_CLOSE", 90)
# "Send me a new link" on an expired link's page: per client IP, and at most one e-mail a
# case in this many minutes (always to the address on file).
CUSTOMER_LINK_RESEND_RATE = env_str("CUSTOMER_LINK_RESEND_RATE", "5/h")
CUSTOMER_LINK_RESEND_MINUTES = env_int("CUSTOMER_LINK_RESEND_MINUTES", 60)
# The customer portal's sign-in by e-mailed link (docs/portal.md): asking for a link, per typed
# address (a hash of it, known or not) and per client IP; how long a link works (once); how
# long the session it opens lasts.
PORTAL_SIGN_IN_ADDRESS_RATE = env_str("PORTAL_SIGN_IN_ADDRESS_RATE", "5/h")
PORTAL_SIGN_IN_IP_RATE = env_str("PORTAL_SIGN_IN_IP_RATE", "20/h")
PORTAL_SIGN_IN_MINUTES = env_int("PORTAL_SIGN_IN_MINUTES", 30)
PORTAL_SESSION_HOURS = env_int("PORTAL_SESSION_HOURS", 12)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_without_traceback": {
            "()": "config.log_filters.ClientErrorsWithoutTraceback",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["client_errors_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
