"""Zhurnal settings. Everything secret or deployment-specific comes from the environment.

The run and test commands in ops/ export what a local machine needs; production sets
the same variables (see helm/). Debug is off unless DJANGO_DEBUG says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from .env import env_bool, env_int, env_list, env_str

REPO_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("ZHURNAL_VAR_DIR", str(REPO_ROOT / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
TESTING = env_bool("ZHURNAL_TESTING", False)

# --- Applications ----------------------------------------------------------------
# Shared apps live in the public schema (district-wide); tenant apps in each school's.
SHARED_APPS = [
    # First, so that its migrate_schemas (which skips up-to-date schools) wins over the library's.
    "tenants",  # School (the tenant) and its provisioning
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_celery_beat",
    "django_htmx",
    "core",
    "accounts",
    "audit",
    "district",
    "public_portal",
    "notify",  # informing families: daily summary, immediate notices, the outbox (R-D03, R-D09)
]
TENANT_APPS = [
    # Source root schools/: apps that live inside each school's schema.
    "schoolyear",  # academic year, study periods, days off, moved days
    "roster",  # classes, subgroups, enrolments and orders, guardianship, personal cards
    "curriculum",  # subjects, curriculum, teaching load
    "timetable",  # bells, weekly timetable, events, substitutions
    "journal",  # lessons, marks, attendance, change requests, period marks, КТП
    "bulkimport",  # spreadsheet import and export
    "diary",  # the families' electronic diary: week, marks, forecast (reads the journal)
    "messaging",  # conversations, announcements, read marks, abuse reports (R-D06)
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.School"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New schools are cloned from this migrated, empty schema (see tenants/provisioning.py).
ZHURNAL_TEMPLATE_SCHEMA = "school_template"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Set search_path once per connection and schema switch, not before every query (which
# doubled every page's round trips). django-tenants resets it after a rollback.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestContextMiddleware",
    "tenants.middleware.SchoolFromPathMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "accounts.middleware.RequireTwoFactorMiddleware",
    "tenants.middleware.ReadOnlySchoolMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_ROOT / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL"),
        engine="django_tenants.postgresql_backend",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity, sessions, 2FA ------------------------------------------------------
AUTH_USER_MODEL = "accounts.Person"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.LoginBackend",
]
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = 14 * 24 * 3600  # families; staff get the stricter policy below
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
ZHURNAL_STAFF_IDLE_SECONDS = 30 * 60
ZHURNAL_STAFF_ABSOLUTE_SECONDS = 12 * 3600
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
ACTIVATION_CODE_DAYS = 7
ACCOUNT_HANDOVER_WORKING_DAYS = 3  # 004 §XII

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if TESTING:
    # Hashing cost is irrelevant to what the tests prove and dominates their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.RoleAwareLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.GuessablePasswordValidator"},
]

OTP_TOTP_ISSUER = "Журнал"

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# --- API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api_permissions.TwoFactorSatisfied",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Журнал API",
    "DESCRIPTION": "API платформы «Журнал»: электронный журнал и дневник района.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Internationalisation ----------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [REPO_ROOT / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"

# --- Cache (keys carry the schema so nothing leaks between schools) ----------------
_redis_cache = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_cache}
        if _redis_cache
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CACHES["default"]["KEY_FUNCTION"] = "django_tenants.cache.make_key"
if TESTING and os.environ.get("PYTEST_XDIST_WORKER"):  # parallel test workers share one Redis
    CACHES["default"]["KEY_PREFIX"] = os.environ["PYTEST_XDIST_WORKER"]
CACHES["default"]["REVERSE_KEY_FUNCTION"] = "django_tenants.cache.reverse_key"

# --- Celery --------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL == "filesystem://":
    # The fallback needs no server: a real worker process reads messages from files.
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Synced into django-celery-beat's tables when beat starts (DatabaseScheduler).
CELERY_BEAT_SCHEDULE = {
    # Each family's summary goes out at the time they chose; the builder looks every 5 minutes.
    "notify-build-summaries": {"task": "notify.tasks.build_due_summaries", "schedule": 300.0},
    # The outbox sender (also woken right after a notice is queued).
    "notify-send-pending": {"task": "notify.tasks.send_pending", "schedule": 60.0},
    # Old read or delivered notices go (NOTIFY_RETENTION_DAYS), at night.
    "notify-delete-old": {"task": "notify.tasks.delete_old_notices", "schedule": crontab(hour=3, minute=40)},
    # Imports whose worker was killed mid-check or mid-import are marked failed (bulkimport).
    "bulkimport-fail-abandoned": {"task": "bulkimport.tasks.fail_abandoned_imports", "schedule": 600.0},
    # Lesson files that no attachment names (an upload rolled back after its file was written), at night.
    "journal-sweep-lesson-files": {"task": "journal.tasks.sweep_lesson_files", "schedule": crontab(hour=4, minute=10)},
}

# --- E-mail --------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "zhurnal@localhost")
# Informing families (platform/notify): links in letters, and Web Push (off without VAPID keys).
NOTIFY_SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# The district's VAPID key pair (`manage.py vapid_keys` makes one): secrets, from the environment
# only. Push is on when both are set; NOTIFY_PUSH_ENABLED=0 switches it off all the same.
NOTIFY_VAPID_PUBLIC_KEY = env_str("NOTIFY_VAPID_PUBLIC_KEY", "")
NOTIFY_VAPID_PRIVATE_KEY = env_str("NOTIFY_VAPID_PRIVATE_KEY", "")
NOTIFY_PUSH_ENABLED = env_bool("NOTIFY_PUSH_ENABLED", bool(NOTIFY_VAPID_PUBLIC_KEY and NOTIFY_VAPID_PRIVATE_KEY))
NOTIFY_VAPID_SUBJECT = env_str("NOTIFY_VAPID_SUBJECT", "mailto:" + DEFAULT_FROM_EMAIL)
# The push services browsers subscribe with; no other host is accepted as a subscription's
# endpoint or ever sent to (a subscription is data from the browser: without this list the
# server could be made to POST to any address, internal ones included). "*.x" = subdomains of x.
NOTIFY_PUSH_ALLOWED_HOSTS = env_list("NOTIFY_PUSH_ALLOWED_HOSTS", [
    "fcm.googleapis.com",  # Chrome, Opera and other Chromium browsers
    "updates.push.services.mozilla.com",  # Firefox
    "*.notify.windows.com",  # Edge (Windows Push Notification Services)
    "web.push.apple.com",  # Safari
])
# Plain http:// endpoints: only for a local fake push service in tests; never in production.
NOTIFY_PUSH_ALLOW_HTTP = False
NOTIFY_PUSH_TIMEOUT = env_int("NOTIFY_PUSH_TIMEOUT", 10)  # seconds for one push service request
# Read or delivered notices (and finished deliveries) are deleted after this many days.
NOTIFY_RETENTION_DAYS = env_int("NOTIFY_RETENTION_DAYS", 180)

# --- Security (production defaults; the run command relaxes them for local http) -----
SECURE_SSL = env_bool("SECURE_SSL", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = SECURE_SSL and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging (structured) --------------------------------------------------------------
from .logging import configure_logging  # noqa: E402

LOGGING_CONFIG = None
configure_logging(json=env_bool("LOG_JSON", not DEBUG), level=env_str("LOG_LEVEL", "INFO"))

# --- Sentry ------------------------------------------------------------------------------
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from .sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))

# drf-spectacular names enums of same-named fields ("kind", "status") with a hash suffix;
# the schema is correct, only the generated enum names are not pretty.
SILENCED_SYSTEM_CHECKS = ["drf_spectacular.W001"]
