"""Looking a hoja up by number and document: same answer whether it exists, rate limited, linked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from reclamaciones.book.forms import (
    MSG_LOOKUP_DOC_REQUIRED,
    MSG_LOOKUP_NUMBER,
    MSG_LOOKUP_NUMBER_REQUIRED,
)
from reclamaciones.book.views import MSG_LOOKUP_NOT_FOUND, MSG_LOOKUP_RATE_LIMITED
from reclamaciones.clientip import wait_phrase

from ..factories import EstablishmentFactory
from .followup_support import DOC, FILED_2026, _assert_private, _field_error, _html, _input_value, _text, _track_url

pytestmark = pytest.mark.django_db


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
