"""/gestion/estado/: supervisors, compliance, auditors and administrators see the live status with its reasons,
uptime per window (gaps as "sin datos"), incidents, processes (stale flagged) and the outbox backlog of their
establishments; agents and the council get the 403 page. Fixed number of queries; nothing a consumer typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.deadlines.services import deadlines_sweep
from reclamaciones.ops.services import health_sample_record, process_heartbeat_record
from reclamaciones.outbox.models import OutboundMessage

from ..factories import VALID_FILING, EstablishmentFactory, staff_user
from .test_sampler import OK, report

pytestmark = pytest.mark.django_db

URL = reverse("staff:status")


def _login(client, role, establishments=(), **fields):
    user = staff_user(f"u-{role or 'none'}", role, establishments=establishments, **fields)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.COMPLIANCE, Role.AUDITOR])
def test_the_readers_see_the_page_and_its_link(client, establishment, role):
    _login(client, role, [establishment])

    response = client.get(URL)

    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_administrator_sees_it(admin_client):
    assert admin_client.get(URL).status_code == 200


@pytest.mark.parametrize("role", [Role.AGENT, Role.COUNCIL])
def test_agents_and_the_council_get_the_403_page_and_no_link(client, establishment, role):
    _login(client, role, [establishment])

    response = client.get(URL)

    assert response.status_code == 403
    assert "el estado del portal" in response.content.decode()
    assert (
        f'href="{URL}"'
        not in client.get(reverse("staff:queue" if role == Role.AGENT else "council:dashboard")).content.decode()
    )


def test_anonymous_visitors_go_to_the_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))


def test_the_current_status_says_why(client, establishment):
    _login(client, Role.SUPERVISOR, [establishment])

    page = client.get(URL).content.decode()  # the tracker never ran: /healthz answers 503

    assert "Caído" in page
    assert "Seguimiento de plazos" in page
    assert "Nunca se ejecutó" in page
    assert "El historial no se está registrando" in page  # no sample yet


def test_uptime_counts_the_gap_as_without_data_and_lists_the_incidents(client, establishment):
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    now = timezone.now()
    start = now - timedelta(hours=24)
    # 24 h: ok for 10 h, down (database) for 2 h, nothing for 4 h (beat down), ok for the last 8 h.
    for minute in range(0, 10 * 60, 1):
        health_sample_record(report=OK, now=start + timedelta(minutes=minute))
    for minute in range(10 * 60, 12 * 60):
        health_sample_record(report=report("error", database="down"), now=start + timedelta(minutes=minute))
    for minute in range(16 * 60, 24 * 60):
        health_sample_record(report=OK, now=start + timedelta(minutes=minute, seconds=1))
    _login(client, Role.SUPERVISOR, [establishment])

    response = client.get(URL)
    page = response.content.decode()
    [last_day] = [w for w in response.context["windows"] if w["label"] == "Últimas 24 horas"]
    incidents = response.context["incidents"]

    # 18 h up of 24 = 75 %, the 2 h down = 8,33 %, the 4 h gap = 16,67 % (to the second of sampling).
    assert last_day["up"].startswith("75,0") or last_day["up"].startswith("74,9"), last_day
    assert last_day["error"].startswith("8,3"), last_day
    assert last_day["no_data"].startswith("16,6"), last_day
    assert [i["label"] for i in incidents[:2]] == ["Sin datos", "Caído"]
    # Samples are written by a worker into the database: their outages can only show as "sin datos".
    assert "Sin muestras: posible caída de la base de datos, de Redis o del beat" in page
    assert "posible caída de la base de datos, de Redis, del beat o de los workers" in page
    assert incidents[1]["checks"] == ["Base de datos"]
    assert incidents[1]["duration"].startswith("2 h")
    assert "El historial no se está registrando" not in page


def test_processes_are_listed_and_the_silent_ones_flagged(client, establishment, settings):
    settings.RECLAMACIONES_PROCESS_STALE_SECONDS = 180
    now = timezone.now()
    process_heartbeat_record(role="web", hostname="web-1", pid=11, started_at=now, version="abc123", now=now)
    process_heartbeat_record(
        role="worker", hostname="worker-2", pid=22, started_at=now, now=now - timedelta(minutes=10)
    )
    _login(client, Role.SUPERVISOR, [establishment])

    response = client.get(URL)
    rows = {row["heartbeat"].hostname: row["stale"] for row in response.context["processes"]}

    assert rows == {"web-1": False, "worker-2": True}
    assert "Sin señal" in response.content.decode()
    assert "abc123" in response.content.decode()


def test_a_hostile_hostname_is_escaped(client, establishment):
    now = timezone.now()
    process_heartbeat_record(
        role="worker", hostname='<script>alert("x")</script>\x00\x1b', pid=1, started_at=now, state="<b>x</b>", now=now
    )
    _login(client, Role.SUPERVISOR, [establishment])

    page = client.get(URL).content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_the_backlog_counts_only_the_readers_establishments_and_shows_no_consumer_data(
    client, establishment, file_complaint
):
    other = EstablishmentFactory()
    file_complaint()
    file_complaint(establishment=other)
    file_complaint(establishment=other)
    OutboundMessage.objects.filter(complaint__establishment=other).update(status=OutboundMessage.Status.FAILED)
    _login(client, Role.SUPERVISOR, [establishment])

    response = client.get(URL)
    page = response.content.decode()

    assert response.context["backlog"]["pending"] == 1
    assert response.context["backlog"]["failed"] == 0
    assert "(de tus establecimientos)" in page
    for personal in (VALID_FILING["consumer_name"], VALID_FILING["consumer_email"], VALID_FILING["doc_number"]):
        assert personal not in page


def test_an_administrator_sees_the_whole_backlog(admin_client, establishment, file_complaint):
    file_complaint()
    file_complaint(establishment=EstablishmentFactory())

    response = admin_client.get(URL)

    assert response.context["backlog"]["pending"] == 2
    assert "(de tus establecimientos)" not in response.content.decode()


# session, user, roles, profile, establishments, clock, 4 live checks, runs, processes, backlog, and the webhook
# deliveries given up (webhooks.selectors.webhook_failed_count, issue 14 §4)
STATUS_QUERIES = 14


def test_the_page_runs_a_fixed_number_of_queries(client, establishment, django_assert_num_queries):
    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    _login(client, Role.SUPERVISOR, [establishment])
    client.get(URL)  # warm the session

    with django_assert_num_queries(STATUS_QUERIES):
        client.get(URL)

    now = timezone.now()
    for n in range(30):  # more history and processes: the same queries
        health_sample_record(report=report("error", database="down") if n % 2 else OK, now=now + timedelta(minutes=n))
        process_heartbeat_record(role="web", hostname=f"web-{n}", pid=n, started_at=now, now=now)
    with django_assert_num_queries(STATUS_QUERIES):
        client.get(URL)
