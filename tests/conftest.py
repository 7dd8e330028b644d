"""Shared fixtures. Tests that need PostgreSQL or Redis are marked; with REQUIRE_SERVICES=1 (CI) a missing
service fails them instead of skipping them.

Role groups come from a data migration, and transactional tests (live server, real worker) flush every table,
so tests fetch them with Group.objects.get_or_create(name=...) rather than get()."""

from __future__ import annotations

import os
import shutil

import pytest
import redis

from reclamaciones.book.services import complaint_file

from .celery_support import machine_redis_url, mail_server, start_worker  # noqa: F401 (shared fixtures)
from .factories import EstablishmentFactory, filing_kwargs

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _required_services(request):
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _missing("this test needs PostgreSQL: set DATABASE_URL=postgres://...")
    if request.node.get_closest_marker("redis"):
        url = os.environ.get("REDIS_URL")
        if not url:
            _missing("this test needs Redis: set REDIS_URL=redis://...")
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            _missing(f"Redis at REDIS_URL is not reachable: {exc}")


def cache_reset() -> None:
    """Forget every rate-limit count of this test run (on Redis only this run's keys: KEY_PREFIX is the run's
    id; a FLUSHDB would wipe whatever else lives in REDIS_URL's database)."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _rate_limits_reset():
    cache_reset()
    yield
    cache_reset()


@pytest.fixture
def smtp_settings(settings):
    """Real SMTP to 127.0.0.1:<port>; nothing listens there until a test starts a sink (an outage is that port
    closed)."""
    from .mailsink import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.fixture
def pdftotext():
    path = shutil.which("pdftotext")
    if not path:
        _missing("pdftotext (Debian package poppler-utils) is not installed")
    return path


@pytest.fixture
def establishment(db):
    return EstablishmentFactory()


@pytest.fixture
def file_complaint(establishment):
    """File a hoja through the real service; keyword arguments override the valid defaults."""

    def _file(**overrides):
        return complaint_file(**filing_kwargs(**{"establishment": establishment, **overrides}))

    return _file
