"""A synthetic complaints book at scale, shared by the PostgreSQL scale scenarios (deadlines-sweep in
bench/sweep.py, council-dashboard in bench/council.py).

After `migrate`: one provider, its establishments and their staff are created with the ORM (`staff_create`),
then every hoja is written by one `INSERT INTO reclamaciones_complaint ... SELECT ... FROM generate_series(...)`
(`complaints_insert`, shaped by a `BookShape`), with the secondary indexes dropped for the load and built again
from their own definitions (`indexes_built_after`). A million hojas take about half a minute on 2 cores; a
million filings through the service would take over an hour. The hojas' `content_sha256` is a SHA-256 of the
row, not the filing service's canonical fingerprint (no scale scenario reads it).

The shape: hoja g (1..size) belongs to establishment g mod E; one hoja in `open_every` is still open (received
or in progress, in progress ones assigned to the establishment's agent), filed so that it falls due on one of
the business days from `due_from` to `due_to` around `now` (Ley 31435: 15 business days); every other hoja is
answered or closed and filed at an even pace over the `history_days` before `now`. A scenario changes the status
of closed hojas or any column with SQL expressions over the generated row (`status_sql`, `extra_sql`,
`columns_sql`); `uniform(expr, seed)` gives such expressions a reproducible pseudo-random number per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# The stages of one hoja: raw (g, slot, is_open, open_ordinal) > placed (due_slot, filed_at) > sheets (year,
# due_date, status, kind, extra_sql) > numbered (number, assignee_id): the SELECT list reads them as `n`, the
# establishment as `e` and its provider as `p`.
COMPLAINTS_SQL = """
WITH raw AS (
    SELECT g,
           g %% %(establishments_n)s AS slot,
           (g / %(establishments_n)s) %% %(open_every)s = 0 AS is_open,
           g / %(establishments_n)s / %(open_every)s AS open_ordinal
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
), placed AS (
    SELECT raw.*,
           (open_ordinal * %(establishments_n)s + slot) %% %(due_n)s AS due_slot,
           CASE WHEN is_open
                THEN ((%(filed_on)s::date[])[1 + (open_ordinal * %(establishments_n)s + slot) %% %(due_n)s]
                      + time '08:00' + (g %% 600) * interval '1 minute') AT TIME ZONE 'America/Lima'
                ELSE %(history_start)s::timestamptz + (g - 1) * %(history_step)s::interval
           END AS filed_at
    FROM raw
), sheets AS (
    SELECT placed.*,
           extract(year FROM filed_at AT TIME ZONE 'America/Lima')::int AS year,
           CASE WHEN is_open THEN (%(due_on)s::date[])[1 + due_slot]
                ELSE (filed_at AT TIME ZONE 'America/Lima')::date + 21  -- about 15 business days
           END AS due_date,
           {status} AS status,
           CASE WHEN g %% 7 = 0 THEN 'queja' ELSE 'reclamo' END AS kind{extra}
    FROM placed
), numbered AS (
    SELECT sheets.*,
           row_number() OVER (PARTITION BY slot, year ORDER BY filed_at, g) AS number,
           CASE WHEN status = 'received' THEN NULL ELSE (%(agents)s::bigint[])[1 + slot] END AS assignee_id
    FROM sheets
)
INSERT INTO reclamaciones_complaint (
    {columns}
)
SELECT
    {values}
FROM {numbered} AS n
JOIN reclamaciones_establishment AS e ON e.id = (%(establishment_ids)s::bigint[])[1 + n.slot]
JOIN reclamaciones_provider AS p ON p.id = e.provider_id
"""

# Open hojas: half received, half in progress; the others: 3 in 10 answered, the rest closed.
DEFAULT_STATUS_SQL = """CASE WHEN NOT is_open THEN CASE WHEN g %% 10 < 3 THEN 'answered' ELSE 'closed' END
                WHEN open_ordinal %% 2 = 0 THEN 'received'
                ELSE 'in_progress'
           END"""

# Every column of reclamaciones_complaint written, in order, with its expression.
COMPLAINT_COLUMNS: dict[str, str] = {
    "created_at": "n.filed_at",
    "updated_at": "LEAST(n.filed_at + interval '9 days', %(now)s::timestamptz)",
    "number": "n.number",
    "year": "n.year",
    "filed_at": "n.filed_at",
    "channel": "'web'",
    "backup_sheet_number": "''",
    "provider_name": "p.legal_name",
    "provider_ruc": "p.ruc",
    "establishment_address": "e.address",
    "establishment_code": "e.code",
    "consumer_name": "'Consumidor Bench ' || n.g",
    "doc_type": "'dni'",
    "doc_number": "lpad((10000000 + n.g)::text, 8, '0')",
    "consumer_address": "'Av. Arequipa ' || (100 + n.g %% 4900) || ', Lince, Lima'",
    "consumer_phone": "''",
    "consumer_email": "'consumidor' || n.g || '@example.pe'",
    "is_minor": "false",
    "guardian_name": "''",
    "guardian_address": "''",
    "guardian_phone": "''",
    "guardian_email": "''",
    "good_type": "'producto'",
    "amount_claimed": "(n.g %% 200000) / 100.0",
    "currency": "'PEN'",
    "good_description": "'Compra con boleta B001-' || n.g",
    "kind_filed": "n.kind",
    "detail": "'El producto presentó fallas desde el día de la compra (hoja de prueba de rendimiento ' || n.g || ').'",
    "request": "'Se solicita el cambio del producto o la devolución del dinero.'",
    "kind": "n.kind",
    "status": "n.status",
    "regime": "'ley-31435'",
    "due_date": "n.due_date",
    "suspended_business_days": "0",
    "extension_days": "0",
    "response_channel": "'email'",
    "tracking_token": "md5('tracking-' || n.g)",
    "submission_key": "NULL",
    "content_sha256": (
        "encode(sha256(convert_to(e.id || '|' || n.year || '|' || n.number || '|' || n.filed_at || '|' || n.g, "
        "'UTF8')), 'hex')"
    ),
    "assignee_id": "n.assignee_id",
    "cause_id": "NULL",
    "establishment_id": "e.id",
}

# The e-mailed copy every filing leaves in the outbox (sent), keyed as book.services keys it.
COPIES_SQL = """
INSERT INTO reclamaciones_outboundmessage (
    created_at, updated_at, kind, complaint_id, recipient, idempotency_key, status, attempts, context,
    last_error, next_attempt_at, lease_until, sent_at, message_id
)
SELECT c.filed_at, c.filed_at + interval '1 minute', 'sheet_copy', c.id, c.consumer_email,
       'sheet_copy:' || c.id || ':' || lower(c.consumer_email), 'sent', 1, '{}'::jsonb,
       '', c.filed_at, NULL, c.filed_at + interval '1 minute', '<' || md5('copy-' || c.id) || '@example.pe>'
FROM reclamaciones_complaint AS c
"""

COUNTERS_SQL = """
INSERT INTO reclamaciones_sheetcounter (establishment_id, year, last_number)
SELECT establishment_id, year, max(number) FROM reclamaciones_complaint GROUP BY establishment_id, year
"""


def uniform(expr: str, seed: int) -> str:
    """SQL for a pseudo-random number in [0, 1) fixed by the integer `expr` and `seed` (the same every run)."""
    return f"((hashint8extended(({expr})::bigint, {int(seed)}) & 4503599627370495)::float8 / 4503599627370496)"


def execute(sql: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def table_size(table: str) -> str:
    """Table plus indexes, as pg_size_pretty prints it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", [table])
        return cursor.fetchone()[0]


# -- staff -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    establishment_ids: list[int]
    agents: list[int]  # the agent of each establishment, in the same order
    count: int  # staff users created


def staff_create(establishments: int) -> Staff:
    """One provider, its establishments, an agent and a supervisor per establishment, and a regional
    supervisor for all of them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from reclamaciones.access import Role
    from reclamaciones.book.models import Establishment, Provider
    from reclamaciones.handling.models import StaffProfile

    provider = Provider.objects.create(
        legal_name="Comercial Rendimiento S.A.C.",
        trade_name="Tiendas Rendimiento",
        ruc="20600000001",
        address="Av. Javier Prado Este 4200, Santiago de Surco, Lima",
        contact_email="datos@rendimiento.example.pe",
    )
    created = [
        Establishment.objects.create(
            provider=provider,
            name=f"Tienda {i + 1:02d}",
            address=f"Av. La Marina {1000 + i}, San Miguel, Lima",
            code=f"LR-{i + 1:03d}",
            slug=f"tienda-bench-{i + 1:02d}",
        )
        for i in range(establishments)
    ]
    groups = {role: Group.objects.get(name=role) for role in (Role.AGENT, Role.SUPERVISOR)}
    user_model = get_user_model()

    def member(username: str, role: str, where: list | None) -> int:
        user = user_model(username=username, email=f"{username}@rendimiento.example.pe", is_staff=True)
        user.set_unusable_password()
        user.save()
        user.groups.add(groups[role])
        profile = StaffProfile.objects.create(user=user, all_establishments=where is None)
        if where:
            profile.establishments.set(where)
        return user.pk

    agents = []
    for i, establishment in enumerate(created):
        agents.append(member(f"agente{i + 1:02d}", Role.AGENT, [establishment]))
        member(f"supervisor{i + 1:02d}", Role.SUPERVISOR, [establishment])
    member("supervision.regional", Role.SUPERVISOR, None)
    return Staff([e.pk for e in created], agents, 2 * establishments + 1)


# -- hojas -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookShape:
    size: int
    now: datetime
    staff: Staff
    open_every: int  # 1 hoja in `open_every` is still open
    due_from: int  # open hojas fall due from `due_from` business days around today (negative: past) ...
    due_to: int  # ... to `due_to`
    history_days: int = 730  # the other hojas are filed at an even pace over these days before `now`
    status_sql: str = DEFAULT_STATUS_SQL  # over raw/placed columns (g, slot, is_open, open_ordinal, filed_at)
    extra_sql: dict[str, str] = field(default_factory=dict)  # more columns of `sheets`, as the status sees them
    columns_sql: dict[str, str] = field(default_factory=dict)  # COMPLAINT_COLUMNS replaced
    params: dict = field(default_factory=dict)  # more %(name)s parameters for these expressions
    # Rows stored in filing order, as a live book stores them (filed_at follows the heap: a period is a few
    # contiguous pages); otherwise in the numbering's order (by establishment, then filing time).
    filing_order: bool = False


def due_dates(now: datetime, due_from: int, due_to: int) -> tuple[list[date], list[date]]:
    """Due dates for open hojas, one per business day from `due_from` to `due_to` around today, and the filing
    dates that give them (15 business days earlier, Ley 31435)."""
    from django.utils import timezone

    from reclamaciones.deadlines.rules import LEY_31435_BUSINESS_DAYS, due_date
    from reclamaciones.deadlines.selectors import business_calendar_get

    calendar = business_calendar_get()
    today = timezone.localdate(now)

    def step(day, business_days: int):
        direction = 1 if business_days > 0 else -1
        for _ in range(abs(business_days)):
            day += timedelta(days=direction)
            while not calendar.is_business_day(day):
                day += timedelta(days=direction)
        return day

    due_on = [step(calendar.next_business_day(today), offset) for offset in range(due_from, due_to + 1)]
    filed_on = [step(due, -LEY_31435_BUSINESS_DAYS) for due in due_on]
    assert all(due_date(f, calendar) == d for f, d in zip(filed_on, due_on, strict=True))
    return due_on, filed_on


def complaints_sql(shape: BookShape) -> str:
    unknown = set(shape.columns_sql) - set(COMPLAINT_COLUMNS)
    assert not unknown, f"not columns of the hoja: {unknown}"
    columns = {**COMPLAINT_COLUMNS, **shape.columns_sql}
    return COMPLAINTS_SQL.format(
        status=shape.status_sql,
        extra="".join(f",\n           {expr} AS {name}" for name, expr in shape.extra_sql.items()),
        columns=", ".join(columns),
        values=",\n    ".join(columns.values()),
        # Sorted while the rows are narrow; the joins that follow (hash joins probed in this order) keep it.
        numbered="(SELECT * FROM numbered ORDER BY filed_at, g)" if shape.filing_order else "numbered",
    )


def complaints_insert(shape: BookShape) -> int:
    """Write the book's hojas (one INSERT ... SELECT); returns how many. Call inside `indexes_built_after`."""
    due_on, filed_on = due_dates(shape.now, shape.due_from, shape.due_to)
    params = {
        "first": 1,
        "last": shape.size,
        "establishments_n": len(shape.staff.establishment_ids),
        "open_every": shape.open_every,
        "due_n": len(due_on),
        "due_on": due_on,
        "filed_on": filed_on,
        "history_start": shape.now - timedelta(days=shape.history_days),
        "history_step": timedelta(days=shape.history_days) / shape.size,
        "now": shape.now,
        "agents": shape.staff.agents,
        "establishment_ids": shape.staff.establishment_ids,
        **shape.params,
    }
    inserted = execute(complaints_sql(shape), params)
    assert inserted == shape.size, inserted
    return inserted


def outbox_copies_insert() -> int:
    return execute(COPIES_SQL)


def counters_insert() -> int:
    return execute(COUNTERS_SQL)


# -- bulk-load practice ------------------------------------------------------------------------------------


def schema(tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the unique constraints and the plain indexes of `tables` (not the primary
    keys, which other tables' foreign keys need)."""
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u' ORDER BY conname",
                [table],
            )
            rows += [
                (table, name, f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}") for name, definition in cursor
            ]
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                "AND indexname::regclass NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass) "
                "ORDER BY indexname",
                [table, table],
            )
            rows += [(table, name, definition) for name, definition in cursor]
    return rows


@contextmanager
def indexes_built_after(tables: list[str]) -> Iterator[None]:
    """Bulk-load practice: drop the secondary indexes and unique constraints, load, then build them again
    from their own definitions (one sorted build each instead of a million random b-tree inserts). Checked by
    name: PostgreSQL may print a rebuilt partial index's predicate differently (`ANY ((ARRAY[...])::text[])`
    becomes `ANY (ARRAY[(...)::text, ...])`, migration 0015's complaint_open_due_idx), the same index."""
    before = schema(tables)
    for table, name, definition in before:
        execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {name}" if definition.startswith("ALTER") else f"DROP INDEX {name}"
        )
    yield
    execute("SET maintenance_work_mem = '256MB'")
    for _, _, definition in before:
        execute(definition)
    execute("RESET maintenance_work_mem")
    assert [row[:2] for row in schema(tables)] == [row[:2] for row in before], "indexes missing after the load"
