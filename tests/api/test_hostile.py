"""What a hostile or broken integration sends: never a 500. NUL bytes and over-long text get the web form's
Spanish messages (400); control characters and markup are kept as the web form keeps them (and JSON escapes
them); bodies that are not JSON objects, too big or of another type get a clear 4xx."""

from __future__ import annotations

import json

import pytest

from reclamaciones.book.models import Complaint

from .conftest import API, filing_body

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    return response.json()["error"]


@pytest.mark.parametrize("field", ["consumer_name", "detail", "consumer_address", "request", "good_description"])
def test_a_nul_byte_in_any_text_is_a_spanish_field_error(api, shop, field):
    response = api.post("/hojas/", filing_body(shop, **{field: "Ana\x00Pérez"}))

    assert response.status_code == 400
    assert _error(response)["fields"][field] == ["Los caracteres nulos no están permitidos."]
    assert not Complaint.objects.exists()


def test_nul_bytes_elsewhere_never_reach_the_database(api, shop):
    assert api.post("/hojas/", filing_body(shop, establishment="WEB\x00-01")).status_code == 404
    assert api.post("/hojas/", filing_body(shop, buyer_reference="a\x00b")).status_code == 400
    assert api.post("/hojas/", filing_body(shop, doc_type="dni\x00")).status_code == 400
    assert api.post("/hojas/", {**filing_body(shop), "x\x00y": "z"}).status_code == 400
    assert api.get(f"/establecimientos/{shop.code}%00/hojas/000000001-2026/").status_code == 404
    assert api.get("/hojas/", cursor="\x00").status_code == 400


def test_markup_and_control_characters_are_kept_as_the_web_form_keeps_them(api, shop, client):
    hostile = "<script>alert('x')</script> \x0b\x1b[31m {{ 7|add:7 }}"

    response = api.post("/hojas/", filing_body(shop, detail=hostile, consumer_name="<b>Ana</b>"))

    assert response.status_code == 201
    hoja = Complaint.objects.get()
    assert hoja.detail == hostile
    assert hoja.consumer_name == "<b>Ana</b>"
    assert "<script>" not in response.content.decode()  # the API never echoes it; the sheet escapes it
    sheet = client.get(f"/seguimiento/{hoja.tracking_token}/registrada/").content.decode()
    assert "<script>alert" not in sheet
    assert "&lt;script&gt;" in sheet


def test_over_long_text_gets_the_forms_message(api, shop):
    response = api.post("/hojas/", filing_body(shop, detail="a" * 4001, consumer_name="ñ" * 151))

    fields = _error(response)["fields"]
    assert response.status_code == 400
    assert fields["detail"] == ["Escribe como máximo 4000 caracteres (llevas 4001)."]
    assert fields["consumer_name"] == ["Escribe como máximo 150 caracteres (llevas 151)."]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{no es json", "invalid_json"),
        (b"[1, 2, 3]", "invalid_json"),
        (b'"texto"', "invalid_json"),
        (b'{"amount_claimed": NaN}', "invalid_json"),
        (b'{"detail": "\xff\xfe"}', "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "body_too_large"),
        (b"[" * 20_000 + b"]" * 20_000, "invalid_json"),
        (b"   ", "invalid_json"),
    ],
)
def test_broken_bodies_are_a_clear_4xx(api, raw, code):
    response = api.post("/hojas/", None, raw=raw)

    assert 400 <= response.status_code < 500
    assert _error(response)["code"] == code
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"consumer_name": "\ud800"},
        {"detail": "a\udfffb"},
        {"\ud800x": "z"},  # an unknown name: hashed for the Idempotency-Key before the form refuses it
    ],
)
def test_a_lone_surrogate_is_invalid_json_not_a_500(api, shop, body):
    raw = json.dumps(filing_body(shop, **body)).encode()  # json.dumps writes it as the escape \ud800

    response = api.post("/hojas/", None, raw=raw)

    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("limit", ["9" * 5000, "0" * 4500 + "1", "١٢", "１２", "²"])
def test_a_limit_that_is_not_a_short_ascii_number_is_invalid_limit(api, limit):
    response = api.get("/hojas/", limit=limit)

    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_limit"


def test_a_huge_body_is_413_before_it_is_read(api, shop, settings):
    settings.RECLAMACIONES_API_MAX_BODY_BYTES = 10_000

    response = api.post("/hojas/", filing_body(shop, detail="x" * 20_000))

    assert response.status_code == 413
    assert _error(response) == {
        "code": "body_too_large",
        "message": "El cuerpo es demasiado grande: el máximo es 9 KB.",
    }


def test_another_media_type_is_415(api, shop):
    response = api.post("/hojas/", None, raw=json.dumps(filing_body(shop)).encode(), content_type="text/plain")

    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_other_methods_are_a_json_405(api, shop):
    response = api.client.delete(API + "/hojas/", headers={"Authorization": f"Bearer {api.token}"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert _error(response)["code"] == "method_not_allowed"


def test_a_huge_authorization_header_is_401(api):
    response = api.get("/establecimientos/", token="lr_" + "a" * 100_000)

    assert response.status_code == 401


def test_hostile_oauth_credentials_are_invalid_client(client):
    import base64
    from urllib.parse import quote

    for client_id in ("\x00", "a" * 5000, "<script>"):
        body = f"grant_type=client_credentials&client_id={quote(client_id)}&client_secret=%00"
        response = client.generic("POST", API + "/oauth/token", body, "application/x-www-form-urlencoded")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    basic = base64.b64encode(b"\x00:\x00").decode()
    response = client.generic(
        "POST", API + "/oauth/token", "grant_type=client_credentials", "application/x-www-form-urlencoded",
        headers={"Authorization": f"Basic {basic}"},
    )  # fmt: skip
    assert response.status_code == 401
