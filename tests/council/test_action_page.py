"""One action's page (/consejo/acciones/<pk>/): who reads and who writes it, the status moves, the 5 whys and the
steps, the history in words, the run chart's figures and the two warnings (tiny baseline, same cause)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint
from reclamaciones.council import rules
from reclamaciones.council.models import ActionItem, ActionItemEvent, ActionStatus, ActionStep
from reclamaciones.council.services import (
    MSG_VERDICT_BY_DATA,
    CouncilError,
    action_create,
    action_root_cause_set,
    action_status_set,
)

from ..factories import EstablishmentFactory, cause_get, staff_user
from .pages_support import _action

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _chart(html: str) -> dict:
    match = re.search(r'<script id="action-chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the run chart's data is passed with json_script"
    return json.loads(match.group(1))


def _filed(file_complaint, day: date, cause, **overrides) -> Complaint:
    complaint = file_complaint(filed_at=datetime.combine(day, time(10), tzinfo=LIMA), **overrides)
    Complaint.objects.filter(pk=complaint.pk).update(cause=cause)  # staff-side field
    return complaint


@pytest.fixture
def people(establishment):
    other = EstablishmentFactory(name="Tienda Arequipa")
    return {
        "council": staff_user("consejo", Role.COUNCIL, all_establishments=True, first_name="Julia"),
        "owner": staff_user("duena", Role.SUPERVISOR, establishments=[establishment], first_name="Rosa"),
        "supervisor": staff_user("otro_sup", Role.SUPERVISOR, establishments=[establishment]),
        "auditor": staff_user("auditora", Role.AUDITOR, establishments=[establishment]),
        "compliance": staff_user("cumple", Role.COMPLIANCE, establishments=[establishment]),
        "agent": staff_user("agente", Role.AGENT, establishments=[establishment]),
        "elsewhere": staff_user("sup_arequipa", Role.SUPERVISOR, establishments=[other]),
        "admin": User.objects.create_superuser("admin", "admin@andina.example.pe", "x"),
        "other_establishment": other,
    }


@pytest.fixture
def action(people, establishment):
    return action_create(
        title="Capacitar al equipo de caja",
        owner=people["owner"],
        due_date=timezone.localdate() + timedelta(days=20),
        causes=[cause_get("RUN-01")],
        establishment=establishment,
        created_by=people["council"],
    )


def _url(action: ActionItem) -> str:
    return reverse("council:action", args=[action.pk])


def _progress(client, action, **data):
    return client.post(_url(action), {"form": "progress", "status": action.status, "note": "", **data})


# Who reads, who writes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        pytest.param("council", 200, 302, id="council"),
        pytest.param("owner", 200, 302, id="owner"),
        pytest.param("admin", 200, 302, id="superuser"),
        pytest.param("supervisor", 200, 403, id="supervisor-not-owner"),
        pytest.param("auditor", 200, 403, id="auditor"),
        pytest.param("compliance", 200, 403, id="compliance"),
        pytest.param("agent", 403, 403, id="agent"),
        pytest.param("elsewhere", 404, 404, id="other-establishment"),
    ],
)
def test_who_reads_and_who_writes_an_action(client, people, action, who, get, post):
    client.force_login(people[who])
    before = action.events.count()

    response = client.get(_url(action))
    assert response.status_code == get
    html = response.content.decode()
    if get == 200:
        assert "Capacitar al equipo de caja" in html
        assert ('name="form" value="progress"' in html) is (post == 302)  # the forms only for who may write
    else:
        assert "Capacitar al equipo de caja" not in html

    response = _progress(client, action, note="Se capacitó al turno mañana.")
    assert response.status_code == post
    assert action.events.count() == before + (1 if post == 302 else 0)
    for form in ("root_cause", "step_add"):
        response = client.post(_url(action), {"form": form, "why_1": "x", "root_cause": "y", "kind": "corrective"})
        assert response.status_code in ((302, 400) if post == 302 else (post,))
    if post != 302:
        assert not action.steps.exists()
        action.refresh_from_db()
        assert action.root_cause == ""


def test_login_is_needed_and_an_unknown_action_is_a_404(client, people, action):
    assert client.get(_url(action)).status_code == 302
    client.force_login(people["council"])
    assert client.get(reverse("council:action", args=[action.pk + 1000])).status_code == 404


def test_an_action_for_every_establishment_is_read_by_a_scoped_reader(client, people):
    everywhere = _action("Cartel de horarios", people["council"], cause_get("RUN-01"))
    client.force_login(people["elsewhere"])
    assert client.get(_url(everywhere)).status_code == 200


def test_an_owner_who_cannot_act_only_reads(client, people, establishment):
    # Loaded without a person (an import), the action kept an auditor as its owner: she can read, not write.
    action = _action("Revisar el stock publicado", people["auditor"], cause_get("RUN-01"), establishment=establishment)
    client.force_login(people["auditor"])
    html = client.get(_url(action)).content.decode()
    assert "no puede abrir ni actualizar la acción" in html
    assert _progress(client, action, note="Hecho.").status_code == 403


def test_the_action_list_links_to_each_action(client, people, action):
    client.force_login(people["council"])
    html = client.get(reverse("council:actions")).content.decode()
    assert html.count(f'href="{_url(action)}"') == 2  # the table's row and the phone's card


# Progress and status moves ----------------------------------------------------------------------------------


def test_progress_with_evidence_and_a_status_move_leave_their_events(client, people, action):
    client.force_login(people["owner"])

    response = _progress(
        client,
        action,
        note="Capacitamos a 12 cajeros.",
        evidence="Lista de asistencia firmada",
        evidence_url="https://intranet.example.pe/actas/12",
        status=ActionStatus.IN_PROGRESS,
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#avance")
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    moved, progress = action.events.order_by("pk")[1:]
    assert (moved.type, moved.actor, moved.data["old"], moved.data["new"]) == (
        ActionItemEvent.Type.STATUS_CHANGED,
        people["owner"],
        "proposed",
        "in_progress",
    )
    assert progress.type == ActionItemEvent.Type.PROGRESS
    assert progress.data == {
        "note": "Capacitamos a 12 cajeros.",
        "evidence": "Lista de asistencia firmada",
        "evidence_url": "https://intranet.example.pe/actas/12",
        "status": "in_progress",
    }
    text = _text(client.get(_url(action)).content.decode())
    assert "Estado: de «Propuesta» a «En curso»" in text
    assert "Avance Capacitamos a 12 cajeros. Evidencia: Lista de asistencia firmada Ver la evidencia" in text
    assert "Acción creada Línea base: 0.00 hojas por semana (0 hojas entre el" in text


def test_implemented_takes_today_when_no_date_is_given_and_refuses_a_future_one(client, people, action):
    client.force_login(people["council"])
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = _progress(client, action, status=ActionStatus.IMPLEMENTED, implemented_on=tomorrow.isoformat())
    assert response.status_code == 400
    assert re.search(r'id="implemented_on-error">Indica la fecha de implementación', response.content.decode())

    assert _progress(client, action, status=ActionStatus.IMPLEMENTED).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.implemented_on) == (ActionStatus.IMPLEMENTED, timezone.localdate())


@pytest.mark.parametrize("posted", [ActionStatus.EFFECTIVE, ActionStatus.NOT_EFFECTIVE])
def test_the_verdict_is_never_set_by_hand(client, people, action, posted):
    client.force_login(people["council"])
    response = _progress(client, action, status=posted, note="Funcionó.")
    assert response.status_code == 400
    assert MSG_VERDICT_BY_DATA in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.PROPOSED
    assert not action.events.filter(type=ActionItemEvent.Type.PROGRESS).exists()


def test_only_the_allowed_moves_are_offered(client, people, action):
    client.force_login(people["council"])
    action_status_set(action=action, status=ActionStatus.IMPLEMENTED, actor=people["council"])
    action.refresh_from_db()
    form = client.get(_url(action)).context["progress_form"]
    assert [value for value, _ in form.fields["status"].widget.choices] == ["in_progress", "implemented"]
    response = _progress(client, action, status=ActionStatus.PROPOSED, note="Vuelve a propuesta.")
    assert response.status_code == 400
    assert "no puede pasar a «Propuesta»" in response.content.decode()


def test_an_empty_progress_is_refused_next_to_the_note(client, people, action):
    client.force_login(people["council"])
    response = _progress(client, action, note="   ")
    assert response.status_code == 400
    assert re.search(r'id="note-error">Escribe qué avanzaste o cambia el estado', response.content.decode())
    assert action.events.count() == 1  # the creation only


def test_hostile_text_stays_inert(client, people, action):
    client.force_login(people["council"])
    response = _progress(client, action, note="x", evidence_url="javascript:alert(1)")
    assert response.status_code == 400
    assert "El enlace debe empezar por https:// o http://" in response.content.decode()

    hostile = '<script>alert("hoja")</script><img src=x onerror=alert(1)>'
    assert _progress(client, action, note=hostile, evidence=hostile).status_code == 302
    assert client.post(_url(action), {"form": "step_add", "kind": "containment", "text": hostile}).status_code == 302
    whys = {"form": "root_cause", "why_1": hostile, "root_cause": hostile}
    assert client.post(_url(action), whys).status_code == 302

    html = client.get(_url(action)).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert html.count("&lt;script&gt;alert(&quot;hoja&quot;)&lt;/script&gt;") >= 5


def test_unknown_forms_and_steps_are_a_400(client, people, action):
    client.force_login(people["council"])
    assert client.post(_url(action), {"form": "borrar"}).status_code == 400
    assert client.post(_url(action), {"form": "step_done", "step": "abc", "done": "1"}).status_code == 400
    other = _action("Otra", people["council"], cause_get("RUN-02"))
    foreign = ActionStep.objects.create(action=other, kind="corrective", text="Ajeno")
    response = client.post(_url(action), {"form": "step_done", "step": foreign.pk, "done": "1"})
    assert response.status_code == 400
    foreign.refresh_from_db()
    assert not foreign.done


# The 5 whys and the steps ----------------------------------------------------------------------------------


def test_the_five_whys_are_saved_in_order_with_their_event(client, people, action):
    client.force_login(people["owner"])
    response = client.post(
        _url(action),
        {
            "form": "root_cause",
            "why_1": "Los clientes esperan más de 20 minutos en caja.",
            "why_2": "  Solo hay una caja abierta en la tarde. ",
            "why_3": "No hay turno de refuerzo.",
            "root_cause": "La programación de turnos no mira la demanda por hora.",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.root_cause_whys == [
        "Los clientes esperan más de 20 minutos en caja.",
        "Solo hay una caja abierta en la tarde.",
        "No hay turno de refuerzo.",
    ]
    event = action.events.get(type=ActionItemEvent.Type.ROOT_CAUSE)
    assert event.actor == people["owner"]
    assert event.data["old"] == {"whys": [], "root_cause": ""}
    assert event.data["new"]["root_cause"] == "La programación de turnos no mira la demanda por hora."
    text = _text(client.get(_url(action)).content.decode())
    assert "Análisis de causa raíz actualizado 3 «¿Por qué?» respondidos." in text

    # the same analysis again records nothing
    form = client.get(_url(action)).context["root_cause_form"]
    client.post(_url(action), {"form": "root_cause", **{k: v for k, v in form.initial.items() if v}})
    assert action.events.filter(type=ActionItemEvent.Type.ROOT_CAUSE).count() == 1


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"why_1": "a", "why_3": "c", "root_cause": "r"}, "why_2", rules.MSG_WHYS_GAP),
        ({"why_1": "a", "root_cause": ""}, "root_cause", rules.MSG_ROOT_CAUSE_NEEDED),
        ({"root_cause": "r"}, "why_1", rules.MSG_WHYS_NEEDED),
        ({"why_1": "a" * 501, "root_cause": "r"}, "why_1", "500 caracteres"),
    ],
)
def test_a_bad_analysis_is_refused_next_to_its_field(client, people, action, posted, field, message):
    client.force_login(people["council"])
    response = client.post(_url(action), {"form": "root_cause", **posted})
    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error
    assert message in error.group(1)
    assert re.search(rf'name="{field}"[^>]*aria-describedby="[^"]*{field}-error"', html)  # the input names its error
    action.refresh_from_db()
    assert action.root_cause_whys == []


def test_the_service_refuses_more_than_five_whys(people, action):
    with pytest.raises(CouncilError, match="como máximo 5"):
        action_root_cause_set(
            action_id=action.pk, scope=Scope.of(people["council"]), whys=list("abcdef"), root_cause="r"
        )


def test_steps_are_containment_or_corrective_and_marked_done(client, people, action):
    client.force_login(people["owner"])
    client.post(_url(action), {"form": "step_add", "kind": "containment", "text": "Llamar a los afectados"})
    client.post(_url(action), {"form": "step_add", "kind": "corrective", "text": "Turno de refuerzo de 17 a 21 h"})
    containment = action.steps.get(kind=ActionStep.Kind.CONTAINMENT)

    response = client.post(_url(action), {"form": "step_done", "step": containment.pk, "done": "1"})

    assert response.status_code == 302
    containment.refresh_from_db()
    assert (containment.done, containment.done_on) == (True, timezone.localdate())
    types = list(action.events.values_list("type", flat=True).order_by("pk"))[1:]
    assert types == ["step_added", "step_added", "step_done"]
    page = client.get(_url(action))
    text = _text(page.content.decode())
    assert "Contención · frenan el daño ya" in text
    assert f"Llamar a los afectados Hecho el {timezone.localdate():%d/%m/%Y} Reabrir" in text
    assert "Turno de refuerzo de 17 a 21 h Pendiente Marcar hecho" in text
    assert "Paso de contención hecho Llamar a los afectados" in text
    assert "Paso correctivo añadido Turno de refuerzo de 17 a 21 h" in text

    for posted, field, message in [
        ({"kind": "corrective", "text": ""}, "text", "Escribe el paso."),
        ({"kind": "otra", "text": "x"}, "kind", "Escoja una opción válida"),
    ]:
        response = client.post(_url(action), {"form": "step_add", **posted})
        assert response.status_code == 400
        assert re.search(rf'id="{field}-error">[^<]*{message}', response.content.decode()), posted
    assert action.steps.count() == 2


# The run chart and its warnings --------------------------------------------------------------------------------


def test_the_run_chart_counts_the_actions_causes_week_by_week(client, people, establishment, file_complaint):
    today = timezone.localdate()
    this_monday = rules.week_start(today)
    cause, other_cause = cause_get("RUN-01"), cause_get("RUN-02")
    for weeks_ago, n in [(10, 3), (5, 1), (1, 2)]:
        for _ in range(n):
            _filed(file_complaint, this_monday - timedelta(weeks=weeks_ago), cause)
    _filed(file_complaint, this_monday - timedelta(weeks=10), other_cause)  # another cause
    elsewhere = people["other_establishment"]
    _filed(file_complaint, this_monday - timedelta(weeks=5), cause, establishment=elsewhere)  # another place
    action = action_create(
        title="Turno de refuerzo",
        owner=people["owner"],
        due_date=today + timedelta(days=10),
        causes=[cause],
        establishment=establishment,
        created_by=people["council"],
        today=today,
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=today - timedelta(days=14), today=today
    )
    client.force_login(people["council"])

    html = client.get(_url(action)).content.decode()

    data = _chart(html)
    assert len(data["weeks"]) == 13  # the 12 weeks of the baseline window and this one
    assert data["weeks"][-1] == f"{this_monday:%d/%m}"
    expected = [0] * 13
    expected[12 - 10], expected[12 - 5], expected[12 - 1] = 3, 1, 2
    assert data["counts"] == expected
    assert data["baseline"] == 0.5  # 6 hojas in 12 weeks
    assert data["target"] == 0.35  # -30 %
    assert data["implemented"] == 10  # two weeks ago
    assert data["implemented_label"] == f"Implementada {today - timedelta(days=14):%d/%m}"
    text = _text(html)
    assert "Línea base: 0.50 por semana" in text
    assert "meta: 0.35 o menos" in text
    assert f"{this_monday - timedelta(weeks=10):%d/%m/%Y} 3 línea base" in text  # the table, for screen readers
    # this week: still in the baseline window unless today is a Monday (the window ends the day before creation)
    assert re.search(rf"{this_monday:%d/%m/%Y} 0 (línea base, )?verificación, semana en curso", text)
    assert "muy pocas hojas para medir el efecto" not in text  # 6 hojas: enough
    assert "Otra acción trabaja la misma causa" not in text


def test_a_tiny_baseline_is_warned_about(client, people, establishment, file_complaint):
    today = timezone.localdate()
    _filed(file_complaint, today - timedelta(days=20), cause_get("RUN-01"))
    action = action_create(
        title="Cartel de horarios",
        owner=people["owner"],
        due_date=today + timedelta(days=10),
        causes=[cause_get("RUN-01")],
        establishment=establishment,
        created_by=people["council"],
        today=today,
    )
    client.force_login(people["auditor"])
    text = _text(client.get(_url(action)).content.decode())
    assert "Hay muy pocas hojas para medir el efecto: la línea base tiene 1 hoja en 12 semanas (menos de 5)." in text


def test_another_open_action_on_the_same_cause_is_warned_about(client, people, action, establishment):
    cause = cause_get("RUN-01")
    everywhere = _action("Confirmar entregas por SMS", people["council"], cause, cause_get("RUN-02"))
    _action("Otra tienda", people["council"], cause, establishment=people["other_establishment"])  # not here
    _action(
        "Ya verificada",
        people["council"],
        cause,
        status=ActionStatus.EFFECTIVE,
        implemented_on=timezone.localdate() - timedelta(weeks=9),
        baseline_rate=Decimal("1.00"),
    )
    client.force_login(people["supervisor"])

    html = client.get(_url(action)).content.decode()

    text = _text(html)
    assert text.count("Otra acción trabaja la misma causa") == 1
    assert "Otra acción trabaja la misma causa: Confirmar entregas por SMS (RUN-01, propuesta)." in text
    assert f'href="{_url(everywhere)}"' in html


def test_the_rules_of_the_page():
    assert rules.baseline_count(Decimal("0.42"), 12) == 5
    assert rules.baseline_count(Decimal("0.33"), 12) == 4
    assert rules.baseline_too_small(4)
    assert not rules.baseline_too_small(5)
    monday = date(2026, 11, 30)
    weeks = rules.run_chart_weeks(monday - timedelta(weeks=100), monday + timedelta(days=3))
    assert len(weeks) == rules.RUN_CHART_MAX_WEEKS
    assert weeks[-1] == monday
    assert rules.week_index(weeks, monday + timedelta(days=6)) == len(weeks) - 1
    assert rules.week_index(weeks, monday + timedelta(days=7)) is None
    assert rules.root_cause_errors(["", ""], "") == {}
    assert rules.whys_clean(["a ", "b", "", ""]) == ["a", "b"]
