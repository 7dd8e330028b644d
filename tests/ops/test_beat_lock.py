"""One beat only: the lock in the broker's Redis. A second beat waits as a standby and takes over when the holder
is gone (its lock expired or was released; never on a guess from a pid); the lock is renewed from a thread that
does no database I/O; a lock that merely expired is taken again, one another beat took stops this beat; the
scheduler sends nothing without a fresh lock and takes the last runs over from the previous holder."""

from __future__ import annotations

import atexit
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from config import celery_app
from reclamaciones.ops import beat_lock, runtime
from reclamaciones.ops.beat_lock import BeatLock
from reclamaciones.ops.beat_scheduler import GuardedScheduler, last_runs_key
from reclamaciones.ops.models import ProcessHeartbeat

from ..celery_support import broker_key_prefix, wait_until, worker_database_url

pytestmark = pytest.mark.redis


@pytest.fixture
def lock_key(machine_redis_url):
    key = f"{broker_key_prefix()}test-beat-lock-{secrets.token_hex(4)}"
    yield key
    redis.Redis.from_url(machine_redis_url).delete(key)


def _lock(url, key, *, ttl=30.0, hostname="host-a") -> BeatLock:
    return BeatLock(client=redis.Redis.from_url(url), key=key, ttl_seconds=ttl, hostname=hostname)


def test_only_one_holder_until_it_releases(machine_redis_url, lock_key):
    first, second = _lock(machine_redis_url, lock_key), _lock(machine_redis_url, lock_key, hostname="host-b")

    assert first.acquire()
    assert not second.acquire()
    assert first.holder() == first.token
    assert first.renew()
    assert not second.renew()

    second.release()  # not the holder: nothing happens
    assert first.holder() == first.token
    first.release()
    assert second.acquire()


def test_the_lock_expires_when_its_holder_stops_renewing(machine_redis_url, lock_key):
    first = _lock(machine_redis_url, lock_key, ttl=0.2)
    second = _lock(machine_redis_url, lock_key, hostname="host-b")
    assert first.acquire()

    assert wait_until(second.acquire, timeout=10)
    assert not first.renew()


def test_a_holder_with_this_hostname_and_a_dead_pid_is_waited_out(machine_redis_url, lock_key):
    # Another container with the same hostname (or this one before a restart, PID 1 reused): its pid means
    # nothing here, so only the TTL or its release frees the lock.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    redis.Redis.from_url(machine_redis_url).set(lock_key, f"host-a|{dead.pid}|0000", px=60_000)

    assert not _lock(machine_redis_url, lock_key, hostname="host-a").acquire()


def test_a_lock_that_merely_expired_is_taken_again_without_stopping(machine_redis_url, lock_key, monkeypatch):
    holder = _lock(machine_redis_url, lock_key)
    assert holder.acquire()
    redis.Redis.from_url(machine_redis_url).delete(lock_key)  # a renewal came after the TTL; nobody took it
    signals = []
    monkeypatch.setattr(beat_lock.os, "kill", lambda pid, sig: signals.append((pid, sig)))

    state = holder.keep_or_stop()

    assert signals == []
    assert state == "activo"
    assert holder.holder() == holder.token
    assert holder.fresh()
    assert holder.epoch == 2  # a new holding: the scheduler re-reads the shared last runs


def test_a_beat_that_lost_its_lock_stops_itself(machine_redis_url, lock_key, monkeypatch):
    holder = _lock(machine_redis_url, lock_key)
    assert holder.acquire()
    redis.Redis.from_url(machine_redis_url).set(lock_key, "host-b|1|ffff")  # taken over (e.g. after a Redis restart)
    signals = []
    monkeypatch.setattr(beat_lock.os, "kill", lambda pid, sig: signals.append((pid, sig)))

    state = holder.keep_or_stop()

    assert signals == [(os.getpid(), signal.SIGTERM)]
    assert "perdió" in state
    assert not holder.fresh()  # the scheduler stops sending at once, before the signal lands


def test_a_standby_waits_then_holds(machine_redis_url, lock_key, monkeypatch):
    monkeypatch.setattr(atexit, "register", lambda *args, **kwargs: None)
    first = _lock(machine_redis_url, lock_key, ttl=0.3)
    second = _lock(machine_redis_url, lock_key, hostname="host-b", ttl=0.3)
    assert first.acquire()
    waits = []

    def sleep(seconds):
        waits.append(second.state)
        if len(waits) < 3:
            first.renew()
        else:
            time.sleep(seconds)

    second.wait_until_held(sleep=sleep)

    assert waits[:3] == ["en espera"] * 3  # what the standby's heartbeat thread records meanwhile
    assert (second.holder(), second.state) == (second.token, "activo")


def test_the_lock_is_renewed_while_the_heartbeats_database_write_hangs(machine_redis_url, lock_key, monkeypatch):
    # A hung PostgreSQL call in the heartbeat thread must not delay a renewal past the TTL.
    lock = _lock(machine_redis_url, lock_key, ttl=0.6)
    hung, calls = threading.Event(), []

    def heartbeat_now(**kwargs):
        calls.append(kwargs)
        hung.wait(30)
        return False

    monkeypatch.setattr(BeatLock, "from_settings", classmethod(lambda cls: lock))
    monkeypatch.setattr(beat_lock, "guard_enabled", lambda: True)
    monkeypatch.setattr(runtime, "heartbeat_now", heartbeat_now)
    monkeypatch.setattr(runtime, "heartbeat_forget", lambda **kwargs: None)
    monkeypatch.setattr(atexit, "register", lambda *args, **kwargs: None)
    try:
        runtime.beat_started()
        assert wait_until(lambda: calls, 5)  # the heartbeat thread is stuck in its database write

        time.sleep(2.5)  # four TTLs

        assert lock.holder() == lock.token
        assert lock.fresh()
    finally:
        hung.set()
        for keeper in [t for t in threading.enumerate() if isinstance(t, beat_lock.LockKeeper)]:
            keeper.stop()
        runtime._stop(ProcessHeartbeat.Role.BEAT)
        beat_lock.install(None)
        lock.release()


# -- the scheduler ---------------------------------------------------------------------------------------------


@pytest.fixture
def scheduler(tmp_path, settings, machine_redis_url, lock_key):
    """The guarded scheduler with beat's schedule, recording what it would send instead of sending it, and the
    "outbox-relay" entry (every minute) overdue."""
    settings.CELERY_BROKER_URL = machine_redis_url
    settings.RECLAMACIONES_BEAT_LOCK = True
    sent = []

    class Recording(GuardedScheduler):
        producer = None  # no broker connection: nothing is sent

        def apply_entry(self, entry, producer=None):
            sent.append(entry.name)

    instance = Recording(app=celery_app, schedule_filename=str(tmp_path / "schedule"))
    instance.sent = sent
    instance.schedule["outbox-relay"].last_run_at = timezone.now() - timedelta(minutes=10)
    yield instance
    instance.close()
    beat_lock.install(None)


def test_beat_uses_the_guarded_scheduler():
    assert celery_app.conf.beat_scheduler == "reclamaciones.ops.beat_scheduler:GuardedScheduler"


def test_the_scheduler_sends_nothing_without_the_lock(scheduler):
    delay = scheduler.tick()

    assert scheduler.sent == []
    assert 0 < delay <= scheduler.max_interval


def test_the_scheduler_sends_nothing_once_the_lock_is_not_fresh(scheduler, machine_redis_url, lock_key):
    lock = _lock(machine_redis_url, lock_key, ttl=30)
    assert lock.acquire()
    beat_lock.install(lock)
    lock.confirmed_at = time.monotonic() - 25  # the last renewal was too long ago: the key may be gone

    assert scheduler.tick() > 0
    assert scheduler.sent == []

    lock.renew()
    assert scheduler.tick() == 0
    assert scheduler.sent == ["outbox-relay"]


def test_a_new_holder_takes_the_last_runs_over_from_the_previous_one(scheduler, machine_redis_url, lock_key):
    previous = _lock(machine_redis_url, lock_key, hostname="host-b")
    client = redis.Redis.from_url(machine_redis_url)
    # The previous holder ran the relay a moment ago; this host's file says ten minutes ago.
    client.hset(last_runs_key(previous), "outbox-relay", timezone.now().isoformat())
    lock = _lock(machine_redis_url, lock_key)
    assert lock.acquire()
    beat_lock.install(lock)

    scheduler.tick()

    assert "outbox-relay" not in scheduler.sent  # not sent again at the wrong time
    client.delete(last_runs_key(lock))


def test_the_holder_shares_each_last_run(scheduler, machine_redis_url, lock_key):
    lock = _lock(machine_redis_url, lock_key)
    assert lock.acquire()
    beat_lock.install(lock)
    client = redis.Redis.from_url(machine_redis_url)

    assert scheduler.tick() == 0

    assert scheduler.sent == ["outbox-relay"]
    shared = client.hget(last_runs_key(lock), "outbox-relay").decode()
    assert timezone.now() - datetime.fromisoformat(shared) < timedelta(minutes=1)
    client.delete(last_runs_key(lock))


def _beat(tmp_path: Path, name: str, env: dict) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / f"{name}-schedule"),
            "--pidfile",
            "",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_one_schedules_the_other_takes_over_when_it_is_killed(machine_redis_url, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": machine_redis_url,
        "CELERY_BROKER_KEY_PREFIX": broker_key_prefix(),
        "RECLAMACIONES_BEAT_LOCK_TTL_SECONDS": "3",
        "RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS": "1",
    }
    client = redis.Redis.from_url(machine_redis_url)
    key = f"{broker_key_prefix()}{beat_lock.LOCK_NAME}"
    beats = {}
    try:
        for name in ("a", "b"):
            beats[name] = _beat(tmp_path, name, env)

        def holder_pid():
            value = client.get(key)
            return int(value.decode().split("|")[1]) if value else None

        def output(name):
            return beats[name][1].read_text(errors="replace")

        def standby_logged():
            return [n for n in beats if "waiting as a standby" in output(n)]

        assert wait_until(lambda: holder_pid() and standby_logged(), 60), output("a") + output("b")
        holder = next(n for n, (p, _) in beats.items() if p.pid == holder_pid())
        [standby] = standby_logged()
        assert holder != standby
        assert "beat: Starting..." in output(holder)
        assert wait_until(
            lambda: (
                set(ProcessHeartbeat.objects.filter(role="beat").values_list("state", flat=True))
                == {"activo", "en espera"}
            ),
            30,
        )

        # The holder's host dies: SIGKILL, no clean release. The standby takes over once the lock expires.
        os.killpg(beats[holder][0].pid, signal.SIGKILL)
        beats[holder][0].wait()
        assert wait_until(lambda: holder_pid() == beats[standby][0].pid, 30), output(standby)
        assert wait_until(lambda: re.search(r"acquired by .*this beat schedules", output(standby)), 10)
    finally:
        for process, _ in beats.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
    # A clean stop (SIGTERM) releases the lock at once instead of waiting for its expiry.
    assert client.get(key) is None
    assert not any(
        psutil.pid_exists(p.pid) and psutil.Process(p.pid).status() != psutil.STATUS_ZOMBIE for p, _ in beats.values()
    )
