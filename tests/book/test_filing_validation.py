"""Invalid filings are refused beside the field, keep what was typed and consume no number; accepted
inputs are normalised."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from reclamaciones.book.forms import (
    MSG_AMOUNT,
    MSG_AMOUNT_DECIMALS,
    MSG_AMOUNT_NEGATIVE,
    MSG_CE,
    MSG_DETAIL_REQUIRED,
    MSG_DNI,
    MSG_DOC_REQUIRED,
    MSG_EMAIL,
    MSG_GUARDIAN_REQUIRED,
    MSG_NAME_REQUIRED,
    MSG_PASSPORT,
    MSG_PHONE,
    MSG_RUC,
)
from reclamaciones.book.models import MSG_ADDRESS_OR_EMAIL, Complaint, SheetCounter

from .public_support import (
    _assert_nothing_filed,
    _between,
    _control,
    _field_error,
    _filing_data,
    _html,
    _invalid_choice_msg,
    _links,
    _max_length_msg,
    _parse,
)

pytestmark = pytest.mark.django_db


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
