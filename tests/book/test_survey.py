"""The satisfaction survey on the tracking page: only after the answer, once, validated beside the field."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reclamaciones.book.forms import (
    MSG_SURVEY_CSAT,
    MSG_SURVEY_NPS,
    MSG_SURVEY_SOLVED,
)
from reclamaciones.handling.models import SurveyAnswer
from reclamaciones.handling.policy import MSG_SURVEY_DONE, MSG_SURVEY_NOT_YET

from .followup_support import (
    SURVEY_FIELDS,
    VALID_SURVEY,
    _assert_private,
    _checked,
    _field_error,
    _has_survey_form,
    _html,
    _input_value,
    _survey_url,
    _text,
    _track_url,
)

pytestmark = pytest.mark.django_db


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
