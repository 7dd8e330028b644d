"""The change feed's index is built CONCURRENTLY (migration 0044, as 0037): a plain CREATE INDEX inside 0040's
transaction would refuse every filing while it reads the whole book (about a minute at 1,000,000 hojas)."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from ..factories import hoja_filed

INDEX = "complaint_updated_idx"
MIGRATION = import_module("reclamaciones.migrations.0044_complaint_updated_index")


def _index() -> tuple[bool, str] | None:
    """(valid, definition) of the index, or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [INDEX],
        )
        return cursor.fetchone()


def test_only_the_non_atomic_migration_builds_the_index():
    migrations = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    api = migrations[("reclamaciones", "0040_api")]

    assert not [op for op in api.operations if INDEX in str(getattr(op, "sql", ""))]
    assert MIGRATION.Migration.atomic is False
    assert MIGRATION.POSTGRES_FORWARD.startswith(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ")
    assert MIGRATION.POSTGRES_BACKWARD.startswith(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # CONCURRENTLY runs outside a transaction
def test_the_index_is_dropped_and_rebuilt_concurrently_also_after_an_interrupted_build(shop):
    editor = SimpleNamespace(connection=connection)
    hoja_filed(shop), hoja_filed(shop)
    assert _index()[0] is True  # built by the test database's migrations
    try:
        MIGRATION.backward(None, editor)
        assert _index() is None

        with pytest.raises(Exception), connection.cursor() as cursor:  # noqa: B017, PT011 (any failure will do)
            # Two hojas cannot share a unique constant: the build fails and leaves an invalid index behind.
            cursor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {INDEX} ON reclamaciones_complaint ((1))")
        assert _index()[0] is False

        MIGRATION.forward(None, editor)
        MIGRATION.forward(None, editor)  # idempotent
    finally:
        if _index() is None:
            MIGRATION.forward(None, editor)
    valid, definition = _index()
    assert valid is True
    assert definition.endswith("USING btree (updated_at, id)")
    assert "UNIQUE" not in definition
