"""Exactly one Celery beat, however many hosts run one: beat holds a lock in the broker's Redis before its first
tick and renews it from a thread of its own while it runs. Another beat waits as a hot standby and takes over
when the lock expires (its holder died or hung) or is released (a clean stop). The scheduler
(ops.beat_scheduler) sends nothing unless this process holds the lock and renewed it recently, and a beat that
finds another holder stops itself (SIGTERM); its supervisor restarts it as a standby.

The scheduled jobs are idempotent anyway (keys, row locks), so this guard saves double work and double
reminders' races rather than being the only line of defence."""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import signal
import socket
import threading
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

LOCK_NAME = "reclamaciones:beat-lock"

# Compare-and-act scripts: only the holder's token renews or releases the lock.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

# The lock this beat process holds or waits for (set by ops.runtime.beat_started, read by the scheduler).
_installed: BeatLock | None = None


def guard_enabled() -> bool:
    """The single-beat guard is on and can work: it needs the broker's Redis."""
    return settings.RECLAMACIONES_BEAT_LOCK and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def install(lock: BeatLock | None) -> None:
    global _installed  # one lock per beat process
    _installed = lock


def installed() -> BeatLock | None:
    return _installed


class BeatLock:
    def __init__(self, *, client: redis.Redis, key: str, ttl_seconds: float, hostname: str | None = None) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = int(ttl_seconds * 1000)
        self.hostname = hostname or socket.gethostname()
        # host|pid|nonce: the holder is readable in Redis and on the status page. Only the nonce identifies
        # it: two containers may share a hostname and a pid (PID 1 in each).
        self.token = f"{self.hostname}|{os.getpid()}|{secrets.token_hex(4)}"
        self.state = "en espera"  # what the heartbeat thread records; written by whoever acts on the lock
        self.confirmed_at: float | None = None  # monotonic time of the last successful acquire or renewal
        self.epoch = 0  # +1 per acquisition: the scheduler re-reads the shared last runs after each one

    @classmethod
    def from_settings(cls) -> BeatLock:
        """The lock in the broker's Redis, under the broker's key prefix (the Redis every beat must share)."""
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3, socket_timeout=5)
        prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
        return cls(client=client, key=f"{prefix}{LOCK_NAME}", ttl_seconds=settings.RECLAMACIONES_BEAT_LOCK_TTL_SECONDS)

    @property
    def renew_every(self) -> float:
        """Renew three times per TTL: one missed renewal (a slow Redis) does not lose the lock."""
        return self.ttl_ms / 3000

    def fresh(self, *, clock=time.monotonic) -> bool:
        """Held, as of a renewal recent enough that the lock cannot have expired since: at most two renewal
        periods ago, which leaves a third of the TTL for this host's and Redis's clocks to disagree."""
        return self.confirmed_at is not None and clock() - self.confirmed_at < 2 * self.renew_every

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if value is not None else None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it. A holder that died is waited out (TTL): no pid or hostname can
        prove it dead across containers and PID namespaces."""
        started = time.monotonic()  # the TTL runs from the request, not from the answer
        if not self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            return False
        self.confirmed_at, self.epoch, self.state = started, self.epoch + 1, "activo"
        return True

    def renew(self) -> bool:
        """Extend the lock; False when this process no longer holds it."""
        started = time.monotonic()
        if self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms):
            self.confirmed_at = started
            return True
        return False

    def release(self) -> None:
        self.confirmed_at = None
        try:
            self.client.eval(_RELEASE, 1, self.key, self.token)
        except redis.RedisError:
            logger.warning("beat lock: could not release it; it expires by itself", exc_info=True)

    def wait_until_held(self, *, sleep=time.sleep) -> None:
        """Block until this process holds the lock (Redis down counts as not held: keep trying). Releases it at
        exit. Does no database I/O: the standby's heartbeat comes from its own thread (reading `state`)."""
        announced = False
        while True:
            try:
                if self.acquire():
                    break
                holder = self.holder()
            except redis.RedisError as exc:
                holder = f"desconocido ({type(exc).__name__})"
            if not announced:
                logger.warning("beat lock: held by %s; waiting as a standby", holder)
                announced = True
            sleep(min(self.renew_every, 5.0))
        logger.warning("beat lock: acquired by %s; this beat schedules", self.token)
        atexit.register(self.release)

    def keep_or_stop(self) -> str:
        """Renew (the LockKeeper thread calls it). When the key merely expired (a renewal came too late) and
        nobody took it, take it again; when another beat holds it, stop this beat at once. Returns the state."""
        try:
            if self.renew():
                self.state = "activo"
                return self.state
            if self.acquire():
                logger.warning("beat lock: had expired, nobody else took it; held again by %s", self.token)
                return self.state
            holder = self.holder()
        except redis.RedisError:
            # Redis down: nobody can take the lock, and nothing can be scheduled into the broker either. The
            # scheduler pauses once the last renewal is no longer fresh.
            logger.warning("beat lock: Redis unreachable, could not renew", exc_info=True)
            self.state = "activo (Redis no responde)"
            return self.state
        self.confirmed_at = None
        logger.error("beat lock: lost to %s; stopping this beat", holder)
        self.state = "detenido: perdió el candado"
        os.kill(os.getpid(), signal.SIGTERM)
        return self.state


class LockKeeper(threading.Thread):
    """Renews the lock every TTL/3 and does nothing else: no database call (a hung PostgreSQL must not delay a
    renewal past the TTL) and no Redis call other than the lock's, each bounded by the client's timeouts."""

    def __init__(self, lock: BeatLock) -> None:
        super().__init__(name="beat-lock-keeper", daemon=True)
        self.lock = lock
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.lock.renew_every):
            self.lock.keep_or_stop()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
