"""The back office queue at scale (issue 11): indexes the queue's reads are served from.

Both databases: `complaint_open_due_idx`, a partial index of the open hojas (the legal clock runs) in the queue's
order (due date, id): the first segment of every listing, the overdue and this-week filters and the summary
counters read it instead of the whole book.

PostgreSQL only: the `unaccent` and `pg_trgm` extensions, `reclamaciones_search_text(text)` (lower case, no
accents; IMMUTABLE so an index can use it) and a trigram GIN index on the consumer's name through it, so that a
name search (`LIKE '%...%'` on both sides normalized) is index-served and accent- and case-insensitive both ways;
and `complaint_unassigned_filed_idx`, the unassigned hojas newest first (the "Sin asignar" filter without a status
filter, otherwise a walk through the whole book looking for rare rows). The document number is searched by
exact match on the stored normalized value, served by the existing `doc_number` b-tree index (db_index).
SQLite has neither extension: the selector registers a Python function of the same name on its connection and
scans (see handling.selectors.search_q).

The indexes are not in the models' Meta (a partial index on a status list and an expression index on a
database function are the database's business): `makemigrations` does not see them; `bench/book.py` rebuilds
them after a bulk load from their own definitions like any other index.
"""

from django.db import migrations

OPEN = ("in_progress", "received", "settlement_offered")  # book.models.OPEN_STATUSES, sorted
OPEN_SQL = ", ".join(f"'{status}'" for status in OPEN)

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Schema-qualified (found below), so that the function and the index do not depend on search_path
    # (pg_dump / pg_restore run with an empty one).
    """CREATE OR REPLACE FUNCTION reclamaciones_search_text(text) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT lower({unaccent}.unaccent('{unaccent}.unaccent'::regdictionary, $1)) $$""",
    "CREATE INDEX IF NOT EXISTS complaint_name_trgm_idx ON reclamaciones_complaint "
    "USING gin (reclamaciones_search_text(consumer_name) {trgm}.gin_trgm_ops)",
    # INCLUDE: the summary counters (assignee, establishment in scope) are an index-only scan. The predicate is
    # spelled as PostgreSQL prints it back, so that rebuilding the index from pg_indexes (bench/book.py) gives
    # the same definition.
    "CREATE INDEX IF NOT EXISTS complaint_open_due_idx ON reclamaciones_complaint (due_date, id) "
    "INCLUDE (establishment_id, assignee_id) WHERE status::text = ANY (ARRAY["
    + ", ".join(f"'{status}'::text" for status in OPEN)
    + "])",
    "CREATE INDEX IF NOT EXISTS complaint_unassigned_filed_idx ON reclamaciones_complaint (filed_at, id) "
    "WHERE assignee_id IS NULL",
]

POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS complaint_unassigned_filed_idx",
    "DROP INDEX IF EXISTS complaint_open_due_idx",
    "DROP INDEX IF EXISTS complaint_name_trgm_idx",
    "DROP FUNCTION IF EXISTS reclamaciones_search_text(text)",
    # The extensions stay: other objects may have come to use them.
]

SQLITE_FORWARD = [
    f"CREATE INDEX IF NOT EXISTS complaint_open_due_idx ON reclamaciones_complaint (due_date, id) "
    f"WHERE status IN ({OPEN_SQL})",
]

SQLITE_BACKWARD = ["DROP INDEX IF EXISTS complaint_open_due_idx"]


def _schema(cursor, extension: str) -> str:
    cursor.execute(
        "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = %s",
        [extension],
    )
    return cursor.fetchone()[0]


def forward(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in POSTGRES_FORWARD[:2]:
                cursor.execute(sql)
            names = {"unaccent": _schema(cursor, "unaccent"), "trgm": _schema(cursor, "pg_trgm")}
            for sql in POSTGRES_FORWARD[2:]:
                cursor.execute(sql.replace("{unaccent}", names["unaccent"]).replace("{trgm}", names["trgm"]))
        elif connection.vendor == "sqlite":
            for sql in SQLITE_FORWARD:
                cursor.execute(sql)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    statements = {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0014_export_job"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
