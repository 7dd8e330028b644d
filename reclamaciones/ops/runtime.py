"""Each process's heartbeat, wherever it runs: web processes on their /healthz calls (throttled), Celery workers
and beat from a background thread started by their Celery signal (config.celery connects them). A heartbeat
never raises: a process that cannot record one must keep serving, and the status page shows it as stale."""

from __future__ import annotations

import atexit
import functools
import logging
import os
import shutil
import socket
import subprocess
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from . import beat_lock
from .models import ProcessHeartbeat

logger = logging.getLogger(__name__)

_STARTED_AT = timezone.now()  # when this module was imported: the process's start, closely enough
_last_web_beat: dict[int, float] = {}  # pid -> monotonic time; a forked web worker starts with its own pid


@functools.cache
def portal_version() -> str:
    """PORTAL_VERSION when the deployment sets it (a tag, an image digest), else the checkout's git revision."""
    if settings.PORTAL_VERSION:
        return settings.PORTAL_VERSION
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        result = subprocess.run(  # noqa: S603 (a fixed command, no outside input)
            [git, "rev-parse", "--short=12", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=2,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def heartbeat_now(*, role: str, state: str = "") -> bool:
    """Record that this process is alive; False (logged) when it could not."""
    from .services import process_heartbeat_record

    try:
        process_heartbeat_record(
            role=role,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=_STARTED_AT,
            version=portal_version(),
            state=state,
        )
        return True
    except Exception:
        logger.warning("ops: could not record the %s heartbeat", role, exc_info=True)
        return False


def web_heartbeat() -> None:
    """From /healthz: at most one write per RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS per web process, whatever
    the rate at which load balancers probe."""
    pid, now = os.getpid(), time.monotonic()
    last = _last_web_beat.get(pid)
    if last is not None and now - last < settings.RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS:
        return
    _last_web_beat[pid] = now
    heartbeat_now(role=ProcessHeartbeat.Role.WEB)


def heartbeat_forget(*, role: str) -> None:
    from .services import process_heartbeat_forget

    try:
        process_heartbeat_forget(role=role, hostname=socket.gethostname(), pid=os.getpid())
    except Exception:
        logger.warning("ops: could not remove the %s heartbeat", role, exc_info=True)


class HeartbeatThread(threading.Thread):
    """Beats every `interval` seconds (RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS by default) until stopped.
    `tick` (optional) returns the state to record (beat reads its lock's state)."""

    def __init__(self, *, role: str, tick=None, interval: float | None = None) -> None:
        super().__init__(name=f"{role}-heartbeat", daemon=True)
        self.role = role
        self.tick = tick
        self.interval = interval or settings.RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            state = self.tick() if self.tick else ""
            close_old_connections()
            heartbeat_now(role=self.role, state=state)
            # This thread's own connection: never held open between beats, never shared with a forked child.
            connection.close()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


_threads: dict[str, HeartbeatThread] = {}


def worker_started(**kwargs) -> None:
    """celery.signals.worker_ready: the worker's main process beats from now on."""
    _start(HeartbeatThread(role=ProcessHeartbeat.Role.WORKER))


def worker_stopping(**kwargs) -> None:
    """celery.signals.worker_shutdown: a clean stop leaves the list."""
    _stop(ProcessHeartbeat.Role.WORKER)


def beat_started(**kwargs) -> None:
    """celery.signals.beat_init, before the scheduler's first tick: with the guard on, wait here as a standby
    until this beat holds the lock (ops.beat_lock), then keep it renewed from a thread of its own. The heartbeat
    thread only reads the lock's state: its database writes never delay a renewal."""
    # beat has no shutdown signal: leave the list at exit (SIGTERM ends beat through SystemExit).
    atexit.register(heartbeat_forget, role=ProcessHeartbeat.Role.BEAT)
    if not beat_lock.guard_enabled():
        if settings.RECLAMACIONES_BEAT_LOCK:
            logger.warning("beat lock: the broker is not Redis; this beat runs unguarded (run only one)")
        _start(HeartbeatThread(role=ProcessHeartbeat.Role.BEAT, tick=lambda: "activo (sin candado)"))
        return
    lock = beat_lock.BeatLock.from_settings()
    beat_lock.install(lock)
    _start(HeartbeatThread(role=ProcessHeartbeat.Role.BEAT, tick=lambda: lock.state))
    lock.wait_until_held()
    beat_lock.LockKeeper(lock).start()


def _start(thread: HeartbeatThread) -> None:
    _stop(thread.role)
    _threads[thread.role] = thread
    thread.start()


def _stop(role: str) -> None:
    thread = _threads.pop(role, None)
    if thread is not None:
        thread.stop()
        heartbeat_forget(role=role)
