"""Issue 14 §1, attack review F3, F4 and F5: the upload rate is counted per file and before anything is decoded
(and a post refused by the filing rate decodes nothing); the signed reference to staged documents is bound to the
establishment whose form staged them; the embedded form sent back for an expired token keeps those documents."""

from __future__ import annotations

from html import unescape

import pytest

from reclamaciones.book import attachments
from reclamaciones.book.attachment_models import Attachment
from reclamaciones.book.attachment_views import MSG_NEW_FILES_DROPPED
from reclamaciones.book.attachments import MSG_STAGED_GONE
from reclamaciones.book.models import Complaint

from ..factories import EstablishmentFactory
from .attachment_support import attachments_storage_use, form_ref, pdf_upload, png_upload
from .embed_support import STORE, cookieless, embed_url, form_token
from .public_support import _assert_nothing_filed, _filing_data, _post

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachments_dir(settings, tmp_path):
    return attachments_storage_use(settings, tmp_path)


@pytest.fixture
def decoded(monkeypatch) -> list[str]:
    """The names of the images decoded, in order."""
    names: list[str] = []
    reencode = attachments._image_reencode

    def counting(data, name, content_type):
        names.append(name)
        return reencode(data, name, content_type)

    monkeypatch.setattr(attachments, "_image_reencode", counting)
    return names


def _html(response) -> str:
    return response.content.decode()


def _staged_again(client, establishment, *files, **data):
    """A form sent back (the detail is missing), with `files` as new uploads."""
    return _post(client, establishment, {**_filing_data(detail=""), **data, "attachments": list(files)})


# F3: the upload rate comes before any decoding, and counts files -------------------------------------------------


def test_over_the_upload_rate_no_image_is_even_decoded(client, establishment, attachments_dir, settings, decoded):
    settings.RECLAMACIONES_ATTACHMENTS_RATE = "1/h"

    statuses = [_staged_again(client, establishment, png_upload(f"{n}.png")).status_code for n in range(4)]

    assert statuses == [200, 429, 429, 429]
    assert decoded == ["0.png"]
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["0.png"]


def test_a_post_refused_by_the_filing_rate_decodes_nothing(client, establishment, attachments_dir, settings, decoded):
    settings.RECLAMACIONES_FILING_RATE = "1/h"
    assert _post(client, establishment, _filing_data()).status_code == 302

    response = _post(client, establishment, {**_filing_data(), "attachments": [png_upload("boleta.png")]})

    assert response.status_code == 429
    assert decoded == []
    assert not Attachment.objects.exists()


def test_the_upload_rate_counts_files_not_posts(client, establishment, attachments_dir, settings):
    settings.RECLAMACIONES_ATTACHMENTS_RATE = "3/h"
    first = _staged_again(client, establishment, pdf_upload("a.pdf"), pdf_upload("b.pdf"), pdf_upload("c.pdf"))
    assert first.status_code == 200

    second = _staged_again(client, establishment, pdf_upload("d.pdf"))

    assert second.status_code == 429
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == ["a.pdf", "b.pdf", "c.pdf"]


def test_a_post_without_files_does_not_count_against_the_upload_rate(client, establishment, attachments_dir, settings):
    settings.RECLAMACIONES_ATTACHMENTS_RATE = "1/h"
    for _ in range(3):
        assert _post(client, establishment, _filing_data(detail="")).status_code == 200

    assert _staged_again(client, establishment, pdf_upload("a.pdf")).status_code == 200


# F5 (a): a staged reference belongs to one establishment's form -------------------------------------------------


def test_a_reference_staged_on_another_establishments_form_is_refused(
    client, establishment, attachments_dir, mailoutbox
):
    other = EstablishmentFactory(name="Tienda Cusco", code="LR-CUS")
    ref = form_ref(_html(_staged_again(client, establishment, pdf_upload("a.pdf"))))

    response = _post(client, other, {**_filing_data(), "attachment_ref": ref})

    assert response.status_code == 400
    assert MSG_STAGED_GONE in unescape(_html(response))
    _assert_nothing_filed(mailoutbox)
    assert Attachment.objects.get().complaint_id is None
    # On its own establishment's form it still files.
    assert _post(client, establishment, {**_filing_data(), "attachment_ref": ref}).status_code == 302
    assert Complaint.objects.get().establishment == establishment


# F4: the embedded form sent back for an expired token keeps the staged documents --------------------------------


def test_an_expired_embedded_form_keeps_the_staged_documents_and_says_new_ones_were_not_kept(
    attachments_dir, settings, decoded
):
    settings.RECLAMACIONES_RULES_2026 = True
    store = EstablishmentFactory(name="Tienda Web", code="LR-WEB", embed_origins=STORE)
    token = form_token(cookieless().get(embed_url(store)).content.decode())
    review = cookieless().post(
        embed_url(store),
        {**_filing_data(), "libro_token": token, "attachments": [pdf_upload("a.pdf")]},
        HTTP_ORIGIN=STORE,
    )
    ref = form_ref(_html(review))
    settings.RECLAMACIONES_EMBED_TOKEN_MAX_AGE = -1

    response = cookieless().post(
        embed_url(store),
        {**_filing_data(), "libro_token": token, "attachment_ref": ref, "attachments": [png_upload("b.png")]},
        HTTP_ORIGIN=STORE,
    )

    html = unescape(_html(response))
    assert response.status_code == 403
    assert "Quitar «a.pdf»" in html
    assert MSG_NEW_FILES_DROPPED in html
    assert decoded == []
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["a.pdf"]
    # The fresh token and the reference carried file the hoja with its document.
    settings.RECLAMACIONES_EMBED_TOKEN_MAX_AGE = 3600
    fresh = form_token(_html(response))
    filed = cookieless().post(
        embed_url(store),
        {**_filing_data(), "libro_token": fresh, "attachment_ref": form_ref(_html(response)), "accion": "confirmar"},
        HTTP_ORIGIN=STORE,
    )
    assert filed.status_code == 302
    assert [a.original_name for a in Complaint.objects.get().attachments.all()] == ["a.pdf"]
