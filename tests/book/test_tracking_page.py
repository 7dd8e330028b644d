"""The consumer's tracking page (/seguimiento/<token>/): status, deadline, timeline, the answer, privacy."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.book.models import ResponseChannel
from reclamaciones.handling.services import (
    complaint_note_add,
)
from reclamaciones.handling.settlement import settlement_offer_accept

from ..factories import hoja_answered, hoja_assigned, hoja_offered
from .followup_support import (
    ANSWER_TEXT,
    NOTE_TEXT,
    VALID_SURVEY,
    _assert_private,
    _has_survey_form,
    _html,
    _local_date,
    _survey_url,
    _text,
    _timeline_steps,
    _track_url,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# 1. Tracking page before the answer
# ----------------------------------------------------------------------------------------------------


def test_tracking_before_the_answer_shows_status_deadline_and_days_left(client, hoja):
    response = client.get(_track_url(hoja))

    assert response.status_code == 200
    text = _text(response)
    assert f"Seguimiento de tu hoja Nº {hoja.display_number}" in text
    assert "Estado de tu hoja: Registrada" in text
    assert f"Fecha límite de respuesta: {hoja.due_date:%d/%m/%Y}" in text
    # Filed today: the whole legal period is ahead, whatever weekday today is.
    assert "Te responderemos como máximo en 15 días hábiles." in text
    assert "Nuestra respuesta" not in text
    assert not _has_survey_form(response)
    assert reverse("reclamaciones:pdf", args=[hoja.tracking_token]) in _html(response)
    _assert_private(response)


def test_tracking_timeline_before_the_answer(client, hoja):
    html = _html(client.get(_track_url(hoja)))

    steps = _timeline_steps(html)
    assert steps == [("current", "Registrada"), ("todo", "En atención"), ("todo", "Respondida")]
    assert html.count('aria-current="step"') == 1
    assert f"A más tardar el {hoja.due_date:%d/%m/%Y}." in html


def test_tracking_in_progress_shows_the_step_without_who_handles_it(client, hoja, agent):
    hoja_assigned(hoja, to=agent)

    response = client.get(_track_url(hoja))

    text = _text(response)
    assert "Estado de tu hoja: En atención" in text
    assert "Estamos revisando tu caso." in text
    for staff_detail in ("Ana", "Quispe", agent.username, agent.email):
        assert staff_detail not in text


def test_tracking_an_overdue_hoja_says_so_plainly(client, file_complaint):
    hoja = file_complaint(filed_at=timezone.now() - timedelta(days=60))

    text = _text(client.get(_track_url(hoja)))

    assert f"El plazo para responderte venció el {hoja.due_date:%d/%m/%Y}." in text
    assert "Te responderemos como máximo" not in text


# ----------------------------------------------------------------------------------------------------
# 2. Tracking page after the answer, the PDF with section 4
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "channel_label"),
    [
        pytest.param(ResponseChannel.EMAIL, "Correo electrónico", id="email"),
        pytest.param(ResponseChannel.LETTER, "Carta al domicilio", id="letter"),
    ],
)
def test_tracking_after_the_answer_shows_it_with_channel_and_date(
    client, file_complaint, agent, channel, channel_label
):
    hoja = file_complaint(filed_at=timezone.now() - timedelta(days=3))
    communicated_at = None if channel == ResponseChannel.EMAIL else timezone.now() - timedelta(days=1)
    sent = hoja_answered(hoja, channel=channel, text=ANSWER_TEXT, by=agent, communicated_at=communicated_at).response

    response = client.get(_track_url(hoja))

    assert response.status_code == 200
    text = _text(response)
    assert "Estado de tu hoja: Respondida" in text
    assert "Nuestra respuesta 4. Observaciones y acciones adoptadas por el proveedor" in text
    assert ANSWER_TEXT in text
    assert f"Medio: {channel_label}" in text
    assert f"Fecha de comunicación de la respuesta: {_local_date(sent.communicated_at)}" in text
    assert "Descargar hoja con la respuesta (PDF)" in text
    assert "Te responderemos como máximo" not in text  # the clock stopped
    _assert_private(response)


def test_tracking_timeline_after_the_answer(client, hoja, answer):
    html = _html(client.get(_track_url(hoja)))

    steps = _timeline_steps(html)
    assert steps == [("done", "Registrada"), ("done", "En atención"), ("done", "Respondida")]
    assert f"{_local_date(answer.communicated_at)} · Por correo electrónico." in html


def test_tracking_a_settled_hoja_ends_in_cerrada_por_acuerdo(client, hoja):
    offer = hoja_offered(hoja, text="Te devolvemos S/ 1,250.50 a tu tarjeta.").settlement_offers.get()
    settlement_offer_accept(offer_id=offer.pk)

    response = client.get(_track_url(hoja))

    html = _html(response)
    steps = _timeline_steps(html)
    assert steps == [("done", "Registrada"), ("done", "En atención"), ("done", "Cerrada por acuerdo")]
    assert "Aceptaste nuestra propuesta de solución." in _text(response)
    assert _has_survey_form(response)  # the accepted settlement is the hoja's outcome: the consumer rates it


def test_pdf_after_the_answer_contains_the_answer(client, hoja, answer, pdftotext):
    response = client.get(reverse("reclamaciones:pdf", args=[hoja.tracking_token]))

    assert response.status_code == 200
    result = subprocess.run([pdftotext, "-", "-"], input=response.content, capture_output=True, check=True)
    text = " ".join(result.stdout.decode("utf-8").split())
    assert "4. OBSERVACIONES Y ACCIONES ADOPTADAS POR EL PROVEEDOR" in text
    assert ANSWER_TEXT in text


def test_internal_notes_and_staff_never_reach_the_consumer(client, hoja, agent):
    hoja_assigned(hoja, to=agent)
    complaint_note_add(complaint_id=hoja.pk, text=NOTE_TEXT, scope=Scope.of(agent))
    pages = [client.get(_track_url(hoja))]
    hoja_answered(hoja, by=agent, text=ANSWER_TEXT)
    complaint_note_add(complaint_id=hoja.pk, text=NOTE_TEXT + " (después)", scope=Scope.of(agent))
    pages.append(client.get(_track_url(hoja)))
    pages.append(client.post(_survey_url(hoja), {"solved": "tal vez"}))
    client.post(_survey_url(hoja), VALID_SURVEY)
    pages.append(client.get(_track_url(hoja)))
    pages.append(client.post(_survey_url(hoja), VALID_SURVEY))

    assert [page.status_code for page in pages] == [200, 200, 400, 200, 409]
    for page in pages:
        html = _html(page)
        assert "NOTA INTERNA" not in html
        assert "jefe de tienda" not in html
        for staff_detail in ("Ana", "Quispe", agent.username, agent.email):
            assert staff_detail not in html
