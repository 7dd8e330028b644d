"""Deadline sweep at scale (issue 3, scope 10): `deadlines.services.deadlines_sweep` over 10,000 and then
1,000,000 hojas on PostgreSQL, about 2% of them open. Run by `python -m bench`; alone:
`python -m bench.sweep --db postgres` (creates and drops its own throwaway database).

The hojas are NOT filed through the service (a million filings would take over an hour): the book is built by
bench/book.py (staff with the ORM, then every hoja by one
`INSERT INTO reclamaciones_complaint ... SELECT ... FROM generate_series(...)`), plus the e-mailed copy each
hoja left in the outbox (one sent `sheet_copy` row per hoja, so the sweep's idempotency-key lookup searches a
table of realistic size) and the sheet counters; the secondary indexes are dropped for the load and built
again from their own definitions (checked identical), then VACUUM ANALYZE. The hojas' `content_sha256` is a
SHA-256 of the row, not the filing service's canonical fingerprint (the sweep never reads it).

Each size runs on a freshly seeded book (the tables are truncated in between) and measures, with `now` fixed:
the first sweep (every reminder and escalation owed is written, then published on commit), a second one
right after (nothing new to send) and the first sweep of the next day. The first two are run plain (the
figures) and, after deleting what the sweeps wrote, once more under CaptureQueriesContext (query count and
per-statement times).
BENCH_SWEEP_SIZES=10000,100000 changes the sizes (a quick try); BENCH_SWEEP_PROFILE=1 prints a cProfile
of one more first sweep at the largest size to stderr.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bench.book import (
    BookShape,
    Staff,
    complaints_insert,
    counters_insert,
    execute,
    indexes_built_after,
    outbox_copies_insert,
    staff_create,
    table_size,
)
from bench.common import PublishCounter, database_settings_note, scenario_main, sql_shorten

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SWEEP_SIZES", "10000,1000000").split(","))
ESTABLISHMENTS = 10
OPEN_EVERY = 50  # 1 hoja in 50 (2%) is still open: received or in progress
DUE_FROM, DUE_TO = -10, 15  # open hojas fall due from 10 business days ago to 15 business days ahead
HISTORY_DAYS = 730  # answered and closed hojas spread over the last two years
GOAL_SECONDS = 2.0
# Fixed, so that both sweeps of a size, and every run of the bench, see the same day (a Wednesday).
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=ZoneInfo("America/Lima"))
NEXT_DAY = NOW + timedelta(days=1)  # a Thursday, a business day: overdue hojas are escalated again


def _progress(message: str) -> None:
    print(f"bench: deadlines-sweep: {message}", file=sys.stderr, flush=True)


def _tables() -> dict[str, str]:
    from reclamaciones.book.models import Complaint, ComplaintEvent, SheetCounter
    from reclamaciones.deadlines.models import TrackerHeartbeat
    from reclamaciones.outbox.models import OutboundMessage

    return {
        "complaint": Complaint._meta.db_table,
        "event": ComplaintEvent._meta.db_table,
        "outbox": OutboundMessage._meta.db_table,
        "counter": SheetCounter._meta.db_table,
        "heartbeat": TrackerHeartbeat._meta.db_table,
    }


# -- the book ----------------------------------------------------------------------------------------------


def _seed(size: int, staff: Staff) -> dict:
    from django.db import connection, transaction

    tables = _tables()
    execute(f"TRUNCATE {tables['complaint']}, {tables['counter']}, {tables['heartbeat']} RESTART IDENTITY CASCADE")
    shape = BookShape(size=size, now=NOW, staff=staff, open_every=OPEN_EVERY, due_from=DUE_FROM, due_to=DUE_TO)
    timings = {}
    _progress(f"seeding {size:,} hojas with generate_series ...")
    t0 = time.perf_counter()
    with indexes_built_after([tables["complaint"], tables["outbox"]]), transaction.atomic():
        inserted = complaints_insert(shape)
        copies = outbox_copies_insert()
        counters_insert()
    timings["seed_s"] = time.perf_counter() - t0
    _progress(f"{inserted:,} hojas and {copies:,} outbox copies in {timings['seed_s']:.1f} s; VACUUM ANALYZE ...")
    t0 = time.perf_counter()
    for table in (tables["complaint"], tables["outbox"]):
        execute(f"VACUUM ANALYZE {table}")
    timings["vacuum_s"] = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, count(*) FROM {tables['complaint']} GROUP BY status ORDER BY status")
        by_status = dict(cursor.fetchall())
    assert copies == size, copies
    return {**timings, "by_status": by_status, "table_size": table_size(tables["complaint"])}


def _forget_sweeps() -> None:
    """Remove what sweeps wrote (notices, their events, the heartbeat): the book is as freshly seeded."""
    tables = _tables()
    # The retention trigger (migration 0019) refuses to delete a recent hoja's e-mails; the bench owns its
    # synthetic book and sets its own rows back, so it switches triggers off for this one statement.
    from django.db import transaction

    with transaction.atomic():
        execute("SET LOCAL session_replication_role = replica")
        execute(f"DELETE FROM {tables['outbox']} WHERE kind IN ('reminder', 'overdue')")
    execute(f"TRUNCATE {tables['event']}, {tables['heartbeat']}")
    execute(f"VACUUM ANALYZE {tables['outbox']}")


# -- one sweep ---------------------------------------------------------------------------------------------


class _DispatchTimer:
    """Times the sweep's on-commit callback (outbox.services._dispatch_keys: one SELECT, then one publish per
    message). The callback looks the function up in the module when it runs, so patching the module works."""

    def __enter__(self) -> _DispatchTimer:
        from reclamaciones.outbox import services as outbox_services

        self.module, self.original, self.seconds, self.calls = outbox_services, outbox_services._dispatch_keys, 0.0, 0
        original, timer = self.original, self

        def timed_dispatch(keys):
            t0 = time.perf_counter()
            try:
                return original(keys)
            finally:
                timer.seconds += time.perf_counter() - t0
                timer.calls += 1

        outbox_services._dispatch_keys = timed_dispatch
        return self

    def __exit__(self, *exc) -> None:
        self.module._dispatch_keys = self.original


def _broker_queue(purge: bool = False) -> int:
    """Tasks waiting in the in-memory broker's mail queue (emptied when `purge`)."""
    from django.conf import settings

    from config.celery import app

    queue = settings.CELERY_TASK_ROUTES["reclamaciones.tasks.outbox_send"]["queue"]
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        try:
            count = channel.queue_declare(queue, passive=True).message_count
        except Exception:  # never declared: nothing was published yet
            return 0
        if purge:
            channel.queue_purge(queue)
        return count


def _sweep(
    publishes: PublishCounter, *, now: datetime = NOW, capture: bool = False, profile: cProfile.Profile | None = None
) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from reclamaciones.access import Scope
    from reclamaciones.book.models import ComplaintEvent
    from reclamaciones.deadlines.services import deadlines_sweep
    from reclamaciones.outbox.models import OutboundMessage

    _broker_queue(purge=True)
    published = publishes.published
    events = ComplaintEvent.objects.count()
    with _DispatchTimer() as dispatch, CaptureQueriesContext(connection) if capture else nullcontext() as queries:
        if profile:
            profile.enable()
        t0 = time.perf_counter()
        result = deadlines_sweep(scope=Scope.everything(), now=now)
        wall = time.perf_counter() - t0
        if profile:
            profile.disable()
    figures = {
        "wall_ms": 1000 * wall,
        "dispatch_ms": 1000 * dispatch.seconds,
        "candidates": result.candidates,
        "messages_created": result.messages_created,
        "reminders": result.reminders,
        "escalations": result.escalations,
        "unroutable": len(result.unroutable),
        "events_written": ComplaintEvent.objects.count() - events,
        "published": publishes.published - published,
        "publish_failures": publishes.failed,
        "broker_queue": _broker_queue(purge=True),
    }
    if result.messages_created:
        top = (
            OutboundMessage.objects.filter(kind__in=[OutboundMessage.Kind.REMINDER, OutboundMessage.Kind.OVERDUE])
            .values("recipient")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        figures["top_recipient"] = f"{top['n']:,} ({top['recipient']})"
    if queries is not None:
        captured = [(q["sql"], 1000 * float(q["time"])) for q in queries.captured_queries]
        commit = next((i for i, (sql, _) in enumerate(captured) if sql == "COMMIT"), len(captured) - 1)
        figures["queries"] = len(captured)
        figures["sql_ms"] = sum(ms for _, ms in captured)
        figures["sql_in_transaction_ms"] = sum(ms for _, ms in captured[: commit + 1])
        figures["python_ms"] = figures["wall_ms"] - figures["dispatch_ms"] - figures["sql_in_transaction_ms"]
        figures["statements"] = [{"sql": sql_shorten(sql), "ms": ms} for sql, ms in captured]
        figures["candidates_sql"] = next(
            (sql for sql, _ in captured if '"due_date" <=' in sql and sql.lstrip().upper().startswith("SELECT")), None
        )
    return figures


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def _size(size: int, staff: Staff, publishes: PublishCounter) -> dict:
    stage = {"hojas": size, **_seed(size, staff)}
    _progress(f"{size:,} hojas: first sweep ...")
    stage["first"] = _sweep(publishes)
    _progress(
        f"{size:,} hojas: first sweep {stage['first']['wall_ms']:.0f} ms, "
        f"{stage['first']['messages_created']:,} messages; second sweep ..."
    )
    stage["second"] = _sweep(publishes)
    _progress(f"{size:,} hojas: second sweep {stage['second']['wall_ms']:.0f} ms; the next day's first sweep ...")
    stage["next_day"] = _sweep(publishes, now=NEXT_DAY)
    _forget_sweeps()
    _progress(f"{size:,} hojas: the same two sweeps under CaptureQueriesContext ...")
    stage["first_captured"] = _sweep(publishes, capture=True)
    stage["second_captured"] = _sweep(publishes, capture=True)
    sql = stage["first_captured"].pop("candidates_sql")
    stage["second_captured"].pop("candidates_sql")
    stage["plan"] = _explain(sql) if sql else ["(candidates query not found among the captured statements)"]
    if os.environ.get("BENCH_SWEEP_PROFILE") and size == SIZES[-1]:
        _forget_sweeps()
        profile = cProfile.Profile()
        _sweep(publishes, profile=profile)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue(), file=sys.stderr)
    return stage


def deadlines_sweep_scale() -> dict:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return {"skipped": SQLITE_REASON}
    publishes = PublishCounter()
    staff = staff_create(ESTABLISHMENTS)
    stages = [_size(size, staff, publishes) for size in SIZES]
    return {
        "sizes": stages,
        "info": {
            "now": f"{NOW:%Y-%m-%d %H:%M} America/Lima",
            "thresholds (business days)": ", ".join(map(str, sorted(settings.RECLAMACIONES_REMINDER_THRESHOLDS))),
            "establishments / staff": f"{ESTABLISHMENTS} / {staff.count}",
            "connection settings": database_settings_note(),
        },
    }


SQLITE_REASON = (
    "not run: the seed is PostgreSQL SQL (generate_series, md5, sha256) and the issue's target is PostgreSQL, "
    "the production database. On SQLite Django splits bulk_create into batches of 999 parameters "
    "(django/db/backends/sqlite3/operations.py), so its query count would grow with the notices written."
)


# -- report (called by bench/__main__.py) ------------------------------------------------------------------


def _n(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def sweep_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "sizes" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    sizes = result["sizes"]
    header = " | ".join(f"{s['hojas']:,} hojas" for s in sizes)
    lines = [f"| {scenario.name} (PostgreSQL) | {header} |", "|---" + "|---:" * len(sizes) + "|"]

    def row(label: str, fn) -> None:
        lines.append(f"| {label} | " + " | ".join(fn(s) for s in sizes) + " |")

    def open_count(s) -> int:
        return sum(v for k, v in s["by_status"].items() if k in ("received", "in_progress"))

    row("open (received + in progress)", lambda s: f"{open_count(s):,} ({100 * open_count(s) / s['hojas']:.0f}%)")
    row("table size (indexes included)", lambda s: s["table_size"])
    row("seed: INSERT … generate_series + outbox copies", lambda s: f"{s['seed_s']:.1f} s")
    row("VACUUM ANALYZE", lambda s: f"{s['vacuum_s']:.1f} s")
    for key, title in (("first", "first sweep (writes every notice owed)"), ("second", "second sweep (nothing new)")):
        lines.append(f"| **{title}** |" + " |" * len(sizes))
        row("wall time", lambda s, k=key: f"**{s[k]['wall_ms']:,.0f} ms**")
        row("SQL queries (CaptureQueriesContext)", lambda s, k=key: f"**{s[k + '_captured']['queries']}**")
        row("instrumented run: wall time", lambda s, k=key: f"{s[k + '_captured']['wall_ms']:,.0f} ms")
        row("– SQL up to COMMIT", lambda s, k=key: f"{s[k + '_captured']['sql_in_transaction_ms']:,.0f} ms")
        row("– Python in the sweep", lambda s, k=key: f"{s[k + '_captured']['python_ms']:,.0f} ms")
        row(
            "– on-commit dispatch (1 SELECT + 1 fan-out publish)",
            lambda s, k=key: f"{s[k + '_captured']['dispatch_ms']:,.0f} ms",
        )
        row("candidate hojas read", lambda s, k=key: _n(s[k]["candidates"]))
        row(
            "messages created (reminders / escalations)",
            lambda s, k=key: f"{s[k]['messages_created']:,} ({s[k]['reminders']:,} / {s[k]['escalations']:,})",
        )
        row("most messages to one recipient", lambda s, k=key: s[k].get("top_recipient", "—"))
        row("events written", lambda s, k=key: _n(s[k]["events_written"]))
        row("tasks published (memory broker)", lambda s, k=key: _n(s[k]["published"]))
    lines.append(f"| **the next day's first sweep ({NEXT_DAY:%a %d %b %H:%M})** |" + " |" * len(sizes))
    row("wall time", lambda s: f"**{s['next_day']['wall_ms']:,.0f} ms**")
    row("– on-commit dispatch", lambda s: f"{s['next_day']['dispatch_ms']:,.0f} ms")
    row("candidate hojas read", lambda s: _n(s["next_day"]["candidates"]))
    row(
        "messages created (reminders / escalations)",
        lambda s: (
            f"{s['next_day']['messages_created']:,} ({s['next_day']['reminders']:,} / {s['next_day']['escalations']:,})"
        ),
    )
    first_counts = {s["first_captured"]["queries"] for s in sizes}
    second_counts = {s["second_captured"]["queries"] for s in sizes}
    same = "yes" if len(first_counts) == 1 and len(second_counts) == 1 else "NO"
    lines.append(f"| same query count at every size | {same} |" + " |" * (len(sizes) - 1))
    for key, value in result.get("info", {}).items():
        lines.append(f"| {key} | {value} |" + " |" * (len(sizes) - 1))
    lines += ["", f"SQLite: {SQLITE_REASON}", ""]
    largest = sizes[-1]
    lines += [
        f"Statements of the first sweep at {largest['hojas']:,} hojas (instrumented run; times as "
        "CaptureQueriesContext records them, 1 ms resolution, psycopg's client-side quoting of the parameters "
        "included):",
        "",
        "| # | statement | ms |",
        "|---:|---|---:|",
    ]
    for index, statement in enumerate(largest["first_captured"]["statements"], 1):
        sql = statement["sql"].replace("|", "\\|")
        lines.append(f"| {index} | `{sql}` | {statement['ms']:,.0f} |")
    lines += [
        "",
        f"EXPLAIN (ANALYZE, BUFFERS) of the candidates query at {largest['hojas']:,} hojas (right after the sweeps):",
        "",
        "```",
        *largest["plan"],
        "```",
    ]
    return lines


def sweep_meaning(results: dict) -> list[str]:
    result = (results.get("deadlines-sweep") or {}).get("postgres") or {}
    if "sizes" not in result:
        return []
    small, large = result["sizes"][0], result["sizes"][-1]
    first, second, captured = large["first"], large["second"], large["first_captured"]
    q_small, q_large = small["first_captured"]["queries"], large["first_captured"]["queries"]
    q2_small, q2_large = small["second_captured"]["queries"], large["second_captured"]["queries"]
    goal_ms = 1000 * GOAL_SECONDS
    plan = "\n".join(large["plan"])
    uses_index = "complaint_status_due_idx" in plan
    execution = next((line.split(":", 1)[1].strip() for line in large["plan"] if line.startswith("Execution")), "?")

    def verdict(ms: float) -> str:
        return f"under the {GOAL_SECONDS:.0f} s goal" if ms < goal_ms else f"OVER the {GOAL_SECONDS:.0f} s goal"

    counts = (
        f"The query count does not grow: {q_large} statements for a first sweep and {q2_large} for a second, at "
        f"{small['hojas']:,} and at {large['hojas']:,} hojas"
        if (q_small, q2_small) == (q_large, q2_large)
        else f"The query count GROWS: {q_small} -> {q_large} statements (first sweep), {q2_small} -> {q2_large} "
        "(second)"
    )
    index = (
        f"the candidates query reads its {first['candidates']:,} hojas through `complaint_status_due_idx` "
        f"in {execution}"
        if uses_index
        else "the candidates query does NOT use `complaint_status_due_idx` (plan above)"
    )
    return [
        f"* **Deadline sweep at {large['hojas']:,} hojas** (issue 3: under {GOAL_SECONDS:.0f} s, same query count "
        f"at every size). {counts}, and {index}. A sweep with nothing new to send (nearly every sweep: notices "
        f"become owed when the date changes) takes {second['wall_ms']:,.0f} ms, {verdict(second['wall_ms'])}. The "
        f"first sweep, which writes every notice owed at once ({first['messages_created']:,} messages and "
        f"{first['events_written']:,} events for {first['candidates']:,} hojas), takes {first['wall_ms']:,.0f} ms, "
        f"{verdict(first['wall_ms'])}: in the instrumented run {captured['dispatch_ms']:,.0f} ms go to publishing "
        f"one fan-out task after the commit, {captured['sql_in_transaction_ms']:,.0f} ms to SQL and "
        f"{captured['python_ms']:,.0f} ms to Python building the rows. Its cost follows the notices owed (one "
        "reminder per hoja and threshold; one escalation per person and day listing their overdue hojas), not "
        f"the size of the book: the next day's first sweep wrote {large['next_day']['messages_created']:,} messages in "
        f"{large['next_day']['wall_ms']:,.0f} ms. The seed is pessimistic: "
        f"{-DUE_FROM} of the {DUE_TO - DUE_FROM + 1} due dates given to open hojas are past, so "
        f"{100 * -DUE_FROM / (DUE_TO - DUE_FROM + 1):.0f}% of them are overdue.",
    ]


if __name__ == "__main__":
    scenario_main({"deadlines-sweep": deadlines_sweep_scale})
