"""The OpenAPI document at /api/v1/openapi.json: published, structurally valid OpenAPI 3.1, listing every route
of the API with its methods, and describing exactly what the API answers (real responses are validated against
it, with no field left undeclared) and accepts (the public form's fields). The docs page renders it with no CDN."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve

from reclamaciones.api import urls as api_urls
from reclamaciones.api.forms import FORM_ONLY
from reclamaciones.book.forms import ComplaintForm

from ..factories import hoja_answered, hoja_filed
from .conftest import API, filing_body

pytestmark = pytest.mark.django_db

SCHEMA_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "$ref", "oneOf", "allOf", "format",
    "pattern", "maxLength", "minLength", "minimum", "description", "default",
}  # fmt: skip
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _resolve_ref(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _check_schema(document: dict, schema: dict, where: str) -> None:
    """A JSON Schema as this API writes them: known keywords only, resolvable references, nested schemas valid."""
    assert isinstance(schema, dict), where
    assert set(schema) <= SCHEMA_KEYWORDS, f"{where}: {set(schema) - SCHEMA_KEYWORDS}"
    if "$ref" in schema:
        _resolve_ref(document, schema["$ref"])
    types = schema.get("type", [])
    for kind in [types] if isinstance(types, str) else types:
        assert kind in {"object", "array", "string", "integer", "number", "boolean", "null"}, where
    for name, sub in schema.get("properties", {}).items():
        _check_schema(document, sub, f"{where}.{name}")
    assert set(schema.get("required", [])) <= set(schema.get("properties", {})) or "allOf" in schema, where
    for key in ("items",):
        if key in schema:
            _check_schema(document, schema[key], f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        _check_schema(document, schema["additionalProperties"], f"{where}{{}}")
    for key in ("oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            _check_schema(document, sub, f"{where}/{key}{i}")


def validate(document: dict, schema: dict, value, where: str = "$") -> None:
    """`value` against `schema` (the subset of JSON Schema the API uses), strictly: undeclared fields fail."""
    if "$ref" in schema:
        return validate(document, _resolve_ref(document, schema["$ref"]), value, where)
    if "oneOf" in schema:
        matches = 0
        for sub in schema["oneOf"]:
            try:
                validate(document, sub, value, where)
                matches += 1
            except AssertionError:
                pass
        assert matches == 1, f"{where}: {value!r} matches {matches} of oneOf"
        return None
    if "allOf" in schema:
        merged_props: dict = {}
        for sub in schema["allOf"]:
            sub = _resolve_ref(document, sub["$ref"]) if "$ref" in sub else sub
            merged_props.update(sub.get("properties", {}))
            for name in sub.get("required", []):
                assert name in value, f"{where}: missing {name}"
        assert set(value) <= set(merged_props), f"{where}: undeclared {set(value) - set(merged_props)}"
        for name, item in value.items():
            validate(document, merged_props[name], item, f"{where}.{name}")
        return None
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else types
        python = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = any(
            (t == "integer" and isinstance(value, int) and not isinstance(value, bool))
            or (t == "number" and isinstance(value, int | float) and not isinstance(value, bool))
            or (t in python and isinstance(value, python[t]))
            for t in allowed
        )
        assert ok, f"{where}: {value!r} is not {allowed}"
    if value is None:
        return None
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "pattern" in schema:
        assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(properties), f"{where}: undeclared {set(value) - set(properties)}"
        for name, item in value.items():
            sub = properties.get(name)
            if sub is None and isinstance(schema.get("additionalProperties"), dict):
                sub = schema["additionalProperties"]
            if sub is not None:
                validate(document, sub, item, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(document, schema["items"], item, f"{where}[{i}]")
    return None


@pytest.fixture
def document(client):
    response = client.get(API + "/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_the_document_is_structurally_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    assert document["info"]["version"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/oauth/token"
    for name, schema in document["components"]["schemas"].items():
        _check_schema(document, schema, name)
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/api/v1/")
        templated = set(re.findall(r"{(\w+)}", path))
        assert set(item) <= METHODS
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert operation["summary"]
            assert operation["responses"]
            in_path = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert in_path == templated, (path, method)
            for parameter in operation["parameters"]:
                assert parameter["in"] in {"path", "query", "header", "cookie"}
                assert parameter["in"] != "path" or parameter["required"] is True
                _check_schema(document, parameter["schema"], f"{path} {parameter['name']}")
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status)
                assert response["description"]
                for content in response.get("content", {}).values():
                    _check_schema(document, content["schema"], f"{method} {path} {status}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _check_schema(document, content["schema"], f"{method} {path} body")
            for requirement in operation["security"]:
                assert set(requirement) <= set(schemes)
    assert len(operation_ids) == len(set(operation_ids))


def test_every_route_and_method_of_the_api_is_in_the_document(document):
    declared = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
    }  # fmt: skip
    routed = set()
    for pattern in api_urls.urlpatterns:
        operations = getattr(pattern.callback, "api_operations", None)
        if operations is None:
            assert pattern.name in {"openapi", "docs"}, pattern.name  # the document and its page only
            continue
        sample = re.sub(r"<(?:int:)?(\w+)>", lambda m: "7" if "int:" in m[0] else "X-1", str(pattern.pattern))
        path = "/api/" + sample
        documented = [p for p in document["paths"] if re.fullmatch(re.sub(r"{\w+}", "[^/]+", p), path)]
        assert len(documented) == 1, path
        assert resolve(path).func is pattern.callback
        routed |= {(documented[0], op.method.lower()) for op in operations}
    assert routed == declared


def test_the_filing_body_is_the_public_forms_fields(document):
    body = document["paths"]["/api/v1/hojas/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    form_fields = {
        name
        for name, field in ComplaintForm.base_fields.items()
        if name not in FORM_ONLY and not field.widget.is_hidden and getattr(field.widget, "input_type", "") != "file"
    }

    assert set(body["properties"]) == form_fields | {"establishment", "buyer_reference", "consumer_confirmed"}
    assert {"consumer_name", "doc_number", "detail", "amount_claimed", "is_minor"} <= form_fields
    assert not {"submission_key", "referencia_interna", "attachments", "attachment_ref"} & set(body["properties"])
    assert set(body["required"]) == {"establishment", "consumer_name", "doc_number", "detail"}
    assert body["properties"]["detail"]["maxLength"] == 4000
    assert body["properties"]["doc_type"]["enum"] == ["dni", "ce", "pasaporte", "ruc"]
    assert body["properties"]["doc_type"]["default"] == "dni"
    assert body["properties"]["currency"]["default"] == "PEN"
    assert body["additionalProperties"] is False


def test_real_responses_match_the_document_field_for_field(document, api, shop, client):
    answered = hoja_answered(hoja_filed(shop))

    def check(path, method, status, response):
        assert response.status_code == int(status), response.content
        declared = document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        validate(document, declared, response.json())

    check("/api/v1/hojas/", "post", "201", api.post("/hojas/", filing_body(shop)))
    check("/api/v1/hojas/", "post", "400", api.post("/hojas/", filing_body(shop, doc_number="1")))
    check("/api/v1/hojas/", "post", "404", api.post("/hojas/", filing_body(shop, establishment="NO")))
    check("/api/v1/hojas/", "get", "200", api.get("/hojas/"))
    check("/api/v1/hojas/{complaint_id}/", "get", "200", api.get(f"/hojas/{answered.pk}/"))
    check("/api/v1/hojas/{complaint_id}/", "get", "401", api.get(f"/hojas/{answered.pk}/", token="lr_x"))
    check(
        "/api/v1/establecimientos/{code}/hojas/{number}/",
        "get",
        "200",
        api.get(f"/establecimientos/{shop.code}/hojas/{answered.display_number}/"),
    )
    check("/api/v1/establecimientos/", "get", "200", api.get("/establecimientos/"))
    check(
        "/api/v1/oauth/token",
        "post",
        "400",
        client.generic("POST", API + "/oauth/token", "grant_type=password", "application/x-www-form-urlencoded"),
    )
    assert api.get(f"/hojas/{answered.pk}/").json()["answer"]["channel"] == "email"


def test_the_validator_catches_an_undeclared_field(document):
    hoja = {"$ref": "#/components/schemas/Establecimiento"}
    good = {"id": 1, "code": "A", "name": "B", "address": "C", "kind": "virtual", "is_active": True, "book_url": "u"}

    validate(document, hoja, good)
    with pytest.raises(AssertionError):
        validate(document, hoja, {**good, "secreto": 1})


def test_the_docs_page_renders_every_operation_without_a_cdn(client, document):
    response = client.get(API + "/docs/")

    page = response.content.decode()
    assert response.status_code == 200
    for path, item in document["paths"].items():
        assert path in page
        for operation in item.values():
            assert operation["summary"] in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "Idempotency-Key" in page


def test_one_hoja_lives_where_the_webhooks_link(api, shop):
    """The contract with the webhooks (docs/webhooks.md): their payloads link to GET /api/v1/hojas/<id>/."""
    from django.urls import reverse

    hoja = hoja_filed(shop)

    assert reverse("api:hoja", args=[hoja.pk]) == f"/api/v1/hojas/{hoja.pk}/"
    assert api.get(f"/hojas/{hoja.pk}/").json()["url"].endswith(f"/api/v1/hojas/{hoja.pk}/")
