"""Relay settings: one module, configured from the environment.

Every variable has a laptop default (SQLite, local files, in-process worker) and fails at start-up
when it is malformed. The README's configuration table lists them all.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from relay.encryption import is_key, key_from_secret_key
from relay.logs import logging_config
from relay.proxies import parse_networks
from relay.ratelimit import Rate

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, "") or default


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if raw and not raw.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}")
    return int(raw) if raw else default


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "")
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else default


def env_rate(name: str, default: str) -> str:
    raw = env_str(name, default).strip()
    try:
        Rate.parse(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must look like 50/s, 600/min or 1000/hour, got {raw!r}"
        ) from None
    return raw


def env_fernet_keys(name: str) -> list[str]:
    keys = env_list(name, [])
    for position, key in enumerate(keys, start=1):
        if not is_key(key):  # a key is a secret: say where it is, never what it is
            raise ImproperlyConfigured(
                f"{name}: item {position} is not a Fernet key (32 bytes in url-safe base64)"
            )
    return keys


def load_or_create_secret_key(data_dir: Path) -> str:
    """The key lives beside the data it signs, is made on first run and is never committed."""
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: when two processes start at once, the second one reads the first one's key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


DATA_DIR = Path(env_str("RELAY_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
SECRET_KEY = os.environ.get("RELAY_SECRET_KEY") or load_or_create_secret_key(DATA_DIR)
DEBUG = env_bool("RELAY_DEBUG", default=False)
ALLOWED_HOSTS = env_list("RELAY_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("RELAY_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "relay",
    "tenants",
    "datasets",
    "annotations",
    "training",
    "inference",
]

MIDDLEWARE = [
    "relay.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "relay.proxies.RequestLinksMiddleware",
    "relay.middleware.SecurityHeadersMiddleware",
    "relay.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "relay.middleware.PageMessagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "relay.urls"
WSGI_APPLICATION = "relay.wsgi.application"

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
                "tenants.context_processors.membership",
            ],
        },
    },
]

# --- Database: SQLite (WAL) under RELAY_DATA_DIR unless DATABASE_URL names another.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Each web thread and worker thread keeps its connection this long (0: a new connection, a
# PostgreSQL backend forked and authenticated, for every request).
RELAY_DB_CONN_MAX_AGE_S = env_int("RELAY_DB_CONN_MAX_AGE_S", 60)
if DATABASE_URL:
    try:
        # Health checks: a kept connection that PostgreSQL dropped (a restart) is replaced at the
        # start of the next request instead of failing it.
        DATABASES = {
            "default": dj_database_url.parse(
                DATABASE_URL, conn_max_age=RELAY_DB_CONN_MAX_AGE_S, conn_health_checks=True
            )
        }
        if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
            # A database that is away fails a request in seconds (a 503), not after minutes.
            DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "relay.sqlite3",
            "OPTIONS": {
                # IMMEDIATE: concurrent writers wait for the lock instead of failing midway.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache. (Rate limits keep their own windows: relay.ratelimit.)
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Files: a local folder, or an S3-compatible bucket with RELAY_STORAGE=s3
RELAY_STORAGE = env_str("RELAY_STORAGE", "local")
if RELAY_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured(f"RELAY_STORAGE must be local or s3, got {RELAY_STORAGE!r}")
RELAY_S3_BUCKET = env_str("RELAY_S3_BUCKET", "relay")
RELAY_S3_ENDPOINT_URL = env_str("RELAY_S3_ENDPOINT_URL", "")
RELAY_S3_REGION = env_str("RELAY_S3_REGION", "us-east-1")
# The origins the browser reaches the bucket at (uploads, playback), for the pages' CSP.
RELAY_CSP_STORAGE_SOURCES = (
    [RELAY_S3_ENDPOINT_URL]
    if RELAY_S3_ENDPOINT_URL
    else ["https://*.s3.amazonaws.com", f"https://*.s3.{RELAY_S3_REGION}.amazonaws.com"]
    if RELAY_STORAGE == "s3"
    else []
)
MEDIA_ROOT = DATA_DIR / "files"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and `make run` serve static files straight from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True

# --- Auth, sessions, security
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
# Behind TLS: cookies over HTTPS only, HTTP redirected to HTTPS (health checks excepted, for load
# balancers that probe over plain HTTP), and HSTS. docs/production.env sets them all.
SESSION_COOKIE_SECURE = env_bool("RELAY_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Pages read the CSRF token from their <meta name="csrf-token">, never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("RELAY_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("RELAY_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("RELAY_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("RELAY_HSTS_PRELOAD", default=False)
# Proxies in front of Relay: addresses or CIDRs, comma-separated. Only from them are
# X-Forwarded-For/-Proto/-Host believed (relay.proxies drops them from anyone else, who could send
# them to pass for HTTPS or for another client).
RELAY_TRUSTED_PROXIES = env_list("RELAY_TRUSTED_PROXIES", [])
try:
    parse_networks(tuple(RELAY_TRUSTED_PROXIES))
except ValueError as error:
    raise ImproperlyConfigured(f"RELAY_TRUSTED_PROXIES: {error}") from None
if RELAY_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Preloading commits every subdomain to HTTPS for good: an operator's decision (RELAY_HSTS_PRELOAD),
# so its absence is not a deployment warning.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Cross-origin API calls: none unless listed (`https://tools.example.com`); API keys only, never
# the dashboard's cookies.
RELAY_CORS_ALLOWED_ORIGINS = env_list("RELAY_CORS_ALLOWED_ORIGINS", [])

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- Relay limits
RELAY_MAX_JSON_BODY_BYTES = env_int("RELAY_MAX_JSON_BODY_BYTES", 4 * 1024 * 1024)
RELAY_THROTTLE_RATE = env_rate("RELAY_THROTTLE_RATE", "50/s")
# Failed authentications (bad, unknown, revoked or expired keys) per client address.
RELAY_AUTH_FAILURE_RATE = env_rate("RELAY_AUTH_FAILURE_RATE", "20/min")
RELAY_PAGE_SIZE = env_int("RELAY_PAGE_SIZE", 50)
RELAY_MAX_PAGE_SIZE = env_int("RELAY_MAX_PAGE_SIZE", 500)
if not 1 <= RELAY_PAGE_SIZE <= RELAY_MAX_PAGE_SIZE:
    raise ImproperlyConfigured("RELAY_PAGE_SIZE must be between 1 and RELAY_MAX_PAGE_SIZE")
RELAY_KEY_LAST_USED_RESOLUTION = timedelta(seconds=60)
RELAY_MAX_UPLOAD_BYTES = env_int("RELAY_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
RELAY_MAX_AUDIO_DURATION_MS = env_int("RELAY_MAX_AUDIO_DURATION_MS", 60 * 60 * 1000)
RELAY_UPLOAD_URL_EXPIRES_S = env_int("RELAY_UPLOAD_URL_EXPIRES_S", 3600)
# An upload still unconfirmed this long after its URL expired is removed by housekeeping (its row
# and any partial object); the grace leaves room for a confirm after a slow last upload.
RELAY_UPLOAD_GRACE_S = env_int("RELAY_UPLOAD_GRACE_S", 900)
# How often the workers run housekeeping (`relay.housekeeping`), and the jobs it runs.
RELAY_HOUSEKEEPING_INTERVAL_S = env_int("RELAY_HOUSEKEEPING_INTERVAL_S", 300)
RELAY_HOUSEKEEPING = [
    "datasets.services.expire_unconfirmed_uploads",
    "inference.services.abandon_unconfirmed_uploads",
]
RELAY_DOWNLOAD_URL_EXPIRES_S = env_int("RELAY_DOWNLOAD_URL_EXPIRES_S", 3600)
RELAY_MAX_METADATA_BYTES = env_int("RELAY_MAX_METADATA_BYTES", 8 * 1024)
RELAY_INLINE_MAX_FILES = env_int("RELAY_INLINE_MAX_FILES", 20)
RELAY_INLINE_MAX_FILE_BYTES = env_int("RELAY_INLINE_MAX_FILE_BYTES", 25 * 1024 * 1024)
# Label files imported into an annotation set (the text inside an Audacity zip counts too).
RELAY_MAX_IMPORT_BYTES = env_int("RELAY_MAX_IMPORT_BYTES", 20 * 1024 * 1024)
RELAY_MAX_IMPORT_ROWS = env_int("RELAY_MAX_IMPORT_ROWS", 100_000)
# A worker holds a file for this long and renews it every third of it while it works (a
# heartbeat thread); once a lease runs out the sweep hands the file to another worker, so a
# crashed worker delays processing by about a lease plus a sweep interval, and never loses it.
# docs/operations.md (Recovery) has the measured gaps.
RELAY_PROCESSING_LEASE = timedelta(seconds=env_int("RELAY_PROCESSING_LEASE_S", 30))
RELAY_SWEEP_INTERVAL_S = env_int("RELAY_SWEEP_INTERVAL_S", 10)
# Work confirmed this long ago that no worker ever claimed had its message lost (a Redis without
# its data, an embedded restart): the sweep sends it again. Longer than a lease, so that a
# backlog waiting its turn in the queue is not sent twice.
RELAY_REQUEUE_UNCLAIMED_AFTER = timedelta(seconds=env_int("RELAY_REQUEUE_UNCLAIMED_AFTER_S", 300))
# Dramatiq's Redis broker gives a worker process's unacknowledged messages to others once that
# process has not been heard from for this long (every live consumer polls Redis each second).
RELAY_BROKER_HEARTBEAT_TIMEOUT_S = env_int("RELAY_BROKER_HEARTBEAT_TIMEOUT_S", 15)
RELAY_MAX_PROCESSING_ATTEMPTS = env_int("RELAY_MAX_PROCESSING_ATTEMPTS", 3)
# Functions the sweep calls to re-enqueue work whose message was lost or whose worker died.
RELAY_SWEEPS = [
    "relay.housekeeping.schedule_housekeeping",
    "datasets.tasks.requeue_stuck_audio",
    "training.tasks.requeue_stuck_training",
    "inference.tasks.requeue_stuck_inference",
    "tenants.tasks.requeue_stuck_webhooks",
]
# Training: a worker holds a job for this long and renews it while it trains; a job whose worker
# died resumes from its last checkpoint, up to RELAY_MAX_TRAINING_ATTEMPTS claims.
RELAY_TRAINING_LEASE = timedelta(seconds=env_int("RELAY_TRAINING_LEASE_S", 30))
RELAY_MAX_TRAINING_ATTEMPTS = env_int("RELAY_MAX_TRAINING_ATTEMPTS", 3)
# Torch threads of a training run; 0 leaves torch's default (every core).
RELAY_TRAINING_THREADS = env_int("RELAY_TRAINING_THREADS", 0)
RELAY_TRAINING_DEVICE = env_str("RELAY_TRAINING_DEVICE", "auto")
if RELAY_TRAINING_DEVICE not in {"auto", "cpu", "cuda"}:
    raise ImproperlyConfigured(
        f"RELAY_TRAINING_DEVICE must be auto, cpu or cuda, got {RELAY_TRAINING_DEVICE!r}"
    )
# Inference: a worker holds a file for this long and renews it while it runs; a file whose
# worker died is run again, up to RELAY_MAX_INFERENCE_ATTEMPTS claims.
RELAY_INFERENCE_LEASE = timedelta(seconds=env_int("RELAY_INFERENCE_LEASE_S", 30))
RELAY_MAX_INFERENCE_ATTEMPTS = env_int("RELAY_MAX_INFERENCE_ATTEMPTS", 3)
# Models each worker process keeps loaded (least recently used goes first).
RELAY_INFERENCE_MODEL_CACHE_SIZE = env_int("RELAY_INFERENCE_MODEL_CACHE_SIZE", 4)
# Torch threads of inference; 0 leaves torch's default (every core).
RELAY_INFERENCE_THREADS = env_int("RELAY_INFERENCE_THREADS", 0)
RELAY_INFERENCE_DEVICE = env_str("RELAY_INFERENCE_DEVICE", "auto")
if RELAY_INFERENCE_DEVICE not in {"auto", "cpu", "cuda"}:
    raise ImproperlyConfigured(
        f"RELAY_INFERENCE_DEVICE must be auto, cpu or cuda, got {RELAY_INFERENCE_DEVICE!r}"
    )
# Files the job detail embeds (with their detections); GET .../files pages through all of them.
RELAY_INFERENCE_EMBEDDED_FILES = env_int("RELAY_INFERENCE_EMBEDDED_FILES", 100)
# Unset (the default), upload and download URLs follow each request's scheme and host (a
# trusted proxy's X-Forwarded-Proto/-Host); set, they always use it.
RELAY_PUBLIC_URL = env_str("RELAY_PUBLIC_URL", "")
# Webhooks: refused when their URL resolves to a private, loopback or link-local address, unless
# this allows it (tests, single-machine installs). A failed attempt is retried after
# RETRY_BASE_S, then twice that, and so on, MAX_ATTEMPTS attempts in all (about 4 hours).
RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)
RELAY_WEBHOOK_MAX_ATTEMPTS = env_int("RELAY_WEBHOOK_MAX_ATTEMPTS", 10)
RELAY_WEBHOOK_RETRY_BASE_S = env_int("RELAY_WEBHOOK_RETRY_BASE_S", 30)
RELAY_WEBHOOK_TIMEOUT_S = env_int("RELAY_WEBHOOK_TIMEOUT_S", 10)
# Webhook signing secrets are stored encrypted with the first of these keys and read with any, so
# keys can be rotated (`manage.py rotate_webhook_secrets_key`). The key derived from SECRET_KEY
# always comes last (alone when the variable is unset), so moving off it is one rotation.
RELAY_WEBHOOK_SECRET_KEYS = [
    *env_fernet_keys("RELAY_WEBHOOK_SECRET_KEYS"),
    key_from_secret_key(SECRET_KEY),
]
# In-process worker threads for `serve` (embedded mode); 0 means workers run as their own processes.
RELAY_EMBEDDED_WORKER_THREADS = env_int("RELAY_EMBEDDED_WORKER_THREADS", 0 if REDIS_URL else 2)

# An inline batch is base64 (4 bytes per 3) of every file, plus room for names and metadata.
RELAY_INLINE_MAX_BODY_BYTES = (
    RELAY_INLINE_MAX_FILES * ((RELAY_INLINE_MAX_FILE_BYTES + 2) // 3 * 4 + 64 * 1024) + 1024 * 1024
)
# Django's own ceiling for any body it holds in memory. API views check their own, smaller limit
# on the declared length before anything is read (relay.api.views.TenantApiView).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(RELAY_MAX_JSON_BODY_BYTES, RELAY_INLINE_MAX_BODY_BYTES)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "relay.api.auth.ApiKeyAuthentication",
        "relay.api.auth.DashboardSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["relay.api.auth.HasRequiredScope"],
    "DEFAULT_THROTTLE_CLASSES": ["relay.api.throttling.PerKeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["relay.api.parsing.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "relay.api.schema.RelayAutoSchema",
    "EXCEPTION_HANDLER": "relay.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Relay API",
    "DESCRIPTION": (
        "Find artifacts in audio: datasets, uploads, labels, training and inference. "
        "Authenticate with the `X-API-Key` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # `<id:…>` path segments are UUIDs; a malformed one is answered like an unknown one (404).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "string", "format": "uuid"}},
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyScopeEnum": "tenants.models.Scope",
        "TrainingJobStatusEnum": "training.models.TrainingJob.Status",
        # Jobs and their files share one set of states.
        "InferenceStatusEnum": "inference.models.InferenceJob.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "relay.api.schema.add_common_error_responses",
    ],
}

LOG_LEVEL = env_str("RELAY_LOG_LEVEL", "INFO").upper()
# plain for a terminal (`make run`), json (one object per line) for a log collector.
RELAY_LOG_FORMAT = env_str("RELAY_LOG_FORMAT", "plain")
if RELAY_LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"RELAY_LOG_FORMAT must be plain or json, got {RELAY_LOG_FORMAT!r}")
LOGGING = logging_config(log_format=RELAY_LOG_FORMAT, level=LOG_LEVEL)
