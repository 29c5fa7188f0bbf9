"""Settings, read once from the environment through django-environ.

Every variable is listed with its default and meaning in `.env.example`; a test
keeps the two in step. The zero-setup default is SQLite, a filesystem broker
shared by processes, and the Meta simulator standing in for Graph API.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from broadcasts import optout_keywords

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A developer's .env and shell are for the processes they run. The test suite (pytest sets PYTEST_VERSION
# before anything is imported; the processes it starts inherit it) runs on the documented defaults instead.
if "PYTEST_VERSION" in os.environ:
    from whatsapp_gateway.test_environment import test_environment_prepare

    test_environment_prepare()
else:
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VERSION = "0.2.0"

# Off unless set, so production never runs on development conveniences or the public demo secrets.
# `make` sets DEBUG=1; under pytest (which sets PYTEST_VERSION before anything is imported, and the worker and
# simulator processes the tests start inherit it) it defaults to on, so `python -m pytest` works on a fresh clone.
DEBUG = env.bool("DEBUG", default="PYTEST_VERSION" in os.environ)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    "whatsapp_gateway",
    "transports",
    "templates.apps.MessageTemplatesConfig",
    "broadcasts",
    "broadcasts.callbacks",
    "simulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's static files from the app itself (no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "whatsapp_gateway.urls"
WSGI_APPLICATION = "whatsapp_gateway.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # Workers are separate processes: the test database must be a file they can open too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Admin logins are throttled by django-axes: its backend comes first and refuses a locked-out login.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Wrong passwords for one username from one address before that pair is locked out, and for how long.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=30.0))
# Per (username, address): guessing one account is stopped, while an attacker cannot lock every admin out
# of an address they share (behind the proxy, all admins may come from one address).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Only failed attempts are needed for the lockout; successful logins are not recorded (addresses are personal data).
AXES_DISABLE_ACCESS_LOG = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["whatsapp_gateway.authentication.AppKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["whatsapp_gateway.authentication.IsApp"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "whatsapp_gateway.pagination.Pagination",
    # Query parameters of the lists: django-filter FilterSets (whatsapp_gateway/filters.py), in the schema too.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    # JSON only, depth- and text-checked (api_input.py).
    "DEFAULT_PARSER_CLASSES": ["whatsapp_gateway.api_input.JSONBodyParser"],
    # Every error in one body {"code", "detail", field: [problems]}; an unexpected one a JSON 500 (errors.py).
    "EXCEPTION_HANDLER": "whatsapp_gateway.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "WhatsApp Gateway API",
    "DESCRIPTION": (
        "Send Meta-approved WhatsApp template messages to one recipient or a hundred "
        "thousand, and follow every attempt. Authenticate with `Authorization: Api-Key <key>`.\n\n"
        "Every error answers one body: `{\"code\": \"…\", \"detail\": \"…\"}`, and each field at fault under "
        "its name (the codes: docs/errors.md)."
    ),
    "VERSION": VERSION,  # the product's version: the schema changes with it
    # In the order an integrator reads them: a transport, its templates, sessions, then privacy.
    "TAGS": [
        {"name": "transports", "description": "The channels messages leave through: a WhatsApp Cloud API number "
         "(or any HTTP API), its config and encrypted secrets."},
        {"name": "templates", "description": "Meta-approved WhatsApp templates of your transports' WhatsApp "
         "Business Accounts: sync, submit, delete, and what a send must give."},
        {"name": "sessions", "description": "Send one message to up to 100,000 recipients and follow every "
         "broadcast: status, attempts, Meta's errors; pause, resume, trigger, cancel."},
        {"name": "opt-outs", "description": "Your suppression list: who no session sends to (all, or marketing)."},
        {"name": "privacy", "description": "Erase one person's numbers, parameters and messages."},
        {"name": "callbacks", "description": "Your endpoints for signed status events, pushed at least once."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "broadcasts.models.Session.Status",
        "BroadcastStatusEnum": "broadcasts.models.Broadcast.Status",
        "TemplateStatusEnum": "templates.models.Template.Status",
        "CategoryEnum": "templates.models.Template.Category",
        "WaitingReasonEnum": "broadcasts.services.schedule.WAITING_REASONS",
    },
    # Swagger UI and ReDoc assets are served by the gateway itself: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery (read by celery_app.py, CELERY_ namespace) -----------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_FOLDER = env.path("BROKER_FOLDER", default=VAR_DIR / "broker")
if CELERY_BROKER_URL.startswith("filesystem"):
    # A broker that needs no server but is shared by the web and worker processes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER),
        "data_folder_out": str(BROKER_FOLDER),
        "store_processed": False,
        "control_folder": os.path.join(str(BROKER_FOLDER), "control"),
        # How long an idle worker sleeps before it looks at the folder again: kombu's 1 s default is the
        # latency of every task (each batch of a session is one); a look is one small directory listing.
        "polling_interval": 0.05,
    }
else:
    # Without publisher confirms RabbitMQ may drop a publish silently under alarms.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A batch sending when the broker connection drops finishes and records its outcomes: cancelling it
# would resend what was already on the wire. Its redelivery finds those rows claimed.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Far below RabbitMQ's 30-minute consumer timeout, so no delivery is ever held past it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="gateway")
# Webhooks and housekeeping go to queues of their own beside it (celery_app.py), so no send waits behind them.
CELERY_TASK_ROUTES = ("celery_app.task_route",)
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30.0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# Workers log through LOGGING below (structured fields, JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- WhatsApp Cloud API ------------------------------------------------------------------
# Demo values let the zero-setup stack talk to the simulator; real ones come from Meta.
# Without a real access token the simulator stands in for Graph API.
SIMULATOR_URL = env.str("SIMULATOR_URL", default="http://127.0.0.1:8001")
_REAL_META = bool(os.environ.get("WHATSAPP_ACCESS_TOKEN"))
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="100000000000001")
WHATSAPP_BUSINESS_ACCOUNT_ID = env.str("WHATSAPP_BUSINESS_ACCOUNT_ID", default="200000000000001")
# The simulator's demo credentials are public (anyone can sign a webhook with the demo app secret), so they
# are defaults in DEBUG only; `check --deploy` (whatsapp_gateway/checks.py) refuses them in production.
WHATSAPP_DEMO_VALUES = {
    "WHATSAPP_ACCESS_TOKEN": "demo-access-token",
    "WHATSAPP_APP_SECRET": "demo-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "demo-verify-token",
}
_whatsapp_demo = WHATSAPP_DEMO_VALUES if DEBUG else {}
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default=_whatsapp_demo.get("WHATSAPP_ACCESS_TOKEN", ""))
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default=_whatsapp_demo.get("WHATSAPP_APP_SECRET", ""))
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default=_whatsapp_demo.get("WHATSAPP_VERIFY_TOKEN", ""))
WHATSAPP_API_VERSION = env.str("WHATSAPP_API_VERSION", default="v23.0")
WHATSAPP_API_BASE_URL = env.str(
    "WHATSAPP_API_BASE_URL", default="https://graph.facebook.com" if _REAL_META else SIMULATOR_URL
)
DEV_PHONE = env.str("DEV_PHONE", default="+15550100001")
# Transport URLs resolving to an address that is not globally routable are refused unless their
# host (or host:port), optionally with a path prefix, is listed here. In DEBUG the simulator's Graph
# paths (/v23.0/…) are, never its control API (/_sim/…); with DEBUG off nothing is by default.
TRANSPORT_ALLOWED_HOSTS = env.list(
    "TRANSPORT_ALLOWED_HOSTS", default=[SIMULATOR_URL.split("://", 1)[-1].split("/", 1)[0] + "/v"] if DEBUG else []
)
# The only environment variables an `env:NAME` transport secret may name (set by an operator in the
# admin or a command; never through the API). Empty: no reference resolves.
TRANSPORT_SECRET_ENV_NAMES = env.list("TRANSPORT_SECRET_ENV_NAMES", default=[])
# Region assumed for phone numbers written without a country code (e.g. "2025550101").
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")
# Opt-out keywords per language ("en=STOP,QUIT;de=STOPP") and quick-reply payloads: broadcasts/optout_keywords.py.
OPT_OUT_STOP_KEYWORDS = env.dict("OPT_OUT_STOP_KEYWORDS", cast={"value": list}, default=optout_keywords.STOP)
OPT_OUT_START_KEYWORDS = env.dict("OPT_OUT_START_KEYWORDS", cast={"value": list}, default=optout_keywords.START)
OPT_OUT_BUTTON_PAYLOADS = env.list("OPT_OUT_BUTTON_PAYLOADS", default=optout_keywords.BUTTON_PAYLOADS)

# Fernet keys for transport secrets at rest, newest first (comma-separated; see docs on rotation).
_DEBUG_SECRETS_KEY = "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk="  # noqa: S105
SECRETS_ENCRYPTION_KEYS = env.list("SECRETS_ENCRYPTION_KEYS", default=[_DEBUG_SECRETS_KEY] if DEBUG else [])
if not SECRETS_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("SECRETS_ENCRYPTION_KEYS must be set when DEBUG is off.")

# --- The gateway's own behaviour (sending, webhooks, templates, privacy) ----------------------------
from whatsapp_gateway.settings_gateway import *  # noqa: E402, F403
from whatsapp_gateway.settings_gateway import (  # noqa: E402 - what the beat schedule below reads
    SCHEDULE_INTERVAL,
    SWEEPER_INTERVAL,
    TEMPLATE_SYNC_INTERVAL,
)

# --- Operations -------------------------------------------------------------------------------
# Bearer token Prometheus sends to scrape /metrics. Empty: /metrics answers 404 (turned off).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Folder where every process (web server, workers) keeps its metrics, so one scrape adds them up.
# Shared by the web server and the workers; emptied when the stack starts. Default: var/prometheus in DEBUG.
PROMETHEUS_MULTIPROC_DIR = env.str(
    "PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "prometheus") if DEBUG else ""
)
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    # prometheus_client reads the variable itself when it is first imported, after the settings.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
# Behind a TLS-terminating proxy: all on by default when DEBUG is off (`manage.py check --deploy` passes).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Orchestrator probes and Prometheus reach the container directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is an opt-in to browsers' built-in lists that is slow to undo: the operator's call.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
# Trust the proxy's X-Forwarded-Proto to tell HTTPS requests (the proxy must set or strip it).
if env.bool("USE_X_FORWARDED_PROTO", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed file names cached forever in production (needs `collectstatic`, run in the image).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# A file missing from the manifest is served under its plain name rather than failing the page.
WHITENOISE_MANIFEST_STRICT = False
if DEBUG:
    # whitenoise serves from the apps' own folders in development; the empty STATIC_ROOT keeps it quiet.
    WHITENOISE_USE_FINDERS = True
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

CELERY_BEAT_SCHEDULE = {
    "sweep-sessions": {"task": "broadcasts.tasks.sweep_sessions", "schedule": SWEEPER_INTERVAL},
    # Checks queued while no worker ran expire rather than run in a burst: the next one does the same work.
    "start-due-sessions": {"task": "broadcasts.tasks.start_due_sessions", "schedule": SCHEDULE_INTERVAL,
                           "options": {"expires": SCHEDULE_INTERVAL * 2}},
    "process-webhook-events": {"task": "broadcasts.tasks.process_webhook_events", "schedule": 60.0},
    "purge-personal-data": {"task": "broadcasts.tasks.purge_personal_data", "schedule": 3600.0},
    "deliver-callbacks": {"task": "broadcasts.callbacks.tasks.deliver_due_callbacks", "schedule": 10.0},
}
if TEMPLATE_SYNC_INTERVAL:
    CELERY_BEAT_SCHEDULE["sync-templates"] = {
        "task": "templates.tasks.sync_all_templates", "schedule": TEMPLATE_SYNC_INTERVAL,
    }
DEMO_API_KEY = env.str("DEMO_API_KEY", default="")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "json" (one object per line, for log collectors) or "text" (readable key=value lines).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "whatsapp_gateway.log_format.KeyValueFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {"request_redaction": {"()": "whatsapp_gateway.log_format.RequestRedactionFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_redaction"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's access lines, through the same handler (Django's default one has no redaction).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
