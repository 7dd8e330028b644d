"""The council's weekly digest and the meeting agenda built from the data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.models import ActionItem, ActionStatus, CouncilMeeting
from reclamaciones.council.rollup import rollup_refresh
from reclamaciones.council.services import (
    action_create,
    council_digest_queue,
    meeting_agenda_generate,
)
from reclamaciones.handling.models import SurveyAnswer
from reclamaciones.outbox.models import OutboundMessage

from ..factories import staff_user
from .actions_support import BASE_URL, _cause, _file, _messages, _rendered, at, weekly

pytestmark = pytest.mark.django_db


DIGEST_MONDAY = date(2026, 11, 30)  # reports Monday 23/11 .. Sunday 29/11


@pytest.fixture
def digest_book(file_complaint, settings):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    rising = _cause("TST-01", "Demora en la entrega")
    steady = _cause("TST-02", "Cobro indebido")
    lingering = _cause("TST-03", "Mala atención en caja")
    for day in [date(2026, 9, 1), date(2026, 9, 15), date(2026, 10, 1), date(2026, 11, 10)]:
        _file(file_complaint, day, rising)
    for day in [date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 27)]:  # the week reported
        _file(file_complaint, day, rising)
    for day in [*weekly(date(2026, 8, 10), 12), date(2026, 11, 17), date(2026, 11, 19)]:
        _file(file_complaint, day, steady)
    for day in [date(2026, 11, 24), date(2026, 11, 26)]:
        _file(file_complaint, day, steady)
    for day in [date(2026, 11, 2), date(2026, 11, 5), date(2026, 11, 9), date(2026, 11, 12)]:
        _file(file_complaint, day, lingering)  # flagged a week ago already
    _file(file_complaint, date(2026, 11, 28))  # not classified yet
    _file(file_complaint, at(date(2026, 11, 30), 7, 0), rising)  # this Monday: next week's digest
    owner = staff_user("duena", is_staff=False, profile=False, first_name="Rosa", last_name="Huamán")
    overdue = action_create(
        title="Capacitar al personal de despacho",
        owner=owner,
        due_date=date(2026, 11, 20),
        causes=[rising],
        today=date(2026, 11, 1),
    )
    verified = action_create(
        title="Cobro con voucher impreso",
        owner=owner,
        due_date=date(2026, 9, 1),
        causes=[steady],
        today=date(2026, 8, 1),
    )
    ActionItem.objects.filter(pk=verified.pk).update(
        status=ActionStatus.EFFECTIVE,
        implemented_on=date(2026, 9, 1),
        baseline_rate=Decimal("1.00"),
        measured_rate=Decimal("0.50"),
        verified_at=at(date(2026, 11, 25), 7, 30),
    )
    return {"rising": rising, "steady": steady, "lingering": lingering, "overdue": overdue, "verified": verified}


def test_digest_one_per_council_member_and_iso_week(council_members):
    staff_user("agente", Role.AGENT, is_staff=False, profile=False)

    assert council_digest_queue(now=at(DIGEST_MONDAY, 8), scope=Scope.everything()) == 2
    assert council_digest_queue(now=at(DIGEST_MONDAY, 8, 1), scope=Scope.everything()) == 0  # the beat fired twice
    assert council_digest_queue(now=at(date(2026, 12, 2), 12), scope=Scope.everything()) == 0  # same ISO week, any day
    digests = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)
    assert [(m.recipient, m.idempotency_key) for m in digests] == [
        ("consejo1@andina.example.pe", "council-digest:2026-W49:consejo1@andina.example.pe"),
        ("consejo2@andina.example.pe", "council-digest:2026-W49:consejo2@andina.example.pe"),
    ]
    context = digests[0].context
    assert {k: context[k] for k in ("date", "since", "as_of")} == {
        "date": "2026-11-29",
        "since": "2026-11-23",
        "as_of": "2026-11-30",
    }
    assert (context["snapshot"]["since"], context["snapshot"]["today"]) == ("2026-11-23", "2026-11-29")
    assert digests[1].context == context  # one snapshot, taken once for every council member

    assert council_digest_queue(now=at(date(2026, 12, 7), 8), scope=Scope.everything()) == 2


def test_digest_across_the_new_year_follows_the_iso_week(council_members):
    assert council_digest_queue(now=at(date(2026, 12, 28), 8), scope=Scope.everything()) == 2  # 2026 has 53 ISO weeks
    assert council_digest_queue(now=at(date(2027, 1, 1), 8), scope=Scope.everything()) == 0  # still 2026-W53
    assert council_digest_queue(now=at(date(2027, 1, 4), 8), scope=Scope.everything()) == 2
    keys = sorted({m.idempotency_key.split(":")[1] for m in _messages(OutboundMessage.Kind.COUNCIL_DIGEST)})
    assert keys == ["2026-W53", "2027-W01"]
    [context] = {
        str(m.context) for m in _messages(OutboundMessage.Kind.COUNCIL_DIGEST) if "2027-W01" in m.idempotency_key
    }
    assert "'since': '2026-12-28'" in context
    assert "'date': '2027-01-03'" in context


def test_digest_content(digest_book, council_members):
    council_digest_queue(now=at(DIGEST_MONDAY, 8), scope=Scope.everything())
    message = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)[0]

    subject, text, html = _rendered(message)

    assert subject == (
        "Resumen semanal del consejo (23/11 al 29/11/2026): Demora en la entrega encabeza con 3 hojas"
        " · 1 alerta nueva · 1 acción vencida"
    )
    assert "semana del lunes 23 de noviembre al domingo 29 de noviembre de 2026: 6 hojas, 1 todavía sin causa" in text
    assert "1. TST-01 Demora en la entrega: 3 hojas (50.0 %) · semana anterior: 0\n" in text
    assert "2. TST-02 Cobro indebido: 2 hojas (33.3 %) · semana anterior: 2 (igual)\n" in text
    new_flags = text.split("Nuevas esta semana:")[1].split("Siguen en alerta:")
    assert (
        "TST-01 Demora en la entrega: 4 hojas en las últimas 4 semanas, 1.00 por semana frente a 0.25" in new_flags[0]
    )
    assert "TST-03 Mala atención en caja" in new_flags[1]
    assert "Cobro indebido: 2" not in new_flags[0] + new_flags[1].split("ACCIONES")[0]
    assert "Capacitar al personal de despacho · Rosa Huamán · venció el 20/11/2026 (hace 10 días) · Propuesta" in text
    assert (
        "Cobro con voucher impreso: EFECTIVA · línea base 1.00, meta 0.70, medido 0.50 hojas por semana (-50.0 %)"
        in text
    )
    assert f"Tablero del consejo: {BASE_URL}/consejo/" in text
    assert "Nueva: TST-01 Demora en la entrega" in html
    assert "Capacitar al personal de despacho" in html
    assert f'href="{BASE_URL}/consejo/"' in html


DIGEST_QUERIES = 46  # the rollup brought current (12), the snapshot (21 aggregates), recipients, keys, two outbox rows


def test_digest_takes_its_figures_once_at_queue_time_and_rendering_only_renders(
    digest_book, council_members, file_complaint
):
    rollup_refresh(now=timezone.now())  # the first refresh rebuilds; the digests below refresh what changed
    with CaptureQueriesContext(connection) as small:
        council_digest_queue(now=at(DIGEST_MONDAY, 8), scope=Scope.everything())
    OutboundMessage.objects.filter(kind=OutboundMessage.Kind.COUNCIL_DIGEST).delete()

    for n in range(15):
        cause = [digest_book["rising"], digest_book["steady"], digest_book["lingering"]][n % 3]
        complaint = _file(file_complaint, date(2026, 11, 23) + timedelta(days=n % 7), cause, doc_number=f"4{n:07d}")
        SurveyAnswer.objects.create(
            complaint=complaint,
            solved=False,
            csat=1,
            nps=2,
            comment=f"Comentario {n}",
            answered_at=at(date(2026, 11, 27)),
        )
    for n in range(5):
        action_create(
            title=f"Acción {n}",
            owner=User.objects.get(username="duena"),
            due_date=date(2026, 11, 1),
            causes=[digest_book["rising"], digest_book["steady"]],
            today=date(2026, 10, 1),
        )
    with CaptureQueriesContext(connection) as large:
        council_digest_queue(now=at(DIGEST_MONDAY, 8), scope=Scope.everything())
    message = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)[0]
    with CaptureQueriesContext(connection) as rendering:
        _, text, _ = _rendered(message)

    assert "Acción 4" in text
    # bounded, not growing with the data (a lookup of the causes' labels runs once there is something to label)
    assert len(small) <= len(large) == DIGEST_QUERIES
    assert len(rendering) == 0


# Meetings -------------------------------------------------------------------------------------------------------


def test_meeting_agenda_from_the_data_since_the_previous_meeting(file_complaint, settings):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    rising, steady = _cause("TST-01", "Demora en la entrega"), _cause("TST-02", "Cobro indebido")
    _file(file_complaint, date(2026, 11, 1), rising)  # before the previous meeting
    for day in [date(2026, 11, 2), date(2026, 11, 10), date(2026, 11, 18)]:
        _file(file_complaint, day, rising)
    _file(file_complaint, date(2026, 11, 20), steady)
    _file(file_complaint, date(2026, 11, 27), rising)  # after the agenda is prepared
    owner = staff_user("duena", is_staff=False, profile=False)
    action_create(title="Vencida", owner=owner, due_date=date(2026, 11, 20), causes=[rising], today=date(2026, 11, 1))
    CouncilMeeting.objects.create(held_on=date(2026, 11, 2))
    meeting = CouncilMeeting.objects.create(held_on=date(2026, 11, 30))

    meeting_agenda_generate(meeting=meeting, now=at(date(2026, 11, 25), 9), scope=Scope.everything())

    meeting.refresh_from_db()
    agenda = meeting.agenda
    assert (agenda["since"], agenda["today"], agenda["previous_meeting"]) == ("2026-11-02", "2026-11-25", "2026-11-02")
    assert [(r["code"], r["count"]) for r in agenda["top_causes"]] == [("TST-01", 3), ("TST-02", 1)]
    assert [f["code"] for f in agenda["flags"]] == ["TST-01"]
    assert [a["title"] for a in agenda["overdue_actions"]] == ["Vencida"]
    assert meeting.agenda_generated_at == at(date(2026, 11, 25), 9)

    # regenerated after the meeting: the data up to the meeting day
    meeting_agenda_generate(meeting=meeting, now=at(date(2026, 12, 3), 9), scope=Scope.everything())
    meeting.refresh_from_db()
    assert meeting.agenda["today"] == "2026-11-30"
    assert [(r["code"], r["count"]) for r in meeting.agenda["top_causes"]] == [("TST-01", 4), ("TST-02", 1)]


def test_first_meeting_agenda_covers_the_four_weeks_before(file_complaint):
    meeting = CouncilMeeting.objects.create(held_on=date(2026, 11, 30))

    meeting_agenda_generate(meeting=meeting, now=at(date(2026, 11, 30), 9), scope=Scope.everything())

    assert (meeting.agenda["since"], meeting.agenda["today"]) == ("2026-11-03", "2026-11-30")
    assert meeting.agenda["previous_meeting"] is None
