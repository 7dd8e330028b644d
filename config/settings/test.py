"""Test settings: the same code paths; DATABASE_URL / REDIS_URL from the environment when given
(PostgreSQL and Redis in CI), a file-based SQLite otherwise so threads can share it."""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from .base import *  # noqa: E402, F403
from .base import BASE_DIR, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # An in-memory test database cannot be shared by threads or by a Celery worker process; one file per
    # test run (Django removes it at the end) so two runs never share it.
    _test_db = Path(os.environ.get("TEST_SQLITE_PATH", BASE_DIR / ".run" / f"test-{os.getpid()}.sqlite3"))
    _test_db.parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db)}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PORTAL_BASE_URL = "https://reclamos.example.pe"
