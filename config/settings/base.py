"""Settings for every environment. Everything that differs between machines comes from the environment
(.env.example lists each variable); production-only behaviour is switched by variables, not by files."""

import os
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RUN_DIR = Path(os.environ.get("PORTAL_RUN_DIR", BASE_DIR / ".run"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

# GENERAL
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The default key only serves `make run` on 127.0.0.1; `manage.py check --deploy` flags it.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-only-change-me-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = [o for o in env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]) if o]
LANGUAGE_CODE = "es-pe"
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]
# The project's own Spanish (locale/*.po: admin messages without a wrong article, django-axes' strings), compiled
# there at startup by reclamaciones.apps: a runtime file, never committed.
LOCALE_PATHS = [RUN_DIR / "locale"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_ratelimit",
    "csp",
    "reclamaciones",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "reclamaciones.middleware.NulQueryStringMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "reclamaciones.context_processors.portal",
            ],
        },
    },
]

# DATABASES
# https://docs.djangoproject.com/en/5.2/ref/databases/
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout + BEGIN IMMEDIATE: concurrent filings wait for the write lock instead of
    # failing with "database is locked" (measured on the development machine).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A connection per request costs ~5x throughput on PostgreSQL; keep them, but check them first.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's JIT compiles a plan for any statement it estimates expensive: the council dashboard's
    # aggregates over a year of hojas paid seconds of compilation for sub-second queries (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = env("DJANGO_PG_OPTIONS", default="-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CACHES: rate limits are counted here, so every web process on every host must share it (Redis). When Redis
# is unreachable the cache answers "nothing" (IGNORE_EXCEPTIONS) and the limits fail open: a cache outage must
# never stop a consumer from filing.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("DJANGO_CACHE_URL", default="") or REDIS_URL,
        "KEY_PREFIX": env("DJANGO_CACHE_KEY_PREFIX", default="reclamaciones"),
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, "IGNORE_EXCEPTIONS": True},
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# AUTH
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username+IP before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:queue"
# Lockout after repeated failures: https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # one attacker cannot lock every account out
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_CLIENT_IP_CALLABLE = "reclamaciones.clientip.client_ip"

# STATIC
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# SECURITY
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"  # tracking links carry a secret token: never leak it in Referer
X_FRAME_OPTIONS = "DENY"
# Behind N reverse proxies the consumer's address is the Nth from the right of X-Forwarded-For (each proxy
# appends the address it received the request from); 0 means clients connect directly (REMOTE_ADDR). Rate
# limits, the login lockout and the FILED event all use reclamaciones.clientip.client_ip.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=TRUSTED_PROXY_COUNT > 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
# HTTPS only, switched on in production from the environment (`check --deploy` lists what is missing).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz(/ready)?$"]  # monitors and load balancers probe over plain HTTP inside the network
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
CSRF_FAILURE_VIEW = "reclamaciones.book.views.csrf_failure"
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline, so text a
# consumer typed can never run even where a template forgot to escape it. Inline style attributes stay
# allowed (templates and Chart.js use them; styles cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# EMAIL
# smtp://user:password@host:587/?tls=True in production. Unset, each message is kept as a file under
# EMAIL_FILE_PATH (.run/mail) so `make run` works with no mail server.
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# (a filemail:// URL loses its leading slash in django-environ, so the folder has its own variable)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(RUN_DIR / "mail"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Libro de Reclamaciones <reclamaciones@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# LOGGING
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

# CELERY
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A filing must not hang while the broker is down: fail fast, the outbox relay sends it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
    # Several portals (or a test run beside a running portal) can share one Redis database without sharing
    # queues: every broker key starts with this prefix.
    "global_keyprefix": env("CELERY_BROKER_KEY_PREFIX", default=""),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"reclamaciones.tasks.outbox_send": {"queue": "mail"}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE = {
    "exports-expire": {
        # hourly, at minute 40: the files of finished exports past their TTL are deleted
        "task": "reclamaciones.tasks.exports_expire",
        "schedule": crontab(minute="40"),
    },
    "outbox-relay": {
        # every minute: https://crontab.guru/#*_*_*_*_*
        "task": "reclamaciones.tasks.outbox_relay",
        "schedule": crontab(minute="*"),
    },
    "webhooks-relay": {
        # every minute, webhook deliveries still owed (broker down, a retry due): https://crontab.guru/#*_*_*_*_*
        "task": "reclamaciones.tasks.webhook_relay",
        "schedule": crontab(minute="*"),
    },
    "deadlines-sweep": {
        # every 15 minutes: https://crontab.guru/#*/15_*_*_*_*
        "task": "reclamaciones.tasks.deadlines_sweep",
        "schedule": crontab(minute="*/15"),
    },
    "settlement-expire": {
        # hourly at :05: https://crontab.guru/#5_*_*_*_*
        "task": "reclamaciones.tasks.settlement_expire",
        "schedule": crontab(minute="5"),
    },
    "council-actions": {
        # 07:30 Lima: owner reminders and effectiveness verification: https://crontab.guru/#30_7_*_*_*
        "task": "reclamaciones.tasks.council_actions_daily",
        "schedule": crontab(hour="7", minute="30"),
    },
    "council-rollup-refresh": {
        # every 5 minutes: the days that changed since the last refresh: https://crontab.guru/#*/5_*_*_*_*
        "task": "reclamaciones.tasks.council_rollup_refresh",
        "schedule": crontab(minute="*/5"),
    },
    "council-rollup-rebuild": {
        # 03:50 Lima, after the integrity check: every day rewritten: https://crontab.guru/#50_3_*_*_*
        "task": "reclamaciones.tasks.council_rollup_rebuild",
        "schedule": crontab(hour="3", minute="50"),
    },
    "council-digest-weekly": {
        # Mondays 08:00 Lima: https://crontab.guru/#0_8_*_*_1
        "task": "reclamaciones.tasks.council_digest_weekly",
        "schedule": crontab(hour="8", minute="0", day_of_week="1"),
    },
    "council-report-monthly": {
        # the 1st at 07:00 Lima: last month's management report to the council: https://crontab.guru/#0_7_1_*_*
        "task": "reclamaciones.tasks.council_report_monthly",
        "schedule": crontab(hour="7", minute="0", day_of_month="1"),
    },
    "council-meetings-day": {
        # 06:30 Lima: today's meetings get their agenda refreshed and e-mailed: https://crontab.guru/#30_6_*_*_*
        "task": "reclamaciones.tasks.council_meetings_day",
        "schedule": crontab(hour="6", minute="30"),
    },
    "book-integrity": {
        # 03:30 Lima, a quiet hour: every hoja against its fingerprint and seal: https://crontab.guru/#30_3_*_*_*
        "task": "reclamaciones.tasks.book_verify_daily",
        "schedule": crontab(hour="3", minute="30"),
    },
    "sirec-reminder": {
        # 08:10 Lima: hojas near 30 calendar days without a SIREC report: https://crontab.guru/#10_8_*_*_*
        "task": "reclamaciones.tasks.sirec_reminder",
        "schedule": crontab(hour="8", minute="10"),
    },
    "indecopi-reminder": {
        # 08:20 Lima: open INDECOPI requests near or past their last day: https://crontab.guru/#20_8_*_*_*
        "task": "reclamaciones.tasks.indecopi_reminder",
        "schedule": crontab(hour="8", minute="20"),
    },
    "digest-daily": {
        # 08:00 Lima (CELERY_TIMEZONE): https://crontab.guru/#0_8_*_*_*
        "task": "reclamaciones.tasks.digest_daily",
        "schedule": crontab(hour="8", minute="0"),
    },
    "health-sample": {
        # every minute: /healthz's checks into the history (ops); a sample no worker takes within the minute
        # expires, and that minute shows as "sin datos": https://crontab.guru/#*_*_*_*_*
        "task": "reclamaciones.tasks.health_sample",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
}

# PORTAL
# Key of the hojas' integrity seals (an HMAC chain per book, reclamaciones.book.integrity). It lives outside the
# database so that whoever can edit a row cannot re-seal it. Set it in production and keep it as long as the
# hojas (a new key makes every older hoja fail verification); unset, it is derived from SECRET_KEY.
BOOK_INTEGRITY_KEY = env("DJANGO_BOOK_INTEGRITY_KEY", default="")
# Reminders at these business days left before the due date (0 = on the due day); overdue hojas are
# escalated to supervisors every day. /healthz reports the tracker stale after 3 sweep intervals.
RECLAMACIONES_REMINDER_THRESHOLDS = env.list("RECLAMACIONES_REMINDER_THRESHOLDS", cast=int, default=[5, 2, 1, 0])
RECLAMACIONES_SWEEP_INTERVAL_SECONDS = 15 * 60
# Absolute base URL used in e-mails and PDFs (tracking links).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Public filing rate limit per client IP (django-ratelimit syntax); the honeypot stops simple bots.
RECLAMACIONES_FILING_RATE = env("RECLAMACIONES_FILING_RATE", default="20/h")
RECLAMACIONES_LOOKUP_RATE = env("RECLAMACIONES_LOOKUP_RATE", default="10/h")
# Password-reset e-mails: per client IP and per account (an attacker must not flood a staff mailbox).
RECLAMACIONES_PASSWORD_RESET_RATE = env("RECLAMACIONES_PASSWORD_RESET_RATE", default="5/h")
RECLAMACIONES_PASSWORD_RESET_ACCOUNT_RATE = env("RECLAMACIONES_PASSWORD_RESET_ACCOUNT_RATE", default="3/h")
# Exports: above these many rows a queue export is a Celery job with a progress page (an XLSX is only sent once
# written whole, so its limit is lower); finished files stay downloadable for the TTL, in a private folder.
RECLAMACIONES_EXPORT_ASYNC_ROWS = env.int("RECLAMACIONES_EXPORT_ASYNC_ROWS", default=50_000)
RECLAMACIONES_EXPORT_XLSX_ASYNC_ROWS = env.int("RECLAMACIONES_EXPORT_XLSX_ASYNC_ROWS", default=10_000)
RECLAMACIONES_EXPORT_TTL_HOURS = env.int("RECLAMACIONES_EXPORT_TTL_HOURS", default=24)
RECLAMACIONES_EXPORT_ROOT = Path(env("RECLAMACIONES_EXPORT_ROOT", default=str(RUN_DIR / "exports")))
# SIREC's bulk-upload TXT: its manual does not state an encoding (UNCONFIRMED). UTF-8 by default; "latin-1" if
# INDECOPI's upload shows Ñ or accents garbled (a hoja with a character latin-1 lacks is then listed, not written).
RECLAMACIONES_SIREC_ENCODING = env("RECLAMACIONES_SIREC_ENCODING", default="utf-8")
# Directive 004-2014 §VIII: each hoja reaches SIREC within 30 calendar days of filing. The compliance role is
# reminded, once a day, of the hojas of books with a SIREC code not reported this many days after filing.
RECLAMACIONES_SIREC_REMIND_AFTER_DAYS = env.int("RECLAMACIONES_SIREC_REMIND_AFTER_DAYS", default=25)
# INDECOPI requests: the compliance role is reminded at these business days before a request's last day (0 = on
# the day), then every day while it is past and still open.
RECLAMACIONES_INDECOPI_REMINDER_DAYS = env.list("RECLAMACIONES_INDECOPI_REMINDER_DAYS", cast=int, default=[3, 1, 0])
# Reglamento art. 12: every hoja, answer and proof is kept at least 2 years from filing. After this many years
# `anonymise_expired` may replace the consumer's personal data (a system check refuses less than 2).
RECLAMACIONES_RETENTION_YEARS = env.int("RECLAMACIONES_RETENTION_YEARS", default=2)
# The draft DS prepublished by R.M. 244-2026-PCM (not in force): switch it on the day it is published. Draft
# art. 5-A, in the public form: a review page "Revisa y confirma tu hoja" before the number is assigned (the
# "mecanismo de confirmación que deje constancia de la voluntad del consumidor", kept on the FILED event), with a
# warning, not a block, when the name, the document, the e-mail or the detail is missing.
RECLAMACIONES_RULES_2026 = env.bool("RECLAMACIONES_RULES_2026", default=False)
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_IP_META_KEY = "reclamaciones.clientip.client_ip"
RATELIMIT_FAIL_OPEN = True  # the cache down must never close the book
# Outbox: how long a dispatched message waits in the queue before the relay takes it over, the retry backoff
# (seconds, doubled per attempt, capped) and when a message is given up as failed (supervisors are alarmed).
# The defaults retry for ~77 hours (30 s, 1 min, ... then hourly): a long weekend of SMTP outage; a
# schedule shorter than 72 hours is a system check warning.
OUTBOX_RELAY_GRACE_SECONDS = env.int("OUTBOX_RELAY_GRACE_SECONDS", default=120)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=84)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_RELAY_BATCH = env.int("OUTBOX_RELAY_BATCH", default=200)

# Improvement council. A cause is flagged as recurring when its weekly rate over the last 4 weeks exceeds
# FACTOR times its weekly rate over the 12 weeks before, with at least MIN_COUNT hojas in those 4 weeks.
COUNCIL_FLAG_FACTOR = env.float("COUNCIL_FLAG_FACTOR", default=1.5)
COUNCIL_FLAG_MIN_COUNT = env.int("COUNCIL_FLAG_MIN_COUNT", default=5)
# Action owners are reminded this many calendar days before the due date (and once when it has passed).
COUNCIL_ACTION_REMINDER_DAYS = env.list("COUNCIL_ACTION_REMINDER_DAYS", cast=int, default=[7, 1])

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# WEBHOOKS (issue 14 §4, reclamaciones.webhooks; docs/webhooks.md): signed POSTs to the stores' endpoints when a
# hoja is filed, answered, overdue or settled. The outbox's retry shape: the base delay doubled per attempt,
# capped; the defaults retry for ~77 hours, then the delivery is failed (shown in the admin, re-sendable).
# The lease must outlast an attempt: longer than the task's hard time limit (CELERY_TASK_TIME_LIMIT), which ends
# an attempt stuck on a receiver that answers a byte at a time, so no second worker takes over a live send.
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_RETRY_MAX_SECONDS = env.int("WEBHOOKS_RETRY_MAX_SECONDS", default=3600)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=84)
WEBHOOKS_LEASE_SECONDS = env.int("WEBHOOKS_LEASE_SECONDS", default=360)
WEBHOOKS_RELAY_GRACE_SECONDS = env.int("WEBHOOKS_RELAY_GRACE_SECONDS", default=120)
WEBHOOKS_RELAY_BATCH = env.int("WEBHOOKS_RELAY_BATCH", default=200)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10)
WEBHOOKS_RESPONSE_LOG_BYTES = env.int("WEBHOOKS_RESPONSE_LOG_BYTES", default=500)
# After a secret rotation the previous secret still signs (a second v1=) for this long.
WEBHOOKS_SECRET_OVERLAP_HOURS = env.int("WEBHOOKS_SECRET_OVERLAP_HOURS", default=24)
# Only for development and tests: plain http, and addresses that are not public (loopback, private, link-local:
# with them a webhook URL could reach the portal's own network, SSRF).
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)

# ATTACHMENTS (issue 14 §1, reclamaciones.book.attachments; docs/attachments.md): the consumer's documents (PDF, JPG,
# PNG) on the filing form and the staff's with the answer. Limits per hoja (and per answer) and per file; images
# over MAX_PIXELS are refused before they are decoded (decompression bombs): 24 MP is twice a phone's camera.
RECLAMACIONES_ATTACHMENTS_MAX_FILES = env.int("RECLAMACIONES_ATTACHMENTS_MAX_FILES", default=3)
RECLAMACIONES_ATTACHMENTS_MAX_BYTES = env.int("RECLAMACIONES_ATTACHMENTS_MAX_BYTES", default=5 * 1000 * 1000)
RECLAMACIONES_ATTACHMENTS_MAX_PIXELS = env.int("RECLAMACIONES_ATTACHMENTS_MAX_PIXELS", default=24_000_000)
# Uploads staged by a review page (or a form sent back with errors) and never filed are purged after this long.
RECLAMACIONES_ATTACHMENTS_STAGED_TTL_HOURS = env.int("RECLAMACIONES_ATTACHMENTS_STAGED_TTL_HOURS", default=24)
# New files per client IP, counted before any is read (storage and CPU abuse): over it the files are dropped with
# a message, never the hoja.
RECLAMACIONES_ATTACHMENTS_RATE = env("RECLAMACIONES_ATTACHMENTS_RATE", default="30/h")
# The daily integrity check re-reads this many stored files per run (a rolling window by id, resumed where the last
# run stopped), never every file of every book; the evidence bundle re-reads the files it carries.
RECLAMACIONES_ATTACHMENTS_FIXITY_PER_RUN = env.int("RECLAMACIONES_ATTACHMENTS_FIXITY_PER_RUN", default=500)
# Django writes every upload to /tmp before a form sees it: a post with more files than a hoja takes (plus a small
# margin, so a few extra get the form's own message, not Django's) is refused while parsing, and a file over the
# size limit is dropped as it streams (book.uploads.AttachmentSizeHandler), before it lands whole on disk.
DATA_UPLOAD_MAX_NUMBER_FILES = RECLAMACIONES_ATTACHMENTS_MAX_FILES + 2
FILE_UPLOAD_HANDLERS = [
    "reclamaciones.book.uploads.AttachmentSizeHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Where the files live: a private folder outside the web root by default (never MEDIA or static: they are
# served only by the scoped views). Any Django storage by dotted path; for S3-compatible storage install
# django-storages[s3] and set the backend to "storages.backends.s3.S3Storage" with its OPTIONS as JSON, e.g.
# {"bucket_name": "libro-adjuntos", "endpoint_url": "https://s3.example.pe", "default_acl": "private"}.
RECLAMACIONES_ATTACHMENTS_STORAGE = {
    "BACKEND": env("RECLAMACIONES_ATTACHMENTS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
    "OPTIONS": env.json(
        "RECLAMACIONES_ATTACHMENTS_STORAGE_OPTIONS",
        default={
            "location": env("RECLAMACIONES_ATTACHMENTS_ROOT", default=str(RUN_DIR / "attachments")),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    ),
}
STORAGES["attachments"] = RECLAMACIONES_ATTACHMENTS_STORAGE
CELERY_BEAT_SCHEDULE["attachments-staged-purge"] = {
    # hourly, at minute 50: staged uploads never filed, past their TTL
    "task": "reclamaciones.tasks.attachments_staged_purge",
    "schedule": crontab(minute="50"),
}

# BRANDING AND THE EMBEDDABLE BOOK (issue 14 §5, reclamaciones.book.branding and book.embed; docs/embedding.md).
# A provider's logo is re-encoded to PNG and kept in its own storage (a folder outside the web root by default;
# the public brand-logo view serves it). Uploads above these sizes are refused before they are decoded.
RECLAMACIONES_BRAND_LOGO_MAX_BYTES = env.int("RECLAMACIONES_BRAND_LOGO_MAX_BYTES", default=1024 * 1024)
RECLAMACIONES_BRAND_LOGO_MAX_PIXELS = env.int("RECLAMACIONES_BRAND_LOGO_MAX_PIXELS", default=16_000_000)
RECLAMACIONES_BRAND_STORAGE = {
    "BACKEND": env("RECLAMACIONES_BRAND_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
    "OPTIONS": env.json(
        "RECLAMACIONES_BRAND_STORAGE_OPTIONS",
        default={"location": env("RECLAMACIONES_BRAND_ROOT", default=str(RUN_DIR / "branding"))},
    ),
}
# The embedded book's form token (it replaces the CSRF cookie a cross-site iframe does not get) is valid this
# long: enough for a consumer who writes slowly; an expired one sends the form back with what they wrote.
RECLAMACIONES_EMBED_TOKEN_MAX_AGE = env.int("RECLAMACIONES_EMBED_TOKEN_MAX_AGE", default=6 * 3600)

# OPERATIONS (issue 14 §6; D.Leg. 1729: claim channels "permanentemente operativos"; docs/deployment.md)
# /healthz's checks are sampled every minute (the "health-sample" beat entry) into a history kept this long.
RECLAMACIONES_HEALTH_SAMPLE_SECONDS = 60
RECLAMACIONES_HEALTH_RETENTION_DAYS = env.int("RECLAMACIONES_HEALTH_RETENTION_DAYS", default=90)
# Every web, worker and beat process records a heartbeat this often (web processes on /healthz/ready and /healthz
# calls, so the load balancer's probe must reach /healthz/ready); one silent for the STALE time is flagged on
# /gestion/estado/.
RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS = env.int("RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS", default=30)
RECLAMACIONES_PROCESS_STALE_SECONDS = env.int("RECLAMACIONES_PROCESS_STALE_SECONDS", default=180)
# One beat only: beat holds a lock in the broker's Redis (renewed every TTL/3); another beat waits as a standby
# and takes over at most TTL seconds after the holder's host dies.
RECLAMACIONES_BEAT_LOCK = env.bool("RECLAMACIONES_BEAT_LOCK", default=True)
RECLAMACIONES_BEAT_LOCK_TTL_SECONDS = env.float("RECLAMACIONES_BEAT_LOCK_TTL_SECONDS", default=60)
# Every beat (Procfile, run_portal, a bare `celery beat`) ticks only while it holds that lock.
CELERY_BEAT_SCHEDULER = "reclamaciones.ops.beat_scheduler:GuardedScheduler"
# Shown per process on the status page: a release tag or image digest; unset, the checkout's git revision.
PORTAL_VERSION = env("PORTAL_VERSION", default="")
# Web or worker processes on more than one host: `manage.py check` then warns about every file folder on a
# host's own disk (attachments, brand logos, exports and bundles), which the other hosts would not see.
PORTAL_MULTI_HOST = env.bool("PORTAL_MULTI_HOST", default=False)
# Checks to silence, e.g. reclamaciones.W012 once the export folder is a volume every host shares.
SILENCED_SYSTEM_CHECKS = env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[])

# API FOR ONLINE STORES (reclamaciones.api, /api/v1/; docs/api.md)
# Requests per client (django-ratelimit syntax, counted in the shared cache); over it: 429 with Retry-After.
RECLAMACIONES_API_RATE = env("RECLAMACIONES_API_RATE", default="600/m")
# POST /api/v1/oauth/token per client address: slows down guessing of client secrets.
RECLAMACIONES_API_OAUTH_RATE = env("RECLAMACIONES_API_OAUTH_RATE", default="30/m")
# Lifetime of an OAuth2 access token (static tokens live until revoked).
RECLAMACIONES_API_ACCESS_TOKEN_SECONDS = env.int("RECLAMACIONES_API_ACCESS_TOKEN_SECONDS", default=3600)
# How long an Idempotency-Key replays its response; after that the key is free again.
RECLAMACIONES_API_IDEMPOTENCY_HOURS = env.int("RECLAMACIONES_API_IDEMPOTENCY_HOURS", default=24)
# The change feed (GET /api/v1/hojas/): page size and its maximum, and the settle lag. A change is listed only
# once it is this many seconds old, so a transaction that stamped updated_at earlier but committed later (or a
# web host whose clock runs slightly behind) is never left behind a cursor already handed out.
RECLAMACIONES_API_PAGE_SIZE = env.int("RECLAMACIONES_API_PAGE_SIZE", default=100)
RECLAMACIONES_API_PAGE_MAX = env.int("RECLAMACIONES_API_PAGE_MAX", default=500)
RECLAMACIONES_API_SETTLE_SECONDS = env.int("RECLAMACIONES_API_SETTLE_SECONDS", default=30)
RECLAMACIONES_API_MAX_BODY_BYTES = env.int("RECLAMACIONES_API_MAX_BODY_BYTES", default=64 * 1024)
