"""Shared plumbing for the scenarios: throwaway databases, Django set-up in the bench process, timing
statistics and the result protocol between a scenario subprocess and the orchestrator (bench/__main__.py).

Safety: a scenario refuses to run unless its database is a throwaway one (a SQLite file in a temp folder
named bench_reclamaciones_*, or a PostgreSQL database named bench_reclamaciones_*). The developer's
db.sqlite3 and any real database are never opened.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DB_PREFIX = "bench_reclamaciones_"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
RESULT_MARKER = "BENCH_RESULT "
DB_KINDS = ("sqlite", "postgres")

# The environment every scenario runs with (on top of the caller's): the real filing path including the
# outbox publish, but to kombu's in-process memory transport, so no broker or worker is involved.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "CELERY_BROKER_URL": "memory://localhost/",
    "RATELIMIT_ENABLE": "false",
}


# -- throwaway databases ----------------------------------------------------------------------------------


def postgres_admin_url() -> str:
    """Where to CREATE/DROP the throwaway databases (the maintenance database, never used for data)."""
    return os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def postgres_probe() -> tuple[str | None, str | None]:
    """(server version, None) when PostgreSQL answers, else (None, why not)."""
    try:
        import psycopg

        with psycopg.connect(postgres_admin_url(), connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0], None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def _url_with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _postgres_drop(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(postgres_admin_url(), autocommit=True, connect_timeout=5) as conn:
        try:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        except psycopg.errors.SyntaxError:  # PostgreSQL < 13: no FORCE
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@contextmanager
def throwaway_database(kind: str, label: str) -> Iterator[str]:
    """Create an empty database for one scenario, yield its DATABASE_URL, and always remove it."""
    label = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"{DB_PREFIX}{label}_")
        try:
            yield f"sqlite:///{folder}/bench.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    import psycopg
    from psycopg import sql

    name = f"{DB_PREFIX}{os.getpid()}_{label}"[:63]
    with psycopg.connect(postgres_admin_url(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8'").format(sql.Identifier(name)))
    try:
        yield _url_with_database(postgres_admin_url(), name)
    finally:
        _postgres_drop(name)


def postgres_stale_databases() -> list[str]:
    """bench_reclamaciones_<pid>_* databases left by a bench process that no longer exists."""
    import psycopg

    stale = []
    with psycopg.connect(postgres_admin_url(), autocommit=True, connect_timeout=5) as conn:
        names = [
            row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [DB_PREFIX + "%"])
        ]
    for name in names:
        match = re.match(rf"{DB_PREFIX}(\d+)_", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            stale.append(name)
    return stale


def postgres_drop_stale() -> list[str]:
    stale = postgres_stale_databases()
    for name in stale:
        _postgres_drop(name)
    return stale


# -- Django in the scenario process ---------------------------------------------------------------------


def _assert_throwaway() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = str(db["NAME"])
    if db["ENGINE"].endswith("sqlite3"):
        path = Path(name).resolve()
        ok = path.parent.name.startswith(DB_PREFIX) and path.is_relative_to(Path(tempfile.gettempdir()).resolve())
    else:
        ok = name.startswith(DB_PREFIX)
    if not ok:
        raise SystemExit(f"bench: refusing to run against {name!r}: not a throwaway bench database")


def django_setup(database_url: str) -> None:
    """Configure Django for this process on `database_url` (set before setup) and migrate it."""
    os.environ.update(BENCH_ENV)
    os.environ["DATABASE_URL"] = database_url
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    _assert_throwaway()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_settings_note() -> str:
    """How the connection is configured, as the settings make it (shown in the tables)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        opts = db.get("OPTIONS", {})
        init = opts.get("init_command", "")
        journal = "WAL" if "journal_mode=WAL" in init else "default journal"
        sync = "synchronous=NORMAL" if "synchronous=NORMAL" in init else "default synchronous"
        return (
            f"{journal}, {sync}, {opts.get('transaction_mode', 'DEFERRED')}, timeout {opts.get('timeout', 5)} s, "
            f"CONN_MAX_AGE={db.get('CONN_MAX_AGE', 0)}"
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        (fsync,) = cursor.fetchone()
        cursor.execute("SHOW synchronous_commit")
        (synchronous_commit,) = cursor.fetchone()
    return (
        f"CONN_MAX_AGE={db.get('CONN_MAX_AGE', 0)}, CONN_HEALTH_CHECKS={db.get('CONN_HEALTH_CHECKS', False)}; "
        f"server fsync={fsync}, synchronous_commit={synchronous_commit}"
    )


class PublishCounter:
    """Counts Celery publishes (after_task_publish) and outbox publish failures (its warning log)."""

    def __init__(self) -> None:
        import logging
        import threading

        from celery.signals import after_task_publish

        self.published = 0
        self.failed = 0
        self._lock = threading.Lock()
        after_task_publish.connect(self._on_publish, weak=False)
        counter = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if "could not queue" in record.getMessage():
                    with counter._lock:
                        counter.failed += 1

        logging.getLogger("reclamaciones.outbox.services").addHandler(_Handler(level=logging.WARNING))

    def _on_publish(self, **kwargs) -> None:
        with self._lock:
            self.published += 1


# -- statistics -------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def timing_stats(durations: list[float], wall: float | None = None) -> dict:
    """count, total seconds (wall clock when given), mean/p50/p95/max in ms and throughput per second."""
    values = sorted(durations)
    total = wall if wall is not None else sum(values)
    count = len(values)
    return {
        "count": count,
        "total_s": total,
        "mean_ms": 1000 * sum(values) / count if count else math.nan,
        "p50_ms": 1000 * percentile(values, 0.50),
        "p95_ms": 1000 * percentile(values, 0.95),
        "max_ms": 1000 * values[-1] if values else math.nan,
        "per_s": count / total if total else math.nan,
    }


def timed(fn: Callable[[], object], count: int) -> tuple[list[float], float]:
    """Call fn `count` times; per-call durations and the wall-clock total, in seconds."""
    durations = []
    clock = time.perf_counter
    start = clock()
    for _ in range(count):
        t0 = clock()
        fn()
        durations.append(clock() - t0)
    return durations, clock() - start


# -- SQL statements ---------------------------------------------------------------------------------------


def sql_shorten(sql: str) -> str:
    """A statement as one short line: its verb and table, and its length when it is long."""
    sql = " ".join(sql.split())
    if len(sql) <= 100:
        return sql
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
    verb = sql.split(" ", 1)[0]
    where = " WHERE … IN (…)" if " IN (" in sql else " WHERE …" if " WHERE " in sql else ""
    joins = " JOIN …" if " JOIN " in sql else ""
    lock = " FOR UPDATE" if sql.endswith("FOR UPDATE") else ""
    verb = {"SELECT": "SELECT … FROM", "INSERT": "INSERT INTO", "UPDATE": "UPDATE"}.get(verb, verb)
    return f'{verb} "{table.group(1) if table else "?"}"{joins}{where}{lock} ({len(sql):,} chars)'


# -- scenario command line -------------------------------------------------------------------------------


def scenario_main(scenarios: dict[str, Callable[[], dict]], *, database_independent: bool = False) -> None:
    """Command line of a scenario module: `python -m bench.<module> [scenario] --db sqlite|postgres [--json]`.

    With --database-url (the orchestrator's way) the database already exists and the caller removes it;
    without it, the scenario creates its own throwaway database and removes it at the end."""
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__)
    if len(scenarios) > 1:
        parser.add_argument("scenario", choices=sorted(scenarios))
    parser.add_argument("--db", choices=DB_KINDS, default="sqlite")
    parser.add_argument("--database-url", help="an existing, empty throwaway database (used by python -m bench)")
    parser.add_argument("--json", action="store_true", help="print one result line for the orchestrator")
    args = parser.parse_args()
    name = args.scenario if len(scenarios) > 1 else next(iter(scenarios))
    db = "sqlite" if database_independent else args.db

    def run(url: str) -> dict:
        django_setup(url)
        result = scenarios[name]()
        result.update({"scenario": name, "db": db})
        return result

    if args.database_url:
        result = run(args.database_url)
    else:
        with throwaway_database(db, name) as url:
            try:
                result = run(url)
            finally:
                from django.db import connections

                connections.close_all()
    if args.json:
        print(RESULT_MARKER + json.dumps(result, default=str), flush=True)
    else:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
