"""PURE history math (no ORM, no clock): from the runs of /healthz samples to a timeline, the uptime of a
window and its incidents.

A sample tells the state at its moment and is trusted for `coverage` after it (the sampling interval plus a
grace for a late task). Time no sample covers is "no_data": beat or every worker was down, or the portal was
not installed yet. It is never counted as up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

NO_DATA = "no_data"
UP_STATUSES = frozenset({"ok", "degraded"})  # the book files; "degraded" only alarms staff


@dataclass(frozen=True)
class Run:
    """Consecutive samples with one status and one set of failing checks (a HealthSpan row)."""

    started_at: datetime
    last_sample_at: datetime
    status: str
    failing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment:
    """A stretch of time with one state: a status ("ok", "degraded", "error") or NO_DATA."""

    start: datetime
    end: datetime
    status: str
    failing: tuple[str, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Availability:
    """How a window was spent. `up` counts "ok" and "degraded" (the book filed); shares are of the whole
    window, so time without data lowers the uptime instead of vanishing from it."""

    total: timedelta
    ok: timedelta
    degraded: timedelta
    error: timedelta
    no_data: timedelta

    @property
    def up(self) -> timedelta:
        return self.ok + self.degraded

    def share(self, part: timedelta) -> float | None:
        """`part` as a percentage of the window (None for an empty window)."""
        return None if not self.total else 100 * part / self.total

    @property
    def up_percent(self) -> float | None:
        return self.share(self.up)

    @property
    def error_percent(self) -> float | None:
        return self.share(self.error)

    @property
    def no_data_percent(self) -> float | None:
        return self.share(self.no_data)


def timeline(runs: Iterable[Run], *, start: datetime, end: datetime, coverage: timedelta) -> list[Segment]:
    """[start, end) cut into segments, in order, without overlap or hole: each run covers from its first sample
    to `coverage` after its last one, or to the next run's start if that comes first; the rest is NO_DATA.
    Neighbouring segments in the same state are merged."""
    if end <= start:
        return []
    ordered = sorted(runs, key=lambda run: run.started_at)
    segments: list[Segment] = []

    def add(seg_start: datetime, seg_end: datetime, status: str, failing: tuple[str, ...] = ()) -> None:
        seg_start, seg_end = max(seg_start, start), min(seg_end, end)
        if seg_end <= seg_start:
            return
        last = segments[-1] if segments else None
        if last and last.end == seg_start and (last.status, last.failing) == (status, failing):
            segments[-1] = Segment(last.start, seg_end, status, failing)
        else:
            segments.append(Segment(seg_start, seg_end, status, failing))

    cursor = start
    for index, run in enumerate(ordered):
        covered_until = run.last_sample_at + coverage
        if index + 1 < len(ordered):
            covered_until = min(covered_until, ordered[index + 1].started_at)
        run_start = max(run.started_at, cursor)  # overlapping runs (two samplers at once): the first one wins
        if covered_until <= run_start:
            continue
        if run_start > cursor:
            add(cursor, run_start, NO_DATA)
        add(run_start, covered_until, run.status, tuple(run.failing))
        cursor = max(cursor, covered_until)
    if cursor < end:
        add(cursor, end, NO_DATA)
    return segments


def availability(segments: Iterable[Segment], *, start: datetime, end: datetime) -> Availability:
    """How [start, end) was spent, from a timeline (time outside every segment counts as no data)."""
    spent = {"ok": timedelta(0), "degraded": timedelta(0), "error": timedelta(0)}
    for segment in segments:
        seg_start, seg_end = max(segment.start, start), min(segment.end, end)
        if seg_end > seg_start and segment.status in spent:
            spent[segment.status] += seg_end - seg_start
    total = max(end - start, timedelta(0))
    return Availability(total=total, no_data=total - sum(spent.values(), timedelta(0)), **spent)


def incidents(segments: Iterable[Segment]) -> list[Segment]:
    """The segments that were not "ok" (down, degraded or without data), newest first."""
    return sorted((s for s in segments if s.status != "ok"), key=lambda s: s.start, reverse=True)
