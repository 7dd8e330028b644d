"""The OpenAPI 3.1 document of /api/v1/, generated from the routes (api.urls), the Operation each view declares
(api.http), the public form's fields (api.forms) and the response tables (api.serializers): nothing is written
twice, so the published schema cannot drift from what the API does. Also the human docs page, rendered on the
server from the same document (no CDN, no JavaScript)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import reverse
from django.views.decorators.http import require_safe

from .http import json_response
from .serializers import ANSWER_FIELDS, COMPLAINT_FIELDS, ESTABLISHMENT_FIELDS, object_schema

API_VERSION = "1.0.0"

_PARAM_RE = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": {"type": "integer"}, "str": {"type": "string"}, "slug": {"type": "string"}}

PARAM_DESCRIPTIONS = {
    "complaint_id": "El id de la hoja (campo id de la respuesta al registrarla).",
    "code": "Código de identificación del establecimiento.",
    "number": "Número de la hoja como se imprime: 000000012-2026.",
}

ERROR_COMPONENT = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Código para tu programa (en inglés, estable)."},
                "message": {"type": "string", "description": "Qué pasó y qué hacer, en español."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Mensajes por campo (solo en errores de validación).",
                },
            },
            "required": ["code", "message"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}

DESCRIPTION = (
    "API del Libro de Reclamaciones para tiendas en línea (Ley 32495, D.Leg. 1729): registra la hoja del comprador "
    "desde tu plataforma, consulta su estado y la respuesta, y sigue los cambios con un cursor. Autenticación por "
    "token Bearer (estático, creado en la administración) u OAuth2 client credentials. Toda operación POST "
    "autenticada requiere la cabecera Idempotency-Key. Guía completa: docs/api.md."
)


def api_routes():
    """(OpenAPI path, name, operations) of every route of api.urls that declares operations."""
    from .urls import urlpatterns

    prefix = reverse("api:openapi").removesuffix("v1/openapi.json")
    for pattern in urlpatterns:
        operations = getattr(pattern.callback, "api_operations", None)
        if operations is None:
            continue
        route = str(pattern.pattern)
        params = [(m["name"], m["converter"] or "str") for m in _PARAM_RE.finditer(route)]
        yield prefix + _PARAM_RE.sub(lambda m: "{" + m["name"] + "}", route), params, operations


def _response(description: str, schema: dict | None, status: str) -> dict:
    response: dict = {"description": description}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    if status == "429":
        response["headers"] = {
            "Retry-After": {"description": "Segundos hasta poder reintentar.", "schema": {"type": "integer"}}
        }
    return response


def _operation(operation, params) -> dict:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _CONVERTER_TYPES.get(converter, {"type": "string"}),
            "description": PARAM_DESCRIPTIONS.get(name, ""),
        }
        for name, converter in params
    ]
    parameters += [
        {"name": name, "in": "query", "required": required, "schema": schema, "description": description}
        for name, schema, description, required in operation.query
    ]
    if operation.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 8, "maxLength": 255, "pattern": r"^[A-Za-z0-9_.:\-]+$"},
                "description": (
                    "Una clave única por operación (un UUID). La misma clave con el mismo cuerpo devuelve la misma "
                    f"respuesta sin repetir nada durante {settings.RECLAMACIONES_API_IDEMPOTENCY_HOURS} horas; con "
                    "otro cuerpo, 422."
                ),
            }
        )
    result: dict = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": parameters,
        "responses": {
            status: _response(description, schema, status)
            for status, (description, schema) in operation.responses.items()
        },
    }
    if operation.description:
        result["description"] = operation.description
    if operation.request_schema is not None:
        result["requestBody"] = {
            "required": True,
            "content": {operation.request_media_type: {"schema": operation.request_schema}},
        }
    result["security"] = [{"bearer": []}, {"oauth2": []}] if operation.authenticated else []
    return result


def openapi_document() -> dict:
    paths: dict = {}
    for path, params, operations in api_routes():
        paths[path] = {op.method.lower(): _operation(op, params) for op in operations}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Libro de Reclamaciones · API para tiendas en línea",
            "version": API_VERSION,
            "description": DESCRIPTION,
        },
        "servers": [{"url": settings.PORTAL_BASE_URL}],
        "paths": paths,
        "components": {
            "schemas": {
                "Hoja": object_schema(COMPLAINT_FIELDS, description="Una hoja de reclamación y su estado."),
                "Answer": object_schema(ANSWER_FIELDS, description="La respuesta del proveedor."),
                "Establecimiento": object_schema(ESTABLISHMENT_FIELDS),
                "Error": ERROR_COMPONENT,
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Token estático (administración) o token de acceso OAuth2.",
                },
                "oauth2": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": reverse("api:oauth-token"), "scopes": {}}},
                },
            },
        },
    }


@require_safe
def openapi_json(request):
    return json_response(openapi_document())


def _type_label(schema: dict) -> str:
    kind = schema.get("type", "object")
    label = " | ".join(kind) if isinstance(kind, list) else kind
    if "enum" in schema:
        label += ": " + ", ".join(str(value) for value in schema["enum"])
    return label


_DOCS_TEMPLATE = Path(__file__).with_name("docs.html")


@require_safe
def docs(request):
    """The schema as a page (server-rendered: works with no CDN and no JavaScript)."""
    from django.http import HttpResponse

    document = openapi_document()
    operations = [
        {"path": path, "method": method.upper(), **operation}
        for path, by_method in document["paths"].items()
        for method, operation in by_method.items()
    ]
    for operation in operations:
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, content in body.items():
            schema = content["schema"]
            operation["body_media_type"] = media_type
            operation["body_fields"] = [
                {
                    "name": name,
                    "required": name in schema.get("required", []),
                    "type_label": _type_label(field),
                    **field,
                }
                for name, field in schema["properties"].items()
            ]
    schemas = document["components"]["schemas"]
    template = engines["django"].from_string(_DOCS_TEMPLATE.read_text(encoding="utf-8"))
    context = {
        "document": document,
        "operations": operations,
        "hoja_fields": [
            {"name": name, "type_label": _type_label(field), **field}
            for name, field in schemas["Hoja"]["properties"].items()
        ],
        "openapi_url": reverse("api:openapi"),
    }
    return HttpResponse(template.render(context, request))
