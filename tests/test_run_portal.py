"""`make run`: the supervisor starts web + worker + beat (+ a private Redis) and one signal stops them all."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import psutil
import pytest
from django.conf import settings

from .factories import VALID_FILING
from .mailsink import free_port

pytestmark = pytest.mark.slow


def _manage(env, *args, timeout=120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _wait_for_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # a slow first answer: ask again
            time.sleep(0.3)
    return False


def _mails(tmp_path) -> list[str]:
    """What the file e-mail backend wrote (the demo hojas' copies and the staff notices are there too)."""
    folder = tmp_path / "mail"
    return [path.read_text(errors="replace") for path in folder.iterdir()] if folder.exists() else []


@pytest.fixture
def portal_env(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DATABASE_URL",
            "EMAIL_URL",
            "DJANGO_SETTINGS_MODULE",
            "REQUIRE_SERVICES",
        }
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
            "PORTAL_RUN_DIR": str(tmp_path / "run"),
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        }
    )
    return env


def test_demo_data_loads_twice_without_duplicates(portal_env):
    _manage(portal_env, "migrate", "--noinput")
    first = _manage(portal_env, "load_demo_data")
    second = _manage(portal_env, "load_demo_data")

    assert first == second
    for username in ("admin", "agente", "supervisor", "consejo", "auditor"):
        assert re.search(rf"^\s+{username}\s+\S+", first, re.MULTILINE), first


def test_run_portal_serves_files_mails_and_stops_everything_on_ctrl_c(portal_env, tmp_path):
    _manage(portal_env, "migrate", "--noinput")
    _manage(portal_env, "collectstatic", "--noinput", "--verbosity", "0")
    _manage(portal_env, "load_demo_data")
    port = free_port()
    log = (tmp_path / "portal.log").open("w")
    supervisor = subprocess.Popen(
        [sys.executable, "manage.py", "run_portal", "--port", str(port), "--web-workers", "1"],
        cwd=settings.BASE_DIR,
        env=portal_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for_http(base + "/", 60), (tmp_path / "portal.log").read_text()
        started = psutil.Process(supervisor.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert "gunicorn" in names
        assert "worker" in names
        assert "beat" in names
        assert "redis-server" in names  # REDIS_URL unset: a private Redis

        # A consumer files a hoja through the running portal; the worker e-mails the copy.
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form_url = base + "/libro/miraflores/"
        page = opener.open(form_url, timeout=10).read().decode()
        fields = dict(re.findall(r'name="(csrfmiddlewaretoken|submission_key)" value="([^"]+)"', page))
        body = urllib.parse.urlencode({**VALID_FILING, **fields}).encode()
        request = urllib.request.Request(form_url, data=body, headers={"Referer": form_url})
        with opener.open(request, timeout=30) as response:
            confirmation = response.read().decode()
        assert "Registramos tu reclamo" in confirmation
        assert re.search(r"Nº \d{9}-\d{4}", confirmation)

        number = re.search(r"Nº (\d{9}-\d{4})", confirmation)[1]
        deadline = time.monotonic() + 60
        copies: list[str] = []
        while not copies and time.monotonic() < deadline:
            time.sleep(0.3)
            copies = [text for text in _mails(tmp_path) if number in text and "maria.nunez@example.pe" in text]
        assert len(copies) == 1, _mails(tmp_path)
        assert "application/pdf" in copies[0]
    finally:
        supervisor.send_signal(signal.SIGINT)  # one Ctrl-C
        supervisor.wait(timeout=90)
        log.close()

    output = (tmp_path / "portal.log").read_text()
    assert "Todo detenido." in output
    assert not [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], output
