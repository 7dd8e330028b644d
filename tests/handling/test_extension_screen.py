"""The extension screen: a supervisor extends a DS 006-2014 hoja's deadline once from its detail page, and the
consumer is told by e-mail (or the supervisor is told to send a letter before the first deadline ends).

Only hojas filed before Ley 31435 (2022-05-21) can be extended, and only before their first deadline: every such
deadline ended in 2022, so these tests set the portal's clock to 20/03/2021 (timezone.now, which the views, the
policy and the service read). A hoja filed Mon 01/03/2021 is due Wed 31/03/2021 (settlement_support)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.handling.policy import (
    MSG_ALREADY_EXTENDED,
    MSG_EXTEND_SUPERVISORS,
    MSG_IMPRORROGABLE,
    Action,
    allowed_actions,
    refusal,
)
from reclamaciones.handling.settlement import SettlementError, complaint_extend_deadline
from reclamaciones.outbox.models import OutboundMessage

from ..factories import staff_user
from .settlement_support import _state, lima
from .staff_support import PASSWORD

pytestmark = pytest.mark.django_db

NOW = lima(2021, 3, 20, 12)
TODAY = date(2021, 3, 20)
FIRST_DUE = date(2021, 3, 31)
REASON = "Se requiere un informe técnico del fabricante."


@pytest.fixture
def march_2021(monkeypatch):
    """The portal's clock on 20/03/2021 at noon, Lima (models' defaults keep the real clock: they hold the
    original function)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def old_hoja(file_complaint) -> Complaint:
    complaint = file_complaint(filed_at=lima(2021, 3, 1))
    assert (complaint.regime, complaint.due_date) == ("ds-006-2014", FIRST_DUE)
    return complaint


@pytest.fixture
def old_hoja_by_letter(file_complaint) -> Complaint:
    return file_complaint(filed_at=lima(2021, 3, 2), consumer_email="", doc_number="40404040")


def _extend(client, complaint, days="10", reason=REASON, **kwargs):
    url = reverse("staff:extend", args=[complaint.pk])
    return client.post(url, {"extend-days": days, "extend-reason": reason}, **kwargs)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _detail(client, complaint) -> str:
    return client.get(reverse("staff:detail", args=[complaint.pk])).content.decode()


# 1. The policy: a supervisor's decision ----------------------------------------------------------------------


def test_only_a_supervisor_is_offered_the_extension(users, old_hoja):
    supervisor, agent = Scope.of(users["supervisor"]), Scope.of(users["agent"])

    assert Action.EXTEND in allowed_actions(old_hoja, scope=supervisor, today=TODAY)
    assert Action.EXTEND in allowed_actions(old_hoja, scope=Scope.everything(), today=TODAY)
    assert Action.EXTEND not in allowed_actions(old_hoja, scope=agent, today=TODAY)
    assert refusal(old_hoja, Action.EXTEND, scope=agent, today=TODAY) == MSG_EXTEND_SUPERVISORS
    # What the hoja forbids is said first, whoever asks.
    assert refusal(old_hoja, Action.EXTEND, scope=agent, today=date(2021, 4, 1)) != MSG_EXTEND_SUPERVISORS


def test_the_service_refuses_an_agent_too(users, old_hoja):
    before = _state(old_hoja)

    with pytest.raises(SettlementError) as excinfo:
        complaint_extend_deadline(
            complaint_id=old_hoja.pk, days=10, reason=REASON, scope=Scope.of(users["agent"]), now=NOW
        )

    assert str(excinfo.value) == MSG_EXTEND_SUPERVISORS
    assert _state(old_hoja) == before


# 2. The panel ----------------------------------------------------------------------------------------------------


def test_the_supervisor_sees_the_panel_with_the_e_mail_notice(client, users, old_hoja, march_2021):
    client.force_login(users["supervisor"])

    html = _detail(client, old_hoja)

    assert reverse("staff:extend", args=[old_hoja.pk]) in html
    assert 'id="ampliar-plazo"' in html
    assert "«hasta por otro igual cuando la naturaleza del reclamo lo justifique»" in html
    assert f'Le enviaremos el aviso por correo a <span class="text-break">{old_hoja.consumer_email}</span>' in html
    assert 'name="extend-days" value="30" min="1" max="30"' in html
    assert '<label class="form-label" for="id_extend-reason">Motivo' in html


def test_without_an_e_mail_the_panel_says_a_letter_is_needed_before_the_first_deadline(
    client, users, old_hoja_by_letter, march_2021
):
    client.force_login(users["supervisor"])

    html = _detail(client, old_hoja_by_letter)

    assert (
        "Sin correo del consumidor:</strong> después de ampliar, envíale una carta con el aviso a más tardar el "
        "05/04/2021, último día del plazo inicial." in html
    )


def test_an_agent_sees_who_decides_instead_of_the_panel(client, users, old_hoja, march_2021):
    client.force_login(users["agent"])

    html = _detail(client, old_hoja)

    assert reverse("staff:extend", args=[old_hoja.pk]) not in html
    assert "solo supervisión puede hacerlo" in html


@pytest.mark.parametrize("role", ["council", "auditor", "compliance"])
def test_readers_see_neither_the_panel_nor_the_note(client, users, old_hoja, march_2021, role):
    client.force_login(users[role])

    html = _detail(client, old_hoja)

    assert reverse("staff:extend", args=[old_hoja.pk]) not in html
    assert "solo supervisión puede hacerlo" not in html
    assert "Vista de solo lectura" in html


def test_no_panel_for_a_ley_31435_hoja(client, users, file_complaint):
    client.force_login(users["supervisor"])
    hoja = file_complaint()

    html = _detail(client, hoja)

    assert reverse("staff:extend", args=[hoja.pk]) not in html
    assert "Ampliar el plazo" not in html


def test_no_panel_once_the_first_deadline_has_passed(client, users, old_hoja, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: lima(2021, 4, 1, 0, 1))
    client.force_login(users["supervisor"])

    assert reverse("staff:extend", args=[old_hoja.pk]) not in _detail(client, old_hoja)
    client.force_login(users["agent"])
    assert "solo supervisión puede hacerlo" not in _detail(client, old_hoja)


# 3. Extending ----------------------------------------------------------------------------------------------------


def test_a_supervisor_extends_and_the_consumer_is_told_by_e_mail(client, users, old_hoja, march_2021):
    client.force_login(users["supervisor"])

    response = _extend(client, old_hoja, days="30", follow=True)

    assert response.redirect_chain == [(reverse("staff:detail", args=[old_hoja.pk]), 302)]
    [message] = _messages(response)
    assert message.startswith("Plazo ampliado en 30 días calendario: la nueva fecha límite es el 30/04/2021.")
    assert f"se envía por correo a {old_hoja.consumer_email}" in message
    old_hoja.refresh_from_db()
    assert (old_hoja.extension_days, old_hoja.due_date) == (30, date(2021, 4, 30))
    event = old_hoja.events.get(type=ComplaintEvent.Type.DEADLINE_EXTENDED)
    assert (event.actor, event.occurred_at, event.data["notice"]) == (users["supervisor"], NOW, "email")
    notice = OutboundMessage.objects.get(kind=OutboundMessage.Kind.EXTENSION_NOTICE)
    assert (notice.complaint_id, notice.recipient) == (old_hoja.pk, old_hoja.consumer_email)
    html = response.content.decode()
    assert "Ampliación de 30 días calendario: 31/03/2021 → 30/04/2021." in html
    assert 'id="ampliar-plazo"' not in html  # once only


def test_without_an_e_mail_the_message_says_to_send_a_letter_before_the_first_deadline(
    client, users, old_hoja_by_letter, march_2021
):
    client.force_login(users["supervisor"])

    response = _extend(client, old_hoja_by_letter, days="1", follow=True)

    [message] = _messages(response)
    # 02/03 + 30 = Thu 01/04/2021 (Jueves Santo) -> Mon 05/04; + 1 = Fri 02/04 (Viernes Santo) -> Mon 05/04.
    assert message == (
        "Plazo ampliado en 1 día calendario: la nueva fecha límite es el 05/04/2021. El consumidor no dio un correo: "
        "envíale una carta con el aviso a más tardar el 05/04/2021, último día del plazo inicial (DS 006-2014-PCM, "
        "art. 6)."
    )
    event = old_hoja_by_letter.events.get(type=ComplaintEvent.Type.DEADLINE_EXTENDED)
    assert event.data["notice"] == "letter_required"
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.EXTENSION_NOTICE).exists()


def test_an_agent_posting_an_extension_gets_a_403_and_nothing_changes(client, users, old_hoja, march_2021):
    client.force_login(users["agent"])
    before = _state(old_hoja)

    response = _extend(client, old_hoja)

    assert response.status_code == 403
    assert MSG_EXTEND_SUPERVISORS in _messages(response)
    assert _state(old_hoja) == before


@pytest.mark.parametrize("role", ["council", "auditor", "compliance", "no-role"])
def test_readers_posting_an_extension_get_a_403(client, users, old_hoja, march_2021, role):
    client.force_login(users[role])
    before = _state(old_hoja)

    assert _extend(client, old_hoja).status_code == 403
    assert _state(old_hoja) == before


def test_an_extension_of_a_hoja_out_of_scope_is_a_404(client, old_hoja, other_establishment, march_2021):
    client.force_login(staff_user("otro", Role.SUPERVISOR, establishments=[other_establishment], password=PASSWORD))
    before = _state(old_hoja)

    assert _extend(client, old_hoja).status_code == 404
    assert _state(old_hoja) == before


def test_the_extension_is_post_only(client, users, old_hoja, march_2021):
    client.force_login(users["supervisor"])

    assert client.get(reverse("staff:extend", args=[old_hoja.pk])).status_code == 405


@pytest.mark.parametrize(
    ("days", "reason", "field"),
    [
        pytest.param("0", REASON, "extend-days", id="zero"),
        pytest.param("31", REASON, "extend-days", id="thirty-one"),
        pytest.param("-5", REASON, "extend-days", id="negative"),
        pytest.param("1e3", REASON, "extend-days", id="exponent"),
        pytest.param("diez", REASON, "extend-days", id="words"),
        pytest.param("", REASON, "extend-days", id="blank-days"),
        pytest.param("9" * 40, REASON, "extend-days", id="huge"),
        pytest.param("10", "   ", "extend-reason", id="blank-reason"),
        pytest.param("10", "x" * 1001, "extend-reason", id="long-reason"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_changes(
    client, users, old_hoja, march_2021, days, reason, field
):
    client.force_login(users["supervisor"])
    before = _state(old_hoja)

    response = _extend(client, old_hoja, days=days, reason=reason)

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="{field}-error"' in html
    assert '<details class="card action-card" open id="ampliar-plazo">' in html
    assert _state(old_hoja) == before


def test_a_second_extension_is_refused_with_the_reason(client, users, old_hoja, march_2021):
    client.force_login(users["supervisor"])
    _extend(client, old_hoja, days="5")
    before = _state(old_hoja)

    response = _extend(client, old_hoja, days="5", follow=True)

    assert MSG_ALREADY_EXTENDED in _messages(response)
    assert _state(old_hoja) == before


def test_a_ley_31435_hoja_is_refused_as_improrrogable(client, users, file_complaint):
    client.force_login(users["supervisor"])
    hoja = file_complaint()
    before = _state(hoja)

    response = _extend(client, hoja, follow=True)

    assert MSG_IMPRORROGABLE in _messages(response)
    assert _state(hoja) == before


def test_a_hostile_reason_is_kept_as_text_and_shown_escaped(client, users, old_hoja, march_2021):
    client.force_login(users["supervisor"])

    html = _extend(client, old_hoja, reason="<script>alert(1)</script>\x0b|\ntexto", follow=True).content.decode()

    assert "<script>alert(1)" not in html
    assert "Motivo: &lt;script&gt;alert(1)&lt;/script&gt;" in html
    event = old_hoja.events.get(type=ComplaintEvent.Type.DEADLINE_EXTENDED)
    assert event.data["reason"] == "<script>alert(1)</script>\x0b|\ntexto"
