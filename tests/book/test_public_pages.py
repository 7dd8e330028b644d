"""Public pages: home, the book index, the footer link on every page, 404s and the privacy page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..factories import EstablishmentFactory
from .public_support import (
    BOOK_LABEL,
    NOT_FOUND_TEXT,
    _assert_nothing_filed,
    _between,
    _filing_data,
    _form_url,
    _html,
    _links,
    _text,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# 1. Home, book index, footer link on every page
# ----------------------------------------------------------------------------------------------------


def test_home_shows_the_book_notice_linking_to_the_book(client, establishment):
    response = client.get(reverse("reclamaciones:home"))

    assert response.status_code == 200
    main = _between(_html(response), "<main", "</main>")
    book_url = reverse("reclamaciones:book-index")
    notice = [text for href, text in _links(main) if href == book_url]
    assert notice, "the home page must carry the Libro de Reclamaciones notice linking to the book"
    assert BOOK_LABEL in notice[0]
    assert "libro-reclamaciones.svg" in main  # the Anexo III graphic


@pytest.fixture
def public_pages(client, establishment, file_complaint):
    """Every public page, by name: the URL to GET and the status it answers with."""
    EstablishmentFactory()  # two active books: /libro/ lists them instead of redirecting
    complaint = file_complaint()
    token = complaint.tracking_token
    return {
        "home": (reverse("reclamaciones:home"), 200),
        "book-index": (reverse("reclamaciones:book-index"), 200),
        "form": (_form_url(establishment), 200),
        "filed": (reverse("reclamaciones:filed", args=[token]), 200),
        "track": (reverse("reclamaciones:track", args=[token]), 200),
        "privacy": (reverse("reclamaciones:privacy"), 200),
        "not-found": ("/no-existe/", 404),
    }


@pytest.mark.parametrize("page", ["home", "book-index", "form", "filed", "track", "privacy", "not-found"])
def test_every_public_page_has_the_footer_book_link(client, public_pages, page):
    url, status = public_pages[page]

    response = client.get(url)

    assert response.status_code == status
    footer = _between(_html(response), "<footer", "</footer>")
    book_url = reverse("reclamaciones:book-index")
    assert any(href == book_url and text == BOOK_LABEL for href, text in _links(footer)), _links(footer)


def test_book_index_with_one_active_establishment_redirects_to_its_form(client, establishment):
    EstablishmentFactory(is_active=False)

    response = client.get(reverse("reclamaciones:book-index"))

    assert response.status_code == 302
    assert response["Location"] == _form_url(establishment)


def test_book_index_lists_every_active_establishment_and_hides_inactive_ones(client, establishment):
    second = EstablishmentFactory(name="Tienda virtual", kind="virtual")
    inactive = EstablishmentFactory(name="Tienda cerrada Miraflores", is_active=False)

    response = client.get(reverse("reclamaciones:book-index"))

    assert response.status_code == 200
    hrefs = {href for href, _ in _links(_html(response))}
    assert {_form_url(establishment), _form_url(second)} <= hrefs
    assert _form_url(inactive) not in hrefs
    assert establishment.name in _text(response)
    assert second.name in _text(response)
    assert inactive.name not in _text(response)


def test_book_index_without_active_books_explains_where_else_to_complain(client):
    EstablishmentFactory(is_active=False)

    response = client.get(reverse("reclamaciones:book-index"))

    assert response.status_code == 200
    assert "no está disponible en este momento" in _text(response)


@pytest.mark.parametrize("method", [pytest.param("get", id="get"), pytest.param("post", id="post")])
def test_inactive_establishment_form_is_404(client, establishment, method, mailoutbox):
    inactive = EstablishmentFactory(is_active=False)

    response = getattr(client, method)(_form_url(inactive), _filing_data() if method == "post" else None)

    assert response.status_code == 404
    assert NOT_FOUND_TEXT in _text(response)
    _assert_nothing_filed(mailoutbox)


def test_unknown_slug_is_a_spanish_404(client, establishment):
    response = client.get(reverse("reclamaciones:file", args=["no-existe"]))

    assert response.status_code == 404
    assert NOT_FOUND_TEXT in _text(response)
    assert "Revisa que el enlace esté completo" in _text(response)


# ----------------------------------------------------------------------------------------------------
# 10. Privacy page
# ----------------------------------------------------------------------------------------------------


def test_privacy_page_names_the_controller_the_data_bank_and_the_retention(client, establishment):
    provider = establishment.provider

    response = client.get(reverse("reclamaciones:privacy"))

    assert response.status_code == 200
    text = _text(response)
    assert provider.legal_name in text
    assert f"RUC {provider.ruc}" in text
    assert f"«{provider.data_bank_name}»" in text
    assert "dos (2) años" in text
    assert "Ley N.º 29733" in text


def test_privacy_page_omits_providers_without_active_books(client, establishment):
    hidden = EstablishmentFactory(is_active=False).provider

    response = client.get(reverse("reclamaciones:privacy"))

    assert hidden.legal_name not in _text(response)
