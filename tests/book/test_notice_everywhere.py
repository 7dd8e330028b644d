"""The book is reachable from every public page (Ley 29571 art. 151 as amended by Ley 32495: the link shown
permanently; Reglamento art. 9 and Anexo III: the notice on the home page). Every page a consumer can land on,
in every state it answers with (errors, the 404 and 400 pages, the expired-form page), carries the footer link
"Libro de Reclamaciones" to the book; the home page carries the Anexo III notice."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from ..factories import EstablishmentFactory, hoja_answered, hoja_offered
from .followup_support import VALID_SURVEY
from .public_support import BOOK_LABEL, _between, _filing_data, _form_url, _html, _links, _text

pytestmark = pytest.mark.django_db

BOOK_URL = "/libro/"


@pytest.fixture
def pages(establishment, file_complaint):
    """Every public page by name: (method, URL, data, status). Two providers with active books, so /libro/
    and /privacidad/ show their lists rather than redirecting to or showing the only one."""
    EstablishmentFactory()
    received = file_complaint()
    answered = file_complaint(doc_number="10203040")
    hoja_answered(answered)
    offered = file_complaint(doc_number="70809010")
    hoja_offered(offered)
    bad_survey = {**VALID_SURVEY, "csat": "9"}
    return {
        "home": ("get", reverse("reclamaciones:home"), None, 200),
        "book-index": ("get", reverse("reclamaciones:book-index"), None, 200),
        "form": ("get", _form_url(establishment), None, 200),
        "form-with-errors": ("post", _form_url(establishment), _filing_data(consumer_name=""), 200),
        "filed": ("get", reverse("reclamaciones:filed", args=[received.tracking_token]), None, 200),
        "track": ("get", reverse("reclamaciones:track", args=[received.tracking_token]), None, 200),
        "track-with-survey": ("get", reverse("reclamaciones:track", args=[answered.tracking_token]), None, 200),
        "survey-with-errors": (
            "post",
            reverse("reclamaciones:survey", args=[answered.tracking_token]),
            bad_survey,
            400,
        ),
        "settlement": ("get", reverse("reclamaciones:settlement", args=[offered.tracking_token]), None, 200),
        "lookup": ("get", reverse("reclamaciones:lookup"), None, 200),
        "lookup-not-found": (
            "post",
            reverse("reclamaciones:lookup"),
            {"sheet_number": "000000999-2026", "doc_number": "45805689"},
            200,
        ),
        "privacy": ("get", reverse("reclamaciones:privacy"), None, 200),
        "privacy-provider": (
            "get",
            reverse("reclamaciones:privacy-provider", args=[establishment.provider.ruc]),
            None,
            200,
        ),
        "not-found": ("get", "/no-existe/", None, 404),
        "hoja-not-found": ("get", "/seguimiento/" + "x" * 32 + "/", None, 404),
    }


def _assert_footer_link(response) -> None:
    footer = _between(_html(response), "<footer", "</footer>")
    assert (BOOK_URL, BOOK_LABEL) in _links(footer), _links(footer)


@pytest.mark.parametrize(
    "page",
    [
        "home",
        "book-index",
        "form",
        "form-with-errors",
        "filed",
        "track",
        "track-with-survey",
        "survey-with-errors",
        "settlement",
        "lookup",
        "lookup-not-found",
        "privacy",
        "privacy-provider",
        "not-found",
        "hoja-not-found",
    ],
)
def test_every_public_page_carries_the_footer_link_to_the_book(client, pages, page):
    method, url, data, status = pages[page]

    response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)

    assert response.status_code == status, page
    assert reverse("reclamaciones:book-index") == BOOK_URL
    _assert_footer_link(response)


def test_the_bad_request_page_carries_it(establishment):
    # A Host header outside ALLOWED_HOSTS is one of the requests Django answers with the 400 page.
    response = Client(raise_request_exception=False).get(reverse("reclamaciones:home"), HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "No pudimos procesar tu solicitud" in _text(response)
    _assert_footer_link(response)


def test_the_expired_form_page_carries_it(establishment):
    response = Client(enforce_csrf_checks=True).post(_form_url(establishment), _filing_data())

    assert response.status_code == 403
    assert "La página caducó" in _text(response)
    _assert_footer_link(response)


def test_the_server_error_page_still_links_to_the_book():
    # 500.html stands alone (no base template, no tags: it renders when little else works), with its own link.
    html = render_to_string("500.html")

    assert any(href == BOOK_URL and BOOK_LABEL in text for href, text in _links(html))


def test_the_home_page_shows_the_anexo_iii_notice_linking_to_the_book(client, establishment):
    response = client.get(reverse("reclamaciones:home"))

    main = _between(_html(response), "<main", "</main>")
    notice = _between(main, 'class="book-notice', "</a>")
    assert f'href="{BOOK_URL}"' in notice
    assert "libro-reclamaciones.svg" in notice  # the Anexo III graphic
    assert BOOK_LABEL in notice
    assert "Conforme a lo establecido en el Código de Protección y Defensa del Consumidor" in " ".join(notice.split())
