"""Settings come from the environment only; see docs/adr/0003-settings-from-environment.md."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
# Runtime data (SQLite file, uploads, embedded broker) lives under ZHENGWU_DATA_DIR, default ./var.
DATA_DIR = Path(os.environ.get("ZHENGWU_DATA_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    from zhengwu.core.rates import parse_rate

    value = os.environ.get(name, "").strip() or default
    try:
        return str(parse_rate(value))
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be <count>/<s|min|h>, e.g. 120/min, not {value!r} ({name} 格式应为“次数/时间单位”)."
        ) from None


DEBUG = env_bool("DEBUG", False)
# pytest (>= 8.2) exports PYTEST_VERSION while it runs.
TESTING = env_bool("ZHENGWU_TESTING", False) or "PYTEST_VERSION" in os.environ

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment unless DEBUG=1 (生产环境必须设置 SECRET_KEY)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # serves its Swagger UI from local static files instead of a CDN
    # data apps
    "zhengwu.core",
    "zhengwu.audit",
    "zhengwu.org",
    "zhengwu.accounts",
    "zhengwu.notifications",
    "zhengwu.workcal",
    "zhengwu.workflow",
    "zhengwu.cases",
    "zhengwu.catalog",
    "zhengwu.licences",
    "zhengwu.search",
    "zhengwu.supervision",
    "zhengwu.ratings",
    # interface apps
    "zhengwu.portal",
    "zhengwu.workbench",
    "zhengwu.oversight",
    "zhengwu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhengwu.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "zhengwu.core.middleware.NulCharacterMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhengwu.urls"
WSGI_APPLICATION = "zhengwu.wsgi.application"

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
                "zhengwu.core.context_processors.site",
                "zhengwu.notifications.context_processors.unread_count",
            ],
        },
    }
]

# Database: DATABASE_URL, else the embedded SQLite file under DATA_DIR.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{DATA_DIR / 'zhengwu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ZHENGWU_TEST_SQLITE_NAME") or None}
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ZHENGWU_TEST_DB_NAME") or None}
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters bound by the server and statements prepared after their second use: PostgreSQL then
        # plans a statement once per connection instead of on every execution (ADR 0019).
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["zhengwu.accounts.backends.ZhengwuAuthBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
# Login throttling: failures per (username, IP) within the window before refusing.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE") or "zh-hans"
# One language until translations exist; no LocaleMiddleware, so a browser asking for English
# does not get Django's own messages in English amid Chinese pages.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE") or "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Tests serve static files through the finders; no collected directory exists there.
STATIC_ROOT = None if TESTING else DATA_DIR / "static"
WHITENOISE_USE_FINDERS = DEBUG or TESTING
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"  # never served directly: downloads go through permission checks
if TESTING:  # a test that forgets to override MEDIA_ROOT still never writes into ./var
    import tempfile

    MEDIA_ROOT = Path(tempfile.gettempdir()) / "zhengwu-test-media"
MEDIA_URL = "/media/"

# Security: safe by default; DEBUG relaxes only what plain-HTTP development needs.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
_secure_default = not (DEBUG or TESTING)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", _secure_default)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if not _secure_default else "31536000"))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
SESSION_COOKIE_AGE = 8 * 3600
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Celery: no broker configured = tasks run inline (eager). `zhengwu serve` runs a real worker
# and beat on an embedded filesystem broker; production sets CELERY_BROKER_URL (Redis/RabbitMQ).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Ask for an incremental supervision sweep after case and clock changes (supervision.signals); inline tasks
# (no broker) never sweep from there.
ZHENGWU_SWEEP_AFTER_EVENTS = not CELERY_TASK_ALWAYS_EAGER
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {"task": "zhengwu.core.tasks.heartbeat", "schedule": 60.0},
    "notifications-retry": {"task": "zhengwu.notifications.tasks.retry_deliveries", "schedule": 300.0},
    "cases-deem-accepted": {"task": "zhengwu.cases.tasks.deem_accepted", "schedule": 600.0},
    "cases-purge-api-nonces": {"task": "zhengwu.cases.tasks.purge_api_nonces", "schedule": 3600.0},
    "cases-purge-api-rate-windows": {"task": "zhengwu.cases.tasks.purge_api_rate_windows", "schedule": 3600.0},
    "cases-deem-approved": {"task": "zhengwu.cases.tasks.deem_approved", "schedule": 600.0},
    # 对账/查单: online payment orders whose notification may have been lost (ADR 0014).
    "cases-reconcile-online-payments": {"task": "zhengwu.cases.tasks.reconcile_online_payments", "schedule": 300.0},
    "supervision-sweep": {"task": "zhengwu.supervision.tasks.sweep", "schedule": 300.0},
    "supervision-sweep-full": {"task": "zhengwu.supervision.tasks.sweep", "schedule": 3600.0, "kwargs": {"full": True}},
    # Nightly, local time (CELERY_TIMEZONE): uploads nothing refers to, past their grace period (ADR 0013).
    "cases-purge-orphan-files": {
        "task": "zhengwu.cases.tasks.purge_orphan_files",
        "schedule": crontab(hour=3, minute=30),
    },
}
# Uploads nothing refers to are kept this long after their latest upload (a form may still be on its way).
ZHENGWU_ORPHAN_UPLOAD_GRACE_HOURS = int(os.environ.get("ZHENGWU_ORPHAN_UPLOAD_GRACE_HOURS", "24"))

# CACHE_URL (redis://…) gives every web and worker process one shared cache: sessions are then read from it
# (kept in the database too) and the staff 待办 page is cached against version counters (ADR 0023). Without it each
# process has its own memory cache and nothing is cached across requests that could go stale.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "zhengwu.core.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "zw",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ZHENGWU_SHARED_CACHE = bool(CACHE_URL)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

ZHENGWU_SITE_NAME = os.environ.get("ZHENGWU_SITE_NAME", "")
ZHENGWU_SITE_OWNER = os.environ.get("ZHENGWU_SITE_OWNER", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Notifications (docs/adr/0010-notifications.md). E-mail: setting EMAIL_HOST switches to SMTP unless
# EMAIL_BACKEND says otherwise. SMS: ZHENGWU_SMS_BACKEND is a dotted SmsGateway path (default: FileSmsGateway
# writing DATA_DIR/sms.log). ZHENGWU_PUBLIC_URL makes links in SMS and e-mail absolute.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
if os.environ.get("EMAIL_HOST") and not os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
ZHENGWU_PUBLIC_URL = os.environ.get("ZHENGWU_PUBLIC_URL", "").rstrip("/")
# Encrypts the licence signing keys; derived from SECRET_KEY when unset (ADR 0011).
ZHENGWU_SIGNING_PASSPHRASE = os.environ.get("ZHENGWU_SIGNING_PASSPHRASE", "")
# Encrypts the departmental systems' API secrets; derived from SECRET_KEY when unset (ADR 0018).
ZHENGWU_EXTERNAL_API_KEY = os.environ.get("ZHENGWU_EXTERNAL_API_KEY", "")
# Departmental systems API rate limits (ADR 0018): requests per key (a system's own limit, set in the admin,
# overrides it), and failed authentications per client address before that address is refused for the window.
ZHENGWU_EXTERNAL_API_RATE = env_rate("ZHENGWU_EXTERNAL_API_RATE", "120/min")
ZHENGWU_EXTERNAL_API_FAILED_AUTH_RATE = env_rate("ZHENGWU_EXTERNAL_API_FAILED_AUTH_RATE", "10/min")
ZHENGWU_SMS_BACKEND = os.environ.get("ZHENGWU_SMS_BACKEND", "")
ZHENGWU_SMS_FILE = os.environ.get("ZHENGWU_SMS_FILE", "")
ZHENGWU_SMS_SIGNATURE = os.environ.get("ZHENGWU_SMS_SIGNATURE") or ZHENGWU_SITE_NAME or "政务服务平台"
ZHENGWU_SMS_MAX_SEGMENTS = int(os.environ.get("ZHENGWU_SMS_MAX_SEGMENTS", "2"))
# Online payment of fee notices: a dotted PaymentProvider path; unset = the development provider under DEBUG,
# no online payment otherwise (ADR 0014).
ZHENGWU_PAYMENT_BACKEND = os.environ.get("ZHENGWU_PAYMENT_BACKEND", "")
