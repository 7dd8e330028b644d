"""What the API returns, declared once: each field's JSON schema beside the function that reads it, so the
published OpenAPI schema (api.schema) and the responses are built from the same table and cannot drift."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from ..book import pdf
from ..book.models import REGIME_CHOICES, Channel, Complaint, Establishment, Kind, ResponseChannel, Status
from ..handling.selectors import related_or_none
from .models import ApiClient


@dataclass(frozen=True)
class Field:
    name: str
    schema: dict
    read: Callable[[Any], Any]
    description: str = ""
    filer_only: bool = False  # carries the consumer's secret: null unless the reading client filed the hoja


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


ESTABLISHMENT_FIELDS = (
    Field("id", {"type": "integer"}, lambda e: e.pk, "Identificador del establecimiento."),
    Field("code", {"type": "string"}, lambda e: e.code, "Código de identificación del libro (art. 8)."),
    Field("name", {"type": "string"}, lambda e: e.name, "Nombre del establecimiento."),
    Field("address", {"type": "string"}, lambda e: e.address, "Domicilio del establecimiento."),
    Field("kind", {"type": "string", "enum": Establishment.Kind.values}, lambda e: e.kind, "Físico o virtual."),
    Field("is_active", {"type": "boolean"}, lambda e: e.is_active, "Si su libro recibe hojas."),
    Field(
        "book_url",
        {"type": "string", "format": "uri"},
        lambda e: settings.PORTAL_BASE_URL + reverse("reclamaciones:file", args=[e.slug]),
        "El libro virtual del establecimiento, para enlazarlo desde la tienda.",
    ),
)

ANSWER_FIELDS = (
    Field("text", {"type": "string"}, lambda r: r.text, "Observaciones y acciones adoptadas por el proveedor."),
    Field("channel", {"type": "string", "enum": ResponseChannel.values}, lambda r: r.channel, "Medio de respuesta."),
    Field(
        "communicated_at",
        {"type": "string", "format": "date-time"},
        lambda r: _iso(r.communicated_at),
        "Fecha y hora en que se comunicó la respuesta al consumidor.",
    ),
)


def _buyer_reference(complaint: Complaint) -> str | None:
    filing = related_or_none(complaint, "api_filing")
    return filing.buyer_reference if filing is not None else None


def _filed_by(complaint: Complaint, client: ApiClient) -> bool:
    """Did `client` file this hoja (its ApiFiling row, joined by the selectors: no query)."""
    filing = related_or_none(complaint, "api_filing")
    return filing is not None and filing.client_id == client.pk


def _answer(complaint: Complaint) -> dict | None:
    answer = related_or_none(complaint, "response")
    return represent(ANSWER_FIELDS, answer) if answer is not None else None


COMPLAINT_FIELDS = (
    Field("id", {"type": "integer"}, lambda c: c.pk, "Identificador de la hoja en la API."),
    Field(
        "url",
        {"type": "string", "format": "uri"},
        lambda c: settings.PORTAL_BASE_URL + reverse("api:hoja", args=[c.pk]),
        "Esta hoja en la API.",
    ),
    Field(
        "number",
        {"type": "string", "pattern": r"^\d{9}-\d{4}$"},
        lambda c: c.display_number,
        "Número de la hoja, como se imprime: Nº 000000012-2026.",
    ),
    Field(
        "establishment",
        {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"}}},
        lambda c: {"id": c.establishment_id, "code": c.establishment_code},
        "El establecimiento cuyo libro recibió la hoja.",
    ),
    Field("channel", {"type": "string", "enum": Channel.values}, lambda c: c.channel, "Por dónde se presentó."),
    Field("kind", _nullable({"type": "string", "enum": Kind.values}), lambda c: c.kind or None, "Reclamo o queja."),
    Field("status", {"type": "string", "enum": Status.values}, lambda c: c.status, "Estado de la hoja."),
    Field("status_label", {"type": "string"}, lambda c: c.get_status_display(), "El estado, en palabras."),
    Field("filed_at", {"type": "string", "format": "date-time"}, lambda c: _iso(c.filed_at), "Presentada."),
    Field(
        "due_date",
        {"type": "string", "format": "date"},
        lambda c: _iso(c.due_date),
        "Fecha límite legal para responder (en hora de Lima).",
    ),
    Field(
        "regime",
        {"type": "string", "enum": [value for value, _label in REGIME_CHOICES]},
        lambda c: c.regime,
        "Norma que fija el plazo (ley-31435: 15 días hábiles improrrogables).",
    ),
    Field(
        "tracking_url",
        _nullable({"type": "string", "format": "uri"}),
        pdf.tracking_url,
        "Seguimiento de la hoja para el consumidor (contiene su clave secreta: muéstralo solo a él). Solo en las "
        "hojas que registró tu cliente por la API; null en las demás (presentadas en la web, en papel o por otro "
        "cliente).",
        filer_only=True,
    ),
    Field(
        "pdf_url",
        _nullable({"type": "string", "format": "uri"}),
        lambda c: settings.PORTAL_BASE_URL + reverse("reclamaciones:pdf", args=[c.tracking_token]),
        "La hoja en PDF (misma clave secreta que el seguimiento; null en las mismas hojas).",
        filer_only=True,
    ),
    Field(
        "buyer_reference",
        {"type": ["string", "null"]},
        _buyer_reference,
        "La referencia del comprador que envió tu plataforma (null si la hoja no llegó por la API).",
    ),
    Field(
        "answer",
        {"oneOf": [{"$ref": "#/components/schemas/Answer"}, {"type": "null"}]},
        _answer,
        "La respuesta del proveedor (sección 4 de la hoja), cuando ya se comunicó.",
    ),
    Field(
        "updated_at",
        {"type": "string", "format": "date-time"},
        lambda c: _iso(c.updated_at),
        "Último cambio de la hoja (estado, respuesta, plazo...).",
    ),
)


def represent(fields, obj, *, filer: bool = True) -> dict:
    """`obj` as JSON; `filer=False` withholds the filer-only fields (null)."""
    return {f.name: f.read(obj) if filer or not f.filer_only else None for f in fields}


def object_schema(fields, *, description: str = "") -> dict:
    """The JSON schema of what `represent(fields, ...)` returns: every field, all present, nothing else."""
    schema = {
        "type": "object",
        "properties": {
            f.name: {**f.schema, **({"description": f.description} if f.description else {})} for f in fields
        },
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def complaint_represent(complaint: Complaint, *, client: ApiClient) -> dict:
    """The hoja as `client` may read it. The tracking and PDF links carry the consumer's secret token, which
    lets its holder act as the consumer (accept or reject a settlement offer): only the client that filed the
    hoja for its buyer gets them, never for hojas the consumer filed elsewhere (the web, paper, another client)."""
    return represent(COMPLAINT_FIELDS, complaint, filer=_filed_by(complaint, client))


def establishment_represent(establishment: Establishment) -> dict:
    return represent(ESTABLISHMENT_FIELDS, establishment)
