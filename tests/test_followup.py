"""Consumer follow-up (no login): the tracking page before and after the answer, the one-time survey and
the lookup by hoja number + document number.

Everything goes through the real stack (URLs, views, forms, workflow services, WeasyPrint). Answers are
sent with services.workflow.response_send by an agent in scope, as the back office does.
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.book.forms import (
    MSG_LOOKUP_DOC_REQUIRED,
    MSG_LOOKUP_NUMBER,
    MSG_LOOKUP_NUMBER_REQUIRED,
    MSG_SURVEY_CSAT,
    MSG_SURVEY_NPS,
    MSG_SURVEY_SOLVED,
)
from reclamaciones.book.models import ResponseChannel
from reclamaciones.book.views import MSG_LOOKUP_NOT_FOUND, MSG_LOOKUP_RATE_LIMITED
from reclamaciones.clientip import wait_phrase
from reclamaciones.handling.models import StaffProfile, SurveyAnswer
from reclamaciones.handling.services import (
    MSG_SURVEY_DONE,
    MSG_SURVEY_NOT_YET,
    complaint_assign,
    complaint_note_add,
    response_send,
)
from reclamaciones.handling.settlement import settlement_offer_accept, settlement_offer_send

from .factories import EstablishmentFactory

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
ANSWER_TEXT = (
    "Revisamos tu caso: cambiaremos la laptop por una nueva. Puedes recogerla en la tienda de Surquillo "
    "desde el lunes; trae tu DNI y la boleta B001-4521."
)
NOTE_TEXT = "NOTA INTERNA: la clienta ya reclamó dos veces, revisar con el jefe de tienda"
SURVEY_FIELDS = ("solved", "csat", "nps", "comment")
VALID_SURVEY = {"solved": "si", "csat": "4", "nps": "9", "comment": "  Me atendieron rápido, gracias.  "}
DOC = "45805689"  # VALID_FILING's doc_number
FILED_2026 = datetime(2026, 3, 2, 10, 30, tzinfo=LIMA)


# ----------------------------------------------------------------------------------------------------
# Helpers and fixtures
# ----------------------------------------------------------------------------------------------------


def _html(response) -> str:
    return response.content.decode()


def _text(response) -> str:
    """The page as a reader sees it: tags removed, entities decoded, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", _html(response))).split())


def _field_error(response, field: str) -> str:
    found = re.findall(rf'<div id="id_{field}_error" class="invalid-feedback[^"]*">(.*?)</div>', _html(response), re.S)
    return " ".join(unescape(" ".join(found)).split())


def _checked(response, name: str) -> list[str]:
    """Values of the checked radios named `name`."""
    radios = re.findall(rf'<input[^>]*name="{name}"[^>]*>', _html(response))
    return [re.search(r'value="([^"]*)"', r)[1] for r in radios if re.search(r"\schecked\b", r)]


def _input_value(response, name: str) -> str:
    tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', _html(response))[0]
    if tag.startswith("<textarea"):
        return unescape(re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', _html(response), re.S)[1])
    return unescape(re.search(r'value="([^"]*)"', tag)[1])


def _timeline_steps(html: str) -> list[tuple[str, str]]:
    """(state, label) of each step of the consumer's timeline."""
    step = r'<li class="track-step track-step-(\w+)"[^>]*>.*?<p class="mb-0 fw-semibold">([^<]+)'
    return re.findall(step, html, re.S)


def _assert_private(response):
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def _has_survey_form(response) -> bool:
    return any(f'name="{name}"' in _html(response) for name in SURVEY_FIELDS)


def _track_url(complaint) -> str:
    return reverse("reclamaciones:track", args=[complaint.tracking_token])


def _survey_url(complaint) -> str:
    return reverse("reclamaciones:survey", args=[complaint.tracking_token])


def _local_date(value) -> str:
    return f"{timezone.localtime(value):%d/%m/%Y}"


@pytest.fixture
def agent(establishment):
    user = User.objects.create_user(
        username="ana.quispe", first_name="Ana", last_name="Quispe", email="ana.quispe@andina.example.pe"
    )
    user.groups.add(Group.objects.get_or_create(name=Role.AGENT)[0])
    StaffProfile.objects.create(user=user, all_establishments=True)
    return user


@pytest.fixture
def hoja(file_complaint):
    return file_complaint()


@pytest.fixture
def answer(hoja, agent):
    """The answer to `hoja`, e-mailed by an agent in scope."""
    return response_send(complaint_id=hoja.pk, text=ANSWER_TEXT, channel=ResponseChannel.EMAIL, actor=agent)


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
    complaint_assign(complaint_id=hoja.pk, assignee=agent, actor=agent)

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
    sent = response_send(
        complaint_id=hoja.pk, text=ANSWER_TEXT, channel=channel, actor=agent, communicated_at=communicated_at
    )

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
    offer = settlement_offer_send(complaint_id=hoja.pk, text="Te devolvemos S/ 1,250.50 a tu tarjeta.")
    settlement_offer_accept(offer_id=offer.pk)

    response = client.get(_track_url(hoja))

    html = _html(response)
    steps = _timeline_steps(html)
    assert steps == [("done", "Registrada"), ("done", "En atención"), ("done", "Cerrada por acuerdo")]
    assert "Aceptaste nuestra propuesta de solución." in _text(response)
    assert not _has_survey_form(response)  # no written answer: nothing to rate


def test_pdf_after_the_answer_contains_the_answer(client, hoja, answer, pdftotext):
    response = client.get(reverse("reclamaciones:pdf", args=[hoja.tracking_token]))

    assert response.status_code == 200
    result = subprocess.run([pdftotext, "-", "-"], input=response.content, capture_output=True, check=True)
    text = " ".join(result.stdout.decode("utf-8").split())
    assert "4. OBSERVACIONES Y ACCIONES ADOPTADAS POR EL PROVEEDOR" in text
    assert ANSWER_TEXT in text


def test_internal_notes_and_staff_never_reach_the_consumer(client, hoja, agent):
    complaint_assign(complaint_id=hoja.pk, assignee=agent, actor=agent)
    complaint_note_add(complaint_id=hoja.pk, text=NOTE_TEXT, actor=agent)
    pages = [client.get(_track_url(hoja))]
    response_send(complaint_id=hoja.pk, text=ANSWER_TEXT, channel=ResponseChannel.EMAIL, actor=agent)
    complaint_note_add(complaint_id=hoja.pk, text=NOTE_TEXT + " (después)", actor=agent)
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


# ----------------------------------------------------------------------------------------------------
# 3. The survey
# ----------------------------------------------------------------------------------------------------


def test_survey_form_is_offered_after_the_answer_as_accessible_radios(client, hoja, answer):
    response = client.get(_track_url(hoja))

    html = _html(response)
    assert _has_survey_form(response)
    assert f'action="{_survey_url(hoja)}#encuesta"' in html
    assert "¿Se solucionó tu problema?" in html
    assert "¿Qué tan satisfecho estás con nuestra respuesta?" in html
    assert "¿Qué tan probable es que nos recomiendes?" in html
    nps = html[html.index("¿Qué tan probable es que nos recomiendes?") - 200 :]
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>¿Qué tan probable es que nos recomiendes\?</legend>", nps)
    assert sorted(re.findall(r'name="nps"[^>]*value="(\d+)"', html), key=int) == [str(n) for n in range(11)]
    assert re.findall(r'name="csat"[^>]*value="(\d+)"', html) == ["1", "2", "3", "4", "5"]
    assert re.findall(r'name="solved"[^>]*value="(\w+)"', html) == ["si", "no"]
    for label in ("Muy insatisfecho", "Ni satisfecho ni insatisfecho", "Muy satisfecho"):
        assert label in html
    # every radio and the comment have a label pointing at them
    for control_id in re.findall(r'<(?:input|textarea)[^>]*\sid="(id_[^"]+)"', html):
        if control_id.startswith(("id_solved", "id_csat", "id_nps", "id_comment")):
            assert f'for="{control_id}"' in html, control_id


def test_survey_happy_path_then_thanks_and_no_form(client, hoja, answer):
    response = client.post(_survey_url(hoja), VALID_SURVEY)

    assert response.status_code == 302
    assert response["Location"] == _track_url(hoja) + "#encuesta"
    _assert_private(response)
    survey = SurveyAnswer.objects.get(complaint=hoja)
    assert (survey.solved, survey.csat, survey.nps, survey.comment) == (True, 4, 9, "Me atendieron rápido, gracias.")

    page = client.get(_track_url(hoja))
    assert "¡Gracias por tu opinión!" in _text(page)
    assert not _has_survey_form(page)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param({"solved": "no", "csat": "1", "nps": "0", "comment": ""}, (False, 1, 0, ""), id="lowest"),
        pytest.param({"solved": "si", "csat": "5", "nps": "10"}, (True, 5, 10, ""), id="highest-no-comment"),
    ],
)
def test_survey_accepts_the_ends_of_each_scale(client, hoja, answer, data, expected):
    assert client.post(_survey_url(hoja), data).status_code == 302

    survey = SurveyAnswer.objects.get(complaint=hoja)
    assert (survey.solved, survey.csat, survey.nps, survey.comment) == expected


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(VALID_SURVEY, id="valid"),
        pytest.param({"solved": "no", "csat": "1", "nps": "0"}, id="different-valid"),
        pytest.param({"csat": "99"}, id="invalid"),
    ],
)
def test_survey_second_answer_is_409_and_keeps_the_first(client, hoja, answer, second):
    client.post(_survey_url(hoja), VALID_SURVEY)

    response = client.post(_survey_url(hoja), second)

    assert response.status_code == 409
    assert MSG_SURVEY_DONE in _text(response)
    assert not _has_survey_form(response)
    _assert_private(response)
    survey = SurveyAnswer.objects.get(complaint=hoja)
    assert (survey.solved, survey.csat, survey.nps) == (True, 4, 9)


def _survey(**overrides) -> dict:
    data = {**VALID_SURVEY, **overrides}
    return {k: v for k, v in data.items() if v is not None}


INVALID_SURVEYS = [
    pytest.param(_survey(solved=None), {"solved": MSG_SURVEY_SOLVED}, id="solved-missing"),
    pytest.param(_survey(solved="tal vez"), {"solved": MSG_SURVEY_SOLVED}, id="solved-other"),
    pytest.param(_survey(solved="true"), {"solved": MSG_SURVEY_SOLVED}, id="solved-true-literal"),
    pytest.param(_survey(csat=None), {"csat": MSG_SURVEY_CSAT}, id="csat-missing"),
    pytest.param(_survey(csat="0"), {"csat": MSG_SURVEY_CSAT}, id="csat-0"),
    pytest.param(_survey(csat="6"), {"csat": MSG_SURVEY_CSAT}, id="csat-6"),
    pytest.param(_survey(csat="4.5"), {"csat": MSG_SURVEY_CSAT}, id="csat-decimal"),
    pytest.param(_survey(csat="cinco"), {"csat": MSG_SURVEY_CSAT}, id="csat-word"),
    pytest.param(_survey(nps=None), {"nps": MSG_SURVEY_NPS}, id="nps-missing"),
    pytest.param(_survey(nps="-1"), {"nps": MSG_SURVEY_NPS}, id="nps-negative"),
    pytest.param(_survey(nps="11"), {"nps": MSG_SURVEY_NPS}, id="nps-11"),
    pytest.param(_survey(nps=""), {"nps": MSG_SURVEY_NPS}, id="nps-empty"),
    pytest.param(
        _survey(comment="á" * 2001),
        {"comment": "Escribe como máximo 2000 caracteres (llevas 2001)."},
        id="comment-2001-chars",
    ),
    pytest.param(
        {},
        {"solved": MSG_SURVEY_SOLVED, "csat": MSG_SURVEY_CSAT, "nps": MSG_SURVEY_NPS},
        id="nothing-chosen",
    ),
]


@pytest.mark.parametrize(("data", "errors"), INVALID_SURVEYS)
def test_survey_invalid_values_are_400_with_the_message_beside_the_field(client, hoja, answer, data, errors):
    response = client.post(_survey_url(hoja), data)

    assert response.status_code == 400
    assert not SurveyAnswer.objects.exists()
    for field in SURVEY_FIELDS:
        assert _field_error(response, field) == errors.get(field, ""), field
    assert _has_survey_form(response)  # the consumer corrects and resends on the same page
    _assert_private(response)


def test_survey_invalid_post_keeps_what_was_chosen(client, hoja, answer):
    response = client.post(_survey_url(hoja), _survey(nps="11", comment="Bien."))

    assert response.status_code == 400
    assert _checked(response, "solved") == ["si"]
    assert _checked(response, "csat") == ["4"]
    assert _checked(response, "nps") == []
    assert _input_value(response, "comment") == "Bien."


def test_survey_before_the_answer_is_not_shown_and_a_post_is_409(client, hoja):
    assert not _has_survey_form(client.get(_track_url(hoja)))

    response = client.post(_survey_url(hoja), VALID_SURVEY)

    assert response.status_code == 409
    assert MSG_SURVEY_NOT_YET in _text(response)
    assert not _has_survey_form(response)
    assert not SurveyAnswer.objects.exists()
    _assert_private(response)


def test_survey_url_on_get_leads_to_the_survey_on_the_tracking_page(client, hoja, answer):
    response = client.get(_survey_url(hoja))

    assert response.status_code == 302
    assert response["Location"] == _track_url(hoja) + "#encuesta"
    _assert_private(response)


@pytest.mark.parametrize("method", ["get", "post"])
def test_survey_of_an_unknown_token_is_404(client, hoja, method):
    response = getattr(client, method)(reverse("reclamaciones:survey", args=["token-que-no-existe"]))

    assert response.status_code == 404


# ----------------------------------------------------------------------------------------------------
# 4. Lookup by hoja number + document number
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def books(establishment, file_complaint):
    """Hoja Nº 000000012-2026 in `establishment` (filed with DOC, after eleven others by someone else) and
    Nº 000000001-2026 in another establishment, filed with a different document."""
    for _ in range(11):
        file_complaint(filed_at=FILED_2026, doc_number="70123456")
    twelfth = file_complaint(filed_at=FILED_2026)
    other = EstablishmentFactory()
    elsewhere = file_complaint(establishment=other, filed_at=FILED_2026, doc_number="09876543")
    assert (twelfth.display_number, elsewhere.display_number) == ("000000012-2026", "000000001-2026")
    return {"twelfth": twelfth, "elsewhere": elsewhere}


def _lookup(client, number: str, doc: str, **extra):
    return client.post(reverse("reclamaciones:lookup"), {"sheet_number": number, "doc_number": doc}, **extra)


@pytest.mark.parametrize(
    ("number", "doc", "found"),
    [
        pytest.param("000000012-2026", DOC, "twelfth", id="full-number"),
        pytest.param("12-2026", DOC, "twelfth", id="short-number"),
        pytest.param("Nº 000000012-2026", DOC, "twelfth", id="with-n-ordinal"),
        pytest.param("N.º 12-2026", DOC, "twelfth", id="with-n-dot-ordinal"),
        pytest.param("n° 12 - 2026", DOC, "twelfth", id="degree-sign-and-spaces"),
        pytest.param("12–2026", DOC, "twelfth", id="en-dash"),
        pytest.param(" 000000012-2026 ", "45 805 689", "twelfth", id="doc-with-spaces"),
        pytest.param("1-2026", "09876543", "elsewhere", id="other-establishment"),
        pytest.param("12-2026", "45805680", None, id="wrong-doc"),
        pytest.param("13-2026", DOC, None, id="number-does-not-exist"),
        pytest.param("12-2025", DOC, None, id="wrong-year"),
        pytest.param("1-2026", DOC, None, id="number-of-another-book-with-my-doc"),
        pytest.param("11-2026", DOC, None, id="someone-elses-hoja"),
    ],
)
def test_lookup(client, books, number, doc, found):
    response = _lookup(client, number, doc)

    _assert_private(response)
    if found:
        assert response.status_code == 302
        assert response["Location"] == _track_url(books[found])
    else:
        assert response.status_code == 200
        assert response.templates[0].name == "reclamaciones/public/complaint_lookup.html"
        assert MSG_LOOKUP_NOT_FOUND in _text(response)
        assert books["twelfth"].tracking_token not in _html(response)


def _normalised(response, *typed: str) -> str:
    """The page with what the consumer typed and the CSRF token blanked out."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", _html(response))
    for value in typed:
        html = html.replace(value, "<typed>")
    return html


def test_lookup_answers_identically_whether_the_hoja_exists_or_not(client, books):
    wrong_doc = _lookup(client, "Nº 12-2026", "11112222")  # Nº 12 exists, not with this document
    missing = _lookup(client, "Nº 99-2026", "11112222")  # there is no Nº 99

    assert wrong_doc.status_code == missing.status_code == 200
    assert [t.name for t in wrong_doc.templates] == [t.name for t in missing.templates]
    assert _text(wrong_doc).count(MSG_LOOKUP_NOT_FOUND) == _text(missing).count(MSG_LOOKUP_NOT_FOUND) == 1
    assert _normalised(wrong_doc, "Nº 12-2026") == _normalised(missing, "Nº 99-2026")
    assert dict(wrong_doc.items()).keys() == dict(missing.items()).keys()


def test_lookup_picks_the_most_recent_when_two_books_share_number_and_document(client, establishment, file_complaint):
    older = file_complaint(filed_at=FILED_2026)
    newer = file_complaint(establishment=EstablishmentFactory(), filed_at=FILED_2026 + timedelta(days=3))
    assert older.display_number == newer.display_number

    response = _lookup(client, older.display_number, DOC)

    assert response.status_code == 302
    assert response["Location"] == _track_url(newer)


@pytest.mark.parametrize(
    ("number", "doc", "errors"),
    [
        pytest.param("", DOC, {"sheet_number": MSG_LOOKUP_NUMBER_REQUIRED}, id="number-missing"),
        pytest.param("12", DOC, {"sheet_number": MSG_LOOKUP_NUMBER}, id="number-without-year"),
        pytest.param("B001-4521", DOC, {"sheet_number": MSG_LOOKUP_NUMBER}, id="a-boleta-number"),
        pytest.param("0-2026", DOC, {"sheet_number": MSG_LOOKUP_NUMBER}, id="number-zero"),
        pytest.param("12-2026", "", {"doc_number": MSG_LOOKUP_DOC_REQUIRED}, id="doc-missing"),
        pytest.param("12-2026", " - . ", {"doc_number": MSG_LOOKUP_DOC_REQUIRED}, id="doc-only-separators"),
    ],
)
def test_lookup_malformed_input_is_explained_beside_the_field(client, books, number, doc, errors):
    response = _lookup(client, number, doc)

    assert response.status_code == 200
    for field in ("sheet_number", "doc_number"):
        assert _field_error(response, field) == errors.get(field, ""), field
    assert MSG_LOOKUP_NOT_FOUND not in _text(response)


def test_lookup_page_has_the_two_labelled_fields(client):
    response = client.get(reverse("reclamaciones:lookup"))

    assert response.status_code == 200
    html = _html(response)
    for field, label in (("sheet_number", "Número de hoja"), ("doc_number", "Número de documento")):
        assert re.search(rf'<label[^>]*for="id_{field}"[^>]*>{label}</label>', html), field
        assert f'name="{field}"' in html
    _assert_private(response)


def test_lookup_is_rate_limited_per_ip_and_keeps_the_values(client, books, settings):
    # "3/h" rather than "3/m": the limiter's window is fixed; an hour boundary between POSTs is unlikely.
    settings.RECLAMACIONES_LOOKUP_RATE = "3/h"
    for _ in range(3):
        assert _lookup(client, "99-2026", DOC).status_code == 200

    response = _lookup(client, "000000012-2026", DOC)  # right this time, but nothing is looked up

    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert MSG_LOOKUP_RATE_LIMITED.format(wait=wait_phrase(wait)) in _text(response)
    assert MSG_LOOKUP_NOT_FOUND not in _text(response)
    assert _input_value(response, "sheet_number") == "000000012-2026"
    assert _input_value(response, "doc_number") == DOC
    assert books["twelfth"].tracking_token not in _html(response)
    _assert_private(response)
    assert client.get(reverse("reclamaciones:lookup")).status_code == 200  # reading is never limited
    other_ip = _lookup(client, "000000012-2026", DOC, REMOTE_ADDR="198.51.100.7")
    assert other_ip.status_code == 302


def test_tracking_page_is_not_rate_limited(client, books, settings):
    settings.RECLAMACIONES_LOOKUP_RATE = "3/h"
    for _ in range(4):
        _lookup(client, "99-2026", DOC)

    assert client.get(_track_url(books["twelfth"])).status_code == 200


# ----------------------------------------------------------------------------------------------------
# 5. Where the consumer finds the lookup
# ----------------------------------------------------------------------------------------------------

LOOKUP_LINK_TEXT = "¿Ya presentaste una hoja? Consulta su estado"


@pytest.mark.parametrize("page", ["home", "book-index"])
def test_home_and_book_index_link_to_the_lookup(client, establishment, page):
    EstablishmentFactory()  # two books: /libro/ lists them instead of redirecting to the only form

    response = client.get(reverse(f"reclamaciones:{page}"))

    assert response.status_code == 200
    links = re.findall(r'<a\b[^>]*href="([^"]*)"[^>]*>([^<]*)</a>', _html(response))
    assert (reverse("reclamaciones:lookup"), LOOKUP_LINK_TEXT) in links
