"""The agent's flow (issue 13, capability 5): saved personal queue views, and the queue's search over what the
consumer wrote.

`SavedQueueView`: a user's named queue filters (unique per user, case-insensitive).

PostgreSQL only: `complaint_text_trgm_idx`, a trigram GIN index on the consumer's detail and request together,
through migration 0015's `reclamaciones_search_text` (lower case, no accents), so that a word of the detail
("cobro" finds "Cobró", "nahui" finds "Ñahui") is index-served like the name search. Why trigrams and not a
tsvector (`to_tsvector('simple', reclamaciones_search_text(...))`): measured side by side on 1,000,000 of the
benchmark's detail texts (issue 13), the bounded count the queue runs (LIMIT 1001) took 20 ms with trigrams and
108 ms with the tsvector for a word in 1 hoja of 4 ("cobro"), 64 ms and 16 ms for two such words, under 1 ms
both for a rare word; the indexes 130 MB and 76 MB, built in 53 s and 51 s. Neither wins on speed; trigrams keep
the name search's meaning (a part of a word or of an order code: "PED-77", "cobr"), its function and its
lookup. The whole queue with it: docs/benchmarks.md, staff-queue, "search in the detail text". The expression
is spelled as selectors.DetailText renders it (`detail || ' ' || request`), so that the planner matches it. Not
in the models' Meta, as 0015's: bench/book.py rebuilds it after a bulk load from pg_indexes. A plain CREATE
INDEX, as 0015 (CONCURRENTLY cannot run in a migration's transaction; on a big live book build it by hand with
CONCURRENTLY first: IF NOT EXISTS then skips it).
SQLite: the selector registers the function on its connection and scans (development only).
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

POSTGRES_FORWARD = (
    "CREATE INDEX IF NOT EXISTS complaint_text_trgm_idx ON reclamaciones_complaint "
    "USING gin (reclamaciones_search_text((detail || ' ') || request) {trgm}.gin_trgm_ops)"
)

POSTGRES_BACKWARD = "DROP INDEX IF EXISTS complaint_text_trgm_idx"


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
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
    dependencies = [
        ("reclamaciones", "0035_approvals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedQueueView",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "created_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="creado"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="actualizado")),
                ("name", models.CharField(max_length=60, verbose_name="nombre")),
                ("query", models.CharField(blank=True, max_length=500, verbose_name="filtros")),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_queue_views",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="dueño",
                    ),
                ),
            ],
            options={
                "verbose_name": "vista guardada de la bandeja",
                "verbose_name_plural": "vistas guardadas de la bandeja",
                "ordering": ["owner", "name", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("owner"),
                        django.db.models.functions.text.Lower("name"),
                        name="saved_queue_view_owner_name_uniq",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
