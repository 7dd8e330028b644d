"""Fixtures of the book's tests: posting the public form, a stranger's client, hojas in every public state."""

from __future__ import annotations

import pytest
from django.test import Client

from reclamaciones.access import Role
from reclamaciones.book.models import (
    Complaint,
)
from reclamaciones.book.services import complaint_file
from reclamaciones.handling.models import SettlementOffer
from reclamaciones.handling.services import survey_answer
from reclamaciones.handling.settlement import settlement_offer_accept, settlement_offer_reject

from ..factories import filing_kwargs, hoja_answered, hoja_offered, staff_user
from .followup_support import ANSWER_TEXT
from .fuzz_support import HOSTILE_CONTENT, HOSTILE_STAFF_TEXT, LONGEST_CONTENT
from .public_support import _filing_data, _post


@pytest.fixture
def post_filing(client, establishment, django_capture_on_commit_callbacks):
    """POST the form (valid data plus overrides) running the on-commit callbacks (the e-mailed copy)."""

    def _do(establishment_=None, data=None, **overrides):
        payload = data if data is not None else _filing_data(**overrides)
        with django_capture_on_commit_callbacks(execute=True):
            return _post(client, establishment_ or establishment, payload)

    return _do


@pytest.fixture
def web():
    """The client of a stranger: a server error comes back as the 500 a consumer would get (with its exception
    attached) instead of propagating, so every example can assert on the status."""
    return Client(raise_request_exception=False)


@pytest.fixture
def hojas(establishment) -> dict[str, Complaint]:
    """One hoja in each state a public page treats differently, by label."""
    agent = staff_user("agente.fuzz", Role.AGENT, all_establishments=True)

    def file(doc_number: str, **overrides) -> Complaint:
        return complaint_file(**filing_kwargs(establishment=establishment, doc_number=doc_number, **overrides))

    def answer(complaint: Complaint) -> None:
        hoja_answered(complaint, text=HOSTILE_STAFF_TEXT, by=agent)

    def offer(complaint: Complaint) -> SettlementOffer:
        return hoja_offered(complaint, text=HOSTILE_STAFF_TEXT).settlement_offers.get()

    received = file("45805689")
    hostile = file(**HOSTILE_CONTENT)
    answer(hostile)
    longest = file(**LONGEST_CONTENT)
    surveyed = file("10203040")
    answer(surveyed)
    survey_answer(complaint=surveyed, solved=False, csat=1, nps=0, comment=HOSTILE_STAFF_TEXT)
    pending = file("45805689", detail="Otra hoja del mismo documento.")
    offer(pending)
    accepted = file("70809010")
    settlement_offer_accept(offer_id=offer(accepted).pk)
    rejected = file("80901020")
    settlement_offer_reject(offer_id=offer(rejected).pk)
    labels = {
        "received": received,
        "hostile": hostile,
        "longest": longest,
        "surveyed": surveyed,
        "pending": pending,
        "accepted": accepted,
        "rejected": rejected,
    }
    return {label: Complaint.objects.get(pk=c.pk) for label, c in labels.items()}


@pytest.fixture
def agent(establishment):
    """The agent who answers the consumer's hoja (every establishment)."""
    return staff_user(
        "ana.quispe",
        Role.AGENT,
        all_establishments=True,
        first_name="Ana",
        last_name="Quispe",
        email="ana.quispe@andina.example.pe",
        is_staff=False,
    )


@pytest.fixture
def hoja(file_complaint):
    return file_complaint()


@pytest.fixture
def answer(hoja, agent):
    """The answer to `hoja`, e-mailed by an agent in scope."""
    return hoja_answered(hoja, by=agent, text=ANSWER_TEXT).response
