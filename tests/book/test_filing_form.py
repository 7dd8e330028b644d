"""The hoja form as the consumer sees it: exactly the Anexo I fields, labels and texts."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from .public_support import (
    FOOTNOTE_DEADLINE,
    FOOTNOTE_NOT_PRIOR_STEP,
    FORM_FIELD_NAMES,
    QUEJA_DEFINITION,
    RECLAMO_DEFINITION,
    SECTION_TITLES,
    _between,
    _control,
    _form_url,
    _html,
    _links,
    _parse,
    _submission_key,
    _text,
)

pytestmark = pytest.mark.django_db


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

    hidden_or_technical = {"csrfmiddlewaretoken", "submission_key", "referencia_interna", "attachment_ref"}
    # Beyond Anexo I: the supporting documents of the draft DS (issue 14 §1), optional.
    assert names - hidden_or_technical == FORM_FIELD_NAMES | {"attachments"}


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
    provider = form_response.context["establishment"].provider
    assert reverse("reclamaciones:privacy-provider", args=[provider.ruc]) in {href for href, _ in _links(notice)}
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
