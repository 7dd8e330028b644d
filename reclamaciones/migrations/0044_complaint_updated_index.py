"""The API's change feed (GET /api/v1/hojas/, issue 14 §3): `complaint_updated_idx (updated_at, id)`, read as a
range from a cursor position in (updated_at, id) order, so that a page is one index range scan that stops after
`limit + 1` rows at any size of the book (docs/api.md, "At scale"). Raw SQL, as 0037's, so that book/models.py
(Complaint's Meta) stays untouched by the API: Django's state does not know it and makemigrations never proposes to
drop it; bench/book.py rebuilds it after a bulk load from pg_indexes.

Built CONCURRENTLY (hence a non-atomic migration, and not in 0040's transaction): a plain CREATE INDEX holds a lock
that refuses every filing while it reads the whole book, about a minute at 1,000,000 hojas, and the book must stay
open. A build that was interrupted leaves an invalid index behind, which IF NOT EXISTS would keep: it is dropped and
built again. SQLite: the feed scans and sorts (development only).
"""

from django.db import migrations

NAME = "complaint_updated_idx"

POSTGRES_FORWARD = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON reclamaciones_complaint (updated_at, id)"

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
        cursor.execute(POSTGRES_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("reclamaciones", "0043_health_history")]

    operations = [migrations.RunPython(forward, backward, elidable=False, atomic=False)]
