"""The council dashboard: access, KPIs, charts with their tables, Pareto, repeat complainants, scope."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.models import RollupState
from reclamaciones.council.rollup import rollup_rebuild, rollup_refresh
from reclamaciones.council.selectors import cause_pareto
from reclamaciones.council.views import masked_document, short_name
from reclamaciones.handling.selectors import consumer_search_token

from ..factories import EstablishmentFactory, cause_get, staff_user
from .pages_support import FILED, PERIOD, _action, _answer, _chart_data, _file, _section, _survey

pytestmark = pytest.mark.django_db


def test_pareto_orders_causes_with_share_and_cumulative_share(book, establishment):
    council = staff_user("consejo", Role.COUNCIL, establishments=[establishment])
    rollup_rebuild(now=timezone.now())

    pareto = cause_pareto(scope=Scope.of(council), start=date(2026, 10, 1), end=date(2026, 10, 31))

    assert (pareto["total"], pareto["unclassified"]) == (7, 1)
    assert [(r["code"], r["count"]) for r in pareto["rows"]] == [("TST-01", 3), ("TST-02", 2), ("TST-03", 1)]
    assert [round(r["share"], 1) for r in pareto["rows"]] == [42.9, 28.6, 14.3]
    assert [round(r["cumulative"], 1) for r in pareto["rows"]] == [42.9, 71.4, 85.7]
    assert pareto["rows"][0]["category"] == "Categoría de prueba"


def test_pareto_is_scoped_to_the_users_establishments(book, establishment, file_complaint):
    other = EstablishmentFactory()
    _file(file_complaint, cause_get("TST-09"), establishment=other)
    here = staff_user("sup", Role.SUPERVISOR, establishments=[establishment])
    rollup_rebuild(now=timezone.now())

    codes = [
        r["code"] for r in cause_pareto(scope=Scope.of(here), start=date(2026, 10, 1), end=date(2026, 10, 31))["rows"]
    ]
    everywhere = staff_user("aud", Role.AUDITOR, all_establishments=True)
    all_codes = [
        r["code"]
        for r in cause_pareto(scope=Scope.of(everywhere), start=date(2026, 10, 1), end=date(2026, 10, 31))["rows"]
    ]

    assert "TST-09" not in codes
    assert "TST-09" in all_codes
    only_other = cause_pareto(
        scope=Scope.of(everywhere), start=date(2026, 10, 1), end=date(2026, 10, 31), establishment_id=other.pk
    )
    assert [(r["code"], r["count"]) for r in only_other["rows"]] == [("TST-09", 1)]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param(Role.COUNCIL, 200, id="council"),
        pytest.param(Role.SUPERVISOR, 200, id="supervisor"),
        pytest.param(Role.AUDITOR, 200, id="auditor"),
        pytest.param(Role.AGENT, 403, id="agent"),
    ],
)
def test_dashboard_access_by_role(client, book, establishment, role, status):
    client.force_login(staff_user("quien", role, establishments=[establishment]))

    response = client.get(reverse("council:dashboard"), PERIOD)

    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "Principales causas (Pareto)" in html
        assert "Causa TST-01" in html
        assert "7 hojas, 1 aún sin causa" in html
        assert "71.4" in html  # the cumulative share of the second cause (es-PE writes a decimal point)


def test_dashboard_needs_login_and_rejects_a_backwards_period(client, establishment):
    assert client.get(reverse("council:dashboard")).status_code == 302
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))
    response = client.get(reverse("council:dashboard"), {"desde": "2026-10-31", "hasta": "2026-10-01"})
    assert response.status_code == 400
    assert "La fecha final no puede ser anterior a la inicial." in response.content.decode()


# The dashboard -----------------------------------------------------------------------------------------------


def test_dashboard_kpis_show_the_periods_figures(client, answered_book, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()

    kpis = _section(html, "kpi-title")
    assert "Hojas recibidas 7 1 aún sin causa" in kpis
    # Issue 13 changed the definition: only answers count (2, both on time); the 5 of the period still open past
    # their due date, and the one filed on 30 September that fell due in October, are reported apart as
    # "vencidas sin respuesta" (they used to count as 5 late answers: "29 % 2 a tiempo · 5 fuera de plazo").
    assert "Respondidas a tiempo 100 % 2 a tiempo · 0 fuera de plazo Aparte: 6 vencidas sin respuesta" in kpis
    assert "Mediana para responder 1.5 días hábiles de 2 respondidas" in kpis
    assert "Vencidas hoy 6" in kpis  # the 5 of the period and the one filed on 30 September
    assert "Satisfacción (CSAT) 3.5 de 5 2 encuestas · 50 % satisfechos" in kpis
    assert "Recomendación (NPS) 0 1 promotor · 1 detractor" in kpis
    assert f'href="{reverse("staff:queue")}?vencidas=on"' in html
    assert "Cifras al " in html  # how current the rollup they come from is


def test_dashboard_kpis_have_warm_empty_states(client, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()

    kpis = _section(html, "kpi-title")
    assert "Hojas recibidas 0" in kpis
    assert "No se comunicaron respuestas en este periodo" in kpis
    assert "vencida" not in kpis.split("Mediana")[0]  # no silences to report apart
    assert "Nadie respondió la encuesta en este periodo" in kpis
    assert "No hay hojas clasificadas en este periodo." in html
    assert "Aún no hay causas registradas en este periodo" in html
    assert "Ningún establecimiento recibió hojas en este periodo." in html
    assert "Nadie volvió a presentar una hoja en estos 90 días." in html
    assert "Todavía no hay encuestas respondidas en este periodo." in html
    assert "Ninguna causa se está disparando" in html
    assert "<canvas" not in html  # no empty charts


def test_dashboard_charts_come_with_their_tables_and_local_scripts(client, answered_book, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()

    data = _chart_data(html)
    assert data["pareto"] == {
        "codes": ["TST-01", "TST-02", "TST-03"],
        "names": ["Causa TST-01", "Causa TST-02", "Causa TST-03"],
        "counts": [3, 2, 1],
        "cumulative": [42.9, 71.4, 85.7],
    }
    assert [s["code"] for s in data["trend"]["series"]] == ["TST-01", "TST-02", "TST-03"]
    assert data["establishments"]["counts"] == [7]
    assert (data["surveys"]["csat"], data["surveys"]["nps"]) == ([5.0, 2.0], [100, -100])
    # Every chart: an aria-hidden canvas, and a table with a caption in the HTML whatever the JavaScript does.
    for chart in ("pareto", "trend", "establishments", "csat", "nps"):
        assert re.search(rf'data-chart="{chart}"[^>]*hidden><canvas aria-hidden="true">', html), chart
    assert html.count("<caption") == 5  # pareto, trend, establishments, repeat complainants, surveys
    assert html.count('<details class="chart-table" open>') == 4
    # Chart.js and our script come from /static/, never from a CDN, and no inline script runs.
    scripts = re.findall(r"<script[^>]*>", html)
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js">' in scripts
    assert '<script src="/static/js/council-charts.js">' in scripts
    assert not re.search(r"cdn|jsdelivr|unpkg|cdnjs", html, re.I)
    assert not any("//" in tag for tag in scripts)


def test_dashboard_pareto_trend_and_establishment_tables(client, answered_book, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()

    pareto = _section(html, "pareto-title")
    assert "TST-01 Causa TST-01 Categoría de prueba 3 42.9 42.9" in pareto
    assert "TST-02 Causa TST-02 Categoría de prueba 2 28.6 71.4" in pareto
    trend = _section(html, "trend-title")
    assert "las 12 semanas hasta la del 31/10/2026" in trend
    assert "05/10/2026 3 2 1" in trend  # the week of 5 October, top causes in Pareto order
    assert "28/09/2026 1 0 0" in trend  # 30 September is outside the period but inside the 12 weeks
    places = _section(html, "establishments-title")
    assert f"{establishment.name} 7 7 0 5" in places  # hojas, reclamos, quejas, still open


def test_dashboard_repeat_complainants_are_masked_and_link_to_the_queue(client, book, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()

    repeat = _section(html, "repeat-title")
    assert "entre el 03/08/2026 y el 31/10/2026 (90 días)" in repeat
    assert "1 consumidor con 8 hojas: el 100.0 % de las 8 del periodo." in repeat
    assert "DNI ••••5689 : ver sus hojas en la bandeja María N. 8 1 3 05/10/2026" in repeat
    assert "45805689" not in html  # neither shown nor in the link to the queue (URLs end up in logs, Referers)
    assert "Núñez" not in html
    link = re.search(r'href="(/gestion/\?q=consumidor%3A[A-Za-z0-9_-]+)"', html).group(1)

    # The link opens that consumer's hojas in the queue, and only theirs; the document is in no URL.
    rows = client.get(link).context["rows"]
    assert len(rows) == 8
    assert {row.complaint.doc_number for row in rows} == {"45805689"}


def test_repeat_complainant_link_is_no_document_and_expires(client, book, establishment):
    client.force_login(staff_user("agente", Role.AGENT, establishments=[establishment]))
    search = consumer_search_token(doc_type="dni", doc_number="45805689")
    assert "45805689" not in search
    assert "5689" not in search
    assert len(client.get(reverse("staff:queue"), {"q": search}).context["rows"]) == 8
    # An unknown (or expired) token finds nothing, rather than falling back to a name search.
    assert client.get(reverse("staff:queue"), {"q": "consumidor:" + "x" * 24}).context["rows"] == []


def test_masking_helpers():
    assert masked_document("dni", "45805689") == "DNI ••••5689"
    assert masked_document("ce", "001234567") == "Carné de extranjería ••••4567"
    assert short_name("María Núñez Ñahui") == "María N."
    assert short_name("Cher") == "Cher"


def test_dashboard_surveys_by_cause(client, answered_book, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()

    surveys = _section(html, "surveys-title")
    assert "TST-01 Causa TST-01 1 5.0 100 100 100" in surveys
    assert "TST-02 Causa TST-02 1 2.0 0 0 -100" in surveys
    assert "Total 2 3.5 50 50 0" in surveys


def test_dashboard_flags_recurring_causes_with_the_rule_in_plain_words(client, establishment, file_complaint):
    now = timezone.localtime()
    rising, brand_new = cause_get("TST-20"), cause_get("TST-21")
    owner = User.objects.create_user("lucia", first_name="Lucía", last_name="Quispe")
    rising.owner = owner
    rising.save()
    for _ in range(6):  # last 4 weeks: 6 hojas (1.5 a week) vs 4 in the 12 weeks before (0.33 a week)
        _file(file_complaint, rising, filed_at=now - timedelta(days=3))
        _file(file_complaint, brand_new, filed_at=now - timedelta(days=2))
    for _ in range(4):
        _file(file_complaint, rising, filed_at=now - timedelta(weeks=8))
    _file(file_complaint, cause_get("TST-22"), filed_at=now - timedelta(days=1))  # 1 hoja: below the minimum
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard")).content.decode()

    flags = _section(html, "flags-title")
    assert (
        "sus hojas por semana de las últimas 4 semanas superan ×1.5 las de las 12 semanas anteriores, "
        "y suman al menos 5 hojas" in flags
    )
    assert "TST-21 Causa TST-21 nueva 6 hojas en las últimas 4 semanas: 1.50 por semana, antes 0 por semana" in flags
    assert "(no hubo ninguna en las 12 semanas anteriores)" in flags
    assert "Responsable de la causa: sin asignar" in flags
    assert "TST-20 Causa TST-20 ×4.5 6 hojas en las últimas 4 semanas: 1.50 por semana, antes 0.33 por semana" in flags
    assert "Responsable de la causa: Lucía Quispe" in flags
    assert "TST-22" not in flags


def test_dashboard_summarises_action_items(client, establishment, actions):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard")).content.decode()

    summary = _section(html, "actions-title")
    due = (timezone.localdate() - timedelta(days=3)).strftime("%d/%m/%Y")
    assert f"Vencidas sin implementar 1 Capacitar al equipo de caja Pedro Huamán · venció el {due}" in summary
    assert "Listas para verificar 1 Nuevo proceso de devoluciones" in summary
    assert "Veredictos del periodo 1 Confirmar entregas por SMS Efectiva 1.25 hojas por semana; meta: 2.80 o menos" in (
        summary
    )
    assert "Cartel de horarios" not in summary
    assert "Revisar el stock publicado" not in summary
    assert f'href="{reverse("council:actions")}"' in html
    assert f'href="{reverse("council:meetings")}"' in html


def test_dashboard_tabs_mark_the_current_page(client, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:dashboard")).content.decode()

    assert f'class="nav-link active" aria-current="page" href="{reverse("council:dashboard")}">Panel</a>' in html
    assert f'class="nav-link" href="{reverse("council:actions")}">Acciones</a>' in html
    assert f'class="nav-link" href="{reverse("council:meetings")}">Reuniones</a>' in html


def test_dashboard_is_scoped_to_the_users_establishments(client, book, establishment, file_complaint):
    other = EstablishmentFactory(name="Tienda Miraflores")
    _file(file_complaint, cause_get("TST-09"), establishment=other, doc_number="10203040")
    _file(file_complaint, cause_get("TST-09"), establishment=other, doc_number="10203040")
    client.force_login(staff_user("sup", Role.SUPERVISOR, establishments=[establishment]))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()

    assert "Tienda Miraflores" not in html  # neither in the selector, nor in the per-establishment table
    assert "TST-09" not in html
    assert "••••3040" not in html
    assert _chart_data(html)["establishments"]["names"] == [establishment.name]
    response = client.get(reverse("council:dashboard"), {**PERIOD, "establecimiento": other.pk})
    assert response.status_code == 400  # not one of the choices
    assert "Tienda Miraflores" not in response.content.decode()


def test_dashboard_filters_by_establishment(client, book, establishment, file_complaint):
    other = EstablishmentFactory(name="Tienda Miraflores")
    _file(file_complaint, cause_get("TST-09"), establishment=other)
    client.force_login(staff_user("aud", Role.AUDITOR, all_establishments=True))

    everywhere = _chart_data(client.get(reverse("council:dashboard"), PERIOD).content.decode())
    only_other = _chart_data(
        client.get(reverse("council:dashboard"), {**PERIOD, "establecimiento": other.pk}).content.decode()
    )

    assert sorted(everywhere["establishments"]["names"]) == sorted([establishment.name, "Tienda Miraflores"])
    assert only_other["establishments"] == {"names": ["Tienda Miraflores"], "counts": [1], "open": [1]}
    assert only_other["pareto"]["codes"] == ["TST-09"]


# Session, user; roles; scope (profile, establishment ids) and the form's establishments; Pareto; trend: its causes
# and the weekly counts; per establishment; repeat complainants: rows, totals, total; answers: aggregate, calendar,
# median pairs, overdue now; surveys: per cause and overall; flags; actions: overdue, due for verification and
# verdicts, each with the prefetch of its causes; the tracker heartbeat (portal context processor). Never per hoja
# nor per action.
# 13 bring the rollup current (state, lock, days changed, 3 DELETE + INSERT, save), 31 read the page's figures
DASHBOARD_QUERIES = 44


def test_dashboard_runs_a_fixed_number_of_queries(client, establishment, file_complaint, actions):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))
    staff = staff_user("rosa", Role.AGENT, establishments=[establishment])

    def grow(n: int) -> None:
        for i in range(n):
            complaint = _file(file_complaint, cause_get(f"TST-{i % 12:02d}"), doc_number=f"4000{i % 3:04d}")
            if i % 2:
                _answer(complaint, FILED + timedelta(days=2), staff)
                _survey(complaint, csat=1 + i % 5, nps=i % 11, solved=bool(i % 3))

    grow(4)
    rollup_refresh(now=timezone.now())  # the first refresh rebuilds; the pages below refresh what changed
    with CaptureQueriesContext(connection) as few:  # the default period (last 90 days) holds a verdict too
        assert client.get(reverse("council:dashboard")).status_code == 200
    grow(40)
    for n in range(5):
        _action(f"Otra acción vencida {n}", actions["overdue"].owner, cause_get("TST-03"), due_date=date(2026, 1, 1))
    # a minute later: the page brings in what changed (the few-minute-old rollup is otherwise read as it is)
    RollupState.objects.update(refreshed_at=timezone.now() - timedelta(minutes=2))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("council:dashboard")).status_code == 200

    # bounded, not growing with the data (labels are looked up once there is something to label)
    assert len(few) <= len(many) == DASHBOARD_QUERIES
