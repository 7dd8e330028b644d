"""/healthz/ready, the load balancer's probe: 200 while this process can file (database reachable and migrated),
whatever Redis, beat or the tracker do, so one shared outage never takes every backend out of rotation; /healthz
stays the full report for monitors."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.migrations.executor import MigrationExecutor

from reclamaciones import health
from reclamaciones.ops import runtime
from reclamaciones.ops.models import ProcessHeartbeat

pytestmark = pytest.mark.django_db

READY = "/healthz/ready"
BROKER_DOWN = {"status": "down", "error": "ConnectionError"}


@pytest.fixture(autouse=True)
def _fresh_memos(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    runtime._last_web_beat.clear()
    yield
    runtime._last_web_beat.clear()


def test_ready_while_redis_is_down_and_the_tracker_never_ran_although_healthz_is_503(client):
    with mock.patch.object(health, "_broker", return_value=BROKER_DOWN):
        ready = client.get(READY)
        full = client.get("/healthz")

    assert (ready.status_code, ready.json()["ready"]) == (200, True)
    assert full.status_code == 503
    assert full.json()["broker"]["status"] == "down"
    assert full.json()["tracker"]["status"] == "never_ran"


def test_not_ready_when_the_database_is_down(client):
    with mock.patch.object(health, "_database", return_value={"status": "down", "error": "OperationalError"}):
        response = client.get(READY)

    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": {"status": "down", "error": "OperationalError"}}


def test_not_ready_until_the_migrations_of_this_code_are_applied(client):
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=[("a migration", False)]):
        pending = client.get(READY)
    migrated = client.get(READY)

    assert (pending.status_code, pending.json()["migrations"]) == (503, "pending")
    assert (migrated.status_code, migrated.json()["migrations"]) == (200, "ok")


def test_the_migrations_are_read_once_then_remembered(client, settings, django_assert_num_queries):
    settings.RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS = 3600  # the first call's heartbeat is the only one
    client.get(READY)

    with django_assert_num_queries(1):  # SELECT 1: probes every few seconds stay cheap
        assert client.get(READY).status_code == 200


def test_the_probe_is_the_web_process_heartbeat(client):
    client.get(READY)

    assert ProcessHeartbeat.objects.filter(role=ProcessHeartbeat.Role.WEB).count() == 1


def test_the_probe_is_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(READY).status_code == 200
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/").status_code == 301
