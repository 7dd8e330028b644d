"""The back office queue at scale (issue 11): `/gestion/` (`handling.views.QueueView`) over books of 10,000,
100,000 and 1,000,000 hojas on PostgreSQL; goals: the default page, any deep page, the filters and the summary
counters under 200 ms and flat from 10k to 1M; a search by DNI, by name (accent-insensitive both ways) or by words
of what the consumer wrote (detail and request, issue 13: migration 0037's trigram index) under 150 ms. Run by
`python -m bench`; alone: `python -m bench.queue --db postgres` (creates and drops its own throwaway database).

The book: bench/book.py's generator (one `INSERT ... SELECT ... FROM generate_series`, secondary indexes, the
queue's migration-0015 ones included, built after the load), rows stored in filing order as a live book stores
them: 10 establishments, 2% of the hojas open (half received and unassigned, half in progress) falling due from
10 business days ago to 15 ahead, the rest answered or closed over two years; consumers named from 30 first names
and 50 surnames, accents and Ñ included ("Ñahui" is a surname of about 4% of them), plus one rare surname
("Ñahuincopa", one hoja in 50,000); then VACUUM ANALYZE. Each size on a freshly seeded book.

Measured, for the regional supervisor (every establishment, no scope filter) unless said: the selectors the view
calls, `complaint_queue_page` (a bounded count and the page's rows: two statements) for each case and
`complaint_queue_summary` with `pending_approval_count` (a supervisor's counters); each case 1 warm-up then
BENCH_QUEUE_RUNS (default 15) calls, median and p95. Side by side in the same run, the anchor: the bare `SELECT *
FROM reclamaciones_complaint WHERE status IN (open) ORDER BY due_date, id LIMIT 25`, served by the open hojas'
partial index, through the same connection. And, as a before figure, the pre-issue-11 read: Django's Paginator over
the CASE order (`complaint_queue`, what the exports still read) for page 1 and page 200 (a full count plus OFFSET).
Every statement of one call per case is then run under EXPLAIN (ANALYZE, BUFFERS): its plan's shape (the scans,
sorts) and, at the largest size, the full plan of the page's rows. The whole view (template included) is rendered for
the default page and page 200.
BENCH_QUEUE_SIZES=10000,100000 changes the sizes (a quick try).
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import datetime
from statistics import median
from zoneinfo import ZoneInfo

from bench.book import BookShape, Staff, complaints_insert, counters_insert, execute, indexes_built_after, staff_create
from bench.book import table_size as _table_size
from bench.common import database_settings_note, percentile, scenario_main

SIZES = tuple(int(n) for n in os.environ.get("BENCH_QUEUE_SIZES", "10000,100000,1000000").split(","))
RUNS = int(os.environ.get("BENCH_QUEUE_RUNS", "15"))
BEFORE_RUNS = 3  # the pre-issue-11 read takes seconds at 1M
ESTABLISHMENTS = 10
OPEN_EVERY = 50
DUE_FROM, DUE_TO = -10, 15
HISTORY_DAYS = 730
PAGE_SIZE = 25
DEEP_PAGE = 200
GOAL_MS = 200.0
SEARCH_GOAL_MS = 150.0
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=ZoneInfo("America/Lima"))  # a Wednesday, as deadlines-sweep
RARE_EVERY = 50_000

SQLITE_REASON = (
    "not run: the book is built with PostgreSQL SQL (generate_series, hashint8extended) and the search indexes "
    "(unaccent, pg_trgm) are PostgreSQL's; SQLite keeps a scanning fallback for the development server."
)

FIRST_NAMES = [
    "María", "José", "Lucía", "Jesús", "Ángel", "Rosa", "Juan", "Carmen", "Luis", "Ana", "Jorge", "Elena", "Pedro",
    "Sofía", "Raúl", "Inés", "Víctor", "Mónica", "Martín", "Nélida", "Óscar", "Yolanda", "Hernán", "Zoila", "Iván",
    "Gladys", "Teófilo", "Maribel", "Efraín", "Noemí",
]  # fmt: skip
SURNAMES = [
    "Quispe", "Mamani", "Huamán", "Ñahui", "Núñez", "Cárdenas", "Peña", "Gutiérrez", "Chávez", "Rodríguez", "Flores",
    "Sánchez", "Díaz", "Pérez", "Ramírez", "Torres", "Vásquez", "Castillo", "Ramos", "Mendoza", "Cruz", "Álvarez",
    "Gómez", "Vargas", "Rojas", "Condori", "Hernández", "Ccori", "Yupanqui", "Tupac", "Gonzáles", "López", "Salas",
    "Espinoza", "Ríos", "Cáceres", "Ibáñez", "Muñoz", "Zúñiga", "Ordóñez", "Chumpitaz", "Ayala", "Paucar", "Huanca",
    "Apaza", "Ticona", "Benites", "León", "Suárez", "Rivera",
]  # fmt: skip

# What the consumers wrote (issue 13: the search reads it): eight complaints in turn, accents included ("cobró" and
# "Cobro" are the same word to the search, so about 1 hoja in 4 holds "cobro"), and one rare one every RARE_EVERY
# hojas ("contracargo").
DETAILS = [
    "Me cobró dos veces el mismo producto en la caja.",
    "El pedido no llegó en la fecha prometida por la tienda.",
    "La atención en caja fue descortés y no me entregaron comprobante.",
    "El producto llegó dañado y no quieren cambiarlo por la garantía.",
    "Cobro indebido de una comisión que nadie me explicó al pagar.",
    "La devolución del dinero sigue pendiente desde hace semanas.",
    "El técnico no vino a la instalación acordada y nadie avisó.",
    "La oferta publicada en la vitrina no se respetó al pagar.",
]
RARE_DETAIL = "Pedí un contracargo al banco: la tienda duplicó el pago con tarjeta."
TEXT_WORD, TEXT_RARE, TEXT_TWO = "cobro", "contracargo", "pedido llegó"

COLUMNS_SQL = {
    "detail": (
        f"CASE WHEN n.g %% {RARE_EVERY} = 78 THEN %(rare_detail)s "
        "ELSE (%(details)s::text[])[1 + (n.g / 7) %% 8] || ' (hoja de prueba ' || n.g || ')' END"
    ),
    "consumer_name": (
        f"CASE WHEN n.g %% {RARE_EVERY} = 77 THEN 'Zoila Ñahuincopa Ccori' "
        "ELSE (%(firsts)s::text[])[1 + n.g %% 30] || ' ' || (%(surnames)s::text[])[1 + (n.g / 30) %% 50] || ' ' "
        "|| (%(surnames)s::text[])[1 + (n.g / 1500) %% 50] END"
    ),
}


def _progress(message: str) -> None:
    print(f"bench: staff-queue: {message}", file=sys.stderr, flush=True)


def _table() -> str:
    from reclamaciones.book.models import Complaint

    return Complaint._meta.db_table


# -- the book ----------------------------------------------------------------------------------------------


def _seed(size: int, staff: Staff) -> dict:
    from django.db import connection, transaction

    from reclamaciones.book.models import SheetCounter

    table = _table()
    execute(f"TRUNCATE {table}, {SheetCounter._meta.db_table} RESTART IDENTITY CASCADE")
    shape = BookShape(
        size=size,
        now=NOW,
        staff=staff,
        open_every=OPEN_EVERY,
        due_from=DUE_FROM,
        due_to=DUE_TO,
        history_days=HISTORY_DAYS,
        columns_sql=COLUMNS_SQL,
        params={"firsts": FIRST_NAMES, "surnames": SURNAMES, "details": DETAILS, "rare_detail": RARE_DETAIL},
        filing_order=True,
    )
    _progress(f"seeding {size:,} hojas with generate_series ...")
    t0 = time.perf_counter()
    with indexes_built_after([table]), transaction.atomic():
        complaints_insert(shape)
        counters_insert()
    seed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    execute(f"VACUUM ANALYZE {table}")
    vacuum_s = time.perf_counter() - t0
    _progress(f"{size:,} hojas in {seed_s:.1f} s (indexes included), VACUUM ANALYZE {vacuum_s:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, count(*) FROM {table} GROUP BY status ORDER BY status")
        by_status = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE consumer_name LIKE '%%Ñahui%%'), "
            f"count(*) FILTER (WHERE consumer_name LIKE '%%Ñahuincopa%%') FROM {table}"
        )
        nahui, rare = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE reclamaciones_search_text(detail) LIKE '%%{TEXT_WORD}%%'), "
            f"count(*) FILTER (WHERE detail LIKE '%%{TEXT_RARE}%%') FROM {table}"
        )
        text_word, text_rare = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('complaint_name_trgm_idx'))")
        (trgm_size,) = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('complaint_text_trgm_idx'))")
        (text_trgm_size,) = cursor.fetchone()
    return {
        "seed_s": seed_s,
        "vacuum_s": vacuum_s,
        "by_status": by_status,
        "nahui": nahui,
        "rare": rare,
        "table_size": _table_size(table),
        "trgm_size": trgm_size,
        "text_word": text_word,
        "text_rare": text_rare,
        "text_trgm_size": text_trgm_size,
    }


# -- measuring ---------------------------------------------------------------------------------------------


class _Statements:
    """The SQL statements (and their parameters) a call runs."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def _timed(fn, runs: int) -> dict:
    fn()  # warm-up
    values = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        values.append(time.perf_counter() - t0)
    ordered = sorted(values)
    return {"median": 1000 * median(ordered), "p95": 1000 * percentile(ordered, 0.95), "runs": runs}


PLAN_NODE = re.compile(r"^\s*(?:->\s*)?([A-Z][A-Za-z ]+?(?: using \w+| on \w+)?)(?: on \w+)?\s+\(cost=")


def _explain(statements: list[tuple[str, object]]) -> list[dict]:
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            if not sql.lstrip(" (").upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
            nodes = [m.group(1).strip() for line in plan if (m := PLAN_NODE.match(line))]
            text = "\n".join(plan)
            execution = re.search(r"Execution Time: ([\d.]+) ms", text)
            plans.append(
                {
                    "kind": "count" if "COUNT(" in sql.upper() else "rows",
                    "shape": " > ".join(dict.fromkeys(nodes)),
                    "execution_ms": float(execution.group(1)) if execution else None,
                    "seq_scan_on_hojas": bool(re.search(r"Seq Scan on reclamaciones_complaint\b", text)),
                    "plan": plan,
                }
            )
    return plans


def _cases(seeded: dict, staff: Staff, today, size: int) -> list[tuple[str, str, dict, object]]:
    """(key, title, filters, user) of every measured page."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    regional = users.get(username="supervision.regional")
    agent = users.get(pk=staff.agents[0])
    dni = f"{10000000 + size // 2:08d}"
    return [
        ("default", "default page", {}, regional),
        ("default_agent", "default page, agent of one establishment (scope)", {}, agent),
        ("deep_200", f"page {DEEP_PAGE} (keyset cursor)", {"cursor": seeded["cursor_200"]}, regional),
        (
            "deep_middle",
            "page in the middle of the book (keyset cursor)",
            {"cursor": seeded["cursor_middle"]},
            regional,
        ),
        ("dni", "search by DNI", {"query": dni}, regional),
        ("name_plain", 'search by name "nahui" (no accent)', {"query": "nahui"}, regional),
        ("name_accent", 'search by name "Ñahui" (accent)', {"query": "Ñahui"}, regional),
        ("name_rare", 'search by a rare name "nahuincopa"', {"query": "nahuincopa"}, regional),
        ("name_full", 'search by name "maría ñahui"', {"query": "maría ñahui"}, regional),
        ("number", "search by sheet number (12)", {"query": "12"}, regional),
        ("text_word", f'search in the detail text: "{TEXT_WORD}" (about 1 hoja in 4)', {"query": TEXT_WORD}, regional),
        ("text_rare", f'search in the detail text: a rare word "{TEXT_RARE}"', {"query": TEXT_RARE}, regional),
        ("text_two", f'search in the detail text: two words "{TEXT_TWO}"', {"query": TEXT_TWO}, regional),
        ("establishment", "filter: one establishment", {"establishment_id": staff.establishment_ids[3]}, regional),
        ("overdue", "filter: overdue", {"overdue": True}, regional),
        ("open", "filter: en trámite (abiertas)", {"status": "abiertas"}, regional),
        ("answered", "filter: status answered (closed segment only)", {"status": "answered"}, regional),
        ("unassigned", "filter: sin asignar (no status filter)", {"unassigned": True}, regional),
        (
            "establishment_deep",
            f"filter: one establishment, page {DEEP_PAGE} (or its last)",
            {"establishment_id": staff.establishment_ids[3], "cursor": seeded["cursor_200_establishment"]},
            regional,
        ),
    ]


def _cursor_at(scope, today, position: int, **filters) -> str:
    """The keyset cursor of the page starting at `position`, from the last row of the previous page (read once
    with the CASE order, which is slow but exact)."""
    from reclamaciones.handling.selectors import QueueCursor, complaint_queue

    rows = complaint_queue(scope=scope, today=today, **filters)
    position = min(position, (rows.count() - 1) // PAGE_SIZE * PAGE_SIZE + 1)  # a small book: its last page
    row = rows[position - 2]
    return QueueCursor.of(row, forward=True, position=position).encode()


def _view(user, query: dict) -> int:
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.test import RequestFactory

    from reclamaciones.handling.views import QueueView

    request = RequestFactory().get("/gestion/", query)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    response = QueueView.as_view()(request)
    assert response.status_code == 200, response.status_code
    return len(response.content)


def _size(size: int, staff: Staff) -> dict:
    from django.db import connection
    from django.utils import timezone

    from reclamaciones.access import Scope
    from reclamaciones.book.models import OPEN_STATUSES
    from reclamaciones.handling.selectors import (
        complaint_queue,
        complaint_queue_page,
        complaint_queue_summary,
        pending_approval_count,
    )

    seeded = _seed(size, staff)
    today = timezone.localdate()
    from django.contrib.auth import get_user_model

    regional = get_user_model().objects.get(username="supervision.regional")
    scope = Scope.of(regional)
    deep_position = (DEEP_PAGE - 1) * PAGE_SIZE + 1
    seeded["cursor_200"] = _cursor_at(scope, today, deep_position)
    seeded["cursor_200_establishment"] = _cursor_at(
        scope, today, deep_position, establishment_id=staff.establishment_ids[3]
    )
    middle = (size // 2 // PAGE_SIZE) * PAGE_SIZE + 1
    seeded["cursor_middle"] = _cursor_at(scope, today, middle)
    seeded["middle_page"] = (middle - 1) // PAGE_SIZE + 1

    open_list = ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES))
    anchor_sql = f"SELECT * FROM {_table()} WHERE status IN ({open_list}) ORDER BY due_date, id LIMIT {PAGE_SIZE}"

    def anchor():
        with connection.cursor() as cursor:
            cursor.execute(anchor_sql)
            return cursor.fetchall()

    # The detail search's anchor: the bare trigram-index read of the rare word's hojas (no scope, no order).
    text_anchor_sql = (
        f"SELECT id FROM {_table()} WHERE reclamaciones_search_text((detail || ' ') || request) "
        f"LIKE '%%{TEXT_RARE}%%' LIMIT {PAGE_SIZE}"
    )

    def text_anchor():
        with connection.cursor() as cursor:
            cursor.execute(text_anchor_sql)
            return cursor.fetchall()

    results: dict = {"seed": seeded, "cases": {}}
    _progress(f"{size:,}: anchor and cases ...")
    results["anchor"] = _timed(anchor, RUNS)
    results["anchor_plan"] = _explain([(anchor_sql, None)])[0]
    results["text_anchor"] = _timed(text_anchor, RUNS)
    results["text_anchor_plan"] = _explain([(text_anchor_sql, None)])[0]
    for key, title, filters, user in _cases(seeded, staff, today, size):
        user_scope = Scope.of(user)

        def call(user_scope=user_scope, filters=filters):
            page = complaint_queue_page(scope=user_scope, today=today, size=PAGE_SIZE, **filters)
            return page

        page = call()
        timing = _timed(call, RUNS)
        recorder = _Statements()
        with connection.execute_wrapper(recorder):
            call()
        results["cases"][key] = {
            "title": title,
            **timing,
            "rows": len(page.object_list),
            "start": page.start_index,
            "count": f"{'> ' if page.count_capped else ''}{page.count:,}",
            "statements": len(recorder.statements),
            "plans": _explain(recorder.statements),
        }
        _progress(f"{size:,}: {title}: {timing['median']:.1f} ms")

    def summary():  # what a supervisor's queue reads above the table: the counters and «Por aprobar»
        return {
            **complaint_queue_summary(scope=scope, today=today),
            "pending_approval": pending_approval_count(scope=scope),
        }

    recorder = _Statements()
    with connection.execute_wrapper(recorder):
        shown = summary()
    results["cases"]["summary"] = {
        "title": "summary counters",
        **_timed(summary, RUNS),
        "rows": 0,
        "start": 0,
        "count": ", ".join(f"{k} {v:,}" for k, v in shown.items()),
        "statements": len(recorder.statements),
        "plans": _explain(recorder.statements),
    }

    # Before: the pre-issue-11 read (CASE order, Paginator: a full count and OFFSET), what the exports still read.
    from django.core.paginator import Paginator

    before = {}
    for key, number in (("default", 1), ("deep_200", DEEP_PAGE)):

        def old(number=number):
            page = Paginator(complaint_queue(scope=scope, today=today), PAGE_SIZE).page(number)
            return list(page.object_list)

        before[key] = _timed(old, BEFORE_RUNS)
    results["before"] = before
    _progress(f"{size:,}: before: default {before['default']['median']:.0f} ms")

    # The whole view with its template (not the goal: the figures above are the data).
    view = {}
    for key, query in (("default", {}), ("deep_200", {"cursor": seeded["cursor_200"]}), ("name", {"q": "ñahui"})):
        try:
            view[key] = _timed(lambda query=query: _view(regional, query), 5)
        except Exception as exc:  # the template is not the goal: report it, do not fail the scenario
            view[key] = {"error": f"{type(exc).__name__}: {exc}"}
    results["view"] = view
    return results


def staff_queue_scale() -> dict:
    from django.db import connection
    from django.utils import timezone

    if connection.vendor != "postgresql":
        return {"skipped": SQLITE_REASON}
    staff = staff_create(ESTABLISHMENTS)
    sizes = {}
    for size in SIZES:
        sizes[str(size)] = _size(size, staff)
    with connection.cursor() as cursor:
        settings_shown = []
        for name in ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather"):
            cursor.execute(f"SHOW {name}")
            settings_shown.append(f"{name}={cursor.fetchone()[0]}")
    return {
        "sizes": sizes,
        "info": {
            "today": f"{timezone.localdate():%Y-%m-%d} (America/Lima)",
            "runs per case": f"1 warm-up + {RUNS} measured (before: 1 + {BEFORE_RUNS}; view: 1 + 5)",
            "server settings": ", ".join(settings_shown),
            "connection settings": database_settings_note(),
        },
    }


# -- report (called by bench/__main__.py) ------------------------------------------------------------------


def _f(value, fmt: str = "{:,.1f}") -> str:
    return "n/a" if value is None else fmt.format(value)


def _goal(key: str) -> float:
    return SEARCH_GOAL_MS if key.startswith(("dni", "name", "text")) else GOAL_MS


def queue_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "sizes" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    sizes = result["sizes"]
    labels = [f"{int(s):,}" for s in sizes]
    lines = [
        "Books: "
        + "; ".join(
            f"{int(s):,} hojas ({', '.join(f'{k} {v:,}' for k, v in r['seed']['by_status'].items())}; "
            f"{r['seed']['nahui']:,} named Ñahui, {r['seed']['rare']} Ñahuincopa; "
            f'{r["seed"].get("text_word", 0):,} with "{TEXT_WORD}" in the detail, '
            f'{r["seed"].get("text_rare", 0)} with "{TEXT_RARE}"; table and indexes '
            f"{r['seed']['table_size']}, of which the name's trigram index {r['seed']['trgm_size']} and the "
            f"detail's {r['seed'].get('text_trgm_size', 'n/a')}; built in "
            f"{r['seed']['seed_s']:.0f} s)"
            for s, r in sizes.items()
        )
        + ".",
        "",
        "Milliseconds per call, median (p95), and the ratio to the anchor measured in the same run at that size; "
        "goal: under 200 ms (searches: 150 ms) at every size:",
        "",
        "| staff-queue (PostgreSQL) | " + " | ".join(labels) + " | goal met |",
        "|---|" + "---:|" * len(sizes) + ":---:|",
    ]
    first = next(iter(sizes.values()))
    lines.append(
        "| **anchor**: `SELECT * … WHERE status IN (open) ORDER BY due_date, id LIMIT 25` | "
        + " | ".join(
            f"{_f(r['anchor']['median'], '{:,.2f}')} ({_f(r['anchor']['p95'], '{:,.2f}')})" for r in sizes.values()
        )
        + " | |"
    )
    if "text_anchor" in first:
        lines.append(
            f"| **detail anchor**: `SELECT id … WHERE reclamaciones_search_text(detail \\|\\| ' ' \\|\\| request) "
            f"LIKE '%{TEXT_RARE}%' LIMIT 25` | "
            + " | ".join(
                f"{_f(r['text_anchor']['median'], '{:,.2f}')} ({_f(r['text_anchor']['p95'], '{:,.2f}')})"
                for r in sizes.values()
            )
            + " | |"
        )
    for key, case in first["cases"].items():
        cells, met = [], True
        for r in sizes.values():
            c = r["cases"][key]
            ratio = c["median"] / r["anchor"]["median"] if r["anchor"]["median"] else float("nan")
            cells.append(f"{_f(c['median'])} ({_f(c['p95'])}) ×{ratio:,.0f}")
            met = met and c["p95"] < _goal(key)
        lines.append(f"| {case['title']} | " + " | ".join(cells) + f" | {'yes' if met else '**NO**'} |")
    for key, title in (
        ("default", "before: default page (CASE order, full count)"),
        ("deep_200", f"before: page {DEEP_PAGE} (CASE order, OFFSET)"),
    ):
        lines.append(
            f"| {title} | "
            + " | ".join(
                f"{_f(r['before'][key]['median'], '{:,.0f}')} ({_f(r['before'][key]['p95'], '{:,.0f}')})"
                for r in sizes.values()
            )
            + " | |"
        )
    for key, title in (
        ("default", "whole view rendered: default page"),
        ("deep_200", f"whole view rendered: page {DEEP_PAGE}"),
        ("name", 'whole view rendered: search "ñahui"'),
    ):
        cells = []
        for r in sizes.values():
            v = r["view"].get(key, {})
            cells.append(v["error"] if "error" in v else f"{_f(v['median'])} ({_f(v['p95'])})")
        lines.append(f"| {title} | " + " | ".join(cells) + " | |")
    lines += [
        "",
        "What each case shows (rows on the page / first row's position / bounded count) and its statements, at the "
        "largest size; plan shapes from EXPLAIN (ANALYZE, BUFFERS) (count statement; rows statement):",
        "",
        "| case | rows | from | count | statements | plan shape | EXPLAIN ms | seq scan |",
        "|---|---:|---:|---:|---:|---|---:|:---:|",
    ]
    last = list(sizes.values())[-1]
    for c in last["cases"].values():
        shapes = "; ".join(f"*{p['kind']}*: {p['shape']}" for p in c["plans"]).replace("|", "\\|")
        ms = " + ".join(_f(p["execution_ms"], "{:,.2f}") for p in c["plans"])
        seq = "**yes**" if any(p["seq_scan_on_hojas"] for p in c["plans"]) else "no"
        lines.append(
            f"| {c['title']} | {c['rows']} | {c['start']:,} | {c['count']} | {c['statements']} | {shapes} | {ms} "
            f"| {seq} |"
        )
    lines += [
        "",
        f"Anchor plan: {last['anchor_plan']['shape']} ({_f(last['anchor_plan']['execution_ms'], '{:,.2f}')} ms).",
        "",
    ]
    if "text_anchor_plan" in last:
        plan = last["text_anchor_plan"]
        lines += [
            f"Detail anchor plan: {plan['shape']} ({_f(plan['execution_ms'], '{:,.2f}')} ms):",
            "",
            "```",
            *plan["plan"],
            "```",
            "",
        ]
    for key in (
        "default",
        "deep_middle",
        "name_plain",
        "name_rare",
        "text_word",
        "text_rare",
        "text_two",
        "dni",
        "establishment",
        "summary",
    ):
        c = last["cases"].get(key)
        if not c or not c["plans"]:
            continue
        plan = c["plans"][-1]
        lines += [
            f"EXPLAIN (ANALYZE, BUFFERS), {labels[-1]} hojas, {c['title']} ({plan['kind']} statement):",
            "",
            "```",
            *plan["plan"],
            "```",
            "",
        ]
    for key, value in result.get("info", {}).items():
        lines.append(f"* {key}: {value}")
    lines += ["", f"SQLite: {SQLITE_REASON}"]
    return lines


def queue_meaning(results: dict) -> list[str]:
    result = (results.get("staff-queue") or {}).get("postgres") or {}
    if "sizes" not in result:
        return []
    sizes = result["sizes"]
    small, large = next(iter(sizes.values())), list(sizes.values())[-1]
    small_n, large_n = (f"{int(s):,}" for s in (next(iter(sizes)), list(sizes)[-1]))
    missed = [f"{c['title']} ({c['p95']:,.0f} ms p95)" for key, c in large["cases"].items() if c["p95"] >= _goal(key)]
    d_small, d_large = small["cases"]["default"]["median"], large["cases"]["default"]["median"]
    text = (
        f"* **Staff queue at {large_n} hojas** (issue 11): the default page takes {d_large:,.1f} ms "
        f"({d_small:,.1f} ms at {small_n}; ×{d_large / large['anchor']['median']:,.1f} the bare indexed "
        f"ORDER BY … LIMIT 25, {large['anchor']['median']:,.2f} ms), page {DEEP_PAGE} "
        f"{large['cases']['deep_200']['median']:,.1f} ms, search by DNI {large['cases']['dni']['median']:,.1f} ms "
        "and by "
        f"name {large['cases']['name_plain']['median']:,.1f} ms"
        + (
            f", in the detail text {large['cases']['text_word']['median']:,.1f} ms (a common word) and "
            f"{large['cases']['text_rare']['median']:,.1f} ms (a rare one)"
            if "text_word" in large["cases"]
            else ""
        )
        + "; before (CASE order, full count, OFFSET) the default "
        f"page took {large['before']['default']['median']:,.0f} ms and page {DEEP_PAGE} "
        f"{large['before']['deep_200']['median']:,.0f} ms. "
    )
    text += ("Over the goal: " + "; ".join(missed) + ".") if missed else "Every case is under its goal."
    return [text]


if __name__ == "__main__":
    scenario_main({"staff-queue": staff_queue_scale})
