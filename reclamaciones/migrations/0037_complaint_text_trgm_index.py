"""The queue's search over what the consumer wrote (issue 13, capability 5), PostgreSQL only.

`complaint_text_trgm_idx`, a trigram GIN index on the consumer's detail and request together, through migration
0015's `reclamaciones_search_text` (lower case, no accents), so that a word of the detail ("cobro" finds "Cobró",
"nahui" finds "Ñahui") is index-served like the name search. Why trigrams and not a tsvector
(`to_tsvector('simple', reclamaciones_search_text(...))`): measured side by side on 1,000,000 of the benchmark's
detail texts, the bounded count the queue runs (LIMIT 1001) took 20 ms with trigrams and 108 ms with the tsvector
for a word in 1 hoja of 4 ("cobro"), 64 ms and 16 ms for two such words, under 1 ms both for a rare word; the
indexes 130 MB and 76 MB, built in 53 s and 51 s. Neither wins on speed; trigrams keep the name search's meaning
(a part of a word or of an order code: "PED-77", "cobr"), its function and its lookup. The whole queue with it:
docs/benchmarks.md, staff-queue, "search in the detail text". The expression is spelled as selectors.DetailText
renders it (`detail || ' ' || request`), so that the planner matches it. Not in the models' Meta, as 0015's:
bench/book.py rebuilds it after a bulk load from pg_indexes.

Built CONCURRENTLY (hence a non-atomic migration): a plain CREATE INDEX holds a lock that refuses every filing
while it reads the whole book, about a minute at 1,000,000 hojas, and the book must stay open. A build that was
interrupted leaves an invalid index behind, which IF NOT EXISTS would keep: it is dropped and built again.
SQLite: the selector registers the function on its connection and scans (development only).
"""

from django.db import migrations

NAME = "complaint_text_trgm_idx"

POSTGRES_FORWARD = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON reclamaciones_complaint "
    "USING gin (reclamaciones_search_text((detail || ' ') || request) {trgm}.gin_trgm_ops)"
)

POSTGRES_BACKWARD = f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}"


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [NAME],
        )
        leftover = cursor.fetchone()
        if leftover and leftover[0]:  # an interrupted CONCURRENTLY build
            cursor.execute(POSTGRES_BACKWARD)
        cursor.execute(
            "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
        (trgm,) = cursor.fetchone()
        cursor.execute(POSTGRES_FORWARD.replace("{trgm}", trgm))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("reclamaciones", "0036_agent_flow")]

    operations = [migrations.RunPython(forward, backward, elidable=False, atomic=False)]
