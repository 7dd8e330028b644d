"""The tracker's heartbeat: /healthz and the admin's stale warning."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.deadlines.models import TrackerHeartbeat
from reclamaciones.deadlines.services import SWEEP, deadlines_sweep, tracker_status

from .tracking_support import STALE_WARNING, at

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# Heartbeat: /healthz and the admin warning
# ----------------------------------------------------------------------------------------------------


def test_healthz_before_any_sweep_is_503_never_ran(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    payload = response.json()
    assert payload["tracker"]["status"] == "never_ran"
    assert payload["database"]["status"] == "ok"
    assert payload["broker"]["status"] == "ok"


def test_healthz_after_a_sweep_is_200(client) -> None:
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())

    response = client.get("/healthz")

    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "ok"
    assert payload["database"]["status"] == "ok"
    assert payload["broker"]["status"] == "ok"  # eager mode in tests
    assert payload["tracker"]["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_stale_after_three_intervals(client, settings) -> None:
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    three = timedelta(seconds=3 * settings.RECLAMACIONES_SWEEP_INTERVAL_SECONDS)
    TrackerHeartbeat.objects.filter(name=SWEEP).update(last_run_at=timezone.now() - three - timedelta(minutes=5))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["tracker"]["status"] == "stale"


@pytest.mark.parametrize(
    ("age", "status"),
    [
        pytest.param(timedelta(0), "ok", id="just-ran"),
        pytest.param(timedelta(minutes=45), "ok", id="exactly-3-intervals"),
        pytest.param(timedelta(minutes=45, seconds=1), "stale", id="just-over-3-intervals"),
        pytest.param(timedelta(days=1), "stale", id="a-day"),
    ],
)
def test_tracker_status_by_age(age: timedelta, status: str) -> None:
    ran = at(date(2026, 10, 28), 9, 0)
    deadlines_sweep(now=ran, scope=Scope.everything())

    result = tracker_status(now=ran + age)

    assert result["status"] == status
    assert result["stale"] is (status == "stale")
    assert result["last_run_at"] == ran


def test_admin_shows_the_stale_warning(admin_client, settings) -> None:
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    TrackerHeartbeat.objects.filter(name=SWEEP).update(last_run_at=timezone.now() - timedelta(hours=2))

    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert response.context["tracker_stale"] is True
    assert STALE_WARNING in response.content.decode()


def test_admin_shows_the_warning_when_the_tracker_never_ran(admin_client) -> None:
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert STALE_WARNING in response.content.decode()


def test_admin_has_no_warning_when_the_tracker_is_fresh(admin_client) -> None:
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())

    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert response.context["tracker_stale"] is False
    assert STALE_WARNING not in response.content.decode()
