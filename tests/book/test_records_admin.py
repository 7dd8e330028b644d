"""The admin of the records: read-only hojas and events, no add or delete, the outbox's retry action, and
editable providers and establishments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from reclamaciones.book.models import (
    Complaint,
    Kind,
    Provider,
    Status,
)
from reclamaciones.book.services import complaint_verify_integrity
from reclamaciones.outbox.models import OutboundMessage

from .records_support import _filed_values, _reload

pytestmark = pytest.mark.django_db


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
            if isinstance(value, FieldFile):
                continue  # a browser never sends back the stored file (the provider's logo)
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
