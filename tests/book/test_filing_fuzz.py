"""Fuzzing the filing form (see fuzz_support for the strategies)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from urllib.parse import quote

import pytest
from hypothesis import given, settings

from reclamaciones.access import Scope
from reclamaciones.book.models import Complaint, SheetCounter
from reclamaciones.book.services import book_verify, complaint_verify_integrity

from ..factories import EstablishmentFactory
from .fuzz_support import (
    CROWDED_IP,
    FILED_LOCATION_RE,
    FILING_EXAMPLES,
    FILING_STATUSES,
    FUZZ,
    _assert_no_server_error,
    _brief,
    _client_ip,
    _last,
    _received,
    _request,
    filing_cases,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# 1. The filing form
# ----------------------------------------------------------------------------------------------------


def test_filing_form_never_fails_and_numbers_every_accepted_filing_without_gap(web, establishment):
    other = EstablishmentFactory()
    inactive = EstablishmentFactory(is_active=False)
    books = {"main": establishment, "other": other, "inactive": inactive}
    filed: dict[str, int] = {}  # token -> establishment id, of every confirmation page the form redirected to
    statuses: Counter[int] = Counter()

    def post(case: dict, url: str, ip: str):
        extra = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": case["user_agent"]}
        if "raw" in case:
            body, content_type = case["raw"]
            return web.generic("POST", url, body, content_type=content_type, **extra)
        return _request(web, "POST", url, case["data"], encoding=case["encoding"], **extra)

    def check_filed(response, book) -> str:
        """The redirect of an accepted filing: its confirmation page renders, and the hoja is in the book posted
        to, with the content it was fingerprinted with."""
        match = FILED_LOCATION_RE.fullmatch(response["Location"])
        assert match, response["Location"]
        token = match[1]
        if token not in filed:
            page = web.get(response["Location"])
            _assert_no_server_error(page, f"GET {response['Location']}")
            assert page.status_code == 200
            complaint = Complaint.objects.get(tracking_token=token)
            assert complaint.establishment_id == book.pk
            assert complaint_verify_integrity(complaint), f"hoja {complaint.display_number} changed on the way"
            filed[token] = book.pk
        return token

    @settings(FUZZ, max_examples=FILING_EXAMPLES)
    @given(case=filing_cases())
    def file_one(case):
        book = books.get(case["book"])
        slug = book.slug if book else quote(case["book"], safe="")
        url = f"/libro/{slug}/"
        ip = _client_ip(case["crowded"])
        response = post(case, url, ip)
        what = f"POST {url} from {ip}: {_brief(case)}"
        _assert_no_server_error(response, what)
        statuses[response.status_code] += 1
        assert response.status_code in FILING_STATUSES, what
        if response.status_code == 429:
            assert ip == CROWDED_IP, f"rate-limited on a fresh address: {what}"
        if case["book"] not in ("main", "other"):
            assert response.status_code in {404, 429}, what
            return
        data = _received(case["data"], case["encoding"]) if "data" in case else {}
        honeypot = _last(data.get("referencia_interna", ""))
        if response.status_code != 429 and honeypot.strip():
            assert response.status_code == 400, f"honeypot filled, yet: {what}"
        if "data" in case and not case["mutated"] and case["encoding"] != "latin-1" and not case["crowded"]:
            assert response.status_code == 302, f"a valid filing was not filed: {what}"
        if response.status_code != 302:
            return
        token = check_filed(response, book)
        if case["double"]:
            # The same page sent again: with a key it is the same hoja, without one a new hoja (both numbered).
            again = post(case, url, ip)
            _assert_no_server_error(again, f"again, {what}")
            assert again.status_code in FILING_STATUSES, f"again, {what}"
            if again.status_code == 302:
                second = check_filed(again, book)
                try:
                    keyed = uuid.UUID(str(_last(data.get("submission_key", ""))))
                except ValueError:
                    keyed = None
                if keyed is not None:
                    assert second == token, f"a double submit filed two hojas: {what}"

    file_one()

    # Every accepted filing is numbered without gap: per book and year, 1..N with N the counter's last number.
    numbers = defaultdict(list)
    for establishment_id, year, number in Complaint.objects.values_list("establishment_id", "year", "number"):
        numbers[(establishment_id, year)].append(number)
    counters = {(c.establishment_id, c.year): c.last_number for c in SheetCounter.objects.all()}
    assert {book: sorted(n) for book, n in numbers.items()} == {
        book: list(range(1, last + 1)) for book, last in counters.items()
    }
    assert book_verify(scope=Scope.everything()).ok  # and every seal chains to the previous hoja of its book
    # ...and every hoja is one the form confirmed: no filing without its redirect, no redirect without its hoja.
    assert dict(Complaint.objects.values_list("tracking_token", "establishment_id")) == filed
    # Every example ran and they reached every outcome (data that were never filed would prove nothing).
    assert statuses.total() >= FILING_EXAMPLES, statuses
    assert len(filed) >= FILING_EXAMPLES // 4, statuses
    assert {200, 302, 400, 404, 429} <= set(statuses), statuses
