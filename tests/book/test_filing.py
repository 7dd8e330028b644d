"""Filing through the form: what is stored, the confirmation page, the e-mailed copy, the PDF and tracking
links, and each establishment's numbering."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.template.defaultfilters import capfirst
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation

from reclamaciones.book.forms import (
    MSG_DNI,
)
from reclamaciones.book.models import Complaint, SheetCounter
from reclamaciones.book.services import submission_key_derive
from reclamaciones.outbox.models import OutboundMessage

from ..factories import VALID_FILING, EstablishmentFactory
from .public_support import (
    FOOTNOTE_DEADLINE,
    FOOTNOTE_NOT_PRIOR_STEP,
    NOT_FOUND_TEXT,
    SECTION_TITLES,
    SPANISH_MONTHS,
    _filing_data,
    _form_url,
    _html,
    _links,
    _post,
    _submission_key,
    _text,
)

pytestmark = pytest.mark.django_db


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
