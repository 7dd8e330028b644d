"""The API's views: thin, each declares its Operation (published in the OpenAPI schema) and calls the book's
services and this package's selectors. Another establishment's hoja does not exist here (404, as in the back
office)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..book.forms import ComplaintForm, sheet_number_parse
from ..book.models import Channel, Complaint, Establishment
from ..book.services import FilingError, complaint_file, filing_warnings
from ..clientip import client_ip
from .forms import (
    BUYER_REFERENCE_FIELD,
    CONFIRMED_FIELD,
    ESTABLISHMENT_FIELD,
    MSG_BOOLEAN,
    MSG_CONFIRMATION_REQUIRED,
    MSG_ESTABLISHMENT_REQUIRED,
    buyer_reference_clean,
    filing_form_data,
    filing_request_schema,
)
from .http import ApiError, Operation, endpoint
from .models import ApiFiling
from .selectors import complaint_changes, complaint_get, complaint_get_by_number, establishment_get, establishment_list
from .serializers import complaint_represent, establishment_represent

MSG_VALIDATION = "Revisa los campos marcados: la hoja no se registró."
MSG_NOT_FOUND = "No existe esa hoja, o no pertenece a los establecimientos de tu integración."
MSG_ESTABLISHMENT_NOT_FOUND = "No existe un establecimiento con ese código entre los de tu integración."
MSG_CURSOR = "El cursor no es válido: usa el valor next_cursor de la respuesta anterior, sin cambiarlo."
MSG_LIMIT = "limit debe ser un número entre 1 y {max}."

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
HOJA_SCHEMA = {"$ref": "#/components/schemas/Hoja"}

_AUTH_ERRORS = {
    "401": ("Token ausente, inválido, revocado o vencido.", ERROR_SCHEMA),
    "429": ("Límite de peticiones del cliente superado (ver la cabecera Retry-After).", ERROR_SCHEMA),
}


def _not_found(message: str = MSG_NOT_FOUND) -> ApiError:
    return ApiError(404, "not_found", message)


def _validation_error(fields: dict) -> ApiError:
    return ApiError(400, "validation_error", MSG_VALIDATION, fields=fields)


# POST /api/v1/hojas/ -----------------------------------------------------------------------------------------


FILED_SCHEMA = {
    "allOf": [
        HOJA_SCHEMA,
        {
            "type": "object",
            "properties": {
                "warnings": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Datos clave que faltan (nombre, documento, correo, detalle): avisos, no errores.",
                }
            },
            "required": ["warnings"],
        },
    ]
}


@endpoint(
    Operation(
        method="POST",
        operation_id="hojas_create",
        summary="Registrar una hoja de reclamación del comprador",
        description=(
            "Registra la hoja que el comprador llenó en tu plataforma (canal «api»), con las mismas reglas que el "
            "formulario web: número correlativo, plazo legal y la copia por correo al consumidor. Requiere "
            "Idempotency-Key."
        ),
        idempotent=True,
        request_schema=filing_request_schema(),
        responses={
            "201": ("Hoja registrada.", FILED_SCHEMA),
            "400": ("Datos inválidos (mensajes por campo) o falta Idempotency-Key.", ERROR_SCHEMA),
            "404": ("El establecimiento no existe entre los de tu integración.", ERROR_SCHEMA),
            "409": ("El libro de ese establecimiento no recibe hojas.", ERROR_SCHEMA),
            "413": ("Cuerpo demasiado grande.", ERROR_SCHEMA),
            "415": ("El cuerpo no es application/json.", ERROR_SCHEMA),
            "422": ("La Idempotency-Key ya se usó con otra petición.", ERROR_SCHEMA),
            **_AUTH_ERRORS,
        },
    )
)
def hoja_create(request, payload: dict):
    data, errors = filing_form_data(payload)
    try:
        buyer_reference = buyer_reference_clean(payload.get(BUYER_REFERENCE_FIELD))
    except ValueError as exc:
        errors[BUYER_REFERENCE_FIELD] = [str(exc)]
    confirmed = payload.get(CONFIRMED_FIELD)
    if confirmed is not None and not isinstance(confirmed, bool):
        errors[CONFIRMED_FIELD] = [MSG_BOOLEAN]
    elif settings.RECLAMACIONES_RULES_2026 and confirmed is not True:
        errors[CONFIRMED_FIELD] = [MSG_CONFIRMATION_REQUIRED]  # as the web form's review page (draft art. 5-A)
    code = payload.get(ESTABLISHMENT_FIELD)
    if not isinstance(code, str) or not code.strip():
        errors[ESTABLISHMENT_FIELD] = [MSG_ESTABLISHMENT_REQUIRED]
    form = ComplaintForm(data)
    if not form.is_valid():
        errors.update({name: [e["message"] for e in items] for name, items in form.errors.get_json_data().items()})
    if errors:
        raise _validation_error(errors)
    try:
        if not code.strip().isprintable():  # a NUL byte cannot even be looked up in PostgreSQL text
            raise Establishment.DoesNotExist
        establishment = establishment_get(scope=request.api_scope, code=code.strip())
    except Establishment.DoesNotExist:
        raise _not_found(MSG_ESTABLISHMENT_NOT_FOUND) from None
    client = request.api_client
    kwargs = form.service_kwargs()
    kwargs.pop("submission_key", None)  # the Idempotency-Key de-duplicates API filings
    warnings = filing_warnings(form.cleaned_data)
    confirmation = {"confirmed": True, "warnings": warnings} if settings.RECLAMACIONES_RULES_2026 else None
    try:
        complaint = complaint_file(
            establishment=establishment,
            channel=Channel.API,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            confirmation=confirmation,
            origin={"api_client_id": client.pk, "api_client": client.name, "buyer_reference": buyer_reference},
            **kwargs,
        )
    except FilingError as exc:
        raise ApiError(409, "book_closed", str(exc)) from None
    except ValidationError as exc:
        raise _validation_error({name: list(messages) for name, messages in exc.message_dict.items()}) from None
    complaint.api_filing = ApiFiling.objects.create(complaint=complaint, client=client, buyer_reference=buyer_reference)
    return 201, {**complaint_represent(complaint, client=request.api_client), "warnings": warnings}


# GET /api/v1/hojas/<id>/ and by number ---------------------------------------------------------------------


@endpoint(
    Operation(
        method="GET",
        operation_id="hojas_read",
        summary="Leer una hoja: estado, plazo y respuesta",
        responses={"200": ("La hoja.", HOJA_SCHEMA), "404": ("No existe en tu alcance.", ERROR_SCHEMA), **_AUTH_ERRORS},
    )
)
def hoja_detail(request, complaint_id: int):
    try:
        complaint = complaint_get(scope=request.api_scope, complaint_id=complaint_id)
    except Complaint.DoesNotExist:
        raise _not_found() from None
    return 200, complaint_represent(complaint, client=request.api_client)


@endpoint(
    Operation(
        method="GET",
        operation_id="hojas_read_by_number",
        summary="Leer una hoja por su número en el libro de un establecimiento",
        description="El número como se imprime en la hoja (000000012-2026); el código es el del establecimiento.",
        responses={"200": ("La hoja.", HOJA_SCHEMA), "404": ("No existe en tu alcance.", ERROR_SCHEMA), **_AUTH_ERRORS},
    )
)
def hoja_by_number(request, code: str, number: str):
    parsed = sheet_number_parse(number)
    if parsed is None or not code.isprintable():
        raise _not_found()
    try:
        complaint = complaint_get_by_number(
            scope=request.api_scope, establishment_code=code, number=parsed[0], year=parsed[1]
        )
    except Complaint.DoesNotExist:
        raise _not_found() from None
    return 200, complaint_represent(complaint, client=request.api_client)


# GET /api/v1/hojas/?cursor= ----------------------------------------------------------------------------------

_CURSOR_SALT = "reclamaciones.api.cursor"


def cursor_encode(position: tuple[datetime, int] | None, *, client_id: int) -> str:
    """An opaque, signed cursor: the (updated_at, id) of the last hoja read, bound to the client."""
    value = {"c": client_id, "t": position[0].isoformat() if position else None, "i": position[1] if position else 0}
    return signing.Signer(salt=_CURSOR_SALT).sign_object(value)  # no timestamp: the same position, the same cursor


def cursor_decode(cursor: str, *, client_id: int) -> tuple[datetime, int] | None:
    try:
        value = signing.Signer(salt=_CURSOR_SALT).unsign_object(cursor)
        if value["c"] != client_id:
            raise ValueError
        if value["t"] is None:
            return None
        moment = parse_datetime(value["t"])
        if moment is None:
            raise ValueError
        return moment, int(value["i"])
    except (signing.BadSignature, ValueError, TypeError, KeyError, UnicodeDecodeError, base64.binascii.Error):
        raise ApiError(400, "invalid_cursor", MSG_CURSOR) from None


PAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "results": {"type": "array", "items": HOJA_SCHEMA},
        "next_cursor": {
            "type": "string",
            "description": "Guárdalo y envíalo en la próxima consulta: siempre presente, aunque no haya cambios.",
        },
        "has_more": {
            "type": "boolean",
            "description": "true: hay más cambios ya disponibles; pide la siguiente página.",
        },
    },
    "required": ["results", "next_cursor", "has_more"],
    "additionalProperties": False,
}


def _limit(request) -> int:
    maximum = settings.RECLAMACIONES_API_PAGE_MAX
    raw = request.GET.get("limit")
    if raw is None:
        return min(settings.RECLAMACIONES_API_PAGE_SIZE, maximum)
    # ASCII digits only ("١٢" is isdigit() too), no longer than the maximum: int() raises on 4,300+ digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum))) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "invalid_limit", MSG_LIMIT.format(max=maximum))
    return int(raw)


@endpoint(
    Operation(
        method="GET",
        operation_id="hojas_changes",
        summary="Hojas nuevas o cambiadas desde un cursor",
        description=(
            "Devuelve, en orden estable (updated_at, id), las hojas de tu alcance creadas o cambiadas después del "
            "cursor. Sin cursor empieza desde la primera. Solo incluye cambios con más de "
            "RECLAMACIONES_API_SETTLE_SECONDS de antigüedad, para que una transacción que confirma tarde no quede "
            "detrás del cursor (ver docs/api.md)."
        ),
        query=(
            ("cursor", {"type": "string"}, "El next_cursor de la respuesta anterior.", False),
            ("limit", {"type": "integer", "minimum": 1}, "Hojas por página (por defecto 100, máximo 500).", False),
        ),
        responses={
            "200": ("Una página de cambios.", PAGE_SCHEMA),
            "400": ("Cursor o limit inválido.", ERROR_SCHEMA),
            **_AUTH_ERRORS,
        },
    )
)
def hoja_changes(request):
    client_id = request.api_client.pk
    raw = request.GET.get("cursor")
    after = cursor_decode(raw, client_id=client_id) if raw else None
    limit = _limit(request)
    until = timezone.now() - timedelta(seconds=settings.RECLAMACIONES_API_SETTLE_SECONDS)
    rows = list(complaint_changes(scope=request.api_scope, after=after, until=until, limit=limit + 1))
    page = rows[:limit]
    position = (page[-1].updated_at, page[-1].pk) if page else after
    return 200, {
        "results": [complaint_represent(c, client=request.api_client) for c in page],
        "next_cursor": cursor_encode(position, client_id=client_id),
        "has_more": len(rows) > limit,
    }


# GET /api/v1/establecimientos/ -----------------------------------------------------------------------------------


@endpoint(
    Operation(
        method="GET",
        operation_id="establecimientos_list",
        summary="Establecimientos de tu integración",
        description="Los establecimientos en los que tu cliente puede registrar y leer hojas, con su código.",
        tag="establecimientos",
        responses={
            "200": (
                "Los establecimientos.",
                {
                    "type": "object",
                    "properties": {
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Establecimiento"}}
                    },
                    "required": ["results"],
                    "additionalProperties": False,
                },
            ),
            **_AUTH_ERRORS,
        },
    )
)
def establishment_index(request):
    return 200, {"results": [establishment_represent(e) for e in establishment_list(scope=request.api_scope)]}
