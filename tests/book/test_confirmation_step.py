"""Issue 14 §2, the draft DS 2026 (R.M. 244-2026-PCM) art. 5-A behind RECLAMACIONES_RULES_2026: the consumer
reviews the hoja on "Revisa y confirma tu hoja" before any number exists, with a warning (never a block) when the
name, the document, the e-mail or the detail is missing; confirming files it and leaves the confirmation on the
FILED event; "Corregir mis datos" goes back to the form with everything typed. Off, the form files at once."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.book.services import FILING_WARNINGS, filing_warnings

from .public_support import _assert_nothing_filed, _filing_data, _post

pytestmark = pytest.mark.django_db

CONFIRM = {"accion": "confirmar"}


@pytest.fixture
def rules_2026(settings):
    settings.RECLAMACIONES_RULES_2026 = True


def _hidden_fields(html: str) -> dict[str, str]:
    """The review page's form as the browser would post it back (its hidden inputs)."""
    form = html[html.index('id="confirmar-form"') :]
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?', form)
        if name != "csrfmiddlewaretoken"
    }


def test_without_the_setting_the_form_files_at_once(client, establishment):
    response = _post(client, establishment, _filing_data())

    assert response.status_code == 302
    assert Complaint.objects.count() == 1
    assert "confirmation" not in ComplaintEvent.objects.get(type="filed").data


def test_the_form_says_a_review_comes_first(client, establishment, rules_2026):
    html = client.get(reverse("reclamaciones:file", args=[establishment.slug])).content.decode()

    assert "Revisar mi hoja" in html
    assert "Enviar hoja de reclamación</button>" not in html


def test_the_review_page_shows_the_hoja_without_a_number_and_files_nothing(
    client, establishment, mailoutbox, rules_2026
):
    response = _post(client, establishment, _filing_data(detail="Me cobraron dos veces <script>alert(1)</script>"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Revisa y confirma tu hoja" in html
    assert "se asigna al confirmar" in html
    assert "María Núñez Ñahui" in html
    assert "Me cobraron dos veces &lt;script&gt;alert(1)&lt;/script&gt;" in html  # escaped, as on the sheet
    assert "<script>alert(1)" not in html
    assert 'id="avisos"' not in html  # nothing missing
    _assert_nothing_filed(mailoutbox)  # no hoja, no number taken, no e-mail


def test_confirming_files_the_hoja_once_and_keeps_the_confirmation(
    client, establishment, rules_2026, django_capture_on_commit_callbacks
):
    data = _filing_data(consumer_email="", amount_claimed="1,250.50", is_minor="on", guardian_name="Rosa Ñahui")
    review = _post(client, establishment, data).content.decode()
    carried = _hidden_fields(review)
    assert carried["consumer_email"] == ""
    assert carried["is_minor"] == "True"

    with django_capture_on_commit_callbacks(execute=True):
        filed = _post(client, establishment, {**carried, **CONFIRM})
        again = _post(client, establishment, {**carried, **CONFIRM})  # a double click on "Confirmar"

    complaint = Complaint.objects.get()
    assert filed.status_code == again.status_code == 302
    assert filed["Location"] == reverse("reclamaciones:filed", args=[complaint.tracking_token])
    assert (complaint.is_minor, complaint.guardian_name, str(complaint.amount_claimed)) == (
        True,
        "Rosa Ñahui",
        "1250.50",
    )
    confirmation = ComplaintEvent.objects.get(complaint=complaint, type="filed").data["confirmation"]
    assert confirmation == {"confirmed": True, "warnings": [FILING_WARNINGS["consumer_email"]]}


def test_a_missing_email_is_a_warning_not_a_block(client, establishment, rules_2026):
    html = _post(client, establishment, _filing_data(consumer_email="")).content.decode()

    assert 'id="avisos"' in html
    assert "No escribiste un correo electrónico" in html
    assert "Puedes corregirlo o enviar tu hoja así." in html
    assert 'value="confirmar"' in html


def test_correcting_goes_back_to_the_form_with_everything_typed(client, establishment, mailoutbox, rules_2026):
    carried = _hidden_fields(_post(client, establishment, _filing_data(detail="Llegó roto.")).content.decode())

    response = _post(client, establishment, {**carried, "accion": "corregir"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Revisar mi hoja" in html
    assert "Llegó roto." in html
    assert 'value="María Núñez Ñahui"' in html
    _assert_nothing_filed(mailoutbox)


def test_a_tampered_confirmation_is_checked_again(client, establishment, mailoutbox, rules_2026):
    carried = _hidden_fields(_post(client, establishment, _filing_data()).content.decode())

    response = _post(client, establishment, {**carried, "doc_number": "123", **CONFIRM})

    assert response.status_code == 200
    assert "Revisa 1 dato" in response.content.decode()
    _assert_nothing_filed(mailoutbox)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"consumer_name": "Ana", "doc_number": "45805689", "consumer_email": "a@b.pe", "detail": "x"}, []),
        ({"consumer_name": " ", "doc_number": "", "consumer_email": "", "detail": ""}, list(FILING_WARNINGS.values())),
        ({"consumer_name": "Ana", "doc_number": "1", "detail": "x", "is_minor": True, "guardian_email": "p@b.pe"}, []),
        (
            {"consumer_name": "Ana", "doc_number": "1", "detail": "x", "is_minor": False, "guardian_email": "p@b.pe"},
            [FILING_WARNINGS["consumer_email"]],
        ),
    ],
)
def test_the_warnings_follow_the_draft_list(data, expected):
    assert filing_warnings(data) == expected


def test_only_the_confirmation_counts_against_the_filing_rate(client, establishment, settings, rules_2026):
    settings.RECLAMACIONES_FILING_RATE = "2/h"
    for _ in range(2):
        carried = _hidden_fields(_post(client, establishment, _filing_data()).content.decode())
        _post(client, establishment, {**carried, "accion": "corregir"})
        assert _post(client, establishment, {**carried, **CONFIRM}).status_code == 302

    carried = _hidden_fields(_post(client, establishment, _filing_data()).content.decode())  # reviewing still works
    refused = _post(client, establishment, {**carried, **CONFIRM})

    assert refused.status_code == 429
    assert Complaint.objects.count() == 2
