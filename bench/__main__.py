"""`python -m bench` (make bench): run every scenario on SQLite and PostgreSQL side by side and write
docs/benchmarks.md.

Django settings bind one database per process, so each (scenario, database) pair runs in its own subprocess
(`python -m bench.<module> <scenario> --db ... --database-url ... --json`) on a database created for it here
and removed here in a `finally`, whatever the subprocess did: a temp-dir SQLite file, or a PostgreSQL
database bench_reclamaciones_<pid>_<scenario> created and dropped through the `postgres` maintenance database
(BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres). When PostgreSQL is unreachable its
column says so and the run goes on. The docs are written only when every scenario that ran succeeded.

`--only NAME --merge` runs only that scenario and replaces only its section (and its bullet under "What this
means") in the existing docs/benchmarks.md, keeping the other scenarios' figures, with a dated note under the
header: for a long scenario, or when the other figures should not change.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from bench.access_log import SQLITE_REASON as ACCESS_SQLITE_REASON
from bench.access_log import access_log_table
from bench.common import (
    BASE_DIR,
    BENCH_ENV,
    DB_PREFIX,
    RESULT_MARKER,
    postgres_admin_url,
    postgres_drop_stale,
    postgres_probe,
    throwaway_database,
)
from bench.council import SQLITE_REASON as COUNCIL_SQLITE_REASON
from bench.council import council_meaning, council_table
from bench.export import SQLITE_REASON as EXPORT_SQLITE_REASON
from bench.export import export_meaning, export_table
from bench.growth import SQLITE_REASON as GROWTH_SQLITE_REASON
from bench.growth import growth_meaning, growth_table
from bench.queue import SQLITE_REASON as QUEUE_SQLITE_REASON
from bench.queue import queue_meaning, queue_table
from bench.sirec import SQLITE_REASON as SIREC_SQLITE_REASON
from bench.sirec import sirec_table
from bench.sweep import SQLITE_REASON, sweep_meaning, sweep_table

DOCS = BASE_DIR / "docs" / "benchmarks.md"
SUBPROCESS_TIMEOUT = 300


@dataclass(frozen=True)
class Scenario:
    name: str
    module: str
    per_database: bool
    what: str
    postgres_only: str = ""  # why SQLite is not run (shown in its place)
    table: Callable | None = None  # its own table, instead of the SQLite / PostgreSQL statistics
    timeout: int = SUBPROCESS_TIMEOUT
    meaning: Callable | None = None  # its own bullets under "What this means" (what --merge replaces)


SCENARIOS = [
    Scenario(
        "filing-sequential",
        "bench.filing",
        True,
        "500 calls of `book.services.complaint_file` in a loop, one establishment, each with a fresh "
        "`submission_key` (as the form sends): validation, number upsert, SHA-256, insert, FILED event, outbox "
        "row + MESSAGE_QUEUED event, commit, and the on-commit publish of the send task (to kombu's in-memory "
        "transport). 10 warm-up filings are not counted.",
    ),
    Scenario(
        "filing-concurrent",
        "bench.filing",
        True,
        "8 processes x 100 `complaint_file` calls into the SAME establishment, i.e. every filing fights for the "
        "same counter row (the worst case), then the same into 8 establishments, one per process (issue 11: "
        "filings into different books never wait on each other). Processes, as WSGI workers are (threads of one "
        "Python process would share its GIL); each has its own connection; they start together on a barrier. "
        "Total = wall clock from the first start to the last finish. While they run, "
        "pg_stat_activity is sampled every 5 ms: how many backends run and how many wait on a lock.",
    ),
    Scenario(
        "filing-http",
        "bench.filing",
        True,
        "Django's test client through the full middleware stack (CSRF off in the test client, rate limit off): "
        "200 POSTs of the public form (validation + filing + redirect, not followed), then 200 GETs of the "
        "confirmation pages just created, then 200 GETs of the empty form. The test client switches off "
        "Django's per-request connection handling, so the bench calls `close_old_connections()` around each "
        "request as a WSGI server would (SQLite: CONN_MAX_AGE=0, a new connection per request).",
    ),
    Scenario(
        "pdf-render",
        "bench.pdf",
        False,
        "`pdf.complaint_sheet_pdf` for a typical hoja (the test factory's filing), database-independent so "
        "run once: the first render in a fresh process (WeasyPrint import included), 30 warm-up renders of each, "
        "then 30 renders alternating "
        "with 30 of the anchor, a minimal A4 page in the same font through the same WeasyPrint (issue 11: warm "
        "sheet under 100 ms).",
    ),
    Scenario(
        "numbering-only",
        "bench.numbering",
        True,
        "2,000 calls of `numbering.number_allocate`, each in its own `transaction.atomic()` (so each is one "
        "upsert plus a commit). 20 warm-up calls are not counted.",
    ),
    Scenario(
        "deadlines-sweep",
        "bench.sweep",
        True,
        "`deadlines.services.deadlines_sweep(scope=Scope.everything(), now=...)` (the Celery beat task's "
        "service, every 15 minutes) over a book of 10,000 and then 1,000,000 hojas, 2% of them open (received "
        "or in progress; the in-progress ones "
        "assigned to the establishment's agent), open hojas falling due from 10 business days ago to 15 ahead. "
        "One provider, 10 establishments, an agent and a supervisor for each and one regional supervisor for all "
        "are created with the ORM; the hojas are NOT filed through the service but written by one "
        "`INSERT … SELECT … FROM generate_series(1, N)` (with the sent e-mailed copy each hoja left in the "
        "outbox, and the secondary indexes built after the load from their own definitions), then VACUUM "
        "ANALYZE. For each size, on a freshly seeded book and with `now` fixed: the first sweep (writes every "
        "reminder and escalation owed, in bulk, then, on commit, publishes one fan-out task that queues the "
        "sends, to the in-memory broker: part of the wall time), a second sweep right after (nothing new to "
        "send), and the first sweep of the next day. The first two are then repeated under "
        "CaptureQueriesContext (after deleting what the sweeps wrote) for the query count and the time per statement.",
        postgres_only=SQLITE_REASON,
        table=sweep_table,
        timeout=1200,
        meaning=sweep_meaning,
    ),
    Scenario(
        "council-dashboard",
        "bench.council",
        True,
        "The data of the improvement council's dashboard (`/consejo/`, `DashboardView`) over a book of 1,000,000 "
        "hojas, for a superuser (every establishment); goal: under 1 s. The book is the deadlines-sweep's generator "
        "(bench/book.py: one `INSERT … SELECT … FROM generate_series`, indexes built after the load) shaped for "
        "the council, rows stored in filing order as a live book stores them: 10 establishments, two years of "
        "hojas up to now, the 24 seeded causes in a Pareto-like skew (weight 1/rank^1.2) with 3 causes rising "
        "over the last 4 weeks, 10% unclassified, 12% of the hojas from a pool of 20,000 regular consumers, about "
        "70% answered (`Response` 1-14 days after filing, 8% after the due date), a survey for 15% of the "
        "answered, 0.1% still open (a handful past due), 12 action items; then VACUUM ANALYZE. Measured: "
        "`DashboardView.dispatch` called with a RequestFactory request, its `render` replaced by one that keeps "
        "the context (the page's data, no template), every selector the view imports wrapped for its wall time "
        "and SQL statements (a QuerySet a selector returns is evaluated inside its wrapper); the rest is the "
        "view's own Python. Before the cases the rollup the page reads (council/rollup.py, issue 11) is rebuilt in "
        "full and refreshed, timed. Four cases: every establishment over the default 90 days, one establishment "
        "over 90 days, every establishment over 365 and over 730 days; each also times its anchor (the same GROUP "
        "BYs run directly over the period's hojas), then: a cold build (a new connection, its first build; the data "
        "is in the OS cache after the seed), one warm-up, then 15 builds (median, nearest-rank p95). Every "
        "statement of the last build is then run again under EXPLAIN (ANALYZE, BUFFERS), and the page is rendered "
        "with its template 3 times (not the goal).",
        postgres_only=COUNCIL_SQLITE_REASON,
        table=council_table,
        timeout=1800,
        meaning=council_meaning,
    ),
    Scenario(
        "staff-queue",
        "bench.queue",
        True,
        "The back office queue (`/gestion/`, `QueueView`; issue 11) over books of 10,000, 100,000 and 1,000,000 "
        "hojas, for the regional supervisor (every establishment) and one agent (one establishment); goals: the "
        "default page, any deep page, the filters and the summary counters under 200 ms, a search by DNI, by name "
        "or by words of the consumer's detail (issue 13) under 150 ms, flat from 10k to 1M. The book is the "
        "deadlines-sweep's generator (bench/book.py, indexes built after the load, rows in filing order), 2% open, "
        "consumers named with accents and Ñ, eight details in turn and a rare one. Measured: "
        "`complaint_queue_page` (a bounded count and the keyset page's rows) for each case and "
        "`complaint_queue_summary`, 1 warm-up then 15 calls (median, nearest-rank p95), side by side with the "
        "anchor (a bare `SELECT * … ORDER BY due_date, id LIMIT 25` served by the open hojas' partial index, same "
        "connection, same run; for the detail search, the bare read of the detail's trigram index) and with the "
        "pre-issue-11 read (Paginator over the CASE order: full count + OFFSET); "
        "every statement then run under EXPLAIN (ANALYZE, BUFFERS); the whole view rendered for three cases.",
        postgres_only=QUEUE_SQLITE_REASON,
        table=queue_table,
        timeout=3600,
        meaning=queue_meaning,
    ),
    Scenario(
        "queue-export",
        "bench.export",
        True,
        "The staff queue's export (issue 11: streamed, constant memory, first byte under 1 s, total at most 3x the "
        "SELECT) over a book of 10,000, 100,000 and 1,000,000 hojas (bench/book.py's generator, the "
        "deadlines-sweep's shape), as the regional supervisor: the anchor (the export's own SELECT on a psycopg "
        "server-side cursor, rows thrown away), the streamed CSV through `QueueExportView` (first byte, first rows, "
        "total), and the background jobs (`exports.export_job_run`) writing CSV and XLSX to the export storage. "
        "Memory: peak RSS growth of the process, sampled every 5 ms.",
        postgres_only=EXPORT_SQLITE_REASON,
        table=export_table,
        timeout=2400,
        meaning=export_meaning,
    ),
    Scenario(
        "http-anchor",
        "bench.http",
        True,
        "The portal's HTTP paths against a bare Django 5.2 app (bench/bare/: a ModelForm of 18 fields, validate, "
        "INSERT, redirect; a detail page, one SELECT by a random token + a small template; startproject's "
        "middleware; the portal's database settings) on the same PostgreSQL server, in the same run (issue 11; "
        "goals: filing >= 0.6x the anchor's throughput, GETs >= 0.7x). Each app in its own process with Django's "
        "test client, CSRF enforced on both (each POST carries the token of an untimed GET of its form); 5 rounds "
        "of 100 requests per path, alternating which app goes first. Portal rate limits on, in Redis, a fresh "
        "client address per filing. Then one batch of each portal path under cProfile (see bench/http.py).",
        postgres_only="PostgreSQL only: the goals are set against the production database.",
        table=lambda scenario, results: __import__("bench.http", fromlist=["_"]).anchor_table(scenario, results),
        timeout=900,
    ),
    Scenario(
        "growth",
        "bench.growth",
        True,
        "Issue 11 §6: filing, the queue (default page, page 200), its search (DNI, name), the first deadline sweep, "
        "the council dashboard (365 days) and the CSV export on one book grown to 10,000, 100,000 and 1,000,000 "
        "hojas (the council-dashboard's book, replaced at each size, rollup rebuilt), each path beside its anchor "
        "in the same run: one INSERT + COMMIT for filing, the bare ORDER BY + LIMIT for the queue, the bare DNI "
        "SELECT, the sweep's candidates query, the dashboard's GROUP BYs run directly, the export's SELECT on a "
        "server-side cursor (see bench/growth.py).",
        postgres_only=GROWTH_SQLITE_REASON,
        table=growth_table,
        timeout=2400,
        meaning=growth_meaning,
    ),
    Scenario(
        "sirec-export",
        "bench.sirec",
        True,
        "Issue 12 §1: `compliance.services.sirec_export` (the TXT of SIREC's bulk upload) over one book of 100,000 "
        "hojas (bench/book.py's generator), beside its anchor in the same run, the export's own SELECT read through "
        "a server-side cursor: the first export (every row validated, then written and marked reported), the same "
        "export again (nothing left to report) and with `include_reported` (`--all`); time, lines, file size, the "
        "process's peak RSS growth, and whether the recorded SHA-256 is the file's.",
        postgres_only=SIREC_SQLITE_REASON,
        table=sirec_table,
        timeout=1200,
    ),
    Scenario(
        "access-log",
        "bench.access_log",
        True,
        "Issue 12 §7: the personal-data access log's page (`compliance.selectors.access_log_page`) over 3,000,000 "
        "access rows of a 1,000,000-hoja book: first page, a deep keyset page, one user, one hoja, a scoped reader, "
        "beside the bare index scan under EXPLAIN ANALYZE and the page's rows as one raw query; and recording one "
        "access beside a bare INSERT.",
        postgres_only=ACCESS_SQLITE_REASON,
        table=access_log_table,
        timeout=2400,
    ),
]

STAT_ROWS = [
    ("count", "count", "{:.0f}"),
    ("total_s", "total", "{:.2f} s"),
    ("mean_ms", "mean", "{:.2f} ms"),
    ("p50_ms", "p50", "{:.2f} ms"),
    ("p95_ms", "p95", "{:.2f} ms"),
    ("max_ms", "max", "{:.2f} ms"),
    ("per_s", "throughput", "{:.0f} /s"),
]


# -- running ----------------------------------------------------------------------------------------------


def run_scenario(scenario: Scenario, db: str, static_root: str) -> dict:
    """One scenario on one fresh database in a subprocess; the database is removed here even on failure."""
    started = time.perf_counter()
    print(f"bench: {scenario.name} on {db} ...", file=sys.stderr, flush=True)
    with throwaway_database(db, scenario.name) as url:
        cmd = [sys.executable, "-m", scenario.module]
        if scenario.module == "bench.filing":
            cmd.append(scenario.name)
        cmd += ["--db", db, "--database-url", url, "--json"]
        env = {**os.environ, **BENCH_ENV, "DJANGO_STATIC_ROOT": static_root, "PYTHONUNBUFFERED": "1"}
        env.pop("DATABASE_URL", None)  # the subprocess sets it from --database-url, before django.setup()
        proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stdout: list[str] = []
        stderr: list[str] = []

        def drain(stream, lines: list[str], echo: bool) -> None:
            for line in stream:
                lines.append(line)
                if echo and line.startswith("bench: "):  # a long scenario's progress
                    print(line, end="", file=sys.stderr, flush=True)

        readers = [
            threading.Thread(target=drain, args=(proc.stdout, stdout, False), daemon=True),
            threading.Thread(target=drain, args=(proc.stderr, stderr, True), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            proc.wait(timeout=scenario.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return {"error": f"timed out after {scenario.timeout} s"}
        finally:
            for reader in readers:
                reader.join(timeout=10)
    elapsed = time.perf_counter() - started
    lines = [line.rstrip("\n") for line in stdout if line.startswith(RESULT_MARKER)]
    if proc.returncode != 0 or not lines:
        tail = ("".join(stderr).strip().splitlines() or ["(no output)"])[-1]
        print("".join(stderr), file=sys.stderr)
        return {"error": f"exit {proc.returncode}: {tail}"}
    result = json.loads(lines[-1][len(RESULT_MARKER) :])
    result["elapsed_s"] = elapsed
    print(f"bench: {scenario.name} on {db} done in {elapsed:.1f} s", file=sys.stderr, flush=True)
    return result


def collect_static(folder: str) -> None:
    """The public pages use the manifest static storage: collect into a temp folder (not the project's)."""
    with tempfile.TemporaryDirectory(prefix=DB_PREFIX + "collectstatic_") as scratch:
        env = {
            **os.environ,
            **BENCH_ENV,
            "DJANGO_STATIC_ROOT": folder,
            "DATABASE_URL": f"sqlite:///{scratch}/unused.sqlite3",  # never opened; never the dev database
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=SUBPROCESS_TIMEOUT,
        )


# -- machine ----------------------------------------------------------------------------------------------


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def python_speed() -> str:
    """Seconds for a pure-Python loop (10 million additions, best of 3): tells a slower machine from a slower code
    when two runs' figures differ (every scenario moves with it). Taken before and after the scenarios: on a
    shared virtual machine it varies within one run."""
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return f"{best:.2f} s"


def machine_info(
    postgres_version: str | None, postgres_error: str | None, speed: str | None = None
) -> list[tuple[str, str]]:
    mem_kb = _first("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024 / 1024:.1f} GiB" if mem_kb != "unknown" else "unknown"
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    # An exported tree (no .git, e.g. `git archive HEAD`, to measure a commit while the checkout has others'
    # uncommitted edits) names its commit in BENCH_CODE.
    code = os.environ.get("BENCH_CODE") or (f"git {commit}" if commit else "unknown")
    return [
        ("CPU", _first("/proc/cpuinfo", "model name")),
        ("cores", str(os.cpu_count())),
        ("CPU speed (10-million-step Python loop, best of 3)", speed or python_speed()),
        ("RAM", ram),
        ("OS", f"{_first('/etc/os-release', 'PRETTY_NAME=')}, Linux {platform.release()}"),
        ("Python", platform.python_version()),
        ("Django", _version("django")),
        ("PostgreSQL server", postgres_version or f"unreachable ({postgres_error})"),
        ("psycopg", _version("psycopg")),
        ("SQLite", sqlite3.sqlite_version),
        ("WeasyPrint", _version("weasyprint")),
        ("Celery / kombu", f"{_version('celery')} / {_version('kombu')}"),
        ("code", code),
    ]


# -- report -----------------------------------------------------------------------------------------------


def _fmt(value) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.2f}"
    return str(value)


def _cell(result: dict | None, getter) -> str:
    if result is None:
        return "—"
    if "error" in result:
        return "failed"
    if "skipped" in result:
        return "skipped"
    value = getter(result)
    return "—" if value is None else value


def scenario_table(scenario: Scenario, results: dict[str, dict | None]) -> list[str]:
    columns = ["sqlite", "postgres"] if scenario.per_database else ["sqlite"]
    headers = ["SQLite", "PostgreSQL"] if scenario.per_database else ["value"]
    sample = next((r for r in results.values() if r and "parts" in r), None)
    lines = [f"| {scenario.name} | " + " | ".join(headers) + " |", "|---" + "|---:" * len(headers) + "|"]
    if sample is None:
        notes = [results[c].get("error") or results[c].get("skipped") for c in columns if results.get(c)]
        lines.append("| (no result) | " + " | ".join(n or "—" for n in notes) + " |")
        return lines
    multi = len(sample["parts"]) > 1
    for index, part in enumerate(sample["parts"]):
        if multi:
            lines.append(f"| **{part['title']}** |" + " |" * len(columns))
        for key, label, fmt in STAT_ROWS:
            if part["stats"]["count"] == 1 and key not in ("count", "mean_ms"):
                continue
            shown = label if multi else f"{label} ({part['title']})" if key == "count" else label
            cells = [
                _cell(results.get(c), lambda r, i=index, k=key, f=fmt: f.format(r["parts"][i]["stats"][k]))
                for c in columns
            ]
            lines.append(f"| {shown} | " + " | ".join(cells) + " |")
    for section in ("checks", "info"):
        keys = list(dict.fromkeys(k for c in columns if results.get(c) for k in results[c].get(section, {})))
        for key in keys:
            cells = [_cell(results.get(c), lambda r, s=section, k=key: _fmt(r.get(s, {}).get(k, "—"))) for c in columns]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    for column in columns:
        result = results.get(column) or {}
        if "error" in result:
            lines.append(f"\n**{column} failed:** `{result['error']}`")
        if "skipped" in result:
            lines.append(f"\n**{column} skipped:** {result['skipped']}")
    return lines


def _stat(results, scenario, db, part=0, key="mean_ms"):
    result = results.get(scenario, {}).get(db)
    if not result or "parts" not in result:
        return math.nan
    return result["parts"][part]["stats"][key]


def meaning(results: dict) -> list[str]:
    """The 'what this means' paragraphs, with this run's figures."""

    def stat(scenario: str, db: str, part: int = 0, key: str = "mean_ms") -> float:
        return _stat(results, scenario, db, part, key)

    def f(value: float, fmt: str = "{:.1f}") -> str:
        return "n/a" if math.isnan(value) else fmt.format(value)

    def info(scenario: str, db: str, key: str) -> str:
        return str(((results.get(scenario) or {}).get(db) or {}).get("info", {}).get(key, "n/a"))

    seq = {db: stat("filing-sequential", db) for db in ("postgres", "sqlite")}
    seq_rate = {db: stat("filing-sequential", db, key="per_s") for db in ("postgres", "sqlite")}
    conc_rate = {db: stat("filing-concurrent", db, key="per_s") for db in ("postgres", "sqlite")}
    apart_rate = {db: stat("filing-concurrent", db, part=1, key="per_s") for db in ("postgres", "sqlite")}
    conc_p50 = {db: stat("filing-concurrent", db, key="p50_ms") for db in ("postgres", "sqlite")}
    conc_p95 = {db: stat("filing-concurrent", db, key="p95_ms") for db in ("postgres", "sqlite")}
    conc_max = {db: stat("filing-concurrent", db, key="max_ms") for db in ("postgres", "sqlite")}
    number = {db: stat("numbering-only", db) for db in ("postgres", "sqlite")}
    post = {db: stat("filing-http", db, 0) for db in ("postgres", "sqlite")}
    confirmation = stat("filing-http", "postgres", 1)
    form = stat("filing-http", "postgres", 2)
    pdf_first, pdf_mean = stat("pdf-render", "sqlite", 0), stat("pdf-render", "sqlite", 1)
    pdf_p50, pdf_p95 = stat("pdf-render", "sqlite", 1, "p50_ms"), stat("pdf-render", "sqlite", 1, "p95_ms")
    per_hour = conc_rate["postgres"] * 3600
    per_hour = round(per_hour, 1 - math.floor(math.log10(per_hour))) if per_hour > 0 else math.nan
    return [
        "## What this means",
        "",
        f"* **The filing service is far from the bottleneck.** One `complaint_file` costs {f(seq['postgres'])} ms "
        f"on PostgreSQL and {f(seq['sqlite'])} ms on SQLite. With 8 processes filing into one establishment "
        f"PostgreSQL still files {f(conc_rate['postgres'], '{:.0f}')} hojas/s (about {f(per_hour, '{:,.0f}')} an "
        "hour), every number distinct and consecutive: orders of magnitude above any complaints book's rate.",
        "* **Filings into one book are serialized, by design; other books do not wait.** "
        f"8 processes filing into one book give {f(conc_rate['postgres'], '{:.0f}')}/s on PostgreSQL, and "
        f"{f(apart_rate['postgres'], '{:.0f}')}/s into one book each, against {f(seq_rate['postgres'], '{:.0f}')}/s "
        f"for one process alone (SQLite: {f(conc_rate['sqlite'], '{:.0f}')}/s, {f(apart_rate['sqlite'], '{:.0f}')}/s, "
        f"{f(seq_rate['sqlite'], '{:.0f}')}/s). The gapless counter row is locked from the number upsert to the "
        "commit, so one establishment's filings queue on it: "
        f"{info('filing-concurrent', 'postgres', 'backends during the run, one book (mean of 5 ms samples)')} "
        "while filing into one book, "
        f"{info('filing-concurrent', 'postgres', 'backends during the run, one book each')} into one book each "
        "(mean of 5 ms samples of pg_stat_activity). The upsert itself is cheap: "
        f"{f(number['postgres'], '{:.2f}')} ms with its commit on PostgreSQL, {f(number['sqlite'], '{:.2f}')} ms "
        "on SQLite (numbering-only). On PostgreSQL other establishments have other rows; SQLite has one write "
        "lock for the whole database.",
        "* **Where a filing's time goes.** "
        f"{info('filing-sequential', 'postgres', 'SQL statements per filing')} SQL statements per filing. "
        "`Complaint.full_clean` takes "
        f"{info('filing-sequential', 'postgres', 'of a filing: Complaint.full_clean')} of a filing on PostgreSQL "
        f"({info('filing-sequential', 'sqlite', 'of a filing: Complaint.full_clean')} on SQLite), and its "
        "`validate_constraints` alone "
        f"{info('filing-sequential', 'postgres', 'of a filing: its validate_constraints')} "
        f"({info('filing-sequential', 'sqlite', 'of a filing: its validate_constraints')}). The service skips "
        "Django's constraint validation (one `SELECT 1 … WHERE …` per CheckConstraint, measured at a third of a "
        "filing when this bench was written) because the database enforces the same CHECKs at the INSERT.",
        "* **SQLite under contention works but waits unevenly.** WAL + `BEGIN IMMEDIATE` + a 30 s busy timeout "
        f'gave no "database is locked" and consecutive numbers, with a p50 of {f(conc_p50["sqlite"], "{:.0f}")} ms '
        f"but a p95 of {f(conc_p95['sqlite'], '{:.0f}')} ms and a worst case of {f(conc_max['sqlite'], '{:.0f}')} ms "
        f"(PostgreSQL: p50 {f(conc_p50['postgres'], '{:.0f}')} ms, p95 {f(conc_p95['postgres'], '{:.0f}')} ms, "
        f"max {f(conc_max['postgres'], '{:.0f}')} ms). SQLite's busy handler sleeps and retries instead of "
        "queueing in order, so an unlucky writer waits much longer. Fine for `make run` and a small site; "
        "PostgreSQL is the production database.",
        f"* **Over HTTP** a filing POST takes {f(post['postgres'])} ms on PostgreSQL ({f(post['sqlite'])} ms on "
        f"SQLite), form validation and the redirect included; the confirmation page takes {f(confirmation)} ms. "
        f"The empty form takes {f(form)} ms ({f(form / post['postgres'], '{:.1f}')}x a filing POST), nearly all of "
        "it template rendering of the form fields (profiled when this bench was written: mostly crispy-forms "
        "rendering each field through its own templates).",
        "* **PDF rendering happens in the worker, never in the filing request.** A hoja takes "
        f"{f(pdf_mean, '{:.0f}')} ms to render (p50 {f(pdf_p50, '{:.0f}')} ms, p95 {f(pdf_p95, '{:.0f}')} ms) and "
        f"{f(pdf_first, '{:.0f}')} ms the first time in a fresh process, WeasyPrint's import included. The "
        "e-mailed copy's PDF is built by `outbox_send` in the Celery worker; the filing only queues the message. "
        "The download link (`/seguimiento/<token>/hoja.pdf`) does render in the web process, so the first download "
        "served by each web worker also pays the import. Without libharfbuzz-subset0 WeasyPrint subsets fonts "
        "with fontTools, measured about 4x slower.",
        *sweep_meaning(results),
        *council_meaning(results),
        *queue_meaning(results),
        *export_meaning(results),
        *growth_meaning(results),
    ]


def render(results: dict, machine: list[tuple[str, str]], started: datetime, elapsed: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`.venv/bin/python -m bench`) on {started:%Y-%m-%d %H:%M %Z}; the whole run "
        f"took {elapsed:.0f} s. Do not edit by hand: run `make bench` again. SQLite and PostgreSQL run side by "
        "side in the same run, each scenario on a fresh throwaway database (a temp-dir SQLite file; a "
        "PostgreSQL database `bench_reclamaciones_<pid>_<scenario>`, dropped at the end) with the project's own "
        "settings (`config.settings.base`). The Celery send task is published on commit to kombu's in-memory "
        "transport (`CELERY_BROKER_URL=memory://localhost/`), so no broker or worker takes part. Times are per "
        "operation; p95 is nearest-rank.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine],
        "",
    ]
    for scenario in SCENARIOS:
        lines += [f"## {scenario.name}", "", scenario.what, ""]
        lines += (scenario.table or scenario_table)(scenario, results.get(scenario.name, {}))
        lines.append("")
    lines += meaning(results)
    return "\n".join(lines) + "\n"


def _bullet_key(line: str) -> str | None:
    """A "What this means" bullet is known by its bold lead ("* **Council dashboard at 1,000,000 hojas**")."""
    if not line.startswith("* **"):
        return None
    end = line.find("**", 4)
    return line[4:end] if end > 4 else None


def merge(old: str, results: dict, started: datetime, code: str = "", speed: str = "") -> str:
    """The existing report with only the scenarios in `results` replaced: their sections (added before "What
    this means" when new), their bullets under "What this means" (by bold lead; added at the end when new),
    and a dated note under the header saying so. Everything else, other scenarios' figures included, is kept."""
    lines = old.rstrip("\n").split("\n")

    def section(name: str) -> tuple[int, int] | None:
        try:
            start = lines.index(f"## {name}")
        except ValueError:
            return None
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        return start, end

    for scenario in SCENARIOS:
        if scenario.name not in results:
            continue
        block = [f"## {scenario.name}", "", scenario.what, ""]
        block += (scenario.table or scenario_table)(scenario, results[scenario.name])
        block.append("")
        found = section(scenario.name)
        if found is None:
            meaning_at = section("What this means")
            at = meaning_at[0] if meaning_at else len(lines)
            lines[at:at] = block
        else:
            lines[found[0] : found[1]] = block
        bullets = scenario.meaning(results) if scenario.meaning else []
        meaning_at = section("What this means")
        if bullets and meaning_at:
            start, end = meaning_at
            for bullet in bullets:
                key = _bullet_key(bullet)
                index = next((i for i in range(start, end) if key and _bullet_key(lines[i]) == key), None)
                if index is None:
                    lines.insert(end, bullet)
                    end += 1
                else:
                    lines[index] = bullet
        note = (
            f"_The {scenario.name} section was updated on {started:%Y-%m-%d %H:%M %Z} by "
            f"`python -m bench --only {scenario.name} --merge`{f' ({code})' if code else ''}"
            f"{f'; CPU speed then (the loop of the machine table): {speed}' if speed else ''}; the other sections are "
            "from the run above._"
        )
        prefix = f"_The {scenario.name} section was updated on "
        existing = next((i for i, line in enumerate(lines) if line.startswith(prefix)), None)
        if existing is not None:
            lines[existing] = note
        else:
            machine = lines.index("## Machine") if "## Machine" in lines else 2
            lines[machine:machine] = [note, ""]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=[s.name for s in SCENARIOS], help="repeatable")
    parser.add_argument("--db", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument("--output", type=Path, default=DOCS, help=f"default {DOCS.relative_to(BASE_DIR)}")
    parser.add_argument("--no-write", action="store_true", help="print the report instead of writing it")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="with --only: replace just those scenarios' sections (and their bullets) in the existing report",
    )
    args = parser.parse_args()
    if args.merge and not (args.only and args.output.exists()):
        parser.error("--merge needs --only and an existing report to merge into")
    partial = bool(args.only or args.db)

    started_at = datetime.now().astimezone()
    speed = python_speed()  # before the scenarios, on an idle process
    clock = time.perf_counter()
    postgres_version, postgres_error = postgres_probe()
    if postgres_version:
        for name in postgres_drop_stale():
            print(f"bench: dropped {name}, left by a bench run that died", file=sys.stderr)
    else:
        print(f"bench: PostgreSQL at {postgres_admin_url()} unreachable: {postgres_error}", file=sys.stderr)

    results: dict[str, dict[str, dict]] = {}
    static_root = tempfile.mkdtemp(prefix=DB_PREFIX + "static_")
    try:
        collect_static(static_root)
        for scenario in SCENARIOS:
            if args.only and scenario.name not in args.only:
                continue
            dbs = ["sqlite", "postgres"] if scenario.per_database else ["sqlite"]
            for db in dbs:
                if args.db and scenario.per_database and db != args.db:
                    continue
                if db == "sqlite" and scenario.postgres_only:
                    results.setdefault(scenario.name, {})[db] = {"skipped": scenario.postgres_only}
                    continue
                if db == "postgres" and not postgres_version:
                    reason = (
                        f"PostgreSQL unreachable at {postgres_admin_url()} ({postgres_error}); set BENCH_POSTGRES_URL"
                    )
                    results.setdefault(scenario.name, {})[db] = {"skipped": reason}
                    continue
                try:
                    result = run_scenario(scenario, db, static_root)
                except Exception as exc:  # creating or dropping the database failed
                    result = {"error": f"{type(exc).__name__}: {exc}"}
                results.setdefault(scenario.name, {})[db] = result
    finally:
        shutil.rmtree(static_root, ignore_errors=True)

    speed = f"{speed} before the scenarios, {python_speed()} after"
    machine = machine_info(postgres_version, postgres_error, speed)
    report = render(results, machine, started_at, time.perf_counter() - clock)
    failed = [f"{s} on {d}" for s, by_db in results.items() for d, r in by_db.items() if "error" in r]
    if args.merge and not failed:
        report = merge(args.output.read_text(), results, started_at, dict(machine)["code"], speed)
        partial = False
    if args.no_write or failed or (partial and args.output == DOCS):
        print(report)
        if failed:
            print(f"bench: FAILED: {', '.join(failed)}; {args.output} left unchanged", file=sys.stderr)
        elif partial and not args.no_write:
            print(f"bench: partial run, {args.output} left unchanged (use --output)", file=sys.stderr)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report)
        print(f"bench: wrote {args.output}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
