"""Fuzzing the consumer's answers: the survey and the settlement page (see fuzz_support)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reclamaciones.formfields import newlines_normalize
from reclamaciones.handling.models import SettlementOffer, SurveyAnswer

from .fuzz_support import (
    FUZZ,
    MISSING,
    SETTLEMENT_EXAMPLES,
    SURVEY_EXAMPLES,
    _assert_no_server_error,
    _brief,
    _fresh_ip,
    _hoja_or_garbage,
    _last,
    _mutate,
    _received,
    _request,
    _undone,
    coins,
    hostile_text,
    long_texts,
    queries,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# 4. The survey and the settlement offer: each example on the same hojas (its changes are undone)
# ----------------------------------------------------------------------------------------------------

SURVEY_NEAR_MISSES = {
    "solved": st.sampled_from(["sí", "SI", "yes", "si\x00"]),
    "csat": st.sampled_from(["0", "6", " 3", "3.0", "-1", "३"]),
    "nps": st.sampled_from(["11", "-0", "１０", "010"]),
}
SURVEY_CHOICES = {"solved": {"si", "no"}, "csat": {"1", "2", "3", "4", "5"}, "nps": {str(n) for n in range(11)}}


def _survey_valid(data: dict) -> bool:
    for field, choices in SURVEY_CHOICES.items():
        if _last(data.get(field)) not in choices:
            return False
    comment = _last(data.get("comment", ""))
    comment = newlines_normalize(comment.strip())
    return "\x00" not in comment and len(comment) <= 2000


valid_surveys = st.fixed_dictionaries(
    {
        "solved": st.sampled_from(["si", "no"]),
        "csat": st.integers(1, 5).map(str),
        "nps": st.integers(0, 10).map(str),
        "comment": st.one_of(st.just(""), long_texts.map(lambda s: s[:2000])),
    }
)
survey_fields = st.lists(st.sampled_from(["solved", "csat", "nps", "comment", "extra"]), max_size=3, unique=True)


@st.composite
def surveys(draw) -> dict:
    data = draw(valid_surveys)
    for field in draw(survey_fields):
        if field in SURVEY_NEAR_MISSES and draw(coins):
            data[field] = draw(SURVEY_NEAR_MISSES[field])
        else:
            data[field] = _mutate(draw, data.get(field, MISSING))
    return {k: v for k, v in data.items() if v is not MISSING}


def test_survey_never_fails_and_records_only_a_valid_answer_to_an_answered_hoja(web, hojas):
    statuses: Counter[int] = Counter()
    # The open survey most often (it does the real work), then already answered, then not answered yet (x2).
    labels = ["hostile"] * 4 + ["surveyed", "received", "pending"]

    @settings(FUZZ, max_examples=SURVEY_EXAMPLES)
    @given(
        token=_hoja_or_garbage(labels),
        data=surveys(),
        method=st.sampled_from(["POST"] * 6 + ["GET", "PUT"]),
        encoding=st.sampled_from(["multipart", "urlencoded", "latin-1"]),
    )
    def answer(token, data, method, encoding):
        complaint = hojas.get(token) if isinstance(token, str) else None
        segment = complaint.tracking_token if complaint else token[1]
        url = f"/seguimiento/{segment}/encuesta/"
        what = f"{method} {url[:300]}: {_brief(data)}"
        with _undone():
            response = _request(web, method, url, data, encoding=encoding, REMOTE_ADDR=_fresh_ip())
            _assert_no_server_error(response, what)
            statuses[response.status_code] += 1
            if complaint is None:
                assert response.status_code in {301, 404, 405}, what
                return
            if method != "POST":
                assert response.status_code == (302 if method == "GET" else 405), what
                return
            if token != "hostile":
                assert response.status_code == 409, what
            elif _survey_valid(_received(data, encoding)):
                assert response.status_code == 302, f"a valid survey was refused: {what}"
                assert SurveyAnswer.objects.filter(complaint=complaint).exists()
            else:
                assert response.status_code == 400, what
                assert not SurveyAnswer.objects.filter(complaint=complaint).exists()

    answer()

    assert statuses.total() >= SURVEY_EXAMPLES, statuses  # every example ran


def test_settlement_page_never_fails_and_records_only_an_express_answer_to_a_pending_offer(web, hojas):
    statuses: Counter[int] = Counter()
    # The pending offer most often (it does the real work), then closed (x2), then no offer at all.
    labels = ["pending"] * 4 + ["accepted", "rejected", "received"]

    @settings(FUZZ, max_examples=SETTLEMENT_EXAMPLES)
    @given(
        token=_hoja_or_garbage(labels),
        choice=st.one_of(
            st.sampled_from(["aceptar", "rechazar", MISSING, "ACEPTAR", "aceptar ", "aceptar\x00", ""]),
            st.lists(st.sampled_from(["aceptar", "rechazar", "quizá"]), min_size=2, max_size=3),
            hostile_text,
        ),
        method=st.sampled_from(["POST"] * 4 + ["GET", "HEAD", "PUT"]),
        encoding=st.sampled_from(["multipart", "urlencoded"]),
        query=queries,
    )
    def respond(token, choice, method, encoding, query):
        complaint = hojas.get(token) if isinstance(token, str) else None
        segment = complaint.tracking_token if complaint else token[1]
        url = f"/seguimiento/{segment}/propuesta/{query}"
        data = {} if choice is MISSING else {"respuesta": choice}
        what = f"{method} {url[:300]}: {_brief(data)}"
        with _undone():
            response = _request(web, method, url, data, encoding=encoding, REMOTE_ADDR=_fresh_ip())
            _assert_no_server_error(response, what)
            statuses[response.status_code] += 1
            if complaint is None:
                assert response.status_code in {301, 404, 405}, what
                return
            if method not in {"GET", "POST"}:
                assert response.status_code == 405, what
            elif token == "received":
                assert response.status_code == 404, what
            elif method == "GET":
                assert response.status_code == 200, what
            elif (answer := _last(_received(data, encoding).get("respuesta", ""))) not in {"aceptar", "rechazar"}:
                assert response.status_code == 400, what
            elif token == "pending":
                assert response.status_code == 302, what
                offer = SettlementOffer.objects.get(complaint=complaint)
                expected = {"aceptar": "accepted", "rechazar": "rejected"}[answer]
                assert offer.status == expected, what
            else:
                assert response.status_code == 409, what

    respond()

    assert statuses.total() >= SETTLEMENT_EXAMPLES, statuses  # every example ran
