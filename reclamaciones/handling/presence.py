"""Who else has a hoja open right now: each staff view of a hoja's page leaves the viewer's name and time in the
shared cache for a few minutes, so the next person to open it is warned before two agents answer the same
consumer twice. Only a warning: nothing is locked, and a cache outage simply shows no one."""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW_SECONDS = 5 * 60  # a view older than this no longer counts as "open"
_KEY = "hoja-viewers:{}"


def hoja_viewers_touch(*, complaint_id: int, user, now: float | None = None) -> list[dict]:
    """Record that `user` has the hoja open; return the OTHER people who opened it within the window, newest
    first ({"name", "minutes_ago"}). One read and one write of a small dict per page view."""
    now = time.time() if now is None else now
    key = _KEY.format(complaint_id)
    seen: dict = cache.get(key) or {}
    seen = {uid: entry for uid, entry in seen.items() if now - entry[1] < WINDOW_SECONDS}
    others = sorted(
        ({"name": name, "minutes_ago": int(now - at) // 60} for uid, (name, at) in seen.items() if uid != str(user.pk)),
        key=lambda other: other["minutes_ago"],
    )
    seen[str(user.pk)] = (user.get_full_name() or user.get_username(), now)
    cache.set(key, seen, WINDOW_SECONDS)
    return others
