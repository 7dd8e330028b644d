"""Fuzzing the tracking pages, the PDF and the lookup (see fuzz_support for the strategies)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from reclamaciones.book.forms import sheet_number_parse
from reclamaciones.book.models import Complaint, doc_number_normalize

from .fuzz_support import (
    CROWDED_IP,
    FULL_WIDTH,
    FUZZ,
    LOOKUP_EXAMPLES,
    METHODS,
    MISSING,
    TRACKING_EXAMPLES,
    _assert_no_server_error,
    _brief,
    _client_ip,
    _fresh_ip,
    _last,
    _mutate,
    _received,
    _request,
    _tokens,
    coins,
    hostile_text,
    one_in_20,
    queries,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# 2. Confirmation, tracking, PDF, settlement and survey pages by token (any method)
# ----------------------------------------------------------------------------------------------------


def test_tracking_pages_never_fail_on_any_token(web, hojas):
    statuses: Counter[int] = Counter()
    real = [c.tracking_token for c in hojas.values()]
    offered = {c.tracking_token for c in hojas.values() if c.settlement_offers.exists()}

    @settings(FUZZ, max_examples=TRACKING_EXAMPLES)
    @given(
        token=_tokens(real),
        page=st.sampled_from(["", "registrada/", "propuesta/", "encuesta/", "hoja.pdf"]),
        method=st.sampled_from(METHODS),
        query=queries,
    )
    def visit(token, page, method, query):
        kind, segment = token
        if kind == "real" and page == "hoja.pdf":
            page = ""  # WeasyPrint takes a second a page: the PDF of real hojas has its own test below
        url = f"/seguimiento/{segment}/{page}{query}"
        response = web.generic(method, url, REMOTE_ADDR=_fresh_ip())
        what = f"{method} {url[:300]}"
        _assert_no_server_error(response, what)
        statuses[response.status_code] += 1
        if kind == "fake":
            assert response.status_code in {301, 404, 405}, what
            return
        expected = {
            "": {200},
            "registrada/": {200},
            # Only GET and POST: POST without a choice is a 400 (or 409 on an offer no longer pending).
            "propuesta/": {200, 400, 405, 409} if segment in offered else {404, 405},
            "encuesta/": {302, 400, 405, 409},
        }[page]
        assert response.status_code in expected, what

    visit()

    assert statuses.total() >= TRACKING_EXAMPLES, statuses  # every example ran


def test_pdf_of_hostile_hojas_renders(web, hojas):
    # WeasyPrint takes a second or two per hoja: only the two most hostile ones (one shown inline).
    for label, query in (("hostile", ""), ("longest", "?ver=1")):
        url = reverse("reclamaciones:pdf", args=[hojas[label].tracking_token]) + query
        response = web.get(url)
        _assert_no_server_error(response, f"GET {url} ({label})")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")


# ----------------------------------------------------------------------------------------------------
# 3. Lookup by number + document
# ----------------------------------------------------------------------------------------------------


def _sheet_number_spellings(complaint: Complaint) -> list[str]:
    n, year = complaint.number, complaint.year
    return [
        complaint.display_number,
        f"Nº {complaint.display_number}",
        f"N.º {n}-{year}",
        f"hoja {n} / {year}",
        f"Nro. {n:03d} – {year}",
        f" {n}-{year} ".translate(FULL_WIDTH),
    ]


def _doc_spellings(complaint: Complaint) -> list[str]:
    doc = complaint.doc_number
    return [doc, doc.lower(), " ".join(doc), f"{doc[:2]}.{doc[2:5]}-{doc[5:]}"]


def lookups(complaints: list[Complaint]):
    """A lookup POST: a real number with its document (spelt as people do), a number and a document of different
    hojas, or garbage in either field; then perhaps a field made hostile."""
    pairs = st.sampled_from([(n, d) for c in complaints for n in _sheet_number_spellings(c) for d in _doc_spellings(c)])
    numbers = st.one_of(
        st.sampled_from([n for c in complaints for n in _sheet_number_spellings(c)]),
        st.builds("{}-{}".format, st.integers(0, 10**12), st.integers(0, 10**6)),
        hostile_text,
    )
    docs = st.one_of(st.sampled_from([d for c in complaints for d in _doc_spellings(c)]), hostile_text)
    fields = st.lists(st.sampled_from(["sheet_number", "doc_number", "extra"]), max_size=2, unique=True)

    @st.composite
    def lookup(draw) -> dict:
        number, doc = draw(pairs) if draw(coins) else (draw(numbers), draw(docs))
        data = {"sheet_number": number, "doc_number": doc}
        for field in draw(fields):
            data[field] = _mutate(draw, data.get(field, MISSING))
        return {k: v for k, v in data.items() if v is not MISSING}

    return lookup()


def test_lookup_never_fails_and_finds_only_the_hoja_of_that_number_and_document(web, hojas):
    statuses: Counter[int] = Counter()
    url = reverse("reclamaciones:lookup")

    @settings(FUZZ, max_examples=LOOKUP_EXAMPLES)
    @given(
        data=lookups(list(hojas.values())),
        method=st.sampled_from(["POST"] * 6 + ["GET", "PUT"]),
        query=queries,
        encoding=st.sampled_from(["multipart", "urlencoded", "latin-1"]),
        crowded=one_in_20,
    )
    def look_up(data, method, query, encoding, crowded):
        ip = _client_ip(crowded)
        response = _request(web, method, url + query, data, encoding=encoding, REMOTE_ADDR=ip)
        what = f"{method} {url + query} from {ip}: {_brief(data)}"
        _assert_no_server_error(response, what)
        statuses[response.status_code] += 1
        assert response.status_code in {200, 302, 405, 429}, what
        if response.status_code == 429:
            assert ip == CROWDED_IP, f"rate-limited on a fresh address: {what}"
        if method != "POST" or response.status_code == 429:
            return
        received = _received(data, encoding)
        number = _last(received.get("sheet_number", "")).strip()
        doc = _last(received.get("doc_number", "")).strip()
        match = None
        if len(number) <= 40 and len(doc) <= 20 and "\x00" not in number + doc:
            wanted = (sheet_number_parse(number), doc_number_normalize(doc))
            match = next((c for c in hojas.values() if wanted == ((c.number, c.year), c.doc_number)), None)
        if match is None:
            assert response.status_code == 200, f"found a hoja for {what}"
        else:
            assert response.status_code == 302, f"did not find hoja {match.display_number}: {what}"
            assert response["Location"] == reverse("reclamaciones:track", args=[match.tracking_token]), what

    look_up()

    assert statuses.total() >= LOOKUP_EXAMPLES, statuses  # every example ran
