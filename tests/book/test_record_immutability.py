"""The hoja is a legal record: filed fields, the fingerprint and the event trail never change."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from reclamaciones.book.models import (
    FILED_FIELDS,
    Channel,
    Complaint,
    ComplaintEvent,
    Currency,
    DocType,
    GoodType,
    Kind,
    ResponseChannel,
    Status,
    tracking_token_new,
)
from reclamaciones.book.services import complaint_verify_integrity
from reclamaciones.records import ImmutableRecordError

from ..factories import EstablishmentFactory
from .records_support import _copy, _filed_values, _reload

pytestmark = pytest.mark.django_db


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
    "change",
    [
        pytest.param(lambda row: type(row).objects.filter(pk=row.pk).update(complaint=row.complaint), id="update"),
        pytest.param(lambda row: type(row).objects.filter(pk=row.pk).delete(), id="queryset-delete"),
        pytest.param(lambda row: row.delete(), id="delete"),
        pytest.param(lambda row: row.save(), id="save"),
    ],
)
def test_the_answer_and_the_survey_are_written_once(file_complaint, change):
    """Section 4 as communicated and what the consumer said about it are records, like the trail."""
    from reclamaciones.access import Role, Scope
    from reclamaciones.handling.models import Response, SurveyAnswer
    from reclamaciones.handling.services import response_send, survey_answer

    from ..factories import staff_user

    complaint = file_complaint()
    agent = staff_user("ana", Role.AGENT, establishments=[complaint.establishment])
    response_send(complaint_id=complaint.pk, text="Respuesta.", channel="email", scope=Scope.of(agent))
    survey_answer(complaint=complaint, solved=True, csat=5, nps=10, comment="Gracias.")
    for row in (Response.objects.get(complaint=complaint), SurveyAnswer.objects.get(complaint=complaint)):
        with pytest.raises(ImmutableRecordError):
            change(row)
    assert Response.objects.filter(complaint=complaint, text="Respuesta.").exists()
    assert SurveyAnswer.objects.filter(complaint=complaint, csat=5).exists()
