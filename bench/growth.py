"""Growth (issue 11 §6): filing, the queue, its search, the deadline sweep, the council dashboard and the export
on one book grown to 10,000, 100,000 and 1,000,000 hojas (BENCH_GROWTH_SIZES), each path timed beside its
anchor in the same run, so a reader sees which paths stay flat and which grow with the book, and by how much.

The book is the council benchmark's (bench/council.py: two years of hojas over 10 establishments, Pareto
causes, about 70% answered, surveys, repeat consumers, 1 in 1,000 still open), replaced at each size (TRUNCATE,
then the set-based seed with its indexes built after the load, then ANALYZE), with the rollup rebuilt. Per size:
- filing: `complaint_file` into one establishment's book, FILINGS sequential filings after a warm-up: p50 and
  p95; anchor: one INSERT and its COMMIT into a narrow table (the server's commit cost at that moment);
- queue: `complaint_queue_page` for every establishment, default page and page 200 (keyset cursor); anchor:
  the bare ORDER BY due_date, id LIMIT 25 over the open hojas;
- search: by the DNI of a hoja in the middle of the book, and by a word of the regular consumers' names (12% of
  the book: many matches, the first page and the capped count); anchor: the bare SELECT of that DNI;
- sweep: the first `deadlines_sweep` of the day (the memory broker takes the publishes; median of 3, what each
  wrote removed before the next), with how many candidates it had (they grow with the open hojas, 1 in 1,000);
  anchor: its candidates query;
- dashboard: `DashboardView`'s data for every establishment over 365 days (bench/council.py's measurement,
  the rollup refreshed by the view); anchor: the same GROUP BYs run directly over the period's hojas;
- export: the streamed CSV of the whole book (`QueueExportView`, first byte and total, peak RSS growth);
  anchor: the export's own SELECT on a server-side cursor, rows thrown away.
Medians of RUNS runs unless said. Run by `python -m bench`; alone: `python -m bench.growth --db postgres`.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import timedelta
from statistics import median

from bench.book import execute
from bench.common import database_settings_note, percentile, scenario_main

SIZES = tuple(int(n) for n in os.environ.get("BENCH_GROWTH_SIZES", "10000,100000,1000000").split(","))
RUNS = 7
FILINGS = 100
FILING_WARMUP = 10
PAGE_SIZE = 25
DEEP_PAGE = 200
SQLITE_REASON = (
    "not run: the book is built with PostgreSQL SQL (generate_series, hashint8extended) and the target is "
    "PostgreSQL, the production database."
)

# path key, label, how it must behave as the book grows
FLAT = "flat"
BOUNDED = (
    "bounded: the rollup's rows stop growing at days x establishments x causes; repeat consumers read 90 days of hojas"
)
GROWS = "grows with what it must read"
PATHS = (
    ("filing", "filing (`complaint_file`, p50)", FLAT),
    ("queue", "queue, default page", FLAT),
    ("queue_deep", f"queue, page {DEEP_PAGE} (keyset)", FLAT),
    ("search_dni", "search by DNI", FLAT),
    ("search_name", "search by name, no accents", FLAT),
    ("sweep", "first deadline sweep of the day", GROWS),
    ("dashboard", "council dashboard, 365 days", BOUNDED),
    ("export", "CSV export of the whole book", GROWS),
)
SWEEP_RUNS = 3


def _progress(message: str) -> None:
    print(f"bench: growth: {message}", file=sys.stderr, flush=True)


def _ms(fn, runs: int = RUNS) -> float:
    """Median milliseconds of `runs` calls after a warm-up (the queue benchmark's timer)."""
    from bench.queue import _timed

    return _timed(fn, runs)["median"]


def _fetch(sql: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _book_replace(size: int, now, people) -> dict:
    from bench import council
    from reclamaciones.book.models import Complaint, SheetCounter
    from reclamaciones.council.models import DailyAnswerCount, DailyCauseCount, DailySurveyCount, RollupState
    from reclamaciones.council.rollup import rollup_rebuild

    tables = [Complaint, SheetCounter, DailyCauseCount, DailyAnswerCount, DailySurveyCount]
    execute(f"TRUNCATE {', '.join(m._meta.db_table for m in tables)} RESTART IDENTITY CASCADE")
    RollupState.objects.update(refreshed_at=None, rebuilt_at=None)
    seeded = council.seed(now, size=size, people=people)
    t0 = time.perf_counter()
    rollup_rebuild(now=now)
    seeded["rollup_s"] = time.perf_counter() - t0
    return seeded


def _filing(establishment) -> dict:
    from reclamaciones.book.services import complaint_file
    from tests.factories import filing_kwargs

    def one() -> float:
        t0 = time.perf_counter()
        complaint_file(**filing_kwargs(establishment=establishment, submission_key=uuid.uuid4()))
        return time.perf_counter() - t0

    for _ in range(FILING_WARMUP):
        one()
    values = [1000 * one() for _ in range(FILINGS)]
    execute("CREATE TABLE IF NOT EXISTS bench_growth_anchor (id bigserial PRIMARY KEY, payload text)")

    def anchor() -> None:
        execute("INSERT INTO bench_growth_anchor (payload) VALUES (%s)", [uuid.uuid4().hex])  # autocommit

    return {
        "ms": median(values),
        "p95": percentile(sorted(values), 0.95),
        "anchor_ms": _ms(anchor, runs=FILINGS),
    }


def _queue_and_search(today) -> dict:
    from django.db.models import Min

    from bench.queue import _cursor_at
    from reclamaciones.access import Scope
    from reclamaciones.book.models import Complaint
    from reclamaciones.handling.selectors import complaint_queue_page

    scope = Scope.everything()
    deep = _cursor_at(scope, today, (DEEP_PAGE - 1) * PAGE_SIZE + 1)
    middle = Complaint.objects.aggregate(first=Min("pk"))["first"] + Complaint.objects.count() // 2
    dni = Complaint.objects.filter(pk__gte=middle).order_by("pk").values_list("doc_number", flat=True)[0]
    surname = "frecuente"  # the regular consumers' names (12% of the book): a search with many matches
    open_list = "'received', 'in_progress', 'settlement_offered'"
    table = Complaint._meta.db_table
    return {
        "queue": {
            "ms": _ms(lambda: complaint_queue_page(scope=scope, today=today, size=PAGE_SIZE)),
            "anchor_ms": _ms(
                lambda: _fetch(
                    f"SELECT * FROM {table} WHERE status IN ({open_list}) ORDER BY due_date, id LIMIT {PAGE_SIZE}"
                )
            ),
        },
        "queue_deep": {"ms": _ms(lambda: complaint_queue_page(scope=scope, today=today, size=PAGE_SIZE, cursor=deep))},
        "search_dni": {
            "ms": _ms(lambda: complaint_queue_page(scope=scope, today=today, size=PAGE_SIZE, query=dni)),
            "anchor_ms": _ms(lambda: _fetch(f"SELECT * FROM {table} WHERE doc_number = %s", [dni])),
            "note": f"DNI {dni}",
        },
        "search_name": {
            "ms": _ms(lambda: complaint_queue_page(scope=scope, today=today, size=PAGE_SIZE, query=surname)),
            "note": f'"{surname}"',
        },
    }


def _sweep(now) -> dict:
    from bench.sweep import _forget_sweeps
    from reclamaciones.access import Scope
    from reclamaciones.deadlines.selectors import complaint_deadline_candidates
    from reclamaciones.deadlines.services import deadlines_sweep

    walls = []
    for _ in range(SWEEP_RUNS):  # each one the day's first: what the previous one wrote is removed
        _forget_sweeps()
        t0 = time.perf_counter()
        result = deadlines_sweep(scope=Scope.everything(), now=now)
        walls.append(time.perf_counter() - t0)
    horizon = now.date() + timedelta(days=30)
    anchor = _ms(lambda: complaint_deadline_candidates(scope=Scope.everything(), horizon=horizon))
    _forget_sweeps()  # the dashboard measured next re-reads no sweep's events
    return {"ms": 1000 * median(walls), "anchor_ms": anchor, "note": f"{result.candidates:,} candidates"}


def _dashboard(superuser_pk: int, today) -> dict:
    from bench.council import _build, _direct_group_bys

    start = today - timedelta(days=364)
    query = {"desde": start.isoformat(), "hasta": today.isoformat()}
    return {
        "ms": _ms(lambda: _build(superuser_pk, query), runs=5),
        "anchor_ms": _ms(lambda: _direct_group_bys(start, today), runs=3),
    }


def _export() -> dict:
    from django.contrib.auth import get_user_model

    from bench.export import _anchor, _streamed_csv

    user = get_user_model().objects.get(username="supervision.regional")
    streamed = _streamed_csv(user)
    anchor = _anchor(user)
    return {
        "ms": 1000 * streamed["total_s"],
        "anchor_ms": 1000 * anchor["total_s"],
        "note": (
            f"{anchor['rows']:,} rows, first byte {1000 * streamed['first_byte_s']:,.0f} ms, "
            f"RSS +{streamed['rss_growth_mb']:,.0f} MB"
        ),
    }


def _size(size: int, now, people) -> dict:
    from django.db import connections
    from django.utils import timezone

    from reclamaciones.book.models import Establishment
    from reclamaciones.book.selectors import establishment_get_public

    seeded = _book_replace(size, now, people)
    today = timezone.localdate(now)
    connections.close_all()
    stage = {"hojas": size, "seed_s": seeded["seed_s"], "rollup_s": seeded["rollup_s"]}
    _progress(f"{size:,}: queue and search ...")
    stage.update(_queue_and_search(today))
    _progress(f"{size:,}: sweep ...")
    stage["sweep"] = _sweep(now)
    _progress(f"{size:,}: dashboard ...")
    stage["dashboard"] = _dashboard(seeded["superuser"], today)
    _progress(f"{size:,}: export ...")
    stage["export"] = _export()
    _progress(f"{size:,}: filing ...")
    establishment = establishment_get_public(slug=Establishment.objects.get(pk=seeded["establishment"]).slug)
    stage["filing"] = _filing(establishment)
    return stage


def growth_scale() -> dict:
    from django.db import connection
    from django.utils import timezone

    from bench import council

    if connection.vendor != "postgresql":
        return {"skipped": SQLITE_REASON}
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    people = council.people_create()
    stages = [_size(size, now, people) for size in SIZES]
    return {
        "sizes": stages,
        "info": {
            "now": f"{timezone.localtime(now):%Y-%m-%d %H:%M} America/Lima",
            "connection": database_settings_note(),
        },
    }


# -- report (called by bench/__main__.py) ------------------------------------------------------------------


def _cell(figures: dict) -> str:
    text = f"{figures['ms']:,.1f}"
    if "p95" in figures:
        text += f" (p95 {figures['p95']:,.1f})"
    if "anchor_ms" in figures:
        text += f" · anchor {figures['anchor_ms']:,.1f}"
    return text


def growth_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "sizes" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    stages = result["sizes"]
    first, last = stages[0], stages[-1]
    lines = [
        "Milliseconds (median) at each size, the anchor beside it; the last columns compare the largest book "
        "with the smallest: the path's own growth, and its ratio to the anchor then and now.",
        "",
        "| path | as the book grows it must be | "
        + " | ".join(f"{s['hojas']:,} hojas" for s in stages)
        + f" | {last['hojas']:,} / {first['hojas']:,} | portal / anchor ({first['hojas']:,} → {last['hojas']:,}) |",
        "|---|---|" + "---:|" * len(stages) + "---:|---:|",
    ]
    for key, label, behaviour in PATHS:
        growth = last[key]["ms"] / first[key]["ms"]
        ratio = (
            f"{first[key]['ms'] / first[key]['anchor_ms']:,.1f}x → {last[key]['ms'] / last[key]['anchor_ms']:,.1f}x"
            if "anchor_ms" in first[key]
            else "—"
        )
        lines.append(
            f"| {label} | {behaviour} | " + " | ".join(_cell(s[key]) for s in stages) + f" | {growth:,.1f}x | {ratio} |"
        )
    notes = [
        f"{label}: " + "; ".join(s[key]["note"] for s in stages) for key, label, _ in PATHS if "note" in first[key]
    ]
    lines += [
        "",
        "Per size: "
        + "; ".join(
            f"{s['hojas']:,} hojas seeded in {s['seed_s']:,.0f} s, rollup rebuilt in {s['rollup_s']:,.1f} s"
            for s in stages
        )
        + ".",
        "",
        *[f"- {note}" for note in notes],
        "",
        f"Now: {result['info']['now']}; {result['info']['connection']}.",
        "",
        f"SQLite: {SQLITE_REASON}",
    ]
    return lines


def growth_meaning(results: dict) -> list[str]:
    result = (results.get("growth") or {}).get("postgres") or {}
    if "sizes" not in result:
        return []
    first, last = result["sizes"][0], result["sizes"][-1]

    def ratio(stage: dict, key: str) -> str:
        return f"{stage[key]['ms'] / stage[key]['anchor_ms']:,.1f}x"

    flat = [
        f"{label.split(' (')[0]} {last[key]['ms'] / first[key]['ms']:,.1f}x" for key, label, how in PATHS if how == FLAT
    ]
    return [
        f"* **Growth from {first['hojas']:,} to {last['hojas']:,} hojas** (issue 11 §6), the largest book's time "
        "over the smallest's, for the paths that must stay flat: " + "; ".join(flat) + ". The dashboard reads the "
        "rollup, whose rows stop growing once every day, establishment and cause has hojas (and the last 90 days' "
        "hojas for repeat consumers): "
        f"{first['dashboard']['ms']:,.0f} → {last['dashboard']['ms']:,.0f} ms while its direct GROUP BYs went "
        f"{first['dashboard']['anchor_ms']:,.0f} → {last['dashboard']['anchor_ms']:,.0f} ms. The sweep and the "
        "export read what grows with the book (the sweep's candidates, every row); against their anchors they went "
        f"{ratio(first, 'sweep')} → {ratio(last, 'sweep')} and {ratio(first, 'export')} → {ratio(last, 'export')}."
    ]


if __name__ == "__main__":
    scenario_main({"growth": growth_scale})
