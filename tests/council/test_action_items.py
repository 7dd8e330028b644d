"""Action items: baseline at creation, owner reminders, verification of the effect, append-only history."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint
from reclamaciones.council.models import ActionItem, ActionItemEvent, ActionStatus
from reclamaciones.council.services import (
    CouncilError,
    action_create,
    action_reminders_queue,
    action_status_set,
    actions_daily,
)
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, cause_get, staff_user
from .actions_support import BASE_URL, _cause, _file, _messages, _rendered, at, weekly

pytestmark = pytest.mark.django_db


def test_action_create_stores_the_baseline_of_the_twelve_weeks_before(file_complaint, establishment):
    cause, unrelated = _cause("TST-01", "Demora en la entrega"), _cause("TST-02", "Cobro indebido")
    other = EstablishmentFactory()
    for when in [date(2026, 9, 7), date(2026, 10, 10), at(date(2026, 11, 29), 23, 30)]:  # the 12 weeks
        _file(file_complaint, when, cause)
    _file(file_complaint, date(2026, 9, 6), cause)  # the day before them
    _file(file_complaint, at(date(2026, 11, 30), 0, 5), cause)  # the creation day itself
    _file(file_complaint, date(2026, 10, 10), cause, establishment=other)
    _file(file_complaint, date(2026, 10, 10), unrelated)
    # a person creating an action gives it to someone who can act on it (issue 13): a supervisor here
    owner = staff_user("duena", Role.SUPERVISOR, is_staff=False, all_establishments=True, first_name="Rosa")

    here = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 12, 31),
        causes=[cause],
        establishment=establishment,
        created_by=owner,
        today=date(2026, 11, 30),
    )
    everywhere = action_create(
        title="Aviso de demoras", owner=owner, due_date=date(2026, 12, 31), causes=[cause], today=date(2026, 11, 30)
    )

    here.refresh_from_db()
    assert (here.baseline_rate, here.baseline_weeks, here.baseline_measured_on) == (
        Decimal("0.25"),
        12,
        date(2026, 11, 30),
    )
    assert everywhere.baseline_rate == Decimal("0.33")  # 4 hojas in 12 weeks, every establishment
    [created] = here.events.filter(type=ActionItemEvent.Type.CREATED)
    assert created.actor == owner
    assert created.data == {"baseline_rate": "0.25", "baseline_count": 3, "window": ["2026-09-07", "2026-11-29"]}
    assert here.status == ActionStatus.PROPOSED
    with pytest.raises(CouncilError):
        action_create(title="Sin causa", owner=owner, due_date=date(2026, 12, 31), causes=[])


# Action items: owner reminders ----------------------------------------------------------------------------------


def test_reminders_seven_and_one_day_before_and_once_overdue(establishment):
    owner = staff_user("duena", is_staff=False, profile=False, first_name="Rosa")
    cause = _cause("TST-01", "Demora en la entrega")
    action = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 12, 10),
        causes=[cause],
        establishment=establishment,
        today=date(2026, 11, 1),
    )
    implemented = action_create(
        title="Ya implementada", owner=owner, due_date=date(2026, 12, 10), causes=[cause], today=date(2026, 11, 1)
    )
    action_status_set(action=implemented, status=ActionStatus.IMPLEMENTED, today=date(2026, 12, 1))

    sent_by_day = {}
    for day in [date(2026, 12, 2), *weekly(date(2026, 12, 3), 10, step_days=1)]:
        sent_by_day[day] = action_reminders_queue(today=day, scope=Scope.everything())
        assert action_reminders_queue(today=day, scope=Scope.everything()) == 0  # a second run the same day

    assert {day: n for day, n in sent_by_day.items() if n} == {
        date(2026, 12, 3): 1,  # 7 days before
        date(2026, 12, 9): 1,  # the day before
        date(2026, 12, 11): 1,  # passed
    }
    reminders = _messages(OutboundMessage.Kind.ACTION_REMINDER)
    assert {m.recipient for m in reminders} == {owner.email}
    assert sorted(m.idempotency_key for m in reminders) == [
        f"action:{action.pk}:due:2026-12-10:d1",
        f"action:{action.pk}:due:2026-12-10:d7",
        f"action:{action.pk}:due:2026-12-10:overdue",
    ]
    assert action.events.filter(type=ActionItemEvent.Type.REMINDER_QUEUED).count() == 3
    assert not implemented.events.filter(type=ActionItemEvent.Type.REMINDER_QUEUED).exists()

    # a new due date re-arms them
    ActionItem.objects.filter(pk=action.pk).update(due_date=date(2026, 12, 20))
    assert action_reminders_queue(today=date(2026, 12, 13), scope=Scope.everything()) == 1
    assert action_reminders_queue(today=date(2026, 12, 13), scope=Scope.everything()) == 0
    assert OutboundMessage.objects.filter(idempotency_key=f"action:{action.pk}:due:2026-12-20:d7").exists()

    # implemented: no more reminders, even past the due date
    action_status_set(action=action, status=ActionStatus.IMPLEMENTED, today=date(2026, 12, 18))
    assert action_reminders_queue(today=date(2026, 12, 19), scope=Scope.everything()) == 0
    assert action_reminders_queue(today=date(2026, 12, 21), scope=Scope.everything()) == 0


def test_reminder_e_mails(establishment):
    # an owner who may change actions in the admin: the reminder opens the action there and the council's list
    owner = staff_user(
        "duena", Role.COUNCIL, profile=False, first_name="Rosa", last_name="Huamán", perms=["change_actionitem"]
    )
    cause = _cause("TST-01", "Demora en la entrega")
    action = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 12, 10),
        causes=[cause],
        establishment=establishment,
        today=date(2026, 11, 1),
    )
    action_reminders_queue(today=date(2026, 12, 3), scope=Scope.everything())
    action_reminders_queue(today=date(2026, 12, 12), scope=Scope.everything())
    soon, overdue = sorted(_messages(OutboundMessage.Kind.ACTION_REMINDER), key=lambda m: m.context["date"])

    subject, text, html = _rendered(soon)
    assert subject == "Acción de mejora: vence en 7 días · Ruta de despacho diaria"
    assert "Hola, Rosa:" in text
    assert "TST-01 Demora en la entrega" in text
    assert "10/12/2026" in html
    assert "faltan 7 días" in text
    assert "Estado: Propuesta" in text
    assert "30 % menos hojas por semana" in text
    assert f"{BASE_URL}/consejo/acciones/" in text
    assert f"{BASE_URL}/consejo/acciones/" in html
    assert "márcala como «Implementada»" in text
    if admin.site.is_registered(ActionItem):
        assert f"{BASE_URL}/admin/reclamaciones/actionitem/{action.pk}/change/" in text
        assert f"{BASE_URL}/admin/reclamaciones/actionitem/{action.pk}/change/" in html

    subject, text, html = _rendered(overdue)
    assert subject == "Acción de mejora vencida hace 2 días · Ruta de despacho diaria"
    assert "venció hace 2 días" in text
    assert "venció hace 2 días" in html


def _links(text: str, html: str) -> set[str]:
    return set(re.findall(r"https?://\S+", text)) | set(re.findall(r'href="([^"]+)"', html))


@pytest.mark.parametrize(
    ("role", "is_staff", "perms", "pages"),
    [
        # an agent (the case): /consejo/ and the admin both answer 403, so the reminder links to neither
        pytest.param(Role.AGENT, True, [], set(), id="agent"),
        pytest.param(Role.AUDITOR, True, [], {"actions"}, id="auditor"),
        # a supervisor reads /consejo/acciones/ but holds no admin right over actions: no admin link
        pytest.param(Role.SUPERVISOR, True, [], {"actions"}, id="supervisor"),
        pytest.param(Role.COUNCIL, False, ["change_actionitem"], {"actions"}, id="council-without-admin"),
        pytest.param(Role.COUNCIL, True, ["change_actionitem"], {"actions", "admin"}, id="council-in-admin"),
    ],
)
def test_a_reminder_links_only_to_pages_its_owner_can_open(client, establishment, role, is_staff, perms, pages):
    """Each link the reminder carries is opened as its owner: none answers 403 (or the admin's login)."""
    owner = staff_user(
        "duena", role, establishments=[establishment], is_staff=is_staff, perms=perms, password="clave-segura-1"
    )
    action = action_create(  # an older action (no person choosing): its owner may be anyone
        title="Ruta de despacho diaria", owner=owner, due_date=date(2026, 12, 10), causes=[cause_get()]
    )
    action_reminders_queue(today=date(2026, 12, 3), scope=Scope.everything())
    [reminder] = _messages(OutboundMessage.Kind.ACTION_REMINDER)

    _, text, html = _rendered(reminder)

    links = _links(text, html)
    expected = set()
    if "actions" in pages:
        expected.add(f"{BASE_URL}/consejo/acciones/")
    if "admin" in pages and admin.site.is_registered(ActionItem):
        expected.add(f"{BASE_URL}/admin/reclamaciones/actionitem/{action.pk}/change/")
    assert links == expected
    client.force_login(owner)
    for link in links:
        response = client.get(link.removeprefix(BASE_URL))
        assert response.status_code == 200, link
    if not pages:
        assert "Tu usuario no puede abrir las acciones de mejora" in text
        assert "pide al consejo que se la asigne a otra persona" in html
    if "admin" not in pages:
        assert "avísale al consejo la fecha en que se hizo para que la marque «Implementada»" in text
        assert "márcala como" not in text


# Action items: effectiveness ------------------------------------------------------------------------------------

IMPLEMENTED_ON = date(2026, 9, 1)  # 8-week window: 01/09 .. 26/10


@pytest.mark.parametrize(
    ("in_window", "status", "measured"),
    [
        (5, ActionStatus.EFFECTIVE, Decimal("0.63")),  # 5 in 8 weeks against a target of 0.70
        (6, ActionStatus.NOT_EFFECTIVE, Decimal("0.75")),
    ],
)
def test_verification_marks_effective_or_not_from_the_hojas_and_notifies_once(
    file_complaint, establishment, council_members, in_window, status, measured
):
    cause = _cause("TST-01", "Demora en la entrega")
    other = EstablishmentFactory()
    for day in weekly(date(2026, 6, 8), 12):  # baseline: 1.00 a week
        _file(file_complaint, day, cause)
    for day in weekly(date(2026, 9, 2), in_window):
        _file(file_complaint, day, cause)
    for day in weekly(date(2026, 9, 3), 3):  # another establishment: not this action's
        _file(file_complaint, day, cause, establishment=other)
    _file(file_complaint, at(date(2026, 10, 27), 0, 5), cause)  # the day after the window
    owner = staff_user("duena", is_staff=False, profile=False, first_name="Rosa", last_name="Huamán")
    action = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 9, 15),
        causes=[cause],
        establishment=establishment,
        today=date(2026, 8, 31),
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )
    assert action.baseline_rate == Decimal("1.00")

    # the window's last day is still being filed: nothing is measured
    assert actions_daily(now=at(date(2026, 10, 26), 7, 30), scope=Scope.everything()) == {"verified": 0, "reminders": 0}
    action.refresh_from_db()
    assert action.status == ActionStatus.IMPLEMENTED

    assert actions_daily(now=at(date(2026, 10, 27), 7, 30), scope=Scope.everything()) == {"verified": 1, "reminders": 0}
    action.refresh_from_db()
    assert (action.status, action.measured_rate) == (status, measured)
    assert action.verified_at == at(date(2026, 10, 27), 7, 30)
    [event] = action.events.filter(type=ActionItemEvent.Type.VERIFIED)
    assert event.data["measured_count"] == in_window
    assert event.data["window"] == ["2026-09-01", "2026-10-26"]
    assert (event.data["baseline_rate"], event.data["target_rate"]) == ("1.00", "0.70")
    assert (event.data["old"], event.data["new"]) == (ActionStatus.IMPLEMENTED, status)
    verdicts = _messages(OutboundMessage.Kind.ACTION_VERDICT)
    assert [m.recipient for m in verdicts] == [
        "consejo1@andina.example.pe",
        "consejo2@andina.example.pe",
        "duena@andina.example.pe",
    ]

    # a second run (or a retried task) changes nothing
    events = ActionItemEvent.objects.count()
    assert actions_daily(now=at(date(2026, 10, 28), 7, 30), scope=Scope.everything()) == {"verified": 0, "reminders": 0}
    assert ActionItemEvent.objects.count() == events
    assert len(_messages(OutboundMessage.Kind.ACTION_VERDICT)) == 3

    to_council, _, to_owner = verdicts
    subject, text, html = _rendered(to_owner)
    if status == ActionStatus.EFFECTIVE:
        assert subject == "Acción de mejora efectiva: Ruta de despacho diaria"
        assert "cumplió su meta" in text
    else:
        assert subject == "Acción de mejora no efectiva: Ruta de despacho diaria (a revisar en el consejo)"
        assert "El consejo la revisará en su próxima reunión" in text
        assert "llévala a esa reunión" in text  # the owner is asked to bring their reading
    assert "Hola, Rosa:" in text
    assert "Responsable: Rosa Huamán" in text
    assert "del 01/09/2026 al 26/10/2026 (8 semanas): " in text
    assert "1.00 hojas por semana" in text
    assert "0.70 hojas por semana como máximo" in text
    assert f"Resultado: {measured} hojas por semana" in text
    assert f"{measured} hojas por semana" in html
    council_subject, council_text, _ = _rendered(to_council)
    assert council_subject == subject
    assert council_text.startswith("Hola:")
    assert "llévala a esa reunión" not in council_text


def test_verification_waits_for_the_windows_hojas_to_be_classified(file_complaint, establishment, council_members):
    cause = _cause("TST-01", "Demora en la entrega")
    for day in weekly(date(2026, 6, 8), 12):  # baseline: 1.00 a week
        _file(file_complaint, day, cause)
    pending = _file(file_complaint, date(2026, 10, 20))  # filed in the window, not yet classified
    action = action_create(
        title="Ruta de despacho diaria",
        owner=staff_user("duena", is_staff=False, profile=False),
        due_date=date(2026, 9, 15),
        causes=[cause],
        today=date(2026, 8, 31),
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )

    # the window is over, but one of its hojas could still turn out to be this cause's: wait
    assert actions_daily(now=at(date(2026, 10, 27), 7, 30), scope=Scope.everything())["verified"] == 0
    Complaint.objects.filter(pk=pending.pk).update(cause=cause)
    assert actions_daily(now=at(date(2026, 10, 28), 7, 30), scope=Scope.everything())["verified"] == 1
    action.refresh_from_db()
    assert (action.status, action.measured_rate) == (ActionStatus.EFFECTIVE, Decimal("0.13"))
    assert action.events.get(type=ActionItemEvent.Type.VERIFIED).data["unclassified"] == 0


def test_verification_stops_waiting_after_the_grace_period(file_complaint, establishment, council_members):
    cause = _cause("TST-01", "Demora en la entrega")
    for day in weekly(date(2026, 6, 8), 12):
        _file(file_complaint, day, cause)
    _file(file_complaint, date(2026, 10, 20))  # never classified
    action = action_create(
        title="Ruta",
        owner=staff_user("duena", is_staff=False, profile=False),
        due_date=date(2026, 9, 15),
        causes=[cause],
        today=date(2026, 8, 31),
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )

    assert (
        actions_daily(now=at(date(2026, 11, 16), 7, 30), scope=Scope.everything())["verified"] == 0
    )  # 26/10 + 21 days
    assert actions_daily(now=at(date(2026, 11, 17), 7, 30), scope=Scope.everything())["verified"] == 1
    action.refresh_from_db()
    assert action.status == ActionStatus.EFFECTIVE
    assert action.events.get(type=ActionItemEvent.Type.VERIFIED).data["unclassified"] == 1
    _, text, html = _rendered(_messages(OutboundMessage.Kind.ACTION_VERDICT)[0])
    assert "Ojo: 1 hoja de esas semanas seguía sin causa tras tres semanas de espera y no se contó." in text
    assert "1 hoja de esas semanas seguía sin causa y no se contó." in html


def test_verification_of_a_zero_baseline(establishment, council_members):
    cause = _cause("TST-05", "Cause sin hojas")
    owner = staff_user("duena", is_staff=False, profile=False)
    action = action_create(
        title="Prevenir", owner=owner, due_date=date(2026, 9, 15), causes=[cause], today=date(2026, 8, 31)
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )

    actions_daily(now=at(date(2026, 11, 2), 7, 30), scope=Scope.everything())

    action.refresh_from_db()
    assert (action.baseline_rate, action.measured_rate, action.status) == (
        Decimal("0.00"),
        Decimal("0.00"),
        ActionStatus.EFFECTIVE,
    )
    [event] = action.events.filter(type=ActionItemEvent.Type.VERIFIED)
    assert event.data["change_pct"] is None
    _, text, _ = _rendered(_messages(OutboundMessage.Kind.ACTION_VERDICT)[0])
    assert "la meta era mantenerlas en cero" in text


# Weekly digest --------------------------------------------------------------------------------------------------


def test_an_actions_history_is_append_only(establishment):
    from reclamaciones.records import ImmutableRecordError

    action = action_create(
        title="Ruta",
        owner=staff_user("duena", is_staff=False, profile=False),
        due_date=date(2026, 9, 15),
        causes=[cause_get()],
        today=date(2026, 8, 31),
    )
    [event] = action.events.all()
    event.data = {"baseline_rate": "0.00"}
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        ActionItemEvent.objects.filter(pk=event.pk).update(data={})
    with pytest.raises(ImmutableRecordError):
        ActionItemEvent.objects.filter(pk=event.pk).delete()
    assert ActionItemEvent.objects.get(pk=event.pk).type == ActionItemEvent.Type.CREATED
