"""Test settings: the same code paths; DATABASE_URL / REDIS_URL from the environment when given
(PostgreSQL and Redis in CI), a file-based SQLite otherwise so threads can share it."""

import os
import secrets
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from .base import *  # noqa: F403
from .base import BASE_DIR, CACHES, DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # An in-memory test database cannot be shared by threads or by a Celery worker process; one file per
    # test run (Django removes it at the end) so two runs never share it.
    _test_db = Path(os.environ.get("TEST_SQLITE_PATH", BASE_DIR / ".run" / f"test-{os.getpid()}.sqlite3"))
    _test_db.parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db)}

# One namespace per test run in the Redis of REDIS_URL (cache keys and, for tests that start a real worker,
# broker keys): a run never reads, flushes or deletes what another run or a running portal keeps there.
TEST_RUN_ID = f"reclamaciones-test-{os.getpid()}-{secrets.token_hex(3)}"
if os.environ.get("REDIS_URL"):
    CACHES["default"]["KEY_PREFIX"] = TEST_RUN_ID
else:
    # No Redis given: a per-process cache still counts the rate limits these tests check.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PORTAL_BASE_URL = "https://reclamos.example.pe"
# WhiteNoise warns at every request when STATIC_ROOT does not exist (tests never run collectstatic).
STATIC_ROOT = BASE_DIR / ".run" / "static-test"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
