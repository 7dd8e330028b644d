"""The API's HTTP frame: JSON errors in Spanish with a machine code, bearer authentication, the per-client rate
limit and Idempotency-Key on POSTs. Views declare what they need with `endpoint(...)`; the OpenAPI schema
(api.schema) reads the same declaration."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt

from ..clientip import rate_limit_wait, wait_phrase
from .selectors import client_scope
from .services import (
    AuthError,
    IdempotencyConflict,
    api_token_authenticate,
    idempotency_claim,
    idempotency_purge,
    idempotency_store,
)

API_GROUP = "api-client"

MSG_UNAUTHORIZED = "Falta el token de acceso o no es válido. Envía «Authorization: Bearer <token>»."
MSG_EXPIRED = "El token de acceso venció. Pide uno nuevo en /api/v1/oauth/token."
MSG_RATE_LIMITED = "Hiciste demasiadas peticiones en poco tiempo. Vuelve a intentarlo dentro de {wait}."
MSG_METHOD = "Este método no está permitido aquí."
MSG_JSON = "El cuerpo no es JSON válido (UTF-8). Revisa comillas, comas y llaves."
MSG_JSON_OBJECT = 'El cuerpo debe ser un objeto JSON: {"campo": "valor", ...}.'
MSG_TOO_BIG = "El cuerpo es demasiado grande: el máximo es {limit} KB."
MSG_MEDIA_TYPE = "Envía el cuerpo como JSON, con «Content-Type: application/json»."
MSG_KEY_REQUIRED = (
    "Falta la cabecera Idempotency-Key: envía una clave única por operación (por ejemplo, un UUID) y repítela "
    "solo si reintentas la misma operación."
)
MSG_KEY_INVALID = "La Idempotency-Key debe tener entre 8 y 255 caracteres visibles (letras, números y -_.:)."
MSG_KEY_REUSED = (
    "Esta Idempotency-Key ya se usó con otra petición distinta. Usa una clave nueva para una operación nueva."
)

_KEY_RE = re.compile(r"[A-Za-z0-9_.:\-]{8,255}")


class ApiError(Exception):
    oauth = False  # OAuth2's token endpoint answers errors in RFC 6749's own shape

    def __init__(self, status: int, code: str, message: str, *, fields: dict | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers or {}


def json_response(body: dict, *, status: int = 200, headers=None) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    add_never_cache_headers(response)  # hojas carry personal data: never kept by a shared cache
    return response


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(exc: ApiError) -> JsonResponse:
    if exc.oauth:
        body = {"error": exc.code, "error_description": exc.message}
        return json_response(body, status=exc.status, headers=exc.headers)
    return json_response(error_body(exc.code, exc.message, exc.fields), status=exc.status, headers=exc.headers)


def _bearer(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _unauthorized(message: str, error: str = "invalid_token") -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        message,
        headers={"WWW-Authenticate": f'Bearer realm="api", error="{error}"'},
    )


def authenticate(request) -> None:
    """Set request.api_token, request.api_client and request.api_scope from the bearer token, or raise 401."""
    try:
        token = api_token_authenticate(plain=_bearer(request))
    except AuthError as exc:
        raise _unauthorized(MSG_EXPIRED if str(exc) == "expired" else MSG_UNAUTHORIZED) from None
    request.api_token, request.api_client = token, token.client
    request.api_scope = client_scope(client=token.client)


def rate_limit(request, *, group: str, rate: str, account: str | None) -> None:
    wait = rate_limit_wait(request, group=group, rate=rate, account=account)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            MSG_RATE_LIMITED.format(wait=wait_phrase(wait)),
            headers={"Retry-After": str(wait)},
        )


def _reject_constant(value: str):
    raise ValueError(value)  # NaN and Infinity are not JSON


def json_body(request) -> dict:
    """The request's JSON object, or a 400/413/415 ApiError."""
    limit = settings.RECLAMACIONES_API_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise ApiError(413, "body_too_large", MSG_TOO_BIG.format(limit=limit // 1024))
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", MSG_MEDIA_TYPE)
    raw = request.read(limit + 1)  # the stream, not request.body: never more than the limit in memory
    if len(raw) > limit:
        raise ApiError(413, "body_too_large", MSG_TOO_BIG.format(limit=limit // 1024))
    try:
        payload = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        # JSON may spell a lone UTF-16 surrogate ("\ud800"), which is no character: it cannot be encoded, stored
        # in PostgreSQL text or hashed for the Idempotency-Key, so the body is refused here as not UTF-8.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError):
        raise ApiError(400, "invalid_json", MSG_JSON) from None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", MSG_JSON_OBJECT)
    return payload


def request_digest(request, payload: dict) -> str:
    """What makes two requests "the same" for an Idempotency-Key: method, path and the JSON body's content
    (key order and whitespace do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class Operation:
    """What a view declares: read by `endpoint` to serve it and by api.schema to publish it."""

    method: str
    operation_id: str
    summary: str
    description: str = ""
    authenticated: bool = True
    idempotent: bool = False  # requires Idempotency-Key (every authenticated POST)
    request_schema: dict | None = None
    request_media_type: str = "application/json"
    responses: dict = field(default_factory=dict)  # status -> (description, schema or None)
    query: tuple = ()  # (name, schema, description, required)
    tag: str = "hojas"


def _idempotent(request, view, kwargs) -> JsonResponse:
    key = request.META.get("HTTP_IDEMPOTENCY_KEY", "")
    if not key:
        raise ApiError(400, "idempotency_key_required", MSG_KEY_REQUIRED)
    if not _KEY_RE.fullmatch(key):
        raise ApiError(400, "idempotency_key_invalid", MSG_KEY_INVALID)
    payload = json_body(request)
    client = request.api_client
    idempotency_purge(client=client)
    with transaction.atomic():
        try:
            claim = idempotency_claim(client=client, key=key, request_sha256=request_digest(request, payload))
        except IdempotencyConflict:
            raise ApiError(422, "idempotency_key_reused", MSG_KEY_REUSED) from None
        if claim.replay is not None:
            status, body = claim.replay
            return json_response(body, status=status, headers={"Idempotent-Replayed": "true", **_location(body)})
        try:
            status, body = view(request, payload, **kwargs)
        except ApiError:
            transaction.set_rollback(True)  # nothing done, and the key stays free for the corrected request
            raise
        idempotency_store(claim=claim, status=status, body=body)
    return json_response(body, status=status, headers=_location(body))


def _location(body: dict) -> dict:
    return {"Location": body["url"]} if "url" in body else {}


def endpoint(operation: Operation):
    """Serve a view under `operation`: the method, authentication, the client's rate limit, the JSON body and
    Idempotency-Key for POSTs, and every refusal as a JSON error. The view returns (status, body)."""

    def decorate(view):
        @csrf_exempt  # bearer tokens, no cookies: nothing for a cross-site form to ride on
        @wraps(view)
        def wrapper(request, **kwargs):
            try:
                if operation.authenticated:
                    authenticate(request)
                    rate_limit(
                        request,
                        group=API_GROUP,
                        rate=settings.RECLAMACIONES_API_RATE,
                        account=f"client:{request.api_client.pk}",
                    )
                if operation.idempotent:
                    return _idempotent(request, view, kwargs)
                status, body = view(request, **kwargs)
                return json_response(body, status=status)
            except ApiError as exc:
                return error_response(exc)

        wrapper.api_operation = operation
        return wrapper

    return decorate


def methods(*views):
    """One URL's views by HTTP method (each made with `endpoint`); any other method gets a JSON 405."""
    by_method = {view.api_operation.method: view for view in views}
    allow = ", ".join(by_method)

    @csrf_exempt
    def dispatch(request, **kwargs):
        view = by_method.get(request.method)
        if view is None:
            return error_response(ApiError(405, "method_not_allowed", MSG_METHOD, headers={"Allow": allow}))
        return view(request, **kwargs)

    dispatch.api_operations = [view.api_operation for view in views]
    return dispatch
