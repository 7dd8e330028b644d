"""Public pages: home, the book index, the hoja form, filing, confirmation, tracking, PDF and privacy.

Everything goes through the real stack (URLs, views, form, filing service, outbox, e-mail, WeasyPrint).
Time is never frozen: expectations are computed from the stored Complaint.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.template.defaultfilters import capfirst
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation

from reclamaciones.book.forms import (
    MSG_AMOUNT,
    MSG_AMOUNT_DECIMALS,
    MSG_AMOUNT_NEGATIVE,
    MSG_AMOUNT_TOO_LARGE,
    MSG_CE,
    MSG_DETAIL_REQUIRED,
    MSG_DNI,
    MSG_DOC_REQUIRED,
    MSG_EMAIL,
    MSG_GUARDIAN_REQUIRED,
    MSG_HONEYPOT,
    MSG_NAME_REQUIRED,
    MSG_PASSPORT,
    MSG_PHONE,
    MSG_RUC,
)
from reclamaciones.book.models import MSG_ADDRESS_OR_EMAIL, Complaint, SheetCounter
from reclamaciones.book.services import submission_key_derive
from reclamaciones.book.views import MSG_RATE_LIMITED
from reclamaciones.clientip import wait_phrase
from reclamaciones.outbox.models import OutboundMessage

from .factories import VALID_FILING, EstablishmentFactory

pytestmark = pytest.mark.django_db

BOOK_LABEL = "Libro de Reclamaciones"
NOT_FOUND_TEXT = "No encontramos esta página"
MSG_FIELD_REQUIRED = "Este campo es obligatorio."  # Django's own message, in Spanish (LANGUAGE_CODE es-pe)
MSG_NULL_CHARACTERS = "Los caracteres nulos no están permitidos."

# Anexo I (DS 101-2022-PCM), legal-peru.md §3.1: verbatim. The first footnote has no space after "*".
RECLAMO_DEFINITION = "RECLAMO: Disconformidad relacionada a los productos o servicios."
QUEJA_DEFINITION = (
    "QUEJA: Disconformidad no relacionada a los productos o servicios; o, malestar o descontento respecto a "
    "la atención al público."
)
FOOTNOTE_NOT_PRIOR_STEP = (
    "*La formulación del reclamo no impide acudir a otras vías de solución de controversias ni es requisito "
    "previo para interponer una denuncia ante el INDECOPI."
)
FOOTNOTE_DEADLINE = (
    "* El proveedor debe dar respuesta al reclamo o queja en un plazo no mayor a quince (15) días hábiles, "
    "el cual es improrrogable."
)
SECTION_TITLES = (
    "1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE",
    "2. IDENTIFICACIÓN DEL BIEN CONTRATADO",
    "3. DETALLE DE LA RECLAMACIÓN Y PEDIDO DEL CONSUMIDOR",
    "PADRE O MADRE: [PARA EL CASO DE MENORES DE EDAD]",
)
FORM_FIELD_NAMES = {
    "consumer_name",
    "doc_type",
    "doc_number",
    "consumer_address",
    "consumer_phone",
    "consumer_email",
    "is_minor",
    "guardian_name",
    "guardian_address",
    "guardian_phone",
    "guardian_email",
    "good_type",
    "amount_claimed",
    "currency",
    "good_description",
    "kind",
    "detail",
    "request",
}
SPANISH_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def _max_length_msg(limit: int, length: int) -> str:
    return f"Escribe como máximo {limit} caracteres (llevas {length})."


def _invalid_choice_msg(value: str) -> str:
    return f"Escoja una opción válida. {value} no es una de las opciones disponibles."


# ----------------------------------------------------------------------------------------------------
# HTML helpers
# ----------------------------------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """Collects the controls of a page: every input/select/textarea, the labels' `for`, and the values a
    browser would submit (checked radios/checkboxes, selected options, textarea text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.controls: list[tuple[str, dict]] = []
        self.label_fors: set[str] = set()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._aria_hidden_depth = 0
        self._stack: list[tuple[str, bool]] = []
        self.aria_hidden_names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag not in {"input", "br", "img", "meta", "link", "hr", "option"}:
            hidden = attrs.get("aria-hidden") == "true"
            self._stack.append((tag, hidden))
            self._aria_hidden_depth += hidden
        if tag == "label" and "for" in attrs:
            self.label_fors.add(attrs["for"])
        if tag in {"input", "select", "textarea"}:
            self.controls.append((tag, attrs))
            if self._aria_hidden_depth and attrs.get("name"):
                self.aria_hidden_names.add(attrs["name"])
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") in {"radio", "checkbox"}:
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            else:
                self.values[name] = attrs.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self._text = []

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self.values[self._textarea] = text.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        if tag in {"input", "br", "img", "meta", "link", "hr", "option"}:
            return
        while self._stack:
            open_tag, hidden = self._stack.pop()
            self._aria_hidden_depth -= hidden
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def _parse(response) -> _FormParser:
    parser = _FormParser()
    parser.feed(response.content.decode())
    parser.close()
    return parser


def _html(response) -> str:
    return response.content.decode()


def _text(response) -> str:
    """The page as a reader sees it: tags removed, entities decoded, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", _html(response))
    return " ".join(unescape(without_tags).split())


def _links(html: str) -> list[tuple[str, str]]:
    """(href, visible text) of every <a> in `html`."""
    return [
        (unescape(href), " ".join(unescape(re.sub(r"<[^>]+>", " ", inner)).split()))
        for href, inner in re.findall(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', html, re.S)
    ]


def _between(html: str, start: str, end: str) -> str:
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


def _field_error(html: str, field: str) -> str:
    """The error text rendered beside `field` (crispy-bootstrap5's invalid-feedback block)."""
    if field == "kind":  # the kind radios are hand-written in the template, with their own feedback div
        block = _between(html, 'name="kind"', "</fieldset>")
        found = re.findall(r'<div class="invalid-feedback d-block">(.*?)</div>', block, re.S)
    else:
        found = re.findall(rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', html, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", " ".join(found))).split())


def _control(parser: _FormParser, name: str) -> dict:
    matches = [attrs for _, attrs in parser.controls if attrs.get("name") == name]
    assert matches, f"no control named {name!r}"
    return matches[0]


def _submission_key(response) -> str:
    key = _parse(response).values.get("submission_key", "")
    uuid.UUID(key)  # a real key is rendered
    return key


# ----------------------------------------------------------------------------------------------------
# Request helpers and fixtures
# ----------------------------------------------------------------------------------------------------


def _form_url(establishment) -> str:
    return reverse("reclamaciones:file", args=[establishment.slug])


def _filing_data(**overrides) -> dict:
    data = {**VALID_FILING, "submission_key": str(uuid.uuid4())}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _post(client, establishment, data, **extra):
    return client.post(_form_url(establishment), data, **extra)


@pytest.fixture
def post_filing(client, establishment, django_capture_on_commit_callbacks):
    """POST the form (valid data plus overrides) running the on-commit callbacks (the e-mailed copy)."""

    def _do(establishment_=None, data=None, **overrides):
        payload = data if data is not None else _filing_data(**overrides)
        with django_capture_on_commit_callbacks(execute=True):
            return _post(client, establishment_ or establishment, payload)

    return _do


def _assert_nothing_filed(mailoutbox, *, counters_before=None):
    assert Complaint.objects.count() == (0 if counters_before is None else sum(counters_before.values()))
    if counters_before is None:
        assert SheetCounter.objects.count() == 0
    else:
        assert dict(SheetCounter.objects.values_list("pk", "last_number")) == counters_before
    assert not mailoutbox


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
# 2. The form page
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def form_response(client, establishment):
    response = client.get(_form_url(establishment))
    assert response.status_code == 200
    return response


def test_form_has_exactly_the_anexo_i_fields(form_response):
    parser = _parse(form_response)

    names = {attrs.get("name") for _, attrs in parser.controls}

    hidden_or_technical = {"csrfmiddlewaretoken", "submission_key", "referencia_interna"}
    assert names - hidden_or_technical == FORM_FIELD_NAMES


def test_every_visible_control_has_a_label(form_response):
    parser = _parse(form_response)

    visible = [
        attrs
        for _, attrs in parser.controls
        if attrs.get("type") != "hidden" and attrs.get("name") not in {"csrfmiddlewaretoken", "referencia_interna"}
    ]

    assert visible
    unlabelled = [attrs.get("name") for attrs in visible if not attrs.get("id") or attrs["id"] not in parser.label_fors]
    assert unlabelled == []


def test_honeypot_is_labelled_hidden_from_assistive_tech_and_out_of_tab_order(form_response):
    parser = _parse(form_response)

    honeypot = _control(parser, "referencia_interna")

    assert honeypot["id"] in parser.label_fors
    assert "referencia_interna" in parser.aria_hidden_names
    assert honeypot.get("tabindex") == "-1"
    assert honeypot.get("autocomplete") == "off"


def test_form_shows_provider_and_establishment_as_printed_on_the_sheet(form_response, establishment):
    text = _text(form_response)

    assert establishment.provider.legal_name in text
    assert f"RUC {establishment.provider.ruc}" in text
    assert establishment.address in text
    assert establishment.code in text


@pytest.mark.parametrize(
    "expected",
    [
        *(pytest.param(title, id=f"section-{i}") for i, title in enumerate(SECTION_TITLES, start=1)),
        pytest.param(RECLAMO_DEFINITION, id="reclamo-definition"),
        pytest.param(QUEJA_DEFINITION, id="queja-definition"),
        pytest.param(FOOTNOTE_NOT_PRIOR_STEP, id="footnote-not-a-prior-step"),
        pytest.param(FOOTNOTE_DEADLINE, id="footnote-15-business-days"),
    ],
)
def test_form_shows_the_anexo_i_text_verbatim(form_response, expected):
    assert expected in _text(form_response)


def test_form_footnotes_are_the_signed_text_character_for_character(form_response):
    # The first footnote has no space after "*", the second has one (legal-peru.md §3.1).
    html = _html(form_response)

    assert f">{FOOTNOTE_NOT_PRIOR_STEP}<" in html
    assert f">{FOOTNOTE_DEADLINE}<" in html


def test_personal_data_notice_is_text_with_a_link_not_a_checkbox(form_response):
    html = _html(form_response)
    notice = _between(html, 'class="privacy-notice', "</section>")

    assert "Ley N.º 29733" in unescape(notice)
    assert reverse("reclamaciones:privacy") in {href for href, _ in _links(notice)}
    assert "<input" not in notice


def test_the_only_checkbox_is_is_minor(form_response):
    parser = _parse(form_response)

    checkboxes = [attrs.get("name") for _, attrs in parser.controls if attrs.get("type") == "checkbox"]

    assert checkboxes == ["is_minor"]


@pytest.mark.parametrize(
    "forbidden",
    [
        pytest.param(r"nacimiento|birth|dob\b|fecha_nac", id="no-date-of-birth"),
        pytest.param(r"captcha|turnstile", id="no-captcha"),
        pytest.param(r"password|contraseña", id="no-login"),
    ],
)
def test_form_asks_nothing_the_anexo_does_not(form_response, forbidden):
    parser = _parse(form_response)

    names_and_ids = " ".join(f"{a.get('name', '')} {a.get('id', '')} {a.get('type', '')}" for _, a in parser.controls)

    assert not re.search(forbidden, names_and_ids, re.I)
    assert not re.search(forbidden, _html(form_response), re.I)
    assert not [a for _, a in parser.controls if a.get("type") == "date"]


def test_form_page_renders_a_fresh_submission_key_each_time(client, establishment):
    first = _submission_key(client.get(_form_url(establishment)))
    second = _submission_key(client.get(_form_url(establishment)))

    assert first != second


# ----------------------------------------------------------------------------------------------------
# 3. Successful filing: the confirmation page and the e-mailed copy
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def filed(client, establishment, django_capture_on_commit_callbacks):
    """File through the form exactly as a browser would (GET, read the key, POST) and follow the redirect."""
    key = _submission_key(client.get(_form_url(establishment)))
    with django_capture_on_commit_callbacks(execute=True):
        post = _post(client, establishment, {**VALID_FILING, "submission_key": key})
    complaint = Complaint.objects.get()
    page = client.get(post["Location"])
    return post, page, complaint, key


def test_filing_redirects_to_the_confirmation_page(filed):
    post, page, complaint, key = filed

    assert post.status_code == 302
    assert post["Location"] == reverse("reclamaciones:filed", args=[complaint.tracking_token])
    assert page.status_code == 200
    # Stored under the page's key and the content sent (Back, edit, Enviar is a new hoja; see test_hostile_input)
    assert complaint.submission_key == submission_key_derive(uuid.UUID(key), complaint)


def test_filing_stores_the_consumer_data_as_typed(filed, establishment):
    _, _, complaint, _ = filed

    assert complaint.establishment == establishment
    assert complaint.number == 1
    assert complaint.year == timezone.localtime(complaint.filed_at).year
    for field in ("consumer_name", "doc_number", "consumer_address", "consumer_email", "detail", "request"):
        assert getattr(complaint, field) == VALID_FILING[field], field
    assert complaint.amount_claimed == Decimal("1250.50")
    assert complaint.kind_filed == "reclamo"
    assert complaint.provider_name == establishment.provider.legal_name
    assert complaint.provider_ruc == establishment.provider.ruc
    assert complaint.establishment_code == establishment.code
    assert SheetCounter.objects.get().last_number == 1


def test_confirmation_page_shows_number_date_and_lima_time(filed):
    _, page, complaint, _ = filed
    filed_local = timezone.localtime(complaint.filed_at)

    text = _text(page)

    assert f"Nº 000000001-{complaint.year}" in text
    assert str(filed_local.tzinfo) == "America/Lima"
    assert f"{filed_local:%d/%m/%Y} a las {filed_local:%H:%M}" in text
    assert "hora de Lima" in text


def test_confirmation_page_shows_the_due_date_in_figures_and_in_spanish_words(filed):
    _, page, complaint, _ = filed

    text = _text(page)

    assert f"Fecha límite de respuesta: {complaint.due_date:%d/%m/%Y}" in text
    with translation.override("es"):
        in_words = capfirst(date_filter(complaint.due_date, r"l j \d\e F \d\e Y"))
    assert in_words in text
    month = SPANISH_MONTHS[complaint.due_date.month - 1]
    assert f"{complaint.due_date.day} de {month} de {complaint.due_date.year}" in text


@pytest.mark.parametrize("accept_language", ["en-US,en;q=0.9", "pt-BR", "qu"])
def test_pages_stay_in_spanish_whatever_the_browser_language(client, file_complaint, accept_language):
    """The UI is es-PE only: a browser asking for English must still read Spanish dates and messages."""
    complaint = file_complaint()
    page = client.get(
        reverse("reclamaciones:filed", args=[complaint.tracking_token]), HTTP_ACCEPT_LANGUAGE=accept_language
    )
    month = SPANISH_MONTHS[complaint.due_date.month - 1]

    assert f"{complaint.due_date.day} de {month} de {complaint.due_date.year}" in _text(page)
    english = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "January", "December"]
    assert not [word for word in english if word in _text(page)]
    form = client.post(
        reverse("reclamaciones:file", args=[complaint.establishment.slug]),
        _filing_data(doc_type="dni", doc_number="123"),
        HTTP_ACCEPT_LANGUAGE=accept_language,
    )
    assert MSG_DNI in form.content.decode()


def test_confirmation_page_links_the_pdf_and_the_tracking_url(filed):
    _, page, complaint, _ = filed
    hrefs = {href for href, _ in _links(_html(page))}

    tracking_url = settings.PORTAL_BASE_URL + reverse("reclamaciones:track", args=[complaint.tracking_token])

    assert reverse("reclamaciones:pdf", args=[complaint.tracking_token]) in hrefs
    assert tracking_url in hrefs
    assert tracking_url in _text(page)


def test_confirmation_page_shows_the_whole_sheet_with_accents(filed, establishment):
    _, page, _, _ = filed

    text = _text(page)

    for value in ("María Núñez Ñahui", VALID_FILING["detail"], VALID_FILING["request"], "45805689"):
        assert value in text
    assert establishment.provider.legal_name in text
    for title in SECTION_TITLES[:3]:
        assert title in text
    assert FOOTNOTE_NOT_PRIOR_STEP in text
    assert FOOTNOTE_DEADLINE in text
    assert VALID_FILING["consumer_email"] in text  # "te enviamos una copia a ..."


def test_confirmation_page_is_private(filed):
    _, page, _, _ = filed

    cache_control = page["Cache-Control"]

    assert "no-store" in cache_control or "no-cache" in cache_control or "private" in cache_control
    assert "noindex" in page["X-Robots-Tag"]


def test_the_copy_is_emailed_with_the_pdf(filed, mailoutbox):
    _, _, complaint, _ = filed

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [VALID_FILING["consumer_email"]]
    assert complaint.display_number in message.subject
    pdfs = [a for a in message.attachments if a[2] == "application/pdf"]
    assert len(pdfs) == 1
    filename, content, _ = pdfs[0]
    assert complaint.display_number in filename
    assert content.startswith(b"%PDF")
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT


def test_a_minors_copy_goes_to_the_consumer_and_to_the_guardian(post_filing, mailoutbox):
    response = post_filing(is_minor="on", guardian_name="Rosa Ñahui Quispe", guardian_email="rosa@example.pe")

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == ["maria.nunez@example.pe", "rosa@example.pe"]
    number = Complaint.objects.get().display_number
    assert all(number in m.subject for m in mailoutbox)


def test_filing_without_email_tells_the_consumer_to_download_or_print(client, post_filing, mailoutbox):
    response = post_filing(consumer_email="")

    assert response.status_code == 302
    page = client.get(response["Location"])
    text = _text(page)
    assert "descarga o imprime tu hoja ahora" in text
    assert "Te enviamos una copia" not in text
    assert not mailoutbox
    assert not OutboundMessage.objects.exists()
    complaint = Complaint.objects.get()
    assert complaint.consumer_email == ""
    assert complaint.response_channel == "letter"


# ----------------------------------------------------------------------------------------------------
# 4. PDF download, unknown tokens, tracking page
# ----------------------------------------------------------------------------------------------------


def test_pdf_download(client, file_complaint):
    complaint = file_complaint()

    response = client.get(reverse("reclamaciones:pdf", args=[complaint.tracking_token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f'filename="hoja-de-reclamacion-{complaint.display_number}.pdf"' in disposition
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", ["filed", "track", "pdf"])
def test_unknown_token_is_404(client, file_complaint, name):
    file_complaint()

    response = client.get(reverse(f"reclamaciones:{name}", args=["token-que-no-existe"]))

    assert response.status_code == 404
    assert NOT_FOUND_TEXT in _text(response)


def test_tracking_page_shows_status_and_due_date(client, file_complaint):
    complaint = file_complaint()

    response = client.get(reverse("reclamaciones:track", args=[complaint.tracking_token]))

    assert response.status_code == 200
    text = _text(response)
    assert "Registrada" in text
    assert f"Fecha límite de respuesta: {complaint.due_date:%d/%m/%Y}" in text
    assert f"Seguimiento de tu hoja Nº {complaint.display_number}" in text
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


# ----------------------------------------------------------------------------------------------------
# 5. Validation: one thing broken at a time
# ----------------------------------------------------------------------------------------------------

INVALID_CASES = [
    pytest.param({"consumer_name": ""}, ["consumer_name"], MSG_NAME_REQUIRED, id="name-missing"),
    pytest.param({"consumer_name": "   "}, ["consumer_name"], MSG_NAME_REQUIRED, id="name-blank-spaces"),
    pytest.param({"doc_number": ""}, ["doc_number"], MSG_DOC_REQUIRED, id="doc-number-missing"),
    pytest.param({"doc_number": "4580568"}, ["doc_number"], MSG_DNI, id="dni-7-digits"),
    pytest.param({"doc_number": "458056891"}, ["doc_number"], MSG_DNI, id="dni-9-digits"),
    pytest.param({"doc_number": "4580568A"}, ["doc_number"], MSG_DNI, id="dni-letters"),
    pytest.param({"doc_type": "ce", "doc_number": "AB12345"}, ["doc_number"], MSG_CE, id="ce-too-short"),
    pytest.param(
        {"doc_type": "pasaporte", "doc_number": "AB#12345"},
        ["doc_number"],
        MSG_PASSPORT,
        id="passport-symbols",
    ),
    pytest.param({"doc_type": "ruc", "doc_number": "20601457890"}, ["doc_number"], MSG_RUC, id="ruc-check-digit"),
    pytest.param(
        {"consumer_address": "", "consumer_email": ""},
        ["consumer_address", "consumer_email"],
        MSG_ADDRESS_OR_EMAIL,
        id="neither-address-nor-email",
    ),
    pytest.param({"consumer_email": "maria.nunez@"}, ["consumer_email"], MSG_EMAIL, id="email-invalid"),
    pytest.param({"consumer_phone": "987 abc 321"}, ["consumer_phone"], MSG_PHONE, id="phone-letters"),
    pytest.param(
        {"is_minor": "on", "guardian_name": ""},
        ["guardian_name"],
        MSG_GUARDIAN_REQUIRED,
        id="minor-no-guardian",
    ),
    pytest.param({"amount_claimed": "-5"}, ["amount_claimed"], MSG_AMOUNT_NEGATIVE, id="amount-negative"),
    pytest.param({"amount_claimed": "abc"}, ["amount_claimed"], MSG_AMOUNT, id="amount-letters"),
    pytest.param({"amount_claimed": "10.505"}, ["amount_claimed"], MSG_AMOUNT_DECIMALS, id="amount-3-decimals"),
    pytest.param({"amount_claimed": "NaN"}, ["amount_claimed"], MSG_AMOUNT, id="amount-nan"),
    pytest.param({"amount_claimed": "Infinity"}, ["amount_claimed"], MSG_AMOUNT, id="amount-infinity"),
    pytest.param(
        {"consumer_name": "María Núñez Ñahui " + "x" * 133},
        ["consumer_name"],
        _max_length_msg(150, 151),
        id="name-151-chars",
    ),
    pytest.param({"detail": "á" * 4001}, ["detail"], _max_length_msg(4000, 4001), id="detail-4001-chars"),
    pytest.param({"detail": ""}, ["detail"], MSG_DETAIL_REQUIRED, id="detail-missing"),
    pytest.param({"doc_type": "libreta"}, ["doc_type"], _invalid_choice_msg("libreta"), id="doc-type-invalid"),
    pytest.param({"kind": "denuncia"}, ["kind"], _invalid_choice_msg("denuncia"), id="kind-invalid"),
]


@pytest.mark.parametrize(("overrides", "fields", "message"), INVALID_CASES)
def test_invalid_filing_is_rejected_beside_the_field(post_filing, mailoutbox, overrides, fields, message):
    data = _filing_data(**overrides)

    response = post_filing(data=data)

    assert response.status_code == 200
    html = _html(response)
    parser = _parse(response)
    for field in fields:
        assert message in _field_error(html, field), field
        if field != "kind":  # the hand-written kind radios show the message in their own feedback div
            assert "is-invalid" in _control(parser, field).get("class", "").split(), field
    assert 'id="resumen-errores"' in html  # the error summary at the top
    _assert_nothing_filed(mailoutbox)


@pytest.mark.parametrize(("overrides", "fields", "message"), INVALID_CASES)
def test_invalid_filing_keeps_what_the_consumer_typed(post_filing, overrides, fields, message):
    data = _filing_data(**overrides)

    response = post_filing(data=data)

    values = _parse(response).values
    for name, value in data.items():
        if name in fields and name in {"doc_type", "kind"}:
            continue  # an invalid choice cannot be shown as selected
        assert values.get(name, "") == value, name
    if "consumer_name" not in fields:
        assert 'value="María Núñez Ñahui"' in _html(response)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"consumer_name": "", "doc_number": "1"}, id="text-fields"),
        pytest.param({"good_type": "auto"}, id="good-type-radio"),
        pytest.param({"kind": "denuncia"}, id="kind-radio"),
    ],
)
def test_error_summary_links_jump_to_the_field(post_filing, overrides):
    # The summary at the top lists each error as a link to its field (the JS focuses the summary first).
    response = post_filing(**overrides)

    html = _html(response)
    summary = _between(html, 'id="resumen-errores"', "</div>")
    targets = [href for href, _ in _links(summary)]
    assert len(targets) == len(overrides)
    ids = {attrs.get("id") for _, attrs in _parse(response).controls}
    for href in targets:
        assert href.startswith("#")
        assert href[1:] in ids, f"summary link {href!r} points to no field"


def test_invalid_filing_after_a_valid_one_does_not_touch_the_counter(post_filing, mailoutbox):
    assert post_filing().status_code == 302
    counters = dict(SheetCounter.objects.values_list("pk", "last_number"))
    mailoutbox.clear()

    response = post_filing(detail="")

    assert response.status_code == 200
    _assert_nothing_filed(mailoutbox, counters_before=counters)
    assert post_filing().status_code == 302
    assert sorted(Complaint.objects.values_list("number", flat=True)) == [1, 2]  # gapless


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        pytest.param({"amount_claimed": "1,250.50"}, "amount_claimed", Decimal("1250.50"), id="amount-thousands"),
        pytest.param({"amount_claimed": "1250,5"}, "amount_claimed", Decimal("1250.50"), id="amount-decimal-comma"),
        pytest.param({"amount_claimed": "S/ 99"}, "amount_claimed", Decimal("99.00"), id="amount-soles-prefix"),
        pytest.param({"amount_claimed": "US$ 12.5"}, "amount_claimed", Decimal("12.50"), id="amount-dollar-prefix"),
        pytest.param({"amount_claimed": ""}, "amount_claimed", None, id="amount-empty"),
        pytest.param({"amount_claimed": "0"}, "amount_claimed", Decimal("0.00"), id="amount-zero"),
        pytest.param({"doc_number": "4580 5689"}, "doc_number", "45805689", id="dni-with-spaces"),
        pytest.param({"doc_number": "45.805.689"}, "doc_number", "45805689", id="dni-with-dots"),
        pytest.param({"doc_type": "ruc", "doc_number": "20601457891"}, "doc_number", "20601457891", id="ruc-valid"),
        pytest.param({"doc_type": "ce", "doc_number": "ab123456"}, "doc_number", "AB123456", id="ce-uppercased"),
        pytest.param({"doc_type": "pasaporte", "doc_number": "X12345"}, "doc_number", "X12345", id="passport-6"),
        pytest.param({"kind": ""}, "kind_filed", "", id="kind-blank"),
        pytest.param({"kind": "queja"}, "kind_filed", "queja", id="kind-queja"),
        pytest.param({"consumer_address": ""}, "consumer_address", "", id="email-only"),
        pytest.param({"consumer_email": ""}, "consumer_email", "", id="address-only"),
        pytest.param({"good_type": "", "request": ""}, "request", "", id="optional-fields-blank"),
        pytest.param(
            {"is_minor": "on", "guardian_name": "Rosa Ñahui Quispe"},
            "guardian_name",
            "Rosa Ñahui Quispe",
            id="minor-with-guardian",
        ),
        pytest.param({"guardian_name": "Rosa Ñahui"}, "guardian_name", "", id="guardian-ignored-if-not-minor"),
    ],
)
def test_accepted_inputs_are_normalised(post_filing, overrides, field, expected):
    response = post_filing(**overrides)

    assert response.status_code == 302, _field_errors_summary(response)
    assert getattr(Complaint.objects.get(), field) == expected


def _field_errors_summary(response) -> str:
    return " ".join(re.findall(r'class="alert-link">(.*?)</li>', _html(response), re.S))


def test_dni_typed_with_non_ascii_digits_is_not_stored_as_is(post_filing):
    # Full-width digits come from some mobile keyboards/IMEs. Python's \d matches them, so the DNI check
    # must either turn them into 0-9 or refuse them: a DNI is 8 ASCII digits (SIREC export, searches).
    response = post_filing(doc_number="４５８０５６８９")

    if response.status_code == 302:
        assert Complaint.objects.get().doc_number == "45805689"
    else:
        assert response.status_code == 200
        assert MSG_DNI in _field_error(_html(response), "doc_number")


# ----------------------------------------------------------------------------------------------------
# 6. Honeypot
# ----------------------------------------------------------------------------------------------------


def test_honeypot_filled_is_refused_with_a_spanish_message(post_filing, mailoutbox):
    data = _filing_data(referencia_interna="http://spam.example")

    response = post_filing(data=data)

    assert response.status_code == 400
    assert MSG_HONEYPOT in _text(response)
    values = _parse(response).values
    for name in ("consumer_name", "doc_number", "consumer_email", "detail", "request", "submission_key"):
        assert values[name] == data[name], name
    _assert_nothing_filed(mailoutbox)


def test_honeypot_rerender_lets_a_human_resubmit(post_filing):
    # The honeypot sits off-screen (.hp-field, left:-10000px), aria-hidden and out of the tab order, so a
    # person whose browser autofilled it cannot see or reach it. MSG_HONEYPOT tells them to empty it: the
    # re-rendered form must therefore come back with it empty, or they can only start again from scratch.
    response = post_filing(data=_filing_data(referencia_interna="autofill"))

    assert response.status_code == 400
    assert _parse(response).values.get("referencia_interna", "") == ""


# ----------------------------------------------------------------------------------------------------
# 7. Double submit
# ----------------------------------------------------------------------------------------------------


def test_double_submit_with_the_same_key_files_one_hoja(post_filing, mailoutbox):
    data = _filing_data()

    first = post_filing(data=data)
    second = post_filing(data=data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    complaint = Complaint.objects.get()
    assert first["Location"] == reverse("reclamaciones:filed", args=[complaint.tracking_token])
    assert SheetCounter.objects.get().last_number == 1
    assert OutboundMessage.objects.count() == 1
    assert len(mailoutbox) == 1


def test_two_different_keys_file_two_hojas(post_filing, mailoutbox):
    first = post_filing()
    second = post_filing()

    assert first.status_code == second.status_code == 302
    assert first["Location"] != second["Location"]
    assert sorted(Complaint.objects.values_list("number", flat=True)) == [1, 2]
    assert SheetCounter.objects.get().last_number == 2
    assert len(mailoutbox) == 2


# ----------------------------------------------------------------------------------------------------
# 8. Rate limit
# ----------------------------------------------------------------------------------------------------


def test_filing_is_rate_limited_per_ip_and_keeps_the_values(client, establishment, post_filing, settings):
    # "2/h" rather than "2/m": the limiter's window is fixed, so a minute boundary between the POSTs could
    # reset the count; an hour boundary is far less likely.
    settings.RECLAMACIONES_FILING_RATE = "2/h"
    third = _filing_data(consumer_name="José Ñique Ccori")

    assert post_filing().status_code == 302
    assert post_filing().status_code == 302
    response = post_filing(data=third)

    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    assert MSG_RATE_LIMITED.format(wait=wait_phrase(wait)) in _text(response)
    assert "unos minutos" not in _text(response)
    values = _parse(response).values
    for name in ("consumer_name", "doc_number", "consumer_address", "detail", "request", "submission_key"):
        assert values[name] == third[name], name
    assert Complaint.objects.count() == 2
    assert not Complaint.objects.filter(consumer_name="José Ñique Ccori").exists()
    assert SheetCounter.objects.get().last_number == 2


def test_rate_limit_never_blocks_reading(client, establishment, post_filing, settings):
    settings.RECLAMACIONES_FILING_RATE = "2/h"
    for _ in range(3):
        post_filing()

    for _ in range(5):
        assert client.get(_form_url(establishment)).status_code == 200
    assert client.get(reverse("reclamaciones:home")).status_code == 200


def test_rate_limit_is_per_client_address(
    client, establishment, post_filing, settings, django_capture_on_commit_callbacks
):
    settings.RECLAMACIONES_FILING_RATE = "2/h"
    for _ in range(3):
        post_filing()
    assert Complaint.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        other = _post(client, establishment, _filing_data(), REMOTE_ADDR="198.51.100.7")

    assert other.status_code == 302
    assert Complaint.objects.count() == 3


# ----------------------------------------------------------------------------------------------------
# 9. Numbers
# ----------------------------------------------------------------------------------------------------


def test_each_establishment_numbers_its_own_book_from_one(client, establishment, post_filing):
    other = EstablishmentFactory()

    responses = [post_filing(establishment), post_filing(other), post_filing(establishment)]

    assert [r.status_code for r in responses] == [302, 302, 302]
    year = timezone.localdate().year
    pages = [_text(client.get(r["Location"])) for r in responses]
    assert f"Nº 000000001-{year}" in pages[0]
    assert f"Nº 000000001-{year}" in pages[1]
    assert f"Nº 000000002-{year}" in pages[2]
    numbers = {(c.establishment_id, c.number) for c in Complaint.objects.all()}
    assert numbers == {(establishment.pk, 1), (other.pk, 1), (establishment.pk, 2)}


def test_number_is_zero_padded_to_nine_digits(client, post_filing):
    response = post_filing()

    complaint = Complaint.objects.get()
    text = _text(client.get(response["Location"]))
    match = re.search(r"Nº (\d+)-(\d{4})", text)
    assert match
    assert match.group(1) == "000000001"
    assert len(match.group(1)) == 9
    assert int(match.group(2)) == complaint.year


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


# ----------------------------------------------------------------------------------------------------
# 11. Bad input never 500
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"amount_claimed": "1e400"}, "amount_claimed", MSG_AMOUNT_TOO_LARGE, id="amount-1e400"),
        pytest.param({"amount_claimed": "1e-400"}, "amount_claimed", MSG_AMOUNT_DECIMALS, id="amount-1e-400"),
        pytest.param({"amount_claimed": "99999999999"}, "amount_claimed", MSG_AMOUNT_TOO_LARGE, id="amount-huge"),
        pytest.param({"amount_claimed": "sNaN"}, "amount_claimed", MSG_AMOUNT, id="amount-snan"),
        pytest.param({"amount_claimed": "-Infinity"}, "amount_claimed", MSG_AMOUNT, id="amount-minus-infinity"),
        pytest.param({"amount_claimed": "0x1F"}, "amount_claimed", MSG_AMOUNT, id="amount-hex"),
        pytest.param({"doc_type": None}, "doc_type", MSG_FIELD_REQUIRED, id="doc-type-missing"),
        pytest.param({"currency": "EUR"}, "currency", _invalid_choice_msg("EUR"), id="currency-invalid"),
        pytest.param({"good_type": "auto"}, "good_type", _invalid_choice_msg("auto"), id="good-type-invalid"),
        pytest.param({"detail": "x" * 10_000}, "detail", _max_length_msg(4000, 10_000), id="detail-10000"),
        pytest.param({"consumer_name": "María\x00Núñez"}, "consumer_name", MSG_NULL_CHARACTERS, id="nul-in-name"),
        pytest.param({"detail": "hola\x00"}, "detail", MSG_NULL_CHARACTERS, id="nul-in-detail"),
        pytest.param({"doc_number": "4580\x005689"}, "doc_number", MSG_NULL_CHARACTERS, id="nul-in-doc"),
        pytest.param({"consumer_email": "a\x00@b.pe"}, "consumer_email", MSG_NULL_CHARACTERS, id="nul-in-email"),
        pytest.param({"amount_claimed": "1\x00"}, "amount_claimed", MSG_NULL_CHARACTERS, id="nul-in-amount"),
        pytest.param({"doc_number": "🙂" * 8}, "doc_number", MSG_DNI, id="emoji-dni"),
        pytest.param({"doc_type": "ruc", "doc_number": "ÑÑÑ"}, "doc_number", MSG_RUC, id="ruc-garbage"),
    ],
)
def test_garbage_never_500(post_filing, mailoutbox, overrides, field, message):
    response = post_filing(**overrides)

    assert response.status_code in {200, 400}
    assert message in _field_error(_html(response), field)
    assert 'id="resumen-errores"' in _html(response)
    _assert_nothing_filed(mailoutbox)


def test_garbage_submission_key_never_blocks_the_consumer(post_filing, mailoutbox):
    # A mangled hidden key (a proxy, a browser extension, a hand-edited page) must not trap the consumer:
    # either the hoja is filed, or the page says what to fix. The key is a hidden field, so an error on it
    # is invisible (crispy does not render hidden fields' errors) and re-rendering the bad key forever
    # leaves no way to file.
    response = post_filing(submission_key="no-es-un-uuid")

    if response.status_code == 302:
        assert Complaint.objects.count() == 1
    else:
        assert response.status_code in {200, 400}
        assert _parse(response).values.get("submission_key") != "no-es-un-uuid"


@pytest.mark.parametrize(
    "raw_name",
    [
        pytest.param(b"Mar%EDa+N%FA%F1ez", id="latin-1-bytes"),
        pytest.param(b"Mar%C3%ADa+%FF%FE", id="invalid-utf-8"),
        pytest.param(b"%ED%A0%80", id="utf-8-encoded-surrogate"),
    ],
)
def test_non_utf8_bytes_never_500(client, establishment, raw_name, mailoutbox):
    body = b"&".join(
        [
            b"consumer_name=" + raw_name,
            b"doc_type=dni",
            b"doc_number=45805689",
            b"consumer_address=Jr.+Los+Ficus+1356",
            b"detail=",  # one required field left empty: nothing may be filed, whatever the bytes became
            f"submission_key={uuid.uuid4()}".encode(),
        ]
    )

    response = client.post(_form_url(establishment), body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert MSG_DETAIL_REQUIRED in _field_error(_html(response), "detail")
    _assert_nothing_filed(mailoutbox)


def test_non_utf8_bytes_in_a_valid_hoja_are_filed_with_replacement_characters(client, establishment):
    body = "&".join(
        f"{k}={v}" for k, v in {**VALID_FILING, "submission_key": str(uuid.uuid4())}.items() if k != "detail"
    )
    body = body.encode() + b"&detail=La+pantalla+fall%F3"

    response = client.post(_form_url(establishment), body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 302
    assert Complaint.objects.get().detail == "La pantalla fall\ufffd"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="empty-post"),
        pytest.param({"submission_key": str(uuid.uuid4())}, id="only-key"),
        pytest.param({"consumer_name": ["a", "b"], "detail": ["x", "y"]}, id="repeated-fields"),
    ],
)
def test_empty_or_odd_posts_never_500(client, establishment, data, mailoutbox):
    response = client.post(_form_url(establishment), data)

    assert response.status_code == 200
    assert 'id="resumen-errores"' in _html(response)
    _assert_nothing_filed(mailoutbox)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, establishment, method):
    response = getattr(client, method)(_form_url(establishment))

    assert response.status_code == 405
