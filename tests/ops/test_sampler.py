"""The /healthz history: the minute sampler computes the same checks as /healthz (one function) and stores runs
of equal samples; a late sample starts a new run (the hole is "sin datos"); old history is pruned."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from reclamaciones import health
from reclamaciones.access import Scope
from reclamaciones.deadlines.services import deadlines_sweep
from reclamaciones.ops import tasks
from reclamaciones.ops.models import HealthSpan, ProcessHeartbeat
from reclamaciones.ops.services import (
    failing_checks,
    health_history_prune,
    health_sample_record,
    process_heartbeat_record,
)
from reclamaciones.outbox.models import OutboundMessage

pytestmark = pytest.mark.django_db

OK = {
    "status": "ok",
    "database": {"status": "ok"},
    "broker": {"status": "ok"},
    "tracker": {"status": "ok"},
    "outbox": {"status": "ok", "failed": 0},
    "integrity": {"status": "never_ran", "broken": 0},
}


def report(status: str, **checks) -> dict:
    return {**OK, "status": status, **{name: {"status": value} for name, value in checks.items()}}


def test_the_sampler_and_healthz_answer_from_the_same_checks(client):
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    with mock.patch.object(health, "_broker", return_value={"status": "down", "error": "ConnectionError"}):
        live = client.get("/healthz")
        tasks.health_sample()

    assert live.status_code == 503
    [span] = HealthSpan.objects.all()
    assert (span.status, span.failing) == ("error", ["broker"]) == (live.json()["status"], ["broker"])
    assert span.detail["broker"] == "down:ConnectionError"


def test_a_fresh_install_is_down_until_the_tracker_runs_then_ok():
    tasks.health_sample()  # the tracker never ran: /healthz says 503
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    tasks.health_sample()

    assert list(HealthSpan.objects.values_list("status", "failing")) == [("error", ["tracker"]), ("ok", [])]


def test_a_given_up_e_mail_makes_the_sample_degraded(file_complaint):
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    file_complaint()
    OutboundMessage.objects.update(status=OutboundMessage.Status.FAILED)

    tasks.health_sample()

    assert list(HealthSpan.objects.values_list("status", "failing")) == [("degraded", ["outbox"])]


def test_samples_in_the_same_state_extend_one_run():
    now = timezone.now()
    for minute in range(5):
        health_sample_record(report=OK, now=now + timedelta(minutes=minute))

    [span] = HealthSpan.objects.all()
    assert span.samples == 5
    assert (span.started_at, span.last_sample_at) == (now, now + timedelta(minutes=4))


def test_a_change_of_state_or_of_failing_check_starts_a_new_run():
    now = timezone.now()
    health_sample_record(report=OK, now=now)
    health_sample_record(report=report("error", database="down"), now=now + timedelta(minutes=1))
    health_sample_record(report=report("error", broker="down"), now=now + timedelta(minutes=2))
    health_sample_record(report=OK, now=now + timedelta(minutes=3))

    assert list(HealthSpan.objects.values_list("status", "failing")) == [
        ("ok", []),
        ("error", ["database"]),
        ("error", ["broker"]),
        ("ok", []),
    ]


def test_a_sample_after_a_gap_starts_a_new_run_so_the_gap_stays_without_data(settings):
    now = timezone.now()
    health_sample_record(report=OK, now=now)
    # beat was down for ten minutes: the next sample is far beyond a sample's coverage (1.5 intervals)
    health_sample_record(report=OK, now=now + timedelta(minutes=10))
    health_sample_record(report=OK, now=now + timedelta(minutes=11, seconds=29))  # 89 s later: still continuous

    assert list(HealthSpan.objects.values_list("samples", flat=True)) == [1, 2]


def test_a_sample_older_than_the_last_one_is_dropped():
    now = timezone.now()
    health_sample_record(report=OK, now=now)

    assert health_sample_record(report=report("error", database="down"), now=now - timedelta(seconds=5)) is None
    assert HealthSpan.objects.get().samples == 1


def test_a_host_whose_clock_is_behind_does_not_have_its_samples_dropped():
    # Two workers on two hosts: the second host's clock is five minutes behind. The database's clock stamps both.
    first = health_sample_record(report=OK)
    behind = timezone.now() - timedelta(minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=behind):
        second = health_sample_record(report=OK)

    assert second is not None
    assert HealthSpan.objects.get().samples == 2
    assert second.last_sample_at > first.started_at


def test_failing_checks_skip_what_is_unknown_and_a_never_ran_integrity_check():
    database_down = {
        "status": "error",
        "database": {"status": "down"},
        "broker": {"status": "ok"},
        "tracker": {"status": "unknown"},
    }

    assert failing_checks(database_down) == ["database"]
    assert failing_checks(OK) == []
    assert failing_checks(report("error", tracker="never_ran")) == ["tracker"]
    assert failing_checks(report("degraded", integrity="stale")) == ["integrity"]


def test_pruning_forgets_runs_and_processes_older_than_the_retention(settings):
    settings.RECLAMACIONES_HEALTH_RETENTION_DAYS = 90
    now = timezone.now()
    old, recent = now - timedelta(days=91), now - timedelta(days=89)
    health_sample_record(report=OK, now=old)
    health_sample_record(report=report("error", database="down"), now=recent)
    for pid, seen in ((1, old), (2, recent)):
        process_heartbeat_record(role="worker", hostname="app-1", pid=pid, started_at=old, now=seen)

    assert health_history_prune(now=now) == {"spans": 1, "processes": 1}
    assert list(HealthSpan.objects.values_list("last_sample_at", flat=True)) == [recent]
    assert list(ProcessHeartbeat.objects.values_list("pid", flat=True)) == [2]


def test_the_sampling_task_prunes_too(settings):
    health_sample_record(report=OK, now=timezone.now() - timedelta(days=400))

    result = tasks.health_sample()

    assert result["pruned"]["spans"] == 1
    assert HealthSpan.objects.count() == 1
