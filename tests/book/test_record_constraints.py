"""Database constraints and validation of hojas, providers and establishments; the number, the retention
and the contact address derived from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reclamaciones.book.models import (
    Complaint,
    Establishment,
    Provider,
)

from ..factories import EstablishmentFactory
from .records_support import LIMA, RUC_MESSAGE, SIREC_MESSAGE, _copy, _reload

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------------------------
# 3. Model and database constraints
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "violation"),
    [
        pytest.param({}, None, id="valid-copy-inserts"),
        pytest.param({"consumer_address": ""}, None, id="email-only-inserts"),
        pytest.param({"consumer_email": ""}, None, id="address-only-inserts"),
        pytest.param(
            {"consumer_address": "", "consumer_email": ""}, "complaint_address_or_email", id="address_or_email"
        ),
        pytest.param({"amount_claimed": Decimal("0.00")}, None, id="amount-zero-inserts"),
        pytest.param({"amount_claimed": None}, None, id="amount-null-inserts"),
        pytest.param({"amount_claimed": Decimal("-0.01")}, "complaint_amount_not_negative", id="amount_not_negative"),
        pytest.param({"number": 0}, "complaint_number_positive", id="number_positive"),
        pytest.param({"status": "deleted"}, "complaint_status_valid", id="status_valid"),
        pytest.param(
            {"number": "SAME"},
            r"complaint_number_unique|UNIQUE constraint failed: \S+\.establishment_id, \S+\.year, \S+\.number",
            id="number_unique",
        ),
        pytest.param({"number": "SAME", "year": "NEXT"}, None, id="same-number-next-year-inserts"),
        pytest.param({"number": "SAME", "establishment_id": "OTHER"}, None, id="same-number-other-book-inserts"),
    ],
)
def test_complaint_database_constraints(file_complaint, overrides, violation):
    complaint = file_complaint()
    resolved = {
        "SAME": complaint.number,
        "NEXT": complaint.year + 1,
        "OTHER": EstablishmentFactory().pk if "establishment_id" in overrides else None,
    }
    overrides = {k: resolved.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    candidate = _copy(complaint, **overrides)

    if violation is None:
        candidate.save()
        assert Complaint.objects.count() == 2
    else:
        with pytest.raises(IntegrityError, match=violation), transaction.atomic():
            candidate.save()
        assert Complaint.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "error_field"),
    [
        pytest.param({}, None, id="valid"),
        pytest.param({"consumer_address": "", "consumer_email": ""}, "__all__", id="address_or_email"),
        pytest.param({"amount_claimed": Decimal("-5.00")}, "amount_claimed", id="amount_not_negative"),
        pytest.param({"number": "SAME"}, "__all__", id="number_unique"),
        pytest.param({"consumer_email": "no-es-correo"}, "consumer_email", id="email-format"),
        pytest.param({"detail": ""}, "detail", id="detail-required"),
    ],
)
def test_complaint_full_clean(file_complaint, overrides, error_field):
    complaint = file_complaint()
    overrides = {k: complaint.number if v == "SAME" else v for k, v in overrides.items()}
    candidate = _copy(complaint, **overrides)

    if error_field is None:
        candidate.full_clean()
    else:
        with pytest.raises(ValidationError) as excinfo:
            candidate.full_clean()
        assert error_field in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("ruc", "error"),
    [
        pytest.param("20601457891", None, id="valid"),
        pytest.param("20601457890", RUC_MESSAGE, id="wrong-check-digit"),
        pytest.param("123", RUC_MESSAGE, id="too-short"),
        pytest.param("2060145789A", RUC_MESSAGE, id="not-digits"),
    ],
)
def test_provider_ruc_validation(ruc, error):
    provider = Provider(legal_name="Comercial Ñandú S.A.C.", ruc=ruc, address="Jr. Los Ficus 1356, Lima")

    if error is None:
        provider.full_clean()
    else:
        with pytest.raises(ValidationError) as excinfo:
            provider.full_clean()
        assert excinfo.value.message_dict == {"ruc": [error]}


@pytest.mark.parametrize(
    ("sirec_code", "valid"),
    [
        pytest.param("000001", True, id="six-digits"),
        pytest.param("7", True, id="one-digit"),
        pytest.param("", True, id="blank"),
        pytest.param("1234567", False, id="seven-digits"),
        pytest.param("12a", False, id="letters"),
        pytest.param(" 12345", False, id="space"),
    ],
)
def test_establishment_sirec_code_validation(establishment, sirec_code, valid):
    candidate = Establishment(
        provider=establishment.provider,
        name="Sede Miraflores",
        address="Av. Larco 345, Miraflores",
        code="LR-NUEVO",
        slug="sede-miraflores",
        sirec_code=sirec_code,
    )

    if valid:
        candidate.full_clean()
    else:
        with pytest.raises(ValidationError) as excinfo:
            candidate.full_clean()
        assert SIREC_MESSAGE in excinfo.value.message_dict["sirec_code"]


# --------------------------------------------------------------------------------------------------------------
# 4. Complaint helpers
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "year", "expected"),
    [
        pytest.param(1, 2026, "000000001-2026", id="first"),
        pytest.param(42, 2027, "000000042-2027", id="small"),
        pytest.param(123456789, 2030, "123456789-2030", id="nine-digits"),
    ],
)
def test_display_number(number, year, expected):
    complaint = Complaint(number=number, year=year)

    assert complaint.display_number == expected
    assert str(complaint) == f"Hoja Nº {expected}"


def test_a_filed_hoja_displays_its_allocated_number(file_complaint):
    first = file_complaint()
    second = file_complaint()

    assert first.display_number == f"000000001-{first.year}"
    assert second.display_number == f"000000002-{second.year}"


@pytest.mark.parametrize(
    ("filed_at", "expected"),
    [
        pytest.param(
            datetime(2026, 3, 10, 9, 30, tzinfo=LIMA), datetime(2028, 3, 10, 9, 30, tzinfo=LIMA), id="ordinary"
        ),
        pytest.param(
            datetime(2028, 2, 29, 15, 0, tzinfo=LIMA), datetime(2030, 3, 1, 15, 0, tzinfo=LIMA), id="29-february"
        ),
        pytest.param(
            datetime(2028, 2, 29, 2, 0, tzinfo=UTC),  # 28 Feb 2028 21:00 in Lima
            datetime(2030, 2, 28, 21, 0, tzinfo=LIMA),
            id="utc-input-uses-lima-date",
        ),
        pytest.param(
            datetime(2028, 3, 1, 4, 0, tzinfo=UTC),  # 29 Feb 2028 23:00 in Lima
            datetime(2030, 3, 1, 23, 0, tzinfo=LIMA),
            id="utc-input-29-february-in-lima",
        ),
    ],
)
def test_retain_until_is_two_years_after_filing(filed_at, expected):
    assert Complaint(filed_at=filed_at).retain_until == expected


def test_a_hoja_filed_on_29_february_is_kept_until_1_march(file_complaint):
    complaint = _reload(file_complaint(filed_at=datetime(2028, 2, 29, 10, 0, tzinfo=LIMA)))

    assert timezone.localtime(complaint.filed_at).date() == date(2028, 2, 29)
    assert timezone.localtime(complaint.retain_until).date() == date(2030, 3, 1)


@pytest.mark.parametrize(
    ("consumer_email", "guardian_email", "expected"),
    [
        pytest.param("maria@example.pe", "", "maria@example.pe", id="consumer-only"),
        pytest.param("maria@example.pe", "rosa@example.pe", "maria@example.pe", id="consumer-wins"),
        pytest.param("", "rosa@example.pe", "rosa@example.pe", id="falls-back-to-guardian"),
        pytest.param("", "", "", id="none"),
    ],
)
def test_contact_email(consumer_email, guardian_email, expected):
    complaint = Complaint(consumer_email=consumer_email, guardian_email=guardian_email)

    assert complaint.contact_email == expected
