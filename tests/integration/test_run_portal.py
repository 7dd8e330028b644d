"""`make run`: the supervisor starts web + worker + beat (+ a private Redis), restarts whichever dies on its
own, and one signal stops them all."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import psutil
import pytest
from django.conf import settings

from reclamaciones.management.commands.run_portal import restart_delay

from ..celery_support import wait_until
from ..factories import VALID_FILING
from ..mailsink import free_port

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

    def answered():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return (response.status,)  # truthy whatever the status: it answered
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # a slow first answer: ask again
            return None

    answer = wait_until(answered, timeout=timeout, interval=0.3)
    return bool(answer) and answer[0] == 200


def _mails(tmp_path) -> list[str]:
    """What the file e-mail backend wrote (the demo hojas' copies and the staff notices are there too)."""
    folder = tmp_path / "mail"
    return [path.read_text(errors="replace") for path in folder.iterdir()] if folder.exists() else []


def _prepare_database(env) -> None:
    _manage(env, "migrate", "--noinput")
    _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    _manage(env, "load_demo_data")


def _start_portal(env, tmp_path, port: int) -> subprocess.Popen:
    """`manage.py run_portal`, its stdout and stderr in tmp_path/portal.log."""
    with (tmp_path / "portal.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_portal", "--port", str(port), "--web-workers", "1"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _file_hoja(base: str) -> str:
    """A consumer files a hoja through the public form; returns its number."""
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
    return re.search(r"Nº (\d{9}-\d{4})", confirmation)[1]


def _copies(tmp_path, number: str) -> list[str]:
    """The consumer's e-mailed copies of hoja `number` (the worker sends them)."""
    return [text for text in _mails(tmp_path) if number in text and "maria.nunez@example.pe" in text]


def _role(process: psutil.Process) -> str | None:
    """Which of the supervisor's children this is, from its command line."""
    try:
        argv = process.cmdline()
    except psutil.NoSuchProcess:  # exited (or a zombie not yet reaped) while we looked
        return None
    if any(arg.endswith("gunicorn") for arg in argv):
        return "web"
    if any(arg.endswith("celery") for arg in argv):
        # Exact tokens: gunicorn's "--workers" must not read as a Celery worker.
        return "worker" if "worker" in argv else "beat" if "beat" in argv else None
    if "redis-server" in " ".join(argv):
        return "redis"
    return None


def _children(supervisor: subprocess.Popen) -> dict[str, psutil.Process]:
    """The supervisor's live direct children by role (web, worker, beat, redis)."""
    found = {}
    for child in psutil.Process(supervisor.pid).children():
        role = _role(child)
        if role:
            found[role] = child
    return found


def _listening(process: psutil.Process) -> set[int]:
    return {conn.laddr.port for conn in process.net_connections("tcp") if conn.status == psutil.CONN_LISTEN}


def _alive(processes) -> list[psutil.Process]:
    alive = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
    return alive


class _WebProbe(threading.Thread):
    """Asks the web for `/` every 0.2 s until stopped, and keeps every failure."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.answers = 0
        self.failures: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        self.answers += 1
                    else:
                        self.failures.append(f"HTTP {response.status}")
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                self.failures.append(repr(exc))
            self.done.wait(0.2)

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=10)


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
    _prepare_database(portal_env)
    port = free_port()
    supervisor = _start_portal(portal_env, tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for_http(base + "/", 60), (tmp_path / "portal.log").read_text()
        started = psutil.Process(supervisor.pid).children(recursive=True)
        assert set(_children(supervisor)) == {"web", "worker", "beat", "redis"}  # REDIS_URL unset: a private Redis

        # A consumer files a hoja through the running portal; the worker e-mails the copy.
        number = _file_hoja(base)
        copies = wait_until(lambda: _copies(tmp_path, number), 60)
        assert copies, _mails(tmp_path)
        assert len(copies) == 1, copies
        assert "application/pdf" in copies[0]
    finally:
        supervisor.send_signal(signal.SIGINT)  # one Ctrl-C
        supervisor.wait(timeout=90)

    output = (tmp_path / "portal.log").read_text()
    assert "Todo detenido." in output
    assert not _alive(started), output


def test_run_portal_restarts_killed_children_while_the_web_keeps_serving(portal_env, tmp_path):
    _prepare_database(portal_env)
    port = free_port()
    supervisor = _start_portal(portal_env, tmp_path, port)
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        return (tmp_path / "portal.log").read_text()

    def replaced(role: str, old: psutil.Process) -> psutil.Process | None:
        new = _children(supervisor).get(role)
        return new if new is not None and new.pid != old.pid else None

    probe = _WebProbe(base + "/")
    seen: set[psutil.Process] = set()
    try:
        assert _wait_for_http(base + "/", 60), output()
        children = _children(supervisor)
        assert set(children) == {"web", "worker", "beat", "redis"}, output()
        seen.update(psutil.Process(supervisor.pid).children(recursive=True))
        supervisor_cpu = sum(psutil.Process(supervisor.pid).cpu_times()[:2])
        faults_started = time.monotonic()
        probe.start()

        # The worker dies hard (OOM killer, kill -9) once it is up, its prefork pool still running.
        worker = children["worker"]
        assert wait_until(lambda: re.search(r"celery@\S+ ready\.", output()), 60), output()
        pool = worker.children()
        assert pool, output()
        worker.kill()
        # The web keeps taking filings while the worker is down; the mail goes out once it is back.
        number = _file_hoja(base)
        new_worker = wait_until(lambda: replaced("worker", worker), 30)
        assert new_worker, output()
        assert "[worker] terminó con código -9; reiniciándolo en 1 s (reinicio 1)." in output()
        assert wait_until(lambda: not _alive(pool), 10), f"the dead worker's pool is still running: {pool}"
        seen.add(new_worker)
        copies = wait_until(lambda: _copies(tmp_path, number), 60)
        assert copies, output() + "\n".join(_mails(tmp_path))
        assert "application/pdf" in copies[0]

        # The private Redis comes back on its port, the one the other children were given.
        redis = children["redis"]
        redis_port = int(re.search(r"Redis privado en 127\.0\.0\.1:(\d+)", output())[1])
        redis.kill()
        new_redis = wait_until(lambda: replaced("redis", redis), 30)
        assert new_redis, output()
        seen.add(new_redis)
        assert "[redis] terminó con código -9; reiniciándolo en 1 s (reinicio 1)." in output()
        assert wait_until(lambda: _listening(new_redis) == {redis_port}, 10), output()
        # The web and the worker reconnect to it: a hoja filed now still gets its copy.
        number = _file_hoja(base)
        copies = wait_until(lambda: _copies(tmp_path, number), 60)
        assert copies, output() + "\n".join(_mails(tmp_path))

        # Beat too; killed again right after its restart it waits longer (backoff), and SIGTERM during that
        # wait stops everything instead of starting it again.
        beat = children["beat"]
        beat.kill()
        new_beat = wait_until(lambda: replaced("beat", beat), 30)
        assert new_beat, output()
        seen.add(new_beat)
        assert "[beat] terminó con código -9; reiniciándolo en 1 s (reinicio 1)." in output()
        new_beat.kill()
        assert wait_until(lambda: "[beat] terminó con código -9; reiniciándolo en 2 s (reinicio 2)." in output(), 5)

        # Polling children is cheap: no busy loop, even while waiting to restart.
        cpu_used = sum(psutil.Process(supervisor.pid).cpu_times()[:2]) - supervisor_cpu
        faults_lasted = time.monotonic() - faults_started
        web = _children(supervisor)["web"]
        seen.update(psutil.Process(supervisor.pid).children(recursive=True))
        probe.done.set()
        supervisor.send_signal(signal.SIGTERM)  # during beat's 2 s wait
        # The wait does not delay the stop: the worker, first in line now that beat is dead, hears at once.
        assert wait_until(lambda: "worker: Warm shutdown" in output(), 2, interval=0.05), output()
    finally:
        probe.done.set()
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=90)
        probe.stop()

    assert cpu_used < 0.2 * faults_lasted, (cpu_used, faults_lasted)
    assert web.pid == children["web"].pid  # the web was never restarted…
    assert probe.answers > 0
    assert not probe.failures, probe.failures  # …and answered every request while the others were
    assert supervisor.returncode == 0, output()
    assert "Todo detenido." in output()
    assert output().count("[beat] pid") == 2, output()  # the one waiting for its restart was not started
    # Every worker that died was started again. Killing Redis under the worker may kill it too (kombu 5.7
    # cannot restore its unacked messages without a connection): then it is restarted once more.
    assert output().count("[worker] pid") == 1 + output().count("[worker] terminó"), output()
    assert output().count("[worker] pid") >= 2, output()
    assert not _alive(seen), output()


def test_restart_delay_doubles_from_one_second_up_to_the_cap():
    assert [restart_delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert restart_delay(10_000) == 30  # a crash loop running for days
    assert restart_delay(3, first=0.5, cap=60) == 4
