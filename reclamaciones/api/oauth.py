"""OAuth2 client credentials (RFC 6749 §4.4): POST /api/v1/oauth/token exchanges a client's id and secret for a
short-lived bearer token. Errors follow RFC 6749 §5.2 ({"error": "invalid_client", "error_description": ...}),
the shape OAuth2 libraries read."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from .http import ApiError, Operation, endpoint, rate_limit
from .models import ApiToken
from .services import AuthError, api_token_issue, oauth_client_authenticate

OAUTH_GROUP = "api-oauth"

MSG_GRANT = "Solo se admite grant_type=client_credentials."
MSG_CLIENT = "client_id o client_secret incorrectos, o el cliente está desactivado."
MSG_FORM = "Envía el cuerpo como application/x-www-form-urlencoded (grant_type, client_id, client_secret)."


class OAuthError(ApiError):
    oauth = True  # answered as RFC 6749 §5.2 says (api.http.error_response)


def _credentials(request) -> tuple[str, str]:
    """client_id and client_secret from HTTP Basic (preferred by RFC 6749 §2.3.1) or from the form body."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


TOKEN_SCHEMA = {
    "type": "object",
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer", "description": "Segundos de validez."},
    },
    "required": ["access_token", "token_type", "expires_in"],
    "additionalProperties": False,
}

OAUTH_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    "required": ["error", "error_description"],
}


@endpoint(
    Operation(
        method="POST",
        operation_id="oauth_token",
        summary="Obtener un token de acceso (OAuth2 client credentials)",
        description=(
            "Intercambia client_id y client_secret (HTTP Basic o en el cuerpo) por un token Bearer de vida corta. "
            "No requiere Idempotency-Key: pedir otro token no cambia nada y guardar la respuesta para repetirla "
            "sería guardar un token utilizable."
        ),
        authenticated=False,
        request_media_type="application/x-www-form-urlencoded",
        request_schema={
            "type": "object",
            "properties": {
                "grant_type": {"type": "string", "enum": ["client_credentials"]},
                "client_id": {"type": "string"},
                "client_secret": {"type": "string"},
            },
            "required": ["grant_type"],
        },
        responses={
            "200": ("Token emitido.", TOKEN_SCHEMA),
            "400": ("grant_type no admitido o petición mal formada.", OAUTH_ERROR_SCHEMA),
            "401": ("Credenciales del cliente incorrectas.", OAUTH_ERROR_SCHEMA),
            "429": ("Demasiados intentos desde tu dirección (ver Retry-After).", OAUTH_ERROR_SCHEMA),
        },
        tag="autenticación",
    )
)
def token(request):
    try:
        # Per address: a guessing attack on secrets is slowed before any client is known.
        rate_limit(request, group=OAUTH_GROUP, rate=settings.RECLAMACIONES_API_OAUTH_RATE, account=None)
    except ApiError as exc:
        raise OAuthError(429, "slow_down", exc.message, headers=exc.headers) from None
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", MSG_FORM)
    try:
        request.POST  # noqa: B018 (parsed here, where a body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused)
    except RequestDataTooBig:
        raise OAuthError(400, "invalid_request", MSG_FORM) from None
    if request.POST.get("grant_type") != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", MSG_GRANT)
    client_id, secret = _credentials(request)
    try:
        client = oauth_client_authenticate(client_id=client_id, client_secret=secret)
    except AuthError:
        raise OAuthError(401, "invalid_client", MSG_CLIENT, headers={"WWW-Authenticate": 'Basic realm="api"'}) from None
    _token, plain = api_token_issue(client=client, kind=ApiToken.Kind.OAUTH)
    return 200, {
        "access_token": plain,
        "token_type": "Bearer",
        "expires_in": settings.RECLAMACIONES_API_ACCESS_TOKEN_SECONDS,
    }
