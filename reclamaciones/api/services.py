"""Credentials of the API clients and the idempotency of their POSTs. Admin actions and API views call these.

A secret is shown once, when it is created (the caller gets the plain value back); only its SHA-256 is kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..access import Scope
from ..book.models import Establishment
from .models import ApiClient, ApiToken, IdempotencyKey
from .selectors import client_scope

TOKEN_PREFIX = "lr_"  # noqa: S105 (not a secret: the mark that makes tokens recognisable in logs and scanners)
# How often the last-used time is written: at most once a minute per token, not once per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)

MSG_OUT_OF_SCOPE = "Solo puedes elegir establecimientos que atiendes."
MSG_WHOLE_PROVIDER = (
    "Elige los establecimientos que atiendes: sin elegir ninguno, el cliente leería y registraría hojas de todos "
    "los establecimientos del proveedor."
)


class AuthError(Exception):
    """The credentials are missing, wrong, revoked or expired (the view answers 401)."""


class IdempotencyConflict(Exception):
    """The key was already used with another request (the view answers 422)."""


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _secret_new() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits


def api_client_create(*, name: str, provider_id: int, establishment_ids=(), now: datetime | None = None):
    """A new client with its OAuth2 credentials; returns (client, client_secret): the secret is shown once."""
    client = ApiClient(name=name, provider_id=provider_id, client_id=ApiClient.client_id_new())
    client.created_at = now or timezone.now()
    secret = api_client_credentials_set(client=client)
    client.save()
    if establishment_ids:
        client.establishments.set(establishment_ids)
    return client, secret


def api_client_reach_check(*, scope: Scope, provider_id: int, establishment_ids) -> None:
    """Raise ValidationError (Spanish, on `establishments`) unless `scope` sees every establishment a client of
    `provider_id` limited to `establishment_ids` would reach; an empty list reaches all the provider's. The
    webhook endpoints' rule: a scoped user never grants a store more than they may read themselves."""
    chosen = set(establishment_ids)
    reach = chosen or set(Establishment.objects.filter(provider_id=provider_id).values_list("pk", flat=True))
    if not scope.sees_all(reach):
        raise ValidationError({"establishments": [MSG_OUT_OF_SCOPE if chosen else MSG_WHOLE_PROVIDER]})


def api_client_editable(*, scope: Scope, client: ApiClient) -> bool:
    """May `scope` change `client`, issue its tokens or rotate its secret: only if it sees everything it reaches."""
    return scope.sees_all(client_scope(client=client).establishment_ids)


def api_client_credentials_set(*, client: ApiClient) -> str:
    """Give `client` a new OAuth2 client secret (the old one stops working at once); returns it, unsaved when
    the client is new, saved otherwise."""
    secret = _secret_new()
    client.secret_sha256 = secret_digest(secret)
    if not client._state.adding:
        client.save(update_fields=["secret_sha256", "updated_at"])
    return secret


def api_token_issue(
    *, client: ApiClient, kind: str = ApiToken.Kind.STATIC, label: str = "", now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new bearer token for `client`: static (until revoked) or an OAuth2 access token that expires after
    RECLAMACIONES_API_ACCESS_TOKEN_SECONDS. Returns (token row, plain token): the plain token is shown once."""
    now = now or timezone.now()
    plain = _secret_new()
    expires_at = None
    if kind == ApiToken.Kind.OAUTH:
        expires_at = now + timedelta(seconds=settings.RECLAMACIONES_API_ACCESS_TOKEN_SECONDS)
        # Expired access tokens are useless: dropped as new ones are issued, so the table stays small.
        ApiToken.objects.filter(client=client, kind=ApiToken.Kind.OAUTH, expires_at__lte=now).delete()
    token = ApiToken.objects.create(
        client=client,
        kind=kind,
        label=label,
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        token_sha256=secret_digest(plain),
        created_at=now,
        expires_at=expires_at,
    )
    return token, plain


def api_token_revoke(*, token_ids, now: datetime | None = None) -> int:
    """Revoke tokens (they fail at once with 401); already revoked ones keep their first revocation time."""
    now = now or timezone.now()
    return ApiToken.objects.filter(pk__in=list(token_ids), revoked_at__isnull=True).update(revoked_at=now)


def api_token_authenticate(*, plain: str, now: datetime | None = None) -> ApiToken:
    """The live token behind a bearer value, with its client and provider (one query; a second, at most once a
    minute, records the last use). Raises AuthError for anything else."""
    now = now or timezone.now()
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        raise AuthError("token")
    token = (
        ApiToken.objects.select_related("client__provider")
        .filter(token_sha256=secret_digest(plain), revoked_at__isnull=True, client__is_active=True)
        .first()
    )
    if token is None:
        raise AuthError("token")
    if token.expires_at is not None and token.expires_at <= now:
        raise AuthError("expired")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        ApiClient.objects.filter(pk=token.client_id).update(last_used_at=now)
        token.last_used_at = token.client.last_used_at = now
    return token


def oauth_client_authenticate(*, client_id: str, client_secret: str) -> ApiClient:
    """The active client with these OAuth2 credentials (compared in constant time), else AuthError."""
    if not client_id or len(client_id) > 40 or not client_id.isprintable():  # a NUL byte never reaches a query
        raise AuthError("client")
    client = ApiClient.objects.filter(client_id=client_id, is_active=True).first()
    if client is None or not client.secret_sha256:
        raise AuthError("client")
    if not hmac.compare_digest(client.secret_sha256, secret_digest(client_secret)):
        raise AuthError("client")
    return client


@dataclass
class Claim:
    """An Idempotency-Key claimed for this request (`replay` is None) or already answered (`replay` holds the
    stored status and body)."""

    record: IdempotencyKey
    replay: tuple[int, dict] | None = None


def idempotency_claim(*, client: ApiClient, key: str, request_sha256: str, now: datetime | None = None) -> Claim:
    """Claim `key` for `client` inside the caller's transaction (call it in transaction.atomic()). The same key
    and the same request: the stored response to replay. A concurrent request with the same key waits here until
    the first one commits (the unique index), then replays it; if the first rolled back, it does the work itself.
    The same key with another request: IdempotencyConflict. An expired key counts as unused."""
    now = now or timezone.now()
    IdempotencyKey.objects.filter(client=client, key=key, expires_at__lte=now).delete()
    expires_at = now + timedelta(hours=settings.RECLAMACIONES_API_IDEMPOTENCY_HOURS)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                client=client, key=key, request_sha256=request_sha256, created_at=now, expires_at=expires_at
            )
    except IntegrityError:
        record = IdempotencyKey.objects.get(client=client, key=key)
        if record.request_sha256 != request_sha256:
            raise IdempotencyConflict(key) from None
        return Claim(record=record, replay=(record.response_status, record.response_body))
    return Claim(record=record)


def idempotency_purge(*, client: ApiClient, now: datetime | None = None) -> int:
    """Drop `client`'s expired keys. Called before a POST's transaction (in autocommit, so that concurrent POSTs
    of one client never hold each other's row locks for the length of a filing): the table holds at most a
    retention window of keys."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(client=client, expires_at__lte=now).delete()
    return deleted


def idempotency_store(*, claim: Claim, status: int, body: dict) -> None:
    """Keep the response of a claimed key (in the same transaction as the work it answers)."""
    claim.record.response_status = status
    claim.record.response_body = body
    claim.record.save(update_fields=["response_status", "response_body"])
