"""Settings, all from the environment (django-environ).

Two ways to run one code base:

* embedded default (``make run``): SQLite under ``var/``, eager Celery, in-memory channel layer;
* production: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (Celery broker, channel layer, cache).

One module on purpose (about 460 lines): every setting is read from the environment in one
place, so the two ways to run cannot drift apart; the sections are headed by comments.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from community.api.enums import ProjectEnumNames

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/.

    A key kept on disk means `make run` needs no configuration and sessions survive restarts,
    without a well-known key in the repository.
    """
    if key := env.str("SECRET_KEY", default=""):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "phonenumber_field",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "channels",
    "django_prometheus",
    "community.ops",
    "community.accounts",
    "community.calendar",
    "community.residents",
    "community.notifications",
    "community.tickets",
    "community.voting",
    "community.billing",
    "access",
    "parking",
    "eldercare",
    "exchange",
    # Last of our apps: its catalogue must not override another app's translation of a shared
    # word (Django takes an msgid from the first app catalogue that has it).
    "community.affairs",
]

MIDDLEWARE = [
    # First and last: django-prometheus times the whole stack between the two.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "community.ops.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "community.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "community.accounts.preferences.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "community.accounts.middleware.StaffMFARequiredMiddleware",
    "community.middleware.BadInputGuardMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "community.urls"
WSGI_APPLICATION = "community.wsgi.application"
ASGI_APPLICATION = "community.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'community.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery, channel layer --------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not REDIS_URL

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that accepts connections but never answers must not hang requests.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    # Embedded mode only: tasks run in-process at .delay(), so no worker is needed.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs (each is also a management command, for the embedded mode).
CELERY_BEAT_SCHEDULE = {
    "tickets-escalate": {"task": "tickets.escalate", "schedule": 300.0},
    "tickets-auto-close": {"task": "tickets.auto_close", "schedule": 3600.0},
    "residents-end-due": {"task": "residents.end_due", "schedule": 3600.0},
    "voting-advance": {"task": "voting.advance", "schedule": 60.0},
    "access-devices-check-offline": {"task": "access.devices_check_offline", "schedule": 60.0},
    "access-credentials-sync-due": {"task": "access.credentials_sync_due", "schedule": 60.0},
    "access-partitions-maintain": {"task": "access.partitions_maintain", "schedule": 6 * 3600.0},
    "eldercare-alarms-escalate": {"task": "eldercare.alarms_escalate", "schedule": 30.0},
    "eldercare-wellbeing-watch": {"task": "eldercare.wellbeing_watch", "schedule": 3600.0},
    "eldercare-plans-generate": {"task": "eldercare.plans_generate", "schedule": 6 * 3600.0},
    "eldercare-vouchers-issue": {"task": "eldercare.vouchers_issue", "schedule": 24 * 3600.0},
    # Proof of life for beat and the workers (community/ops/tasks.py); monitoring reads its age.
    "ops-heartbeat": {"task": "ops.heartbeat", "schedule": env.float("OPS_HEARTBEAT_SECONDS", default=60.0)},
    # Tasks enqueued after a commit while Redis was down (community/ops/held.py) go out again.
    "ops-held-tasks-send": {
        "task": "ops.held_tasks_send",
        "schedule": env.float("OPS_HELD_TASKS_SECONDS", default=30.0),
    },
    # Hikvision ANPR bodies spooled to disk while the database was down are ingested once it is back.
    "parking-spool-ingest": {"task": "parking.spool_ingest", "schedule": 60.0},
    # Passes used up or over, permits ending: the cameras' own lists follow within minutes.
    "parking-allowlists-sync": {"task": "parking.allowlists_sync", "schedule": 300.0},
    "parking-barrier-requests-expire": {"task": "parking.barrier_requests_expire", "schedule": 60.0},
    "exchange-deliver": {"task": "exchange.deliver", "schedule": 30.0},
    "affairs-escalate": {"task": "affairs.escalate", "schedule": 300.0},
    "exchange-statistics-daily": {"task": "exchange.statistics_daily", "schedule": 6 * 3600.0},
    "billing-bill-run": {"task": "billing.bill_run", "schedule": 6 * 3600.0},
    "billing-reconcile": {"task": "billing.reconcile", "schedule": 600.0},
    "billing-late-fees": {"task": "billing.late_fees", "schedule": 24 * 3600.0},
    "billing-reminders": {"task": "billing.reminders", "schedule": 3600.0},
    "billing-statements": {"task": "billing.statements", "schedule": 6 * 3600.0},
    # Next year's holidays not entered yet: the managers are told (once each).
    "calendar-gaps-remind": {"task": "calendar.gaps_remind", "schedule": 24 * 3600.0},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Reliability: a task is acknowledged only after it ran (acks_late), and a worker process that
# dies under it hands it back (reject_on_worker_lost), so a killed or OOM-ed worker never loses
# work; every task must therefore be safe to run twice (key its effect by what it acts on).
# One message reserved per process, so a dying worker strands at most one per process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis has no real acknowledgements: a message taken by a worker that vanished (machine lost,
# SIGKILL of the whole worker) is handed out again after visibility_timeout. 15 minutes: above
# the longest task (partition maintenance, a few minutes), far below Celery's default hour.
# No task here uses a countdown/ETA beyond it (such a task would be delivered twice).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
# kombu 5.7 sweeps for such messages only on every 10th tick of 10 s (unacked_restore_throttle):
# a lost message would wait up to 100 s past its timeout. One ZRANGE per tick is cheap, so scan
# on every tick, and tick at least twice per timeout so a short one (the drills) is kept too.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_throttle": 1,
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 2)),
}
# Keep reconnecting to Redis for ever: a Redis restart must not end the worker (the default
# gives up after 100 tries, and the process manager would then restart everything).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks running when the broker connection drops are cancelled and redelivered (acks_late).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery's own logging would replace ours: keep the JSON lines with their request ids.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Data exchange ----------------------------------------------------------------------------
# Secrets of external systems by reference (see exchange/credentials.py); the environment's
# EXCHANGE_SECRET_<REF> variables are read when an entry is missing here.
EXCHANGE_SECRETS: dict[str, str] = {}
if DEBUG:
    # The demo destination talks to `manage.py exchange_fake_viid` on this machine only.
    EXCHANGE_SECRETS["DEMO_VIID"] = "community:demo-viid"
EXCHANGE_HTTP_TIMEOUT = env.float("EXCHANGE_HTTP_TIMEOUT", default=10.0)

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "account_login"

PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"

# allauth 65: login by phone, email or username (the superuser) with a password; no open
# signup (residents join through a staff invitation, see community.accounts).
ACCOUNT_ADAPTER = "community.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone", "email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email", "password1*", "password2*"]
ACCOUNT_PHONE_VERIFICATION_ENABLED = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Residents who forgot their password sign in with a 6-digit SMS code (then change it); staff
# cannot (community.accounts.forms.ResidentLoginCodeForm explains why).
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
# Six digits, as every Chinese SMS code is (phones offer to fill them in); 3 tries per code and
# allauth's request limit (3 a minute per number) keep guessing at odds of 1 in 333,333.
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}  # codes sent by email
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = ACCOUNT_LOGIN_BY_CODE_FORMAT  # codes sent by SMS (login too)
ACCOUNT_FORMS = {"request_login_code": "community.accounts.forms.ResidentLoginCodeForm"}
ACCOUNT_SESSION_REMEMBER = None
# Per client address and per account ("key": community.accounts.selectors.lockout_key, so
# "135 0000 9010", "+86…" and the username are one account). The address is the client's only
# when TRUSTED_PROXY_COUNT matches the proxies in front (see "Proxies" below).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "智慧社区"
# Staff must enrol MFA before they reach the admin; on by default in production.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEBUG)
# Where invitation and verification codes go: "log" (embedded) or a dotted path to a sender class.
SMS_BACKEND = env.str("SMS_BACKEND", default="community.accounts.sms.LogSMSBackend")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@community.local")

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The embedded mode serves static files from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Security -------------------------------------------------------------------------------
# Secure by default; behind nginx without TLS (make prod on one machine) set SECURE_HTTPS=false.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^iclock/", r"^isapi/"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Proxies --------------------------------------------------------------------------------
# How many proxies we run in front of Django, each appending the address it saw to
# X-Forwarded-For. The client address is the entry that many places from the right; anything
# to its left was written by the client and is ignored. 0 (embedded mode, Django reached
# directly): X-Forwarded-For is ignored, REMOTE_ADDR is the client. `make prod` (nginx ->
# gunicorn/daphne on loopback) sets 1. Wrong in either direction is a security bug: too low
# and every client shares nginx's address (one attacker's failed logins lock out everyone);
# too high and clients choose their own address (and dodge every per-address limit).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=env.int("NUM_PROXIES", default=0))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # allauth 65: rate limits by client address

# --- Content-Security-Policy ----------------------------------------------------------------
# This origin only; no inline scripts (page data travels in data-* attributes and
# json_script blocks, which are not executed). The API docs load Swagger UI from local files.
# Styles: files from this origin plus inline style *attributes*, which the staff dashboards'
# bar widths and Swagger UI use; styles cannot run code (docs/security.md, residual risks).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# --- Sessions, tokens, websockets -----------------------------------------------------------
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)  # the same for every estate
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=20)
# How stale a websocket subscription's rights check may be before an event is delivered.
WEBSOCKET_RECHECK_SECONDS = env.float("WEBSOCKET_RECHECK_SECONDS", default=30.0)
# /api/docs/ and /api/schema/ without a login: only in development.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=DEBUG)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF takes the 401 challenge (WWW-Authenticate) from the first class.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "community.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Our JSON parser honours DATA_UPLOAD_MAX_MEMORY_SIZE (413), DRF's does not.
    "DEFAULT_PARSER_CLASSES": [
        "community.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per-address throttles see the client, not nginx (see "Proxies" above).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "community.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "community.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "智慧社区 API",
    "DESCRIPTION": "Smart-community platform: residents, tickets, voting, access, parking, eldercare.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": ProjectEnumNames(),
}

# --- Domain settings ------------------------------------------------------------------------
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=180)

# --- Operations -----------------------------------------------------------------------------
# Which node a process belongs to (make prod NODES=2 sets web1, web2 ...); in logs and /healthz.
NODE_NAME = env.str("NODE_NAME", default="")
# /metrics answers only a scraper presenting this bearer token; unset, /metrics is a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False

# LOG_FORMAT=json (production: one JSON object per line, for the log collector) or plain.
# Device tokens in URL paths (Hikvision /isapi/<token>/…, /lpr/vzenith/<token>) are masked in
# every log line: on our handler, and on the loggers that write request lines through their own.
_MASK = ["mask_device_tokens"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "community.ops.logging.RequestIdFilter"},
        "mask_device_tokens": {"()": "community.logmask.MaskDeviceTokens"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "community.ops.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="plain"),
            "filters": ["request_id", *_MASK],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"filters": _MASK},
        "django.request": {"filters": _MASK},
        "gunicorn.access": {"filters": _MASK},
        "gunicorn.error": {"filters": _MASK},
        "daphne": {"filters": _MASK},
    },
}
