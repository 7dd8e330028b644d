"""One rule for "respondida a tiempo" (issue 13): among the answers communicated in a period, those communicated
on or before their hoja's due date. A hoja whose due date passed without an answer is reported apart ("vencida
sin respuesta") and never counted as an answer. The dashboard, the meeting agenda and the weekly digest read
the same selector, so the same data gives the same figures on all three."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from reclamaciones.access import Role, Scope
from reclamaciones.council.models import CouncilMeeting
from reclamaciones.council.rules import answer_timeliness, snapshot_display
from reclamaciones.council.services import council_digest_queue, meeting_agenda_generate
from reclamaciones.deadlines.rules import answered_on_time
from reclamaciones.outbox.models import OutboundMessage

from ..factories import staff_user
from .actions_support import _answer, _file, _messages, _rendered, at

pytestmark = pytest.mark.django_db

SINCE, UNTIL = date(2026, 11, 23), date(2026, 11, 29)  # the week the digest of Monday 30/11 reports
DIGEST_MONDAY = date(2026, 11, 30)
PERIOD = {"desde": SINCE.isoformat(), "hasta": UNTIL.isoformat()}
FIGURES = ("answered", "on_time", "late", "unanswered_overdue", "median_business_days")


def test_the_rule_on_its_boundaries():
    assert answered_on_time(answered_on=date(2026, 11, 24), due_date=date(2026, 11, 24))  # on the due date
    assert not answered_on_time(answered_on=date(2026, 11, 25), due_date=date(2026, 11, 24))

    figures = answer_timeliness(answered=7, on_time=7, unanswered_overdue=1)
    # the case: 7 answers on time and 1 hoja overdue without one is 100 %, not "88 % · 1 fuera de plazo"
    assert (figures["on_time_rate"], figures["late"], figures["unanswered_overdue"]) == (100, 0, 1)
    assert answer_timeliness(answered=0, on_time=0, unanswered_overdue=3)["on_time_rate"] is None
    with pytest.raises(ValueError, match="inconsistent"):
        answer_timeliness(answered=1, on_time=2, unanswered_overdue=0)


@pytest.fixture
def week(file_complaint):
    """Answers communicated in the week 23/11 .. 29/11 and hojas that fell due in it without one."""
    agent = staff_user("rosa", Role.AGENT, is_staff=False, profile=False)
    hojas = {
        "late": _file(file_complaint, date(2026, 11, 2)),
        "on_time": _file(file_complaint, date(2026, 11, 16)),
        "on_time_2": _file(file_complaint, date(2026, 11, 20)),
        "same_week": _file(file_complaint, date(2026, 11, 25)),
        "silent": _file(file_complaint, date(2026, 11, 3)),  # never answered
        "answered_after": _file(file_complaint, date(2026, 11, 4)),  # answered on 01/12, after the week
        "silent_before": _file(file_complaint, date(2026, 10, 30)),  # fell due before the week
    }
    _answer(hojas["late"], at(date(2026, 11, 24)), agent)
    _answer(hojas["on_time"], at(date(2026, 11, 25)), agent)
    _answer(hojas["on_time_2"], at(date(2026, 11, 27)), agent)
    _answer(hojas["same_week"], at(date(2026, 11, 26)), agent)
    _answer(hojas["answered_after"], at(date(2026, 12, 1)), agent)
    # the premises, from the due dates the real service computed (15 business days)
    assert hojas["late"].due_date < date(2026, 11, 24)
    assert SINCE <= hojas["silent"].due_date < UNTIL
    assert SINCE <= hojas["answered_after"].due_date < UNTIL
    assert hojas["silent_before"].due_date < SINCE
    return hojas


EXPECTED = {
    "answered": 4,
    "on_time": 3,
    "late": 1,
    "unanswered_overdue": 2,  # "silent" and "answered_after" (unanswered when the week ended)
}


def test_dashboard_agenda_and_digest_give_the_same_figures(client, week, council_members):
    council = staff_user("julia", Role.COUNCIL, all_establishments=True, profile=True)
    client.force_login(council)

    dashboard = client.get(reverse("council:dashboard"), PERIOD).context["performance"]

    CouncilMeeting.objects.create(held_on=SINCE)  # the previous meeting: the agenda covers 23/11 .. 29/11
    meeting = CouncilMeeting.objects.create(held_on=UNTIL)
    meeting_agenda_generate(meeting=meeting, scope=Scope.everything(), now=at(DIGEST_MONDAY, 9))
    meeting.refresh_from_db()
    agenda = meeting.agenda["performance"]
    assert (meeting.agenda["since"], meeting.agenda["today"]) == (SINCE.isoformat(), UNTIL.isoformat())

    council_digest_queue(now=at(DIGEST_MONDAY, 8), scope=Scope.everything())
    message = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)[0]
    digest = message.context["snapshot"]["performance"]

    for source in (dashboard, agenda, digest):
        assert {key: source[key] for key in EXPECTED} == EXPECTED
    assert dashboard["on_time_rate"] == 75
    assert agenda["on_time_rate"] == digest["on_time_rate"] == 75.0
    assert {key: dashboard[key] for key in FIGURES} == {key: agenda[key] for key in FIGURES}
    assert {key: agenda[key] for key in FIGURES} == {key: digest[key] for key in FIGURES}

    # ... and the three say it in the same words
    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()
    assert "75 %" in html
    assert "3 a tiempo · 1 fuera de plazo</span>" in html
    assert "Aparte: 2 vencidas sin respuesta</span>" in html
    page = client.get(reverse("council:meeting", args=[meeting.pk])).content.decode()
    page = " ".join(page.replace("<", " <").split())
    assert "(3 a tiempo, 1 fuera de plazo)" in page
    assert "75.0 %" in page
    assert "Vencieron en el periodo sin respuesta: <span" in page
    _, text, digest_html = _rendered(message)
    assert "4 respuestas comunicadas: 3 a tiempo (75.0 %), 1 fuera de plazo." in text
    assert "Aparte, 2 hojas vencieron esta semana sin respuesta (no cuentan como respondidas)." in text
    assert "Aparte, 2 hojas vencieron esta semana sin respuesta" in digest_html


def test_an_overdue_hoja_without_an_answer_is_never_an_answer(client, file_complaint, council_members):
    silent = _file(file_complaint, date(2026, 11, 3))
    assert SINCE <= silent.due_date < UNTIL
    client.force_login(staff_user("julia", Role.COUNCIL, all_establishments=True))

    html = client.get(reverse("council:dashboard"), PERIOD).content.decode()
    council_digest_queue(now=at(DIGEST_MONDAY, 8), scope=Scope.everything())
    message = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)[0]
    _, text, _ = _rendered(message)
    meeting = CouncilMeeting.objects.create(held_on=UNTIL)
    meeting_agenda_generate(meeting=meeting, scope=Scope.everything(), now=at(DIGEST_MONDAY, 9))
    agenda = snapshot_display(CouncilMeeting.objects.get(pk=meeting.pk).agenda)["performance"]

    assert "No se comunicaron respuestas en este periodo" in html
    assert "fuera de plazo" not in html.split('id="kpi-median"')[0]
    assert "Aparte: 1 vencida sin respuesta</span>" in html
    assert "No se comunicaron respuestas esta semana." in text
    assert "Aparte, 1 hoja venció esta semana sin respuesta (no cuenta como respondida)." in text
    assert (agenda["answered"], agenda["late"], agenda["on_time_rate"]) == (0, 0, None)
    assert agenda["unanswered_overdue"] == 1
