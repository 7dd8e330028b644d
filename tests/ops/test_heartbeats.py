"""Process heartbeats: web processes on /healthz (throttled), workers and beat from a background thread; labels
are cleaned before they are stored."""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from reclamaciones.ops import runtime
from reclamaciones.ops.models import ProcessHeartbeat
from reclamaciones.ops.services import database_now, process_heartbeat_record

from ..celery_support import wait_until


@pytest.fixture(autouse=True)
def _no_throttle_memory():
    runtime._last_web_beat.clear()
    yield
    runtime._last_web_beat.clear()


@pytest.mark.django_db
def test_healthz_records_this_web_process_once_per_interval(client, settings):
    settings.RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS = 3600
    client.get("/healthz")
    [heartbeat] = ProcessHeartbeat.objects.all()
    assert (heartbeat.role, heartbeat.hostname, heartbeat.pid) == ("web", socket.gethostname(), os.getpid())

    heartbeat.delete()
    client.get("/healthz")  # probed again within the interval: no write
    assert not ProcessHeartbeat.objects.exists()

    settings.RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS = 0
    client.get("/healthz")
    assert ProcessHeartbeat.objects.filter(role="web").count() == 1


@pytest.mark.django_db
def test_the_version_comes_from_the_setting_when_given(client, settings):
    runtime.portal_version.cache_clear()
    settings.PORTAL_VERSION = "v2026.12.1"
    try:
        client.get("/healthz")
    finally:
        runtime.portal_version.cache_clear()

    assert ProcessHeartbeat.objects.get().version == "v2026.12.1"


@pytest.mark.django_db
def test_control_characters_are_removed_and_labels_bounded():
    now = timezone.now()
    heartbeat = process_heartbeat_record(
        role="worker", hostname="host\x00-\x1b[31m" + "x" * 400, pid=7, started_at=now, state="ok\x00", now=now
    )
    heartbeat.refresh_from_db()

    assert heartbeat.hostname.startswith("host-[31m")
    assert len(heartbeat.hostname) == 255
    assert heartbeat.state == "ok"


@pytest.mark.django_db
def test_one_row_per_host_pid_and_role_updated_in_place():
    now = timezone.now()
    for _ in range(3):
        process_heartbeat_record(role="worker", hostname="w1", pid=5, started_at=now, now=timezone.now())
    process_heartbeat_record(role="beat", hostname="w1", pid=5, started_at=now, now=now)

    assert sorted(ProcessHeartbeat.objects.values_list("role", flat=True)) == ["beat", "worker"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_beats_from_its_thread_and_leaves_the_list_on_a_clean_stop(settings):
    settings.RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS = 3600
    runtime.worker_started()
    try:
        assert wait_until(lambda: ProcessHeartbeat.objects.filter(role="worker", pid=os.getpid()).exists(), 10)
    finally:
        runtime.worker_stopping()

    assert not ProcessHeartbeat.objects.filter(role="worker").exists()


@pytest.mark.django_db
def test_a_heartbeat_is_stamped_with_the_databases_clock():
    behind = timezone.now() - timedelta(minutes=10)
    with mock.patch("django.utils.timezone.now", return_value=behind):
        heartbeat = process_heartbeat_record(role="worker", hostname="w1", pid=5, started_at=behind)
    heartbeat.refresh_from_db()

    assert heartbeat.last_seen_at - database_now() < timedelta(seconds=5)
