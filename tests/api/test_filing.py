"""POST /api/v1/hojas/: the buyer's hoja filed through the book's own service, with the web form's rules."""

from __future__ import annotations

from datetime import date

import pytest

from reclamaciones.book import forms as book_forms
from reclamaciones.book.models import MSG_ADDRESS_OR_EMAIL, Channel, Complaint, ComplaintEvent
from reclamaciones.outbox.models import OutboundMessage

from .conftest import filing_body

pytestmark = pytest.mark.django_db


def test_files_a_hoja_through_the_api_channel_and_answers_what_the_store_needs(api, shop):
    response = api.post("/hojas/", filing_body(shop))

    assert response.status_code == 201, response.json()
    body = response.json()
    hoja = Complaint.objects.get()
    assert hoja.channel == Channel.API
    assert body["id"] == hoja.pk
    assert body["number"] == hoja.display_number == f"000000001-{hoja.year}"
    assert body["status"] == "received"
    assert body["status_label"] == "Registrada"
    assert date.fromisoformat(body["due_date"]) == hoja.due_date
    assert body["regime"] == hoja.regime
    assert body["tracking_url"].endswith(f"/seguimiento/{hoja.tracking_token}/")
    assert body["pdf_url"].endswith(f"/seguimiento/{hoja.tracking_token}/hoja.pdf")
    assert body["url"].endswith(f"/api/v1/hojas/{hoja.pk}/")
    assert response["Location"] == body["url"]
    assert body["establishment"] == {"id": shop.pk, "code": "WEB-01"}
    assert body["buyer_reference"] == "cliente-8841"
    assert body["answer"] is None
    assert body["warnings"] == []


def test_the_filed_event_records_the_api_client_and_the_buyer_reference(api, api_client, shop):
    api.post("/hojas/", filing_body(shop, buyer_reference="pedido-2026-0042"))

    event = ComplaintEvent.objects.get(type=ComplaintEvent.Type.FILED)
    assert event.data["channel"] == "api"
    assert event.data["origin"] == {
        "api_client_id": api_client.pk,
        "api_client": "Tienda online",
        "buyer_reference": "pedido-2026-0042",
    }
    assert event.complaint.api_filing.client == api_client


def test_the_sheet_copy_goes_to_the_consumer_as_from_the_web(api, shop, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/hojas/", filing_body(shop))

    assert response.status_code == 201
    copy = OutboundMessage.objects.get(kind=OutboundMessage.Kind.SHEET_COPY)
    assert copy.recipient == "maria.nunez@example.pe"
    assert [m.to for m in mailoutbox] == [["maria.nunez@example.pe"]]
    assert response.json()["number"] in mailoutbox[0].subject + mailoutbox[0].body


def test_numbers_follow_the_establishment_book(api, shop, store):
    first = api.post("/hojas/", filing_body(shop)).json()
    second = api.post("/hojas/", filing_body(shop, detail="Otra compra, otro problema.")).json()
    other = api.post("/hojas/", filing_body(store)).json()

    assert [first["number"][:9], second["number"][:9], other["number"][:9]] == ["000000001", "000000002", "000000001"]


def test_the_web_forms_messages_come_back_by_field(api, shop):
    response = api.post(
        "/hojas/",
        filing_body(shop, doc_number="1234", consumer_name="", detail="   ", consumer_address="", consumer_email=""),
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "Revisa los campos marcados: la hoja no se registró."
    assert error["fields"]["doc_number"] == [book_forms.MSG_DNI]
    assert error["fields"]["consumer_name"] == [book_forms.MSG_NAME_REQUIRED]
    assert error["fields"]["detail"] == [book_forms.MSG_DETAIL_REQUIRED]
    assert error["fields"]["consumer_address"] == [MSG_ADDRESS_OR_EMAIL]
    assert not Complaint.objects.exists()


def test_json_types_and_unknown_names_are_refused_by_field(api, shop):
    response = api.post(
        "/hojas/",
        filing_body(shop, is_minor="sí", consumer_phone=987654321, amount_claimed=[1], nombre="María"),
    )

    fields = response.json()["error"]["fields"]
    assert response.status_code == 400
    assert fields["is_minor"] == ["Debe ser true o false."]
    assert fields["consumer_phone"] == ["Debe ser texto."]
    assert fields["amount_claimed"] == ["Debe ser un número (150.50) o un texto con el monto."]
    assert fields["nombre"] == ["Este campo no existe en la API. Revisa su nombre en /api/v1/docs/."]


def test_a_numeric_amount_and_a_minor_with_a_guardian(api, shop):
    response = api.post(
        "/hojas/",
        filing_body(shop, amount_claimed=150.5, is_minor=True, guardian_name="Rosa Ñahui", kind=None),
    )

    assert response.status_code == 201, response.json()
    hoja = Complaint.objects.get()
    assert str(hoja.amount_claimed) == "150.50"
    assert hoja.is_minor
    assert hoja.guardian_name == "Rosa Ñahui"
    assert response.json()["kind"] is None


def test_a_minor_without_a_guardian_gets_the_forms_message(api, shop):
    response = api.post("/hojas/", filing_body(shop, is_minor=True))

    assert response.json()["error"]["fields"]["guardian_name"] == [book_forms.MSG_GUARDIAN_REQUIRED]


def test_missing_data_the_draft_warns_about_comes_back_as_warnings(api, shop):
    response = api.post("/hojas/", filing_body(shop, consumer_email=""))

    assert response.status_code == 201
    assert len(response.json()["warnings"]) == 1
    assert "correo electrónico" in response.json()["warnings"][0]


def test_an_unknown_establishment_is_404_and_a_missing_one_400(api, shop):
    unknown = api.post("/hojas/", filing_body(shop, establishment="NO-EXISTE"))
    missing = api.post("/hojas/", {k: v for k, v in filing_body(shop).items() if k != "establishment"})

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert missing.status_code == 400
    assert "establishment" in missing.json()["error"]["fields"]
    assert not Complaint.objects.exists()


def test_a_closed_book_is_409_in_spanish(api, shop):
    shop.is_active = False
    shop.save()

    response = api.post("/hojas/", filing_body(shop))

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "book_closed",
        "message": "Este libro de reclamaciones no está disponible.",
    }


def test_a_buyer_reference_must_be_short_visible_text(api, shop):
    for bad in ("x" * 101, "línea\nnueva", 42):
        response = api.post("/hojas/", filing_body(shop, buyer_reference=bad))
        assert response.status_code == 400
        assert "buyer_reference" in response.json()["error"]["fields"]
    assert not Complaint.objects.exists()


def test_left_out_choices_take_what_the_web_form_preselects(api, shop):
    body = {k: v for k, v in filing_body(shop).items() if k not in {"doc_type", "currency"}}

    assert api.post("/hojas/", body).status_code == 201
    hoja = Complaint.objects.get()
    assert (hoja.doc_type, hoja.currency) == ("dni", "PEN")


def test_form_only_fields_are_unknown_to_the_api(api, shop):
    response = api.post(
        "/hojas/",
        filing_body(shop, submission_key="x", referencia_interna="bot", attachments="a.pdf", attachment_ref="ref"),
    )

    fields = response.json()["error"]["fields"]
    assert response.status_code == 400
    assert set(fields) == {"submission_key", "referencia_interna", "attachments", "attachment_ref"}
    assert not Complaint.objects.exists()


def test_with_the_2026_rules_the_buyers_confirmation_is_required_and_recorded(api, shop, settings):
    settings.RECLAMACIONES_RULES_2026 = True

    unconfirmed = api.post("/hojas/", filing_body(shop, consumer_email=""))
    confirmed = api.post("/hojas/", filing_body(shop, consumer_email="", consumer_confirmed=True))

    assert unconfirmed.status_code == 400
    assert "consumer_confirmed: true" in unconfirmed.json()["error"]["fields"]["consumer_confirmed"][0]
    assert confirmed.status_code == 201
    event = ComplaintEvent.objects.get(type=ComplaintEvent.Type.FILED)
    assert event.data["confirmation"] == {"confirmed": True, "warnings": confirmed.json()["warnings"]}
    assert len(confirmed.json()["warnings"]) == 1


def test_without_the_2026_rules_no_confirmation_is_recorded(api, shop):
    assert api.post("/hojas/", filing_body(shop, consumer_confirmed="sí")).status_code == 400

    assert api.post("/hojas/", filing_body(shop)).status_code == 201
    assert "confirmation" not in ComplaintEvent.objects.get(type=ComplaintEvent.Type.FILED).data
