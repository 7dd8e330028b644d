"""The personal-data access log at size (issue 12 §7: "in a table that stays fast at 1M hojas"): a book of
BENCH_ACCESS_HOJAS hojas (default 1,000,000) in 8 establishments, built by bench/book.py's generator, and
BENCH_ACCESS_ROWS access rows (default 3,000,000: three staff views per hoja) written by SQL, as the log of
that book's life. Measured in one run, side by side:
- the anchor: the bare SQL of a page, `SELECT ... ORDER BY id DESC LIMIT 51`, under EXPLAIN ANALYZE;
- `compliance.selectors.access_log_page` (what /gestion/cumplimiento/accesos/ runs): the first page, a page
  deep in the log (keyset `before` at 1 % of the ids), one user's accesses, one hoja's accesses (by number),
  and a scoped reader of one establishment;
- recording one access (`audit.personal_data_access_record`, what every staff view of a hoja adds) beside a
  bare INSERT of the same row.
Run by `python -m bench`; alone: `python -m bench.access_log --db postgres`.
"""

from __future__ import annotations

import os
import statistics
import time

from bench.book import BookShape, complaints_insert, counters_insert, execute, indexes_built_after, staff_create
from bench.common import database_settings_note, scenario_main
from bench.export import NOW

HOJAS = int(os.environ.get("BENCH_ACCESS_HOJAS", "1000000"))
ROWS = int(os.environ.get("BENCH_ACCESS_ROWS", "3000000"))
REPEAT = 30
SQLITE_REASON = (
    "not run: the book is built with PostgreSQL SQL (generate_series) and the target is PostgreSQL, the production "
    "database."
)


def _seed() -> dict:
    from django.db import transaction

    from reclamaciones.audit import PersonalDataAccess
    from reclamaciones.book.models import Complaint

    staff = staff_create(8)
    shape = BookShape(size=HOJAS, now=NOW, staff=staff, open_every=1000, due_from=-10, due_to=15, filing_order=True)
    t0 = time.perf_counter()
    table, complaints = PersonalDataAccess._meta.db_table, Complaint._meta.db_table
    with indexes_built_after([complaints, table]), transaction.atomic():
        complaints_insert(shape)
        counters_insert()
        # Three accesses per hoja, in time order, by the establishment's agent or supervisor (ids of the staff
        # created above), one in fifty an export of many hojas.
        execute(
            f"""
            INSERT INTO {table} (user_id, at, what, complaint_id, establishment_id, hojas, detail, ip)
            SELECT u.id, c.filed_at + (g.n * interval '1 hour'),
                   CASE WHEN g.n = 2 THEN 'pdf' ELSE 'detail' END, c.id, c.establishment_id, 1, '', '10.0.0.1'
            FROM (SELECT id, filed_at, establishment_id FROM {complaints} ORDER BY filed_at LIMIT %s) c
            CROSS JOIN generate_series(0, 2) AS g(n)
            JOIN LATERAL (
                SELECT p.user_id AS id FROM reclamaciones_staffprofile_establishments pe
                JOIN reclamaciones_staffprofile p ON p.id = pe.staffprofile_id
                WHERE pe.establishment_id = c.establishment_id ORDER BY p.user_id LIMIT 1 OFFSET (g.n %% 2)
            ) u ON true
            ORDER BY 2
            """,
            [ROWS // 3],
        )
    seed_s = time.perf_counter() - t0
    for name in (complaints, table):
        execute(f"VACUUM ANALYZE {name}")
    return {"seed_s": seed_s, "staff": staff}


def _timed(fn) -> float:
    """The median of REPEAT runs, in milliseconds."""
    runs = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def _explain_ms(sql: str, params=None) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        runs = []
        for _ in range(REPEAT):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            runs.append(cursor.fetchone()[0][0]["Execution Time"])
    return statistics.median(runs)


def access_log_scale() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from reclamaciones.access import Scope
    from reclamaciones.audit import PersonalDataAccess, What, personal_data_access_record
    from reclamaciones.book.models import Complaint
    from reclamaciones.compliance.selectors import access_log_page

    if connection.vendor != "postgresql":
        return {"skipped": SQLITE_REASON}
    seeded = _seed()
    table = PersonalDataAccess._meta.db_table
    everything = Scope.everything()
    first_id, last_id = PersonalDataAccess.objects.order_by("pk").values_list("pk", flat=True)[:1][0], None
    last_id = PersonalDataAccess.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]
    deep = first_id + (last_id - first_id) // 100
    agent = get_user_model().objects.get(pk=seeded["staff"].agents[0])
    hoja = Complaint.objects.filter(establishment_id=seeded["staff"].establishment_ids[0]).order_by("-pk").first()
    reader = Scope(frozenset({seeded["staff"].establishment_ids[0]}), can_act=False, roles=frozenset({"auditor"}))

    def page(scope=everything, **kwargs):
        args = {"username": "", "number": "", "before": None, "size": 51} | kwargs
        return lambda: access_log_page(scope=scope, **args)

    paths = {
        "first page": page(),
        "deep page (1 % of the ids)": page(before=deep),
        "one user": page(username=agent.username),
        "one hoja (by number)": page(number=hoja.display_number),
        "scoped reader (1 of 8 establishments)": page(scope=reader),
    }
    anchor = _explain_ms(f"SELECT * FROM {table} ORDER BY id DESC LIMIT 51")
    # The same page as one raw round trip (its rows joined to the user and the hoja, fetched): what the ORM
    # adds on top is Python, not database work.
    joined = (
        f"SELECT a.*, u.username, c.number, c.year FROM {table} a JOIN auth_user u ON u.id = a.user_id "
        f"LEFT JOIN {Complaint._meta.db_table} c ON c.id = a.complaint_id ORDER BY a.id DESC LIMIT 51"
    )

    def round_trip():
        with connection.cursor() as cursor:
            cursor.execute(joined)
            cursor.fetchall()

    round_trip_ms = _timed(round_trip)
    anchor_deep = _explain_ms(f"SELECT * FROM {table} WHERE id < %s ORDER BY id DESC LIMIT 51", [deep])
    timings = {name: _timed(fn) for name, fn in paths.items()}
    rows = {name: len(fn()) for name, fn in paths.items()}

    writer = Scope.of(agent)
    with transaction.atomic():
        record_ms = _timed(lambda: personal_data_access_record(scope=writer, what=What.DETAIL, complaint=hoja))
        insert_ms = _timed(
            lambda: execute(
                f"INSERT INTO {table} (user_id, at, what, complaint_id, establishment_id, hojas, detail) "
                "VALUES (%s, now(), 'detail', %s, %s, 1, '')",
                [agent.pk, hoja.pk, hoja.establishment_id],
            )
        )
        transaction.set_rollback(True)
    return {
        "hojas": HOJAS,
        "rows": PersonalDataAccess.objects.count(),
        "seed_s": seeded["seed_s"],
        "anchor_ms": anchor,
        "anchor_deep_ms": anchor_deep,
        "round_trip_ms": round_trip_ms,
        "paths_ms": timings,
        "paths_rows": rows,
        "record_ms": record_ms,
        "insert_ms": insert_ms,
        "info": {"connection": database_settings_note()},
    }


def access_log_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "paths_ms" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    anchor = result["anchor_ms"]
    lines = [
        f"{result['hojas']:,} hojas in 8 establishments and {result['rows']:,} access rows (seeded in "
        f"{result['seed_s']:.0f} s). Anchor: `SELECT * … ORDER BY id DESC LIMIT 51` under EXPLAIN ANALYZE, "
        f"{anchor:.3f} ms (deep, `WHERE id < …`: {result['anchor_deep_ms']:.3f} ms). Medians of {REPEAT} runs.",
        "",
        f"Second anchor: the first page's rows joined to user and hoja as one raw query, fetched: "
        f"{result['round_trip_ms']:.2f} ms.",
        "",
        "| access-log (PostgreSQL) | median | × raw page query | rows |",
        "|---|---:|---:|---:|",
    ]
    for name, ms in result["paths_ms"].items():
        lines.append(f"| {name} | {ms:.2f} ms | {ms / result['round_trip_ms']:,.1f}x | {result['paths_rows'][name]} |")
    lines += [
        f"| record one access (`personal_data_access_record`) | {result['record_ms']:.2f} ms | "
        f"{result['record_ms'] / result['insert_ms']:.1f}x a bare INSERT ({result['insert_ms']:.2f} ms) | 1 |",
        "",
        "Every path is one index range (primary key, or (user, id) / (complaint, id)) whatever the log's length; "
        "the time over the raw query is the ORM building 51 rows with their user, hoja and establishment.",
        "",
        f"Connection: {result['info']['connection']}.",
        "",
        f"SQLite: {SQLITE_REASON}",
    ]
    return lines


if __name__ == "__main__":
    scenario_main({"access-log": access_log_scale})
