"""API clients of online stores, their credentials, the hojas they filed and their idempotency keys.

Secrets (static tokens, OAuth2 client secrets, access tokens) are stored as SHA-256 digests only: they are long
random strings, so a fast digest is enough, and whoever reads the database cannot call the API with them."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from ..book.models import Complaint, Establishment, Provider
from ..records import TimeStampedModel


class ApiClient(TimeStampedModel):
    """An online store's integration: tied to one provider, optionally limited to some of its establishments."""

    name = models.CharField("nombre", max_length=100, help_text="Por ejemplo: «Tienda online (producción)».")
    provider = models.ForeignKey(
        Provider, verbose_name="proveedor", on_delete=models.PROTECT, related_name="api_clients"
    )
    establishments = models.ManyToManyField(
        Establishment,
        verbose_name="establecimientos",
        blank=True,
        related_name="api_clients",
        help_text="Vacío: todos los establecimientos del proveedor. Si eliges algunos, el cliente solo ve y "
        "registra hojas de esos.",
    )
    client_id = models.CharField("client_id (OAuth2)", max_length=40, unique=True, editable=False)
    secret_sha256 = models.CharField("huella del client_secret", max_length=64, blank=True, editable=False)
    is_active = models.BooleanField("activo", default=True, help_text="Desactívalo para cortar todo su acceso.")
    last_used_at = models.DateTimeField("último uso", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "cliente de la API"
        verbose_name_plural = "clientes de la API"
        ordering = ["provider__legal_name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider.display_name})"

    @staticmethod
    def client_id_new() -> str:
        return "lrc_" + secrets.token_hex(12)  # public, like a user name: not a secret


class ApiToken(models.Model):
    """A bearer token: static (created by an admin, until revoked) or an OAuth2 access token (short-lived)."""

    class Kind(models.TextChoices):
        STATIC = "static", "Token estático"
        OAUTH = "oauth", "Token de acceso OAuth2"

    client = models.ForeignKey(ApiClient, verbose_name="cliente", on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField("tipo", max_length=10, choices=Kind)
    label = models.CharField("nombre", max_length=100, blank=True)
    prefix = models.CharField("inicio del token", max_length=12, editable=False)  # to recognise it, not to use it
    token_sha256 = models.CharField("huella del token", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("creado", default=timezone.now, editable=False)
    expires_at = models.DateTimeField("vence", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("revocado", null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField("último uso", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "token de la API"
        verbose_name_plural = "tokens de la API"
        ordering = ["-created_at"]
        indexes = [
            # Expired access tokens are purged by client as new ones are issued.
            models.Index(fields=["client", "expires_at"], name="api_token_client_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.prefix}…"


class ApiFiling(models.Model):
    """Which client filed a hoja through the API and the buyer's reference at the platform (also on the FILED
    event, which is the legal trail; this row lets reads return it without reading the trail)."""

    complaint = models.OneToOneField(
        Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="api_filing"
    )
    client = models.ForeignKey(ApiClient, verbose_name="cliente", on_delete=models.PROTECT, related_name="filings")
    buyer_reference = models.CharField("referencia del comprador en la plataforma", max_length=100, blank=True)
    created_at = models.DateTimeField("registrada", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "hoja registrada por la API"
        verbose_name_plural = "hojas registradas por la API"

    def __str__(self) -> str:
        return f"{self.complaint} · {self.client.name}"


class IdempotencyKey(models.Model):
    """The response given to one client's POST under one Idempotency-Key, replayed when the same request comes
    again until `expires_at`. The unique (client, key) row is inserted in the transaction that does the work, so
    a concurrent second request waits on it and then replays the first one's response."""

    client = models.ForeignKey(
        ApiClient, verbose_name="cliente", on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField("clave", max_length=255)
    request_sha256 = models.CharField("huella de la petición", max_length=64)
    response_status = models.PositiveSmallIntegerField("código HTTP", default=0)
    response_body = models.JSONField("respuesta", default=dict)
    created_at = models.DateTimeField("creada", default=timezone.now)
    expires_at = models.DateTimeField("vence")

    class Meta:
        verbose_name = "clave de idempotencia"
        verbose_name_plural = "claves de idempotencia"
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_key_unique")]
        indexes = [models.Index(fields=["client", "expires_at"], name="api_idempotency_expiry_idx")]

    def __str__(self) -> str:
        return self.key
