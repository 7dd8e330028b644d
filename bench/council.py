"""Improvement council dashboard at scale (issue 5 §8): the data of /consejo/ (`DashboardView`) over a book of
1,000,000 hojas on PostgreSQL; the goal is the whole page's data under 1 s. Run by `python -m bench`; alone:
`python -m bench.council --db postgres` (creates and drops its own throwaway database).

The book: bench/book.py's generator (the deadlines-sweep's: one `INSERT ... SELECT ... FROM generate_series`,
secondary indexes built after the load), rows stored in filing order as a live book stores them, shaped for the
council with SQL expressions over each generated hoja: 10 establishments, hojas filed at an even pace over two
years up to now, the 24 causes seeded by migration 0005 in a Pareto-like skew (weight 1/rank^1.2), a few causes
rising over the last 4 weeks, 10% unclassified, a pool of regular consumers filing again and again, a handful of
open hojas past due; then, set-based too, the answer (Response) of about 70% of the hojas a few days after
filing (some after the due date), a satisfaction survey for 15% of the answered ones, the sheet counters, VACUUM
ANALYZE; and a dozen action items with the ORM.

What is measured is the view itself: `DashboardView.dispatch` for a superuser (every establishment), called with a
RequestFactory request, its `render` replaced by one that keeps the context (the page's data, no template). Every
selector the view module imported from its selectors is wrapped while measuring, so the figures follow the view as
it changes: wall time and SQL statements per selector (a QuerySet a selector returns is evaluated inside its
wrapper, where the view would list it right away), the rest being the view's own Python. Four cases: every
establishment over the default 90 days, one establishment over 90 days, every establishment over 365 and over 730
days (two years, the longest period the goal names). Each case: a cold build (a new database connection; the first
build in it), one warm-up, then BENCH_COUNCIL_RUNS (default 15) builds: median and p95. Then every statement of the
last build is run again under EXPLAIN (ANALYZE, BUFFERS) (indexes used, JIT), and the page is rendered with its
template a few times (reported apart: the goal is the data). Before the cases the rollup the page reads
(council/rollup.py) is rebuilt in full and refreshed, timed; each case also times its anchor, the same GROUP BYs
run directly over the period's hojas. BENCH_COUNCIL_SIZE changes the book's size (a quick try).
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from bench.book import (
    BookShape,
    complaints_insert,
    counters_insert,
    execute,
    indexes_built_after,
    staff_create,
    table_size,
    uniform,
)
from bench.common import database_settings_note, percentile, scenario_main, sql_shorten

SIZE = int(os.environ.get("BENCH_COUNCIL_SIZE", "1000000"))
RUNS = int(os.environ.get("BENCH_COUNCIL_RUNS", "15"))
WARMUP = 1
PAGE_RUNS = 3  # builds with the template rendered (not part of the goal)
GOAL_SECONDS = 1.0
ESTABLISHMENTS = 10
HISTORY_DAYS = 730
OPEN_EVERY = 1000  # 1 hoja in 1,000 still open (received or in progress) ...
DUE_FROM, DUE_TO = -1, 14  # ... falling due from yesterday's business day to 14 business days ahead
UNCLASSIFIED = 0.10  # hojas without a cause yet
PARETO_EXPONENT = 1.2  # cause of rank k weighs 1 / k^1.2: the top 5 of 24 causes take about 70%
# The most frequent causes first; the other leaves follow in code order.
TOP_CAUSES = ("ENT-01", "PRO-01", "DEV-01", "FAC-01", "ATE-02", "PRO-02", "ENT-03", "FAC-02", "CON-03", "ATE-04")
RISING_RANKS = (6, 9, 14)  # these causes take RISING_SHARE of the classified hojas of the last 4 weeks
RISING_DAYS = 28
RISING_SHARE = 0.30
REPEAT_SHARE = 0.12  # hojas filed by a regular consumer ...
REGULARS = 20_000  # ... out of this pool, skewed (index = pool * u^1.5): a few file very often
ANSWERED = 0.72  # closed hojas with a communicated answer (the others closed by a settlement): ~70% of all
LATE = 0.08  # answers communicated after the due date (21 calendar days, about 15 business days)
SURVEYED = 0.15  # answered hojas with a satisfaction survey
CSAT_THRESHOLDS = [0.0, 0.12, 0.22, 0.37, 0.65]  # CSAT 1..5: 12%, 10%, 15%, 28%, 35% (one less when late)

SQLITE_REASON = (
    "not run: the book is built with PostgreSQL SQL (generate_series, hashint8extended, width_bucket) and "
    "the target is PostgreSQL, the production database."
)

STATUS_SQL = f"""CASE WHEN is_open THEN CASE WHEN open_ordinal %% 2 = 0 THEN 'received' ELSE 'in_progress' END
                WHEN {uniform("g", 6)} < {ANSWERED} THEN CASE WHEN {uniform("g", 7)} < 0.6 THEN 'closed'
                                                            ELSE 'answered' END
                ELSE 'settled'
           END"""

EXTRA_SQL = {
    "cause_rank": f"width_bucket({uniform('g', 1)}, %(cause_thresholds)s::float8[])",
    "unclassified": f"{uniform('g', 2)} < {UNCLASSIFIED}",
    "rising": (
        f"filed_at >= %(now)s::timestamptz - interval '{RISING_DAYS} days' AND {uniform('g', 3)} < {RISING_SHARE}"
    ),
    "regular": (
        f"CASE WHEN {uniform('g', 4)} < {REPEAT_SHARE} THEN floor({REGULARS} * power({uniform('g', 5)}, 1.5))::int END"
    ),
}

COLUMNS_SQL = {
    "cause_id": (
        "CASE WHEN n.unclassified THEN NULL "
        f"WHEN n.rising THEN (%(rising_ids)s::bigint[])[1 + floor({uniform('n.g', 8)} * {len(RISING_RANKS)})::int] "
        "ELSE (%(cause_ids)s::bigint[])[n.cause_rank] END"
    ),
    "doc_number": (
        "CASE WHEN n.regular IS NULL THEN lpad((10000000 + n.g)::text, 8, '0') "
        "ELSE '7' || lpad(n.regular::text, 7, '0') END"
    ),
    "consumer_name": (
        "CASE WHEN n.regular IS NULL THEN 'Consumidor Bench ' || n.g ELSE 'Consumidora Frecuente ' || n.regular END"
    ),
}

RESPONSES_SQL = f"""
INSERT INTO reclamaciones_response (created_at, updated_at, complaint_id, text, channel, communicated_at,
                                    responded_by_id)
SELECT a.at, a.at, a.id, 'Revisamos su caso y procedimos con la solución solicitada.', 'email', a.at, a.assignee_id
FROM (
    SELECT c.id, c.assignee_id,
           LEAST(c.filed_at
                 + CASE WHEN {uniform("c.id", 11)} < {LATE}
                        THEN interval '1 day' * (22 + floor({uniform("c.id", 12)} * 19))
                        ELSE interval '1 day' * (1 + floor({uniform("c.id", 12)} * 14))
                   END
                 + interval '1 minute' * floor({uniform("c.id", 13)} * 480),
                 %(now)s::timestamptz) AS at
    FROM reclamaciones_complaint AS c
    WHERE c.status IN ('answered', 'closed')
) AS a
"""

SURVEYS_SQL = f"""
INSERT INTO reclamaciones_surveyanswer (complaint_id, solved, csat, nps, comment, answered_at)
SELECT s.complaint_id, s.csat >= 4, s.csat,
       LEAST(10, GREATEST(0, round((s.csat - 1) * 2.5 + {uniform("s.complaint_id", 23)} * 4 - 2)))::int,
       CASE WHEN s.csat <= 2 AND {uniform("s.complaint_id", 24)} < 0.5
            THEN 'Me respondieron tarde y sin darme una solución.' ELSE '' END,
       LEAST(s.communicated_at + interval '1 day' * (1 + floor({uniform("s.complaint_id", 25)} * 6)),
             %(now)s::timestamptz)
FROM (
    SELECT r.complaint_id, r.communicated_at,
           GREATEST(1, width_bucket({uniform("r.complaint_id", 22)}, %(csat_thresholds)s::float8[])
                       - CASE WHEN (r.communicated_at AT TIME ZONE 'America/Lima')::date > c.due_date
                              THEN 1 ELSE 0 END) AS csat
    FROM reclamaciones_response AS r
    JOIN reclamaciones_complaint AS c ON c.id = r.complaint_id
    WHERE {uniform("r.complaint_id", 21)} < {SURVEYED}
) AS s
"""


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    days: int
    one_establishment: bool


CASES = (
    Case("all_90", "all establishments, 90 days", 90, False),
    Case("one_90", "one establishment, 90 days", 90, True),
    Case("all_365", "all establishments, 365 days", 365, False),
    Case("all_730", "all establishments, 730 days", 730, False),
)
CHANGED_HOJAS = 500  # hojas changed between two refreshes in the refresh measurement ...
CHANGED_DAYS = 30  # ... filed over these last days
REFRESH_RUNS = 5

OWN_CODE = "(the view's own code)"
INDEX = "complaint_cause_filed_idx"


def _progress(message: str) -> None:
    print(f"bench: council-dashboard: {message}", file=sys.stderr, flush=True)


def _tables() -> dict[str, str]:
    from reclamaciones.book.models import Complaint, SheetCounter
    from reclamaciones.council.models import ActionItem
    from reclamaciones.handling.models import Response, SurveyAnswer

    return {
        "complaint": Complaint._meta.db_table,
        "response": Response._meta.db_table,
        "survey": SurveyAnswer._meta.db_table,
        "counter": SheetCounter._meta.db_table,
        "action": ActionItem._meta.db_table,
    }


# -- the book ----------------------------------------------------------------------------------------------


def _causes_by_rank() -> list:
    from reclamaciones.handling.models import Cause

    leaves = list(Cause.objects.filter(parent__isnull=False, is_active=True).order_by("code"))
    by_code = {c.code: c for c in leaves}
    top = [by_code[code] for code in TOP_CAUSES if code in by_code]
    return top + [c for c in leaves if c not in top]


def _cause_thresholds(count: int) -> list[float]:
    """Lower bounds of each rank's slice of [0, 1) (width_bucket's thresholds)."""
    weights = [1 / rank**PARETO_EXPONENT for rank in range(1, count + 1)]
    total, bounds, cumulative = sum(weights), [], 0.0
    for weight in weights:
        bounds.append(cumulative / total)
        cumulative += weight
    return bounds


def _action_items(now: datetime, causes: list, owners: list[int], establishment_id: int) -> int:
    """A dozen improvement actions in every state: some past their due date, some implemented long enough ago
    to be due for verification, some verified within the default period."""
    from django.utils import timezone

    from reclamaciones.council.models import ActionItem, ActionStatus

    today = timezone.localdate(now)
    day = timedelta(days=1)
    specs = [  # status, due in days, causes (ranks), implemented days ago, verified days ago, establishment
        (ActionStatus.PROPOSED, 20, [1], None, None, False),
        (ActionStatus.PROPOSED, -5, [6], None, None, False),
        (ActionStatus.IN_PROGRESS, 10, [2, 3], None, None, False),
        (ActionStatus.IN_PROGRESS, -12, [9], None, None, True),
        (ActionStatus.IN_PROGRESS, -3, [14], None, None, False),
        (ActionStatus.IMPLEMENTED, -70, [4], 70, None, False),
        (ActionStatus.IMPLEMENTED, -80, [5, 7], 80, None, True),
        (ActionStatus.IMPLEMENTED, -14, [8], 14, None, False),
        (ActionStatus.EFFECTIVE, -120, [10], 100, 30, False),
        (ActionStatus.NOT_EFFECTIVE, -110, [11], 96, 10, False),
        (ActionStatus.EFFECTIVE, -300, [12], 280, 200, False),
        (ActionStatus.PROPOSED, 40, [13, 15], None, None, False),
    ]
    for i, (status, due_in, ranks, implemented_ago, verified_ago, local) in enumerate(specs, 1):
        action = ActionItem.objects.create(
            title=f"Acción de mejora {i:02d}",
            description="Acción de prueba de rendimiento.",
            owner_id=owners[i % len(owners)],
            due_date=today + due_in * day,
            status=status,
            establishment_id=establishment_id if local else None,
            baseline_rate=round(40 / i, 2),
            baseline_measured_on=today + (due_in - 30) * day,
            implemented_on=today - implemented_ago * day if implemented_ago is not None else None,
            measured_rate=round(30 / i, 2) if verified_ago is not None else None,
            verified_at=now - verified_ago * day if verified_ago is not None else None,
        )
        action.causes.set([causes[rank - 1] for rank in ranks])
    return len(specs)


def people_create():
    """The book's staff (10 establishments) and the council's superuser, created once per database."""
    from django.contrib.auth import get_user_model

    staff = staff_create(ESTABLISHMENTS)
    superuser = get_user_model().objects.create_superuser("consejo.bench", "consejo.bench@example.pe", None)
    return staff, superuser


def seed(now: datetime, *, size: int | None = None, people=None) -> dict:
    """The council's book of `size` hojas (SIZE by default) for `people` (created when not given); returns how
    long it took and what it holds. Called again with the same people, it replaces the previous book."""
    from django.db import connection, transaction
    from django.utils import timezone

    size = SIZE if size is None else size
    tables = _tables()
    staff, superuser = people or people_create()
    causes = _causes_by_rank()
    shape = BookShape(
        size=size,
        now=now,
        staff=staff,
        open_every=OPEN_EVERY,
        due_from=DUE_FROM,
        due_to=DUE_TO,
        history_days=HISTORY_DAYS,
        status_sql=STATUS_SQL,
        extra_sql=EXTRA_SQL,
        columns_sql=COLUMNS_SQL,
        filing_order=True,
        params={
            "cause_thresholds": _cause_thresholds(len(causes)),
            "cause_ids": [c.pk for c in causes],
            "rising_ids": [causes[rank - 1].pk for rank in RISING_RANKS],
        },
    )
    timings = {}
    _progress(f"seeding {size:,} hojas, their answers and surveys with generate_series ...")
    t0 = time.perf_counter()
    with (
        indexes_built_after([tables["complaint"], tables["response"], tables["survey"]]),
        transaction.atomic(),
    ):
        inserted = complaints_insert(shape)
        responses = execute(RESPONSES_SQL, {"now": now})
        surveys = execute(SURVEYS_SQL, {"now": now, "csat_thresholds": CSAT_THRESHOLDS})
        counters_insert()
    timings["seed_s"] = time.perf_counter() - t0
    actions = _action_items(now, causes, [superuser.pk, *staff.agents[:3]], staff.establishment_ids[0])
    _progress(f"{inserted:,} hojas, {responses:,} answers, {surveys:,} surveys in {timings['seed_s']:.1f} s; ANALYZE")
    t0 = time.perf_counter()
    for table in (tables["complaint"], tables["response"], tables["survey"], tables["action"]):
        execute(f"VACUUM ANALYZE {table}")
    timings["vacuum_s"] = time.perf_counter() - t0

    today = timezone.localdate(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE cause_id IS NULL), "
            f"count(*) FILTER (WHERE status IN ('received', 'in_progress', 'settlement_offered')), "
            f"count(*) FILTER (WHERE status IN ('received', 'in_progress', 'settlement_offered') "
            f"AND due_date < %s), max(filed_at), min(filed_at), count(DISTINCT doc_number) "
            f"FROM {tables['complaint']}",
            [today],
        )
        total, unclassified, open_, overdue, last_filed, first_filed, consumers = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE (r.communicated_at AT TIME ZONE 'America/Lima')::date > c.due_date) "
            f"FROM {tables['response']} AS r JOIN {tables['complaint']} AS c ON c.id = r.complaint_id"
        )
        (late,) = cursor.fetchone()
        cursor.execute(
            "SELECT correlation FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s "
            "AND attname = 'filed_at'",
            [tables["complaint"]],
        )
        (correlation,) = cursor.fetchone()
    assert last_filed <= now, (last_filed, now)
    return {
        **timings,
        "hojas": total,
        "first_filed": first_filed,
        "unclassified_pct": 100 * unclassified / total,
        "answered": responses,
        "answered_pct": 100 * responses / total,
        "late_pct": 100 * late / responses,
        "surveys": surveys,
        "surveyed_pct": 100 * surveys / responses,
        "open": open_,
        "overdue": overdue,
        "consumers": consumers,
        "filed_at_correlation": correlation,
        "actions": actions,
        "sizes": {name: table_size(tables[name]) for name in ("complaint", "response", "survey")},
        "superuser": superuser.pk,
        "establishment": staff.establishment_ids[0],
    }


# -- measuring the view ------------------------------------------------------------------------------------


class _Recorder:
    """Wall time and SQL statements per selector, for one build of the page's data."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.seconds: dict[str, float] = defaultdict(float)
        self.order: list[str] = []
        self.statements: list[tuple[str, str, tuple, float]] = []  # (selector, sql, params, seconds)

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((self.current or OWN_CODE, sql, params, time.perf_counter() - t0))

    def wrap(self, name: str, fn: Callable) -> Callable:
        from django.db.models import QuerySet

        def timed(*args, **kwargs):
            outer, self.current = self.current, name
            if name not in self.order:
                self.order.append(name)
            t0 = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
                if isinstance(result, QuerySet):
                    result._fetch_all()  # the view lists it right away: count its queries here
                return result
            finally:
                self.seconds[name] += time.perf_counter() - t0
                self.current = outer

        return timed


@contextmanager
def _selectors_wrapped(recorder: _Recorder) -> Iterator[list[str]]:
    """Wrap every function the view module imported from its selectors and from the rollup (restored
    afterwards)."""
    import inspect

    from reclamaciones.council import rollup, selectors
    from reclamaciones.council import views as view_module

    originals = {
        name: fn
        for name, fn in vars(view_module).items()
        if inspect.isfunction(fn) and fn.__module__ in (selectors.__name__, rollup.__name__)
    }
    for name, fn in originals.items():
        setattr(view_module, name, recorder.wrap(name, fn))
    try:
        yield sorted(originals)
    finally:
        for name, fn in originals.items():
            setattr(view_module, name, fn)


def _request(user, query: dict):
    from django.test import RequestFactory

    request = RequestFactory().get("/consejo/", query)
    request.user = user
    return request


def _dashboard_data(user, query: dict) -> dict:
    """DashboardView.dispatch with `render` keeping the context instead of rendering the template."""
    from django.http import HttpResponse

    from reclamaciones.council.views import DashboardView

    request = _request(user, query)
    view = DashboardView()
    view.setup(request)
    captured: dict = {}

    def render(template, context, *, status=200):
        captured.update(context)
        return HttpResponse(status=status)

    view.render = render
    response = view.dispatch(request)
    if response.status_code != 200:
        raise RuntimeError(f"DashboardView answered {response.status_code} for {query}")
    return captured


def _build(user_pk: int, query: dict) -> tuple[dict, dict]:
    """One build of the page's data: (figures, context)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    user = get_user_model().objects.get(pk=user_pk)  # the auth middleware's query, not timed
    recorder = _Recorder()
    with _selectors_wrapped(recorder), connection.execute_wrapper(recorder):
        t0 = time.perf_counter()
        context = _dashboard_data(user, query)
        total = time.perf_counter() - t0
    queries = Counter(selector for selector, *_ in recorder.statements)
    sql = defaultdict(float)
    for selector, _, _, seconds in recorder.statements:
        sql[selector] += seconds
    selectors = {
        name: {"s": recorder.seconds[name], "queries": queries[name], "sql_s": sql[name]} for name in recorder.order
    }
    selectors[OWN_CODE] = {
        "s": total - sum(recorder.seconds.values()),
        "queries": queries[OWN_CODE],
        "sql_s": sql[OWN_CODE],
    }
    figures = {
        "total_s": total,
        "queries": len(recorder.statements),
        "sql_s": sum(sql.values()),
        "selectors": selectors,
        "statements": recorder.statements,
    }
    return figures, context


def _page_rendered(user_pk: int, query: dict) -> float:
    """The whole view with its template (no middleware): seconds."""
    from django.contrib.auth import get_user_model

    from reclamaciones.council.views import DashboardView

    request = _request(get_user_model().objects.get(pk=user_pk), query)
    t0 = time.perf_counter()
    response = DashboardView.as_view()(request)
    if hasattr(response, "render"):
        response.render()
    seconds = time.perf_counter() - t0
    if response.status_code != 200:
        raise RuntimeError(f"DashboardView answered {response.status_code}")
    return seconds


def _summary(context: dict) -> dict:
    """What the page showed (to check the book looks like a real one)."""
    pareto = context.get("pareto") or {}
    rows = pareto.get("rows") or []
    performance = context.get("performance") or {}
    repeat = context.get("repeat") or {}
    surveys = (context.get("surveys") or {}).get("overall") or {}
    actions = context.get("actions") or {}
    top5 = sum(r["share"] for r in rows[:5])
    return {
        "hojas in the period": f"{pareto.get('total', 0):,} ({pareto.get('unclassified', 0):,} unclassified)",
        "top 5 causes": f"{top5:.0f}% ({', '.join(r['code'] for r in rows[:5])})",
        "causes flagged as recurring": ", ".join(f["code"] for f in context.get("flags") or []) or "none",
        "repeat consumers (hojas)": f"{repeat.get('consumers', 0):,} ({repeat.get('hojas', 0):,})",
        "answered / on time": (
            f"{performance.get('answered', 0):,} / {performance['on_time_rate']:.0f}%"
            if performance.get("on_time_rate") is not None
            else "n/a"
        ),
        "median business days to answer": str(performance.get("median_business_days", "n/a")),
        "overdue now": str(performance.get("overdue_now", "n/a")),
        "surveys (CSAT avg, NPS)": (
            f"{surveys.get('answers', 0):,} ({surveys['csat_avg']:.2f}, {surveys.get('nps')})"
            if surveys.get("csat_avg") is not None
            else "n/a"
        ),
        "actions overdue / to verify / verdicts": " / ".join(
            str(len(actions.get(k) or [])) for k in ("overdue", "to_verify", "verdicts")
        ),
    }


def _ms(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": 1000 * median(ordered), "p95": 1000 * percentile(ordered, 0.95)}


def _explain(sql: str, params) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


SCAN_RE = re.compile(
    r"(Parallel )?(Seq Scan on (\w+)|Index Only Scan(?: Backward)? using (\w+) on (\w+)"
    r"|Index Scan(?: Backward)? using (\w+) on (\w+)|Bitmap Index Scan on (\w+)|Bitmap Heap Scan on (\w+))"
)


def _plan_facts(plan: list[str]) -> dict:
    """What a plan reads: its scans ("index only <index>", "seq <table>", ...), the tables whose rows it reads
    from the table itself (heap) rather than from an index alone, JIT time, and whether a sort or hash went to
    disk."""
    text = "\n".join(plan)
    scans, heap = [], []
    for match in SCAN_RE.finditer(text):
        parallel = "parallel " if match.group(1) else ""
        seq, only_index, _, index, index_table, bitmap, bitmap_table = match.groups()[2:]
        if seq:
            scan, table = f"seq {seq}", seq
        elif only_index:
            scan, table = f"index only {only_index}", None
        elif index:
            scan, table = f"index {index}", index_table
        elif bitmap:
            scan, table = f"bitmap {bitmap}", None
        else:
            scan, table = None, bitmap_table
        if scan and parallel + scan not in scans:
            scans.append(parallel + scan)
        if table and table not in heap:
            heap.append(table)
    execution = re.search(r"Execution Time: ([\d.]+) ms", text)
    jit = re.search(r"JIT:\n.*?Timing:.*?Total ([\d.]+) ms", text, re.S)
    return {
        "execution_ms": float(execution.group(1)) if execution else math.nan,
        "jit_ms": float(jit.group(1)) if jit else 0.0,
        "scans": scans,
        "heap": heap,
        "spilled": "Disk: " in text or "Disk Usage: " in text or "temp written" in text,
        "uses_index": INDEX in text,
    }


def _case(case: Case, seeded: dict, today) -> dict:
    from django.db import connections

    query = {"desde": (today - timedelta(days=case.days - 1)).isoformat(), "hasta": today.isoformat()}
    if case.one_establishment:
        query["establecimiento"] = str(seeded["establishment"])
    connections.close_all()  # cold: a new connection, the first build in it
    _progress(f"{case.title}: cold build ...")
    cold, context = _build(seeded["superuser"], query)
    for _ in range(WARMUP):
        _build(seeded["superuser"], query)
    _progress(f"{case.title}: cold {1000 * cold['total_s']:,.0f} ms; {RUNS} builds ...")
    runs = [_build(seeded["superuser"], query)[0] for _ in range(RUNS)]
    selectors = {
        name: {
            **_ms([r["selectors"][name]["s"] for r in runs]),
            "sql_median": 1000 * median(r["selectors"][name]["sql_s"] for r in runs),
            "cold": 1000 * cold["selectors"][name]["s"],
            "queries": sorted({r["selectors"][name]["queries"] for r in [cold, *runs]}),
        }
        for name in cold["selectors"]
    }
    statements = []
    if len({r["queries"] for r in runs}) == 1:  # the same statements in every build: comparable one by one
        last = runs[-1]["statements"]
        _progress(f"{case.title}: EXPLAIN (ANALYZE, BUFFERS) of its {len(last)} statements ...")
        for index, (selector, sql, params, _) in enumerate(last):
            plan = _explain(sql, params) if sql.lstrip().upper().startswith("SELECT") else []
            statements.append(
                {
                    "selector": selector,
                    "sql": sql_shorten(sql),
                    "median_ms": 1000 * median(r["statements"][index][3] for r in runs),
                    "plan": plan,
                    **_plan_facts(plan),
                }
            )
        slowest = max(statements, key=lambda st: st["median_ms"])
        for statement in statements:  # keep one plan in full: the slowest statement's
            if statement is not slowest:
                statement["plan"] = []
    direct = [_direct_group_bys(today - timedelta(days=case.days - 1), today) for _ in range(3)]
    pages, page_error = [], None
    try:
        pages = [_page_rendered(seeded["superuser"], query) for _ in range(PAGE_RUNS)]
    except Exception as exc:  # the template is not the goal: report it, do not fail the scenario
        page_error = f"{type(exc).__name__}: {exc}"
        if "staticfiles manifest" in page_error:
            page_error = "not measured: no collected static files (run it through `python -m bench`)"
    return {
        "title": case.title,
        "query": query,
        "total": {
            **_ms([r["total_s"] for r in runs]),
            "cold": 1000 * cold["total_s"],
            "queries": sorted({r["queries"] for r in [cold, *runs]}),
            "sql_median": 1000 * median(r["sql_s"] for r in runs),
        },
        "selectors": selectors,
        "statements": statements,
        "page_median_ms": 1000 * median(pages) if pages else None,
        "direct_ms": 1000 * median(direct),
        "page_error": page_error,
        "shown": _summary(context),
    }


def _direct_group_bys(start, end) -> float:
    """The anchor: the GROUP BYs the rollup stores, run directly over the period's hojas, answers and surveys
    (every establishment), what the page would group without the rollup: seconds."""
    from reclamaciones.council.rollup import _answer_counts, _cause_counts, _survey_counts

    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    t0 = time.perf_counter()
    for grouped in (_cause_counts, _answer_counts, _survey_counts):
        list(grouped(days))
    return time.perf_counter() - t0


def _rollup_measured(now) -> dict:
    """The rollup's full rebuild (what `manage.py council_rollup_rebuild` and the nightly beat run), a refresh
    with nothing new (what each page view and most beats do) and a refresh after CHANGED_HOJAS hojas filed over
    the last CHANGED_DAYS days changed (an event each, as the services leave)."""
    from django.utils import timezone

    from reclamaciones.council.models import DailyAnswerCount, DailyCauseCount, DailySurveyCount
    from reclamaciones.council.rollup import rollup_rebuild, rollup_refresh

    _progress("rollup: full rebuild ...")
    t0 = time.perf_counter()
    rollup_rebuild(now=timezone.now())
    rebuild_s = time.perf_counter() - t0
    idle = []
    for _ in range(REFRESH_RUNS):
        t0 = time.perf_counter()
        rollup_refresh(now=timezone.now())
        idle.append(time.perf_counter() - t0)
    changed, days = [], 0
    for _ in range(REFRESH_RUNS):
        execute(
            "INSERT INTO reclamaciones_complaintevent (complaint_id, type, data, occurred_at) "
            "SELECT id, 'note', '{}', now() FROM reclamaciones_complaint WHERE filed_at >= %(since)s "
            "ORDER BY random() LIMIT %(n)s",
            {"since": now - timedelta(days=CHANGED_DAYS), "n": CHANGED_HOJAS},
        )
        t0 = time.perf_counter()
        days = rollup_refresh(now=timezone.now()).days_refreshed
        changed.append(time.perf_counter() - t0)
    # The notes above are the measurement's, not the book's: gone, the rollup is as the book gives it and the
    # cases' page views (which refresh a rollup older than a minute) find nothing new to rewrite.
    execute("TRUNCATE reclamaciones_complaintevent")
    rollup_rebuild(now=timezone.now())
    return {
        "rebuild_s": rebuild_s,
        "rows": {
            "causes": DailyCauseCount.objects.count(),
            "answers": DailyAnswerCount.objects.count(),
            "surveys": DailySurveyCount.objects.count(),
        },
        "refresh_idle_ms": 1000 * median(idle),
        "refresh_changed_ms": 1000 * median(changed),
        "refresh_changed_days": days,
    }


def council_dashboard_scale() -> dict:
    from django.db import connection
    from django.utils import timezone

    if connection.vendor != "postgresql":
        return {"skipped": SQLITE_REASON}
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    seeded = seed(now)
    today = timezone.localdate()
    rollup = _rollup_measured(now)
    cases = {case.key: _case(case, seeded, today) for case in CASES}
    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        (shared_buffers,) = cursor.fetchone()
        cursor.execute("SHOW work_mem")
        (work_mem,) = cursor.fetchone()
        cursor.execute("SHOW jit")
        (jit,) = cursor.fetchone()
        cursor.execute("SHOW max_parallel_workers_per_gather")
        (parallel,) = cursor.fetchone()
    return {
        "seed": {k: v for k, v in seeded.items() if k not in ("superuser", "establishment")},
        "cases": cases,
        "rollup": rollup,
        "runs": RUNS,
        "info": {
            "today": f"{today:%Y-%m-%d} (America/Lima)",
            "runs per case": f"1 cold + {WARMUP} warm-up + {RUNS} measured",
            "server settings": (
                f"shared_buffers={shared_buffers}, work_mem={work_mem}, jit={jit}, "
                f"max_parallel_workers_per_gather={parallel}"
            ),
            "connection settings": database_settings_note(),
        },
    }


# -- report (called by bench/__main__.py) ------------------------------------------------------------------


def _f(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def _queries(values: list[int]) -> str:
    return " / ".join(str(v) for v in values)


def _heap_reads(case: dict) -> list[dict]:
    """Statements that read hojas from the table itself, not from an index alone."""
    return [st for st in case["statements"] if "reclamaciones_complaint" in st["heap"]]


def _index_users(case: dict) -> str:
    names = list(dict.fromkeys(st["selector"] for st in case["statements"] if st["uses_index"]))
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def _statement_line(index: int, st: dict) -> str:
    sql = st["sql"].replace("|", "\\|")
    scans = ", ".join(f"**{s}**" if INDEX in s else s for s in st["scans"]) or "—"
    spilled = " (to disk)" if st["spilled"] else ""
    return f"| {index} | {st['selector']} | `{sql}` | {st['median_ms']:,.1f} | {scans}{spilled} | {st['jit_ms']:,.0f} |"


def _rollup_lines(rollup: dict | None) -> list[str]:
    if not rollup:
        return []
    rows = rollup["rows"]
    return [
        f"The rollup (council/rollup.py): a full rebuild took {rollup['rebuild_s']:,.1f} s and wrote "
        f"{rows['causes']:,} daily cause rows, {rows['answers']:,} (filed day, answered day) rows and "
        f"{rows['surveys']:,} survey rows. A refresh with nothing new (the beat's, every 5 minutes; a page's when "
        "the rollup is over a minute old, else the page only reads its state row) takes "
        f"{rollup['refresh_idle_ms']:,.1f} ms (median of {REFRESH_RUNS}); after {CHANGED_HOJAS} hojas filed over "
        f"the last {CHANGED_DAYS} days changed, {rollup['refresh_changed_ms']:,.0f} ms "
        f"({rollup['refresh_changed_days']} days rewritten; median of {REFRESH_RUNS}).",
        "",
    ]


def council_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "cases" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    seed, cases = result["seed"], list(result["cases"].values())
    lines = [
        f"The book: {seed['hojas']:,} hojas filed since {str(seed['first_filed'])[:10]} and stored in filing order "
        f"(`filed_at` correlation {seed['filed_at_correlation']:.2f}), {seed['unclassified_pct']:.0f}% unclassified, "
        f"{seed['answered']:,} answered ({seed['answered_pct']:.0f}%; {seed['late_pct']:.0f}% of the answers after "
        f"the due date), {seed['surveys']:,} surveys ({seed['surveyed_pct']:.0f}% of the answered), "
        f"{seed['open']:,} still open of which {seed['overdue']:,} past due, {seed['consumers']:,} distinct "
        f"consumers, {seed['actions']} action items. Sizes with indexes: hojas {seed['sizes']['complaint']}, "
        f"answers {seed['sizes']['response']}, surveys {seed['sizes']['survey']}. Built in {seed['seed_s']:.0f} s, "
        f"VACUUM ANALYZE {seed['vacuum_s']:.0f} s.",
        "",
        *_rollup_lines(result.get("rollup")),
        "Milliseconds per build of the page's data: median / p95 / cold (a new connection, its first build); "
        "queries per build:",
        "",
        "| council-dashboard (PostgreSQL) | queries | " + " | ".join(c["title"] for c in cases) + " |",
        "|---|---:|" + "---:|" * len(cases),
    ]
    for name in dict.fromkeys(name for c in cases for name in c["selectors"]):
        cells, queries = [], set()
        for c in cases:
            s = c["selectors"].get(name)
            cells.append(f"{_f(s['median'])} / {_f(s['p95'])} / {_f(s['cold'])}" if s else "—")
            queries.update(s["queries"] if s else [])
        label = name if name == OWN_CODE else f"`{name}`"
        lines.append(f"| {label} | {_queries(sorted(queries))} | " + " | ".join(cells) + " |")
    totals = [c["total"] for c in cases]
    all_queries = sorted({q for t in totals for q in t["queries"]})

    def row(label: str, cells: list[str], queries: str = "") -> None:
        lines.append(f"| {label} | {queries} | " + " | ".join(cells) + " |")

    row(
        "**whole page's data**",
        [f"**{_f(t['median'])}** / {_f(t['p95'])} / {_f(t['cold'])}" for t in totals],
        f"**{_queries(all_queries)}**",
    )
    row("– of which SQL (median)", [_f(t["sql_median"]) for t in totals])
    if all("direct_ms" in c for c in cases):
        row(
            "anchor: the same GROUP BYs run directly over the period's hojas (median of 3)",
            [f"{_f(c['direct_ms'])} ({c['direct_ms'] / c['total']['median']:,.1f}x the page)" for c in cases],
        )
    row(f"under {GOAL_SECONDS:.0f} s (p95)", ["yes" if t["p95"] < 1000 * GOAL_SECONDS else "**NO**" for t in totals])
    row(
        f"page with its template (median of {PAGE_RUNS}; not the goal)",
        [_f(c["page_median_ms"]) if c["page_median_ms"] is not None else "—" for c in cases],
    )
    row(
        "statements reading hojas from the table, not an index alone",
        [f"{len(_heap_reads(c))} of {len(c['statements'])}" for c in cases],
    )
    row("statements sorting or hashing to disk", [str(sum(st["spilled"] for st in c["statements"])) for c in cases])
    row(
        "JIT compilation, all statements (EXPLAIN ANALYZE)",
        [f"{sum(st['jit_ms'] for st in c['statements']):,.0f} ms" for c in cases],
    )
    row(f"statements using `{INDEX}`", [_index_users(c) for c in cases])
    for key in cases[0]["shown"]:
        row(key, [c["shown"].get(key, "—") for c in cases])
    for key, value in result.get("info", {}).items():
        lines.append(f"| {key} | {value} |" + " |" * len(cases))
    lines += ["", f"SQLite: {SQLITE_REASON}", ""]
    errors = {c["page_error"] for c in cases if c["page_error"]}
    lines += [f"Page with its template: {error}" for error in sorted(errors)] + ([""] if errors else [])
    main = cases[0]
    if main["statements"]:
        lines += [
            f"Statements of one build, {main['title']} (median ms over the {result.get('runs', RUNS)} builds; "
            f"scans and JIT time from EXPLAIN ANALYZE of the last build; `{INDEX}` in bold; "
            '"to disk": a sort or hash spilled):',
            "",
            "| # | selector | statement | ms | scans | JIT ms |",
            "|---:|---|---|---:|---|---:|",
            *(_statement_line(i, st) for i, st in enumerate(main["statements"], 1)),
            "",
        ]
    for c in cases[1:]:
        if c["statements"]:
            top = sorted(c["statements"], key=lambda st: -st["median_ms"])[:3]
            lines.append(
                f"Slowest statements, {c['title']}: "
                + "; ".join(
                    f"`{st['selector']}` {st['median_ms']:,.0f} ms ({', '.join(st['scans'])}"
                    + (f"; JIT {st['jit_ms']:,.0f} ms" if st["jit_ms"] else "")
                    + ")"
                    for st in top
                )
                + "."
            )
            lines.append("")
    if main["statements"]:
        slowest = max(main["statements"], key=lambda st: st["median_ms"])
        lines += [
            f"EXPLAIN (ANALYZE, BUFFERS) of the slowest statement, {main['title']} "
            f"(`{slowest['selector']}`, {slowest['median_ms']:,.0f} ms in the builds):",
            "",
            "```",
            *slowest["plan"],
            "```",
        ]
    return lines


def council_meaning(results: dict) -> list[str]:
    result = (results.get("council-dashboard") or {}).get("postgres") or {}
    if "cases" not in result:
        return []
    cases = list(result["cases"].values())
    goal = 1000 * GOAL_SECONDS
    main = cases[0]

    def verdict(case: dict) -> str:
        t = case["total"]
        under = f"under {GOAL_SECONDS:.0f} s" if t["p95"] < goal else f"OVER {GOAL_SECONDS:.0f} s"
        return f"{case['title']} {t['median']:,.0f} ms (p95 {t['p95']:,.0f}), {under}"

    heaviest = sorted(
        ((n, s) for n, s in main["selectors"].items() if n != OWN_CODE), key=lambda item: -item[1]["median"]
    )[:3]
    text = (
        f"* **Council dashboard at {result['seed']['hojas']:,} hojas** (issue 5: the whole page's data under "
        f"{GOAL_SECONDS:.0f} s): " + "; ".join(verdict(c) for c in cases) + ". "
        f"The heaviest selectors ({main['title']}): "
        + ", ".join(f"`{n}` {s['median']:,.0f} ms" for n, s in heaviest)
        + f"; SQL is {main['total']['sql_median']:,.0f} of its {main['total']['median']:,.0f} ms. "
    )
    if main["statements"]:
        heap = _heap_reads(main)
        spilled = sum(st["spilled"] for st in main["statements"])
        jit = sum(st["jit_ms"] for st in main["statements"])
        if heap:
            text += (
                f"{len(heap)} of its {len(main['statements'])} statements read the period's hojas from the table "
                "itself rather than from an index alone (each such pass reads the rows of every hoja of the "
                "period); "
            )
        if spilled:
            text += f"{spilled} sorted or hashed to disk; "
        if jit:
            text += f"JIT compilation took {jit:,.0f} ms of the EXPLAIN ANALYZE runs; "
        text += f"`{INDEX}` (migration 0006) appears in the plans of: {_index_users(main)}."
    return [text]


if __name__ == "__main__":
    scenario_main({"council-dashboard": council_dashboard_scale})
