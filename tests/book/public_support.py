"""Texts of the signed Anexo I, an HTML form parser and request helpers for the public-page tests."""

from __future__ import annotations

import re
import uuid
from html import unescape
from html.parser import HTMLParser

from django.urls import reverse

from reclamaciones.book.models import Complaint, SheetCounter

from ..factories import VALID_FILING

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


def _assert_nothing_filed(mailoutbox, *, counters_before=None):
    assert Complaint.objects.count() == (0 if counters_before is None else sum(counters_before.values()))
    if counters_before is None:
        assert SheetCounter.objects.count() == 0
    else:
        assert dict(SheetCounter.objects.values_list("pk", "last_number")) == counters_before
    assert not mailoutbox
