"""Beat's scheduler (CELERY_BEAT_SCHEDULER): celery's file-backed one, guarded by the single-beat lock
(ops.beat_lock). It sends nothing unless this beat holds the lock and renewed it recently, so a beat that lost
the lock (or cannot reach Redis) stops scheduling at once instead of until its next renewal.

Each entry's last run is also kept in Redis next to the lock. The `--schedule` file is local to each host, so a
standby that takes over would otherwise judge crontab entries by its own stale file and send at once, at the
wrong time, every job the previous holder already ran. Without that record (Redis restarted empty) it falls
back to its file: the jobs are idempotent (period keys), so the worst case is a job run early, never twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis
from celery.beat import PersistentScheduler
from celery.utils.time import maybe_make_aware

from . import beat_lock

logger = logging.getLogger(__name__)

LAST_RUNS_TTL = timedelta(days=30)  # an entry renamed or removed does not stay in Redis forever


def last_runs_key(lock: beat_lock.BeatLock) -> str:
    return f"{lock.key}:last-runs"


class GuardedScheduler(PersistentScheduler):
    _adopted_epoch = 0

    def tick(self, *args, **kwargs):
        if not beat_lock.guard_enabled():
            return super().tick(*args, **kwargs)
        lock = beat_lock.installed()
        if lock is None or not lock.fresh():
            # Check again soon: the keeper may renew (Redis back) or stop this beat (another holder).
            return min(self.max_interval, lock.renew_every if lock else 1.0)
        if lock.epoch != self._adopted_epoch:
            self._adopt_shared_last_runs(lock)
            self._adopted_epoch = lock.epoch
        return super().tick(*args, **kwargs)

    def reserve(self, entry):
        new_entry = super().reserve(entry)
        lock = beat_lock.installed() if beat_lock.guard_enabled() else None
        if lock is not None:
            key = last_runs_key(lock)
            try:
                pipe = lock.client.pipeline()
                pipe.hset(key, new_entry.name, maybe_make_aware(new_entry.last_run_at).isoformat())
                pipe.expire(key, int(LAST_RUNS_TTL.total_seconds()))
                pipe.execute()
            except redis.RedisError:
                logger.warning("beat: could not share the last run of %s", new_entry.name, exc_info=True)
        return new_entry

    def _adopt_shared_last_runs(self, lock: beat_lock.BeatLock) -> None:
        """Take the previous holder's last runs where they are later than this file's."""
        try:
            shared = lock.client.hgetall(last_runs_key(lock))
        except redis.RedisError:
            logger.warning("beat: could not read the shared last runs; using this host's file", exc_info=True)
            return
        adopted = 0
        for raw_name, raw_when in shared.items():
            entry = self.schedule.get(raw_name.decode())
            if entry is None:
                continue
            try:
                when = datetime.fromisoformat(raw_when.decode())
            except ValueError:
                continue
            if entry.last_run_at is None or when > maybe_make_aware(entry.last_run_at):
                entry.last_run_at = when
                adopted += 1
        if adopted:
            self._heap = None  # the next tick rebuilds it from the new last runs
            logger.info("beat: took %d last run(s) from the previous holder", adopted)
