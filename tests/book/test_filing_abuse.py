"""Filing abuse: the honeypot, double submits, rate limits and garbage posts never file twice or fail."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from reclamaciones.book.forms import (
    MSG_AMOUNT,
    MSG_AMOUNT_DECIMALS,
    MSG_AMOUNT_TOO_LARGE,
    MSG_DETAIL_REQUIRED,
    MSG_DNI,
    MSG_HONEYPOT,
    MSG_RUC,
)
from reclamaciones.book.models import Complaint, SheetCounter
from reclamaciones.book.views import MSG_RATE_LIMITED
from reclamaciones.clientip import wait_phrase
from reclamaciones.outbox.models import OutboundMessage

from ..factories import VALID_FILING
from .public_support import (
    MSG_FIELD_REQUIRED,
    MSG_NULL_CHARACTERS,
    _assert_nothing_filed,
    _field_error,
    _filing_data,
    _form_url,
    _html,
    _invalid_choice_msg,
    _max_length_msg,
    _parse,
    _post,
    _text,
)

pytestmark = pytest.mark.django_db


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
