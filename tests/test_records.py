"""The hoja is a legal record (architecture rule 1) and every e-mail it owes is an outbox row (rule 4).

Immutability of the filed content, the append-only trail, model and database constraints, the read-only admin
and the outbox rows written by the filing transaction."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from reclamaciones.book.models import (
    FILED_FIELDS,
    Channel,
    Complaint,
    ComplaintEvent,
    Currency,
    DocType,
    Establishment,
    GoodType,
    Kind,
    Provider,
    ResponseChannel,
    Status,
    tracking_token_new,
)
from reclamaciones.book.services import complaint_verify_integrity
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.records import ImmutableRecordError

from .factories import VALID_FILING, EstablishmentFactory

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
RUC_MESSAGE = "El RUC no es válido: debe tener 11 dígitos y un dígito verificador correcto."
SIREC_MESSAGE = "El código de sede SIREC tiene hasta 6 dígitos."


def _reload(complaint: Complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def _filed_values(complaint: Complaint) -> dict:
    return {name: getattr(complaint, name) for name in FILED_FIELDS}


# --------------------------------------------------------------------------------------------------------------
# 1. A filed hoja never changes and is never deleted
# --------------------------------------------------------------------------------------------------------------

# A different, valid value for every filed field (callables receive the loaded hoja).
NEW_FILED_VALUES = {
    "establishment_id": lambda c: EstablishmentFactory().pk,
    "number": lambda c: c.number + 1,
    "year": lambda c: c.year + 1,
    "filed_at": lambda c: c.filed_at - timedelta(hours=3),
    "channel": lambda c: Channel.BACKUP,
    "backup_sheet_number": lambda c: "RESPALDO-0042",
    "consumer_name": lambda c: "Otra Persona Distinta",
    "doc_type": lambda c: DocType.CE,
    "doc_number": lambda c: "001122334",
    "consumer_address": lambda c: "Av. Arequipa 100, Lince",
    "consumer_phone": lambda c: "01 555 0000",
    "consumer_email": lambda c: "otra@example.pe",
    "is_minor": lambda c: not c.is_minor,
    "guardian_name": lambda c: "Rosa Ñahui",
    "guardian_address": lambda c: "Jr. Huallaga 200, Lima",
    "guardian_phone": lambda c: "999 888 777",
    "guardian_email": lambda c: "rosa@example.pe",
    "good_type": lambda c: GoodType.SERVICE,
    "amount_claimed": lambda c: Decimal("1.00"),
    "currency": lambda c: Currency.USD,
    "good_description": lambda c: "Otro bien",
    "kind_filed": lambda c: Kind.QUEJA,
    "detail": lambda c: "Texto alterado después de presentar la hoja.",
    "request": lambda c: "Otro pedido",
    "provider_name": lambda c: "Proveedor Renombrado S.A.C.",
    "provider_ruc": lambda c: "20601457891",
    "establishment_address": lambda c: "Otra dirección 123",
    "establishment_code": lambda c: "LR-999",
    "tracking_token": lambda c: tracking_token_new(),
    "content_sha256": lambda c: "0" * 64,
    "seal": lambda c: "f" * 64,
}


def test_every_filed_field_has_a_new_value_in_the_table():
    assert set(NEW_FILED_VALUES) == set(FILED_FIELDS)


@pytest.mark.parametrize("field", [pytest.param(name, id=name) for name in FILED_FIELDS])
def test_changing_a_filed_field_and_saving_is_refused(file_complaint, field):
    filed = file_complaint()
    before = _filed_values(_reload(filed))
    complaint = _reload(filed)
    new_value = NEW_FILED_VALUES[field](complaint)
    assert new_value != getattr(complaint, field)

    setattr(complaint, field, new_value)
    with pytest.raises(ImmutableRecordError, match=field):
        complaint.save()

    complaint.refresh_from_db()
    assert getattr(complaint, field) == before[field]
    assert _filed_values(_reload(filed)) == before


@pytest.mark.parametrize(
    "save_kwargs",
    [
        pytest.param({}, id="save"),
        pytest.param({"update_fields": ["detail"]}, id="save-update_fields"),
        pytest.param({"force_update": True}, id="save-force_update"),
    ],
)
def test_the_instance_returned_by_the_service_is_also_frozen(file_complaint, save_kwargs):
    complaint = file_complaint()
    original = complaint.detail

    complaint.detail = "Texto alterado"
    with pytest.raises(ImmutableRecordError):
        complaint.save(**save_kwargs)

    assert _reload(complaint).detail == original


@pytest.mark.parametrize(
    ("field", "new_value"),
    [
        pytest.param("status", Status.IN_PROGRESS, id="status"),
        pytest.param("kind", Kind.QUEJA, id="kind"),
        pytest.param("due_date", date(2031, 1, 15), id="due_date"),
        pytest.param("response_channel", ResponseChannel.LETTER, id="response_channel"),
    ],
)
def test_staff_side_fields_can_change(file_complaint, field, new_value):
    filed = file_complaint()
    before = _filed_values(_reload(filed))
    complaint = _reload(filed)

    setattr(complaint, field, new_value)
    complaint.save()
    complaint.save()  # a second save of the same instance is fine too

    reloaded = _reload(filed)
    assert getattr(reloaded, field) == new_value
    assert _filed_values(reloaded) == before
    assert complaint_verify_integrity(reloaded)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda qs, other: qs.update(detail="x"), id="update-detail"),
        pytest.param(lambda qs, other: qs.update(establishment=other), id="update-establishment"),
        pytest.param(lambda qs, other: qs.update(establishment_id=other.pk), id="update-establishment_id"),
        pytest.param(lambda qs, other: qs.update(status=Status.CLOSED, consumer_name="x"), id="update-mixed"),
        pytest.param(
            lambda qs, other: qs.first().establishment.complaints.update(detail="x"), id="related-manager-update"
        ),
        pytest.param(
            lambda qs, other: Complaint.objects.bulk_update([_with(qs.get(), detail="x")], ["detail"]),
            id="bulk_update",
        ),
        pytest.param(
            lambda qs, other: Complaint.objects.update_or_create(pk=qs.get().pk, defaults={"detail": "x"}),
            id="update_or_create",
        ),
    ],
)
def test_queryset_writes_to_filed_fields_are_refused(file_complaint, change):
    filed = file_complaint()
    before = _reload(filed)
    other = EstablishmentFactory()

    with pytest.raises(ImmutableRecordError), transaction.atomic():
        change(Complaint.objects.filter(pk=filed.pk), other)

    after = _reload(filed)
    assert _filed_values(after) == _filed_values(before)
    assert after.status == before.status


def _with(complaint: Complaint, **values) -> Complaint:
    for name, value in values.items():
        setattr(complaint, name, value)
    return complaint


def test_queryset_update_of_staff_fields_works(file_complaint):
    complaint = file_complaint()

    assert Complaint.objects.filter(pk=complaint.pk).update(status=Status.IN_PROGRESS) == 1

    assert _reload(complaint).status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    "delete",
    [
        pytest.param(lambda c: _reload(c).delete(), id="instance-delete"),
        pytest.param(lambda c: Complaint.objects.filter(pk=c.pk).delete(), id="queryset-delete"),
        pytest.param(lambda c: Complaint.objects.all().delete(), id="all-delete"),
        pytest.param(lambda c: c.establishment.complaints.all().delete(), id="related-manager-delete"),
    ],
)
def test_a_filed_hoja_is_never_deleted(file_complaint, delete):
    complaint = file_complaint()

    with pytest.raises(ImmutableRecordError), transaction.atomic():
        delete(complaint)

    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_deleting_the_establishment_or_provider_of_a_hoja_is_refused(file_complaint):
    from django.db.models import ProtectedError

    complaint = file_complaint()

    with pytest.raises(ProtectedError), transaction.atomic():
        complaint.establishment.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        complaint.establishment.provider.delete()
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_the_fingerprint_is_stored_at_filing_and_verifies(file_complaint):
    complaint = file_complaint()

    assert re.fullmatch(r"[0-9a-f]{64}", complaint.content_sha256)
    assert complaint_verify_integrity(complaint)
    assert complaint_verify_integrity(_reload(complaint))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        pytest.param("detail", "La laptop funciona perfectamente.", id="detail"),
        pytest.param("consumer_name", "Otra Persona", id="consumer_name"),
        pytest.param("request", "", id="request"),
        pytest.param("amount_claimed", Decimal("1.00"), id="amount_claimed"),
        pytest.param("number", 999, id="number"),
        pytest.param("filed_at", datetime(2020, 1, 1, 12, 0, tzinfo=UTC), id="filed_at"),
    ],
)
def test_tampering_in_the_database_is_detected(file_complaint, column, value):
    complaint = file_complaint()
    assert complaint_verify_integrity(_reload(complaint))

    table = connection.ops.quote_name(Complaint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s WHERE id = %s",  # noqa: S608
            [value, complaint.pk],
        )

    tampered = _reload(complaint)
    assert getattr(tampered, column) != getattr(complaint, column)
    assert complaint_verify_integrity(tampered) is False


@pytest.mark.parametrize(
    "load",
    [
        pytest.param(lambda pk: Complaint.objects.only("id", "status").get(pk=pk), id="only"),
        pytest.param(lambda pk: Complaint.objects.defer("detail").get(pk=pk), id="defer"),
    ],
)
def test_a_partially_loaded_hoja_cannot_change_filed_fields(file_complaint, load):
    complaint = file_complaint()
    original = complaint.detail

    partial = load(complaint.pk)
    partial.detail = "Texto alterado"
    with pytest.raises(ImmutableRecordError):
        partial.save()

    assert _reload(complaint).detail == original


def test_a_hand_built_instance_with_an_existing_pk_cannot_overwrite_a_hoja(file_complaint):
    complaint = file_complaint()
    original = complaint.detail

    forged = _copy(complaint, pk=complaint.pk, number=complaint.number, detail="Texto alterado")
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()  # always an INSERT: the existing pk collides

    assert _reload(complaint).detail == original


# --------------------------------------------------------------------------------------------------------------
# 2. The event trail is append-only
# --------------------------------------------------------------------------------------------------------------


def _save_changed(event: ComplaintEvent) -> None:
    event.data = {"forged": True}
    event.save()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_save_changed, id="instance-save"),
        pytest.param(lambda e: e.delete(), id="instance-delete"),
        pytest.param(lambda e: ComplaintEvent.objects.filter(pk=e.pk).update(data={}), id="queryset-update"),
        pytest.param(lambda e: ComplaintEvent.objects.filter(pk=e.pk).delete(), id="queryset-delete"),
        pytest.param(lambda e: e.complaint.events.update(type="x"), id="related-manager-update"),
        pytest.param(lambda e: e.complaint.events.all().delete(), id="related-manager-delete"),
        pytest.param(lambda e: ComplaintEvent.objects.bulk_update([_with(e, data={})], ["data"]), id="bulk_update"),
    ],
)
def test_events_are_append_only(file_complaint, change):
    complaint = file_complaint()
    event = complaint.events.get(type=ComplaintEvent.Type.FILED)
    before = (event.type, event.data, event.occurred_at)

    with pytest.raises(ImmutableRecordError), transaction.atomic():
        change(ComplaintEvent.objects.get(pk=event.pk))

    after = ComplaintEvent.objects.get(pk=event.pk)
    assert (after.type, after.data, after.occurred_at) == before
    assert complaint.events.count() == 2


def test_a_hand_built_event_with_an_existing_pk_cannot_overwrite_the_trail(file_complaint):
    complaint = file_complaint()
    event = complaint.events.get(type=ComplaintEvent.Type.FILED)

    forged = ComplaintEvent(pk=event.pk, complaint=complaint, type=ComplaintEvent.Type.FILED, data={})
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()  # always an INSERT: the existing pk collides

    assert ComplaintEvent.objects.get(pk=event.pk).data == event.data


def test_new_events_can_be_appended(file_complaint, admin_user):
    complaint = file_complaint()

    ComplaintEvent.objects.create(
        complaint=complaint, type=ComplaintEvent.Type.MESSAGE_FAILED, actor=admin_user, data={"n": 1}
    )

    assert complaint.events.count() == 3


@pytest.mark.parametrize(
    ("overrides", "copies_to"),
    [
        pytest.param({}, [VALID_FILING["consumer_email"]], id="with-email"),
        pytest.param({"consumer_email": ""}, [], id="without-email"),
        pytest.param(
            {"is_minor": True, "guardian_name": "Rosa Ñahui", "guardian_email": "rosa@example.pe"},
            [VALID_FILING["consumer_email"], "rosa@example.pe"],
            id="minor-with-guardian-email",
        ),
    ],
)
def test_filing_records_the_filed_event_and_one_copy_queued_event_per_copy(file_complaint, overrides, copies_to):
    complaint = file_complaint(**overrides)

    filed = complaint.events.get(type=ComplaintEvent.Type.FILED)
    assert filed.occurred_at == complaint.filed_at
    assert filed.actor is None
    assert filed.data["number"] == complaint.display_number
    assert filed.data["due_date"] == complaint.due_date.isoformat()
    assert filed.data["regime"] == complaint.regime
    assert filed.data["sha256"] == complaint.content_sha256
    assert filed.data["channel"] == Channel.WEB

    queued = complaint.events.filter(type=ComplaintEvent.Type.MESSAGE_QUEUED)
    assert sorted(e.data["recipient"] for e in queued) == sorted(copies_to)
    messages = {m.pk: m for m in complaint.messages.all()}
    assert sorted(e.data["message"] for e in queued) == sorted(messages)
    assert complaint.events.count() == 1 + len(copies_to)


# --------------------------------------------------------------------------------------------------------------
# 3. Model and database constraints
# --------------------------------------------------------------------------------------------------------------


def _copy(complaint: Complaint, **overrides) -> Complaint:
    """A hand-built, unsaved hoja with a filed hoja's column values, a fresh number and token."""
    values = {
        field.attname: getattr(complaint, field.attname)
        for field in Complaint._meta.concrete_fields
        if not field.primary_key
    }
    values.update(number=complaint.number + 100, tracking_token=tracking_token_new(), submission_key=None)
    values.update(overrides)
    return Complaint(**values)


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
    ("status", "sent_at", "violates"),
    [
        pytest.param(OutboundMessage.Status.PENDING, None, False, id="pending-without-sent_at"),
        pytest.param(OutboundMessage.Status.FAILED, None, False, id="failed-without-sent_at"),
        pytest.param(OutboundMessage.Status.SENT, "now", False, id="sent-with-sent_at"),
        pytest.param(OutboundMessage.Status.SENT, None, True, id="sent-without-sent_at"),
    ],
)
def test_outbox_sent_has_sent_at(status, sent_at, violates):
    values = {
        "kind": OutboundMessage.Kind.SHEET_COPY,
        "recipient": "maria@example.pe",
        "idempotency_key": "test:1",
        "status": status,
        "sent_at": timezone.now() if sent_at == "now" else sent_at,
    }
    if violates:
        with pytest.raises(IntegrityError, match="outbox_sent_has_sent_at"), transaction.atomic():
            OutboundMessage.objects.create(**values)
        assert not OutboundMessage.objects.exists()
    else:
        OutboundMessage.objects.create(**values)
        assert OutboundMessage.objects.count() == 1


def test_marking_a_message_sent_without_sent_at_is_refused_by_the_database():
    message = OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.SHEET_COPY, recipient="maria@example.pe", idempotency_key="test:2"
    )

    with pytest.raises(IntegrityError, match="outbox_sent_has_sent_at"), transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENT)

    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.PENDING


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


# --------------------------------------------------------------------------------------------------------------
# 5. Admin: configuration is editable, hojas and their trail are read-only
# --------------------------------------------------------------------------------------------------------------


def _admin_url(model: str, action: str, *args) -> str:
    return reverse(f"admin:reclamaciones_{model}_{action}", args=args)


def _change_form_data(response) -> dict:
    """The POST data of an admin change form as rendered (main form, inline management forms and forms)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is True:
                data[bound.html_name] = "on"
            elif value not in (None, False):
                data[bound.html_name] = value
    return data


@pytest.fixture
def records(file_complaint):
    """A filed hoja (with its events and pending copy) and a message already sent."""
    complaint = file_complaint()
    sent = OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.SHEET_COPY,
        recipient="enviado@example.pe",
        idempotency_key="test:sent",
        status=OutboundMessage.Status.SENT,
        sent_at=timezone.now(),
        attempts=1,
    )
    return complaint, sent


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(name, id=name)
        for name in ("provider", "establishment", "complaint", "complaintevent", "outboundmessage")
    ],
)
def test_admin_changelists_load(admin_client, records, model):
    response = admin_client.get(_admin_url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_admin_complaint_change_page_is_read_only(admin_client, records):
    complaint, _ = records

    response = admin_client.get(_admin_url("complaint", "change", complaint.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert complaint.consumer_name in html
    assert complaint.display_number in html
    assert 'name="consumer_name"' not in html
    assert 'name="detail"' not in html
    assert 'name="status"' not in html
    assert 'name="_save"' not in html
    assert "Guardar" not in html
    assert _admin_url("complaint", "delete", complaint.pk) not in html
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False


@pytest.mark.parametrize(
    ("model", "action", "needs_object"),
    [
        pytest.param("complaint", "add", False, id="complaint-add"),
        pytest.param("complaint", "delete", True, id="complaint-delete"),
        pytest.param("complaintevent", "add", False, id="event-add"),
        pytest.param("complaintevent", "delete", True, id="event-delete"),
        pytest.param("outboundmessage", "add", False, id="message-add"),
        pytest.param("outboundmessage", "delete", True, id="message-delete"),
        pytest.param("provider", "delete", True, id="provider-delete"),
        pytest.param("establishment", "delete", True, id="establishment-delete"),
    ],
)
def test_admin_refuses_adding_and_deleting_records(admin_client, records, model, action, needs_object):
    complaint, message = records
    objects = {
        "complaint": complaint,
        "complaintevent": complaint.events.first(),
        "outboundmessage": message,
        "provider": complaint.establishment.provider,
        "establishment": complaint.establishment,
    }
    args = [objects[model].pk] if needs_object else []

    assert admin_client.get(_admin_url(model, action, *args)).status_code == 403
    assert admin_client.post(_admin_url(model, action, *args), {"post": "yes"}).status_code == 403
    if needs_object:
        assert type(objects[model]).objects.filter(pk=objects[model].pk).exists()


@pytest.mark.parametrize(
    "model",
    [pytest.param(name, id=name) for name in ("complaint", "complaintevent", "outboundmessage", "provider")],
)
def test_admin_delete_selected_action_is_not_offered(admin_client, records, model):
    response = admin_client.get(_admin_url(model, "changelist"))

    assert response.status_code == 200
    assert "delete_selected" not in response.content.decode()


def test_admin_delete_selected_post_on_complaints_deletes_nothing(admin_client, records):
    complaint, _ = records

    response = admin_client.post(
        _admin_url("complaint", "changelist"),
        {"action": "delete_selected", "_selected_action": [complaint.pk], "post": "yes"},
    )

    assert response.status_code in (200, 302)
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_admin_post_to_the_complaint_change_page_changes_nothing(admin_client, records):
    complaint, _ = records
    before = _reload(complaint)
    data = {
        "consumer_name": "Nombre Cambiado",
        "detail": "Detalle cambiado",
        "status": Status.CLOSED,
        "kind": Kind.QUEJA,
        "_save": "Guardar",
    }

    response = admin_client.post(_admin_url("complaint", "change", complaint.pk), data)

    assert response.status_code == 403
    after = _reload(complaint)
    assert _filed_values(after) == _filed_values(before)
    assert (after.status, after.kind) == (before.status, before.kind)


def test_admin_outbox_changelist_shows_each_status(admin_client, records):
    response = admin_client.get(_admin_url("outboundmessage", "changelist"))

    html = response.content.decode()
    assert '<td class="field-status">Pendiente</td>' in html
    assert '<td class="field-status">Enviado</td>' in html


@pytest.mark.parametrize(
    ("status", "requeued", "copies_sent"),
    [
        pytest.param(OutboundMessage.Status.FAILED, True, 1, id="failed-is-requeued-and-sent"),
        pytest.param(OutboundMessage.Status.PENDING, True, 1, id="pending-is-sent-now"),
        pytest.param(OutboundMessage.Status.SENT, False, 0, id="sent-is-never-sent-again"),
    ],
)
def test_admin_retry_now_action(
    admin_client, file_complaint, django_capture_on_commit_callbacks, mailoutbox, status, requeued, copies_sent
):
    complaint = file_complaint()
    message = complaint.messages.get()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=status,
        attempts=12,
        last_error="SMTPServerDisconnected: boom",
        next_attempt_at=timezone.now() + timedelta(days=1),
        sent_at=timezone.now() if status == OutboundMessage.Status.SENT else None,
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            _admin_url("outboundmessage", "changelist"),
            {"action": "retry_now", "_selected_action": [message.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert f"{int(requeued)} mensaje(s) puesto(s) en cola de nuevo." in response.content.decode()
    message.refresh_from_db()
    if requeued:
        assert message.status == OutboundMessage.Status.PENDING
        assert message.attempts == 0
        assert message.next_attempt_at <= timezone.now()
    else:
        assert message.status == OutboundMessage.Status.SENT
    assert mailoutbox == []  # nothing is sent before the staff action commits

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    assert len(mailoutbox) == copies_sent
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    if copies_sent:
        [email] = mailoutbox
        assert email.to == [complaint.consumer_email]
        assert complaint.display_number in email.subject
        assert email.attachments[0][2] == "application/pdf"
        assert message.attempts == 1


@pytest.mark.parametrize(
    ("model", "field", "new_value"),
    [
        pytest.param("provider", "legal_name", "Comercial Ñandú Renombrada S.A.C.", id="provider"),
        pytest.param("establishment", "name", "Tienda Surquillo Renombrada", id="establishment"),
        pytest.param("establishment", "address", "Av. Nueva 999, Surquillo", id="establishment-address"),
    ],
)
def test_admin_provider_and_establishment_are_editable(admin_client, establishment, model, field, new_value):
    obj = establishment.provider if model == "provider" else establishment
    url = _admin_url(model, "change", obj.pk)
    page = admin_client.get(url)
    assert page.status_code == 200
    data = _change_form_data(page)
    data[field] = new_value

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert getattr(obj, field) == new_value


def test_renaming_the_provider_does_not_change_what_the_hoja_prints(admin_client, file_complaint, establishment):
    complaint = file_complaint()
    old_name, old_address = complaint.provider_name, complaint.establishment_address
    provider_url = _admin_url("provider", "change", establishment.provider.pk)
    data = _change_form_data(admin_client.get(provider_url))
    data["legal_name"] = "Nombre Nuevo del Proveedor S.A.C."
    assert admin_client.post(provider_url, data).status_code == 302
    establishment_url = _admin_url("establishment", "change", establishment.pk)
    data = _change_form_data(admin_client.get(establishment_url))
    data["address"] = "Dirección Nueva 500, Lima"
    assert admin_client.post(establishment_url, data).status_code == 302

    reloaded = _reload(complaint)

    assert Provider.objects.get(pk=establishment.provider.pk).legal_name == "Nombre Nuevo del Proveedor S.A.C."
    assert reloaded.provider_name == old_name
    assert reloaded.establishment_address == old_address
    assert complaint_verify_integrity(reloaded)
    page = admin_client.get(_admin_url("complaint", "change", complaint.pk)).content.decode()
    assert old_name in page


# --------------------------------------------------------------------------------------------------------------
# 6. The filing transaction writes the outbox rows
# --------------------------------------------------------------------------------------------------------------


def test_filing_with_an_email_writes_one_pending_copy(file_complaint, mailoutbox):
    complaint = file_complaint()

    [message] = OutboundMessage.objects.all()
    assert message.complaint == complaint
    assert message.kind == OutboundMessage.Kind.SHEET_COPY
    assert message.status == OutboundMessage.Status.PENDING
    assert message.recipient == complaint.consumer_email == VALID_FILING["consumer_email"]
    assert message.idempotency_key == f"sheet_copy:{complaint.pk}:{VALID_FILING['consumer_email']}"
    assert message.attempts == 0
    assert message.sent_at is None
    assert complaint.response_channel == ResponseChannel.EMAIL
    assert mailoutbox == []  # the copy leaves only after commit (never, inside this test transaction)


def test_the_copy_is_sent_when_the_filing_commits(file_complaint, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint()

    [email] = mailoutbox
    assert email.to == [complaint.consumer_email]
    message = complaint.messages.get()
    assert message.status == OutboundMessage.Status.SENT
    assert message.sent_at is not None


class _Boom(Exception):
    pass


def _file_inside_a_transaction_that_fails(file_complaint) -> None:
    with transaction.atomic():
        file_complaint()
        assert OutboundMessage.objects.count() == 1
        assert ComplaintEvent.objects.count() == 2
        raise _Boom


def test_a_rolled_back_filing_leaves_no_hoja_no_message_and_no_event(
    file_complaint, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(_Boom):
        _file_inside_a_transaction_that_fails(file_complaint)

    assert not Complaint.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not ComplaintEvent.objects.exists()
    assert callbacks == []
    assert mailoutbox == []
    assert file_complaint().number == 1  # the rolled-back filing consumed no number


@pytest.mark.parametrize(
    ("overrides", "recipients", "response_channel"),
    [
        pytest.param({}, [VALID_FILING["consumer_email"]], ResponseChannel.EMAIL, id="adult-with-email"),
        pytest.param({"consumer_email": ""}, [], ResponseChannel.LETTER, id="no-email-letter"),
        pytest.param(
            {"is_minor": True, "guardian_name": "Rosa Ñahui", "guardian_email": "rosa@example.pe"},
            [VALID_FILING["consumer_email"], "rosa@example.pe"],
            ResponseChannel.EMAIL,
            id="minor-two-copies",
        ),
        pytest.param(
            {"is_minor": True, "guardian_name": "Rosa Ñahui", "guardian_email": "MARIA.NUNEZ@example.pe"},
            [VALID_FILING["consumer_email"]],
            ResponseChannel.EMAIL,
            id="minor-same-email-one-copy",
        ),
        pytest.param(
            {"is_minor": True, "consumer_email": "", "guardian_email": "rosa@example.pe"},
            ["rosa@example.pe"],
            ResponseChannel.EMAIL,
            id="minor-guardian-email-only",
        ),
        pytest.param(
            {"is_minor": False, "guardian_name": "Rosa Ñahui", "guardian_email": "rosa@example.pe"},
            [VALID_FILING["consumer_email"]],
            ResponseChannel.EMAIL,
            id="adult-guardian-email-ignored",
        ),
        pytest.param(
            {"consumer_email": "Maria.Nunez@Example.PE"},
            ["Maria.Nunez@Example.PE"],
            ResponseChannel.EMAIL,
            id="mixed-case-email",
        ),
    ],
)
def test_filing_queues_one_copy_per_distinct_email(file_complaint, overrides, recipients, response_channel):
    complaint = file_complaint(**overrides)

    messages = list(OutboundMessage.objects.order_by("pk"))
    assert [m.recipient for m in messages] == recipients
    assert {m.idempotency_key for m in messages} == {f"sheet_copy:{complaint.pk}:{r.lower()}" for r in recipients}
    assert all(m.complaint_id == complaint.pk for m in messages)
    assert all(m.status == OutboundMessage.Status.PENDING for m in messages)
    assert complaint.response_channel == response_channel
    assert _reload(complaint).response_channel == response_channel


def test_guardian_fields_are_dropped_for_an_adult(file_complaint):
    complaint = _reload(
        file_complaint(
            is_minor=False,
            guardian_name="Rosa Ñahui",
            guardian_address="Jr. Huallaga 200, Lima",
            guardian_phone="999 888 777",
            guardian_email="rosa@example.pe",
        )
    )

    assert complaint.is_minor is False
    assert (
        complaint.guardian_name,
        complaint.guardian_address,
        complaint.guardian_phone,
        complaint.guardian_email,
    ) == ("", "", "", "")
    assert complaint.contact_email == complaint.consumer_email


def test_guardian_fields_are_kept_for_a_minor(file_complaint):
    complaint = _reload(
        file_complaint(
            is_minor=True,
            guardian_name="Rosa Ñahui",
            guardian_address="Jr. Huallaga 200, Lima",
            guardian_phone="999 888 777",
            guardian_email="rosa@example.pe",
        )
    )

    assert complaint.is_minor is True
    assert (
        complaint.guardian_name,
        complaint.guardian_address,
        complaint.guardian_phone,
        complaint.guardian_email,
    ) == ("Rosa Ñahui", "Jr. Huallaga 200, Lima", "999 888 777", "rosa@example.pe")
