"""What a consumer, a scoped employee or a stranger sends that once broke something: each defect found when the
portal was attacked, with the test that now proves it closed (the browser-level ones are in tests/e2e/).

1. stored XSS through the answer preview     5. control characters in the XLSX export
2. CSP, HSTS, SSL redirect, check --deploy    6. "-0" amounts and the fingerprint
8. 500s on bad URLs and periods               9. the submission key: Back then Enviar, Back, edit, Enviar
10. line breaks counted twice                 14. a mangled submission key
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from reclamaciones.book.models import Complaint
from reclamaciones.book.services import complaint_verify_integrity

from ..factories import VALID_FILING, filing_kwargs

pytestmark = pytest.mark.django_db


XSS_NAME = "<script>alert(1)</script>Ana"
PASSWORD = "clave-de-prueba-2026"


def _form_url(establishment) -> str:
    return reverse("reclamaciones:file", args=[establishment.slug])


def _post(client, establishment, **overrides):
    data = {**VALID_FILING, "submission_key": str(uuid.uuid4()), **overrides}
    return client.post(_form_url(establishment), data)


# 2. Headers and deployment checks ----------------------------------------------------------------------------


def test_every_page_sends_a_csp_without_inline_scripts(client, establishment):
    response = client.get(_form_url(establishment))

    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_no_template_has_an_inline_script():
    """With script-src 'self', an inline script would simply not run: every script is a static file (JSON data
    blocks, which never run, are the exception)."""
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.name}: {tag}")
    assert offenders == []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        assert not re.search(r"\son[a-z]+=", path.read_text()), path.name  # no inline event handlers either


def test_a_csrf_failure_is_explained_in_spanish(establishment):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(_form_url(establishment), VALID_FILING)

    assert response.status_code == 403
    assert "La página caducó" in response.content.decode()
    assert not Complaint.objects.exists()


# 6. Negative zero --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["-0", "-0.00", "-0,0", "S/ -0.00"])
def test_negative_zero_is_stored_and_fingerprinted_as_zero(client, establishment, typed):
    response = _post(client, establishment, amount_claimed=typed)

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert str(complaint.amount_claimed) == "0.00"
    assert complaint_verify_integrity(complaint)  # no false tampering alarm


def test_a_service_caller_passing_negative_zero_gets_zero_too(file_complaint):
    complaint = file_complaint(amount_claimed=Decimal("-0.000"))

    complaint.refresh_from_db()
    assert complaint.amount_claimed == Decimal("0.00")
    assert complaint_verify_integrity(complaint)


# 8. Bad URLs and periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tail", ["", "registrada/", "hoja.pdf", "propuesta/", "encuesta/"])
@pytest.mark.parametrize("token", ["%00", "abc%00def" * 3, "x" * 200, "%ff%fe", "..%2F..%2Fetc"])
def test_a_malformed_tracking_token_is_a_404(client, token, tail):
    response = client.get(f"/seguimiento/{token}/{tail}")

    assert response.status_code == 404


# 9. The submission key ---------------------------------------------------------------------------------------


def test_the_same_page_sent_twice_files_one_hoja(client, establishment):
    key = str(uuid.uuid4())

    first = _post(client, establishment, submission_key=key)
    again = _post(client, establishment, submission_key=key)  # Back, then Enviar

    assert first["Location"] == again["Location"]
    assert Complaint.objects.count() == 1


def test_the_same_key_with_other_content_is_a_new_hoja(client, establishment):
    key = str(uuid.uuid4())
    _post(client, establishment, submission_key=key)

    edited = _post(client, establishment, submission_key=key, detail="Otro problema: la garantía no cubre.")
    edited_again = _post(client, establishment, submission_key=key, detail="Otro problema: la garantía no cubre.")

    assert Complaint.objects.count() == 2  # a genuinely new hoja is never refused...
    assert edited["Location"] == edited_again["Location"]  # ...and sending it twice still files it once
    assert sorted(Complaint.objects.values_list("number", flat=True)) == [1, 2]


# 10. Line breaks ---------------------------------------------------------------------------------------------


def test_a_detail_the_browser_counts_as_4000_characters_is_accepted(client, establishment):
    lines = ["Línea con tilde y ñ: " + "x" * 79] * 39  # 39 lines of 100 characters and 38 line breaks
    detail = "\r\n".join(lines) + "y" * 62  # what the browser submits: CRLF between lines
    assert len(detail.replace("\r\n", "\n")) == 4000  # what the person typed and the browser counted

    response = _post(client, establishment, detail=detail)

    assert response.status_code == 302
    stored = Complaint.objects.get().detail
    assert len(stored) == 4000
    assert "\r" not in stored


def test_a_detail_over_the_limit_is_refused_with_the_count_not_cut(client, establishment):
    response = _post(client, establishment, detail="a\r\n" * 2001 + "z")  # 4,003 characters once CRLF is one

    assert response.status_code == 200
    assert "Escribe como máximo 4000 caracteres (llevas 4003)" in unescape(response.content.decode())
    assert not Complaint.objects.exists()


def test_text_areas_have_a_live_counter_and_no_silent_cut(client, establishment):
    html = client.get(_form_url(establishment)).content.decode()

    for name in ("detail", "request", "good_description"):
        [tag] = re.findall(rf'<textarea[^>]*name="{name}"[^>]*>', html)
        assert 'data-max-chars="4000"' in tag
        assert "maxlength" not in tag  # the browser would cut a paste at the limit without a word
    assert "js/text-counter.js" in html


# 14. A mangled submission key --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["\x00", "abc\x00def", "%00", "x" * 5000, "", "00000000-0000-0000-0000-00000000000\x00"]
)
def test_a_mangled_submission_key_never_stops_a_consumer(client, establishment, key):
    response = _post(client, establishment, submission_key=key)

    assert response.status_code == 302
    assert Complaint.objects.count() == 1


def test_a_nul_byte_in_a_visible_field_is_explained_next_to_it(client, establishment):
    response = _post(client, establishment, consumer_name="Ana\x00")

    assert response.status_code == 200
    assert "Los caracteres nulos no están permitidos." in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_service_stores_a_form_key_per_content(file_complaint):
    key = uuid.uuid4()
    first = file_complaint(submission_key=key)

    assert file_complaint(submission_key=key).pk == first.pk
    assert file_complaint(**{**filing_kwargs(), "submission_key": key, "request": "Otro pedido"}).pk != first.pk
