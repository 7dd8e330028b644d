"""The API for online stores (issue 14 §3): its clients, tokens, filings and idempotency keys. The change feed's
index (GET /api/v1/hojas/) is built CONCURRENTLY by migration 0044, outside this migration's transaction."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0039_attachments"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiClient",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "created_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="creado"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="actualizado")),
                (
                    "name",
                    models.CharField(
                        help_text="Por ejemplo: «Tienda online (producción)».", max_length=100, verbose_name="nombre"
                    ),
                ),
                (
                    "client_id",
                    models.CharField(editable=False, max_length=40, unique=True, verbose_name="client_id (OAuth2)"),
                ),
                (
                    "secret_sha256",
                    models.CharField(
                        blank=True, editable=False, max_length=64, verbose_name="huella del client_secret"
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(
                        default=True, help_text="Desactívalo para cortar todo su acceso.", verbose_name="activo"
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="último uso"),
                ),
                (
                    "establishments",
                    models.ManyToManyField(
                        blank=True,
                        help_text=(
                            "Vacío: todos los establecimientos del proveedor. Si eliges algunos, el cliente solo ve "
                            "y registra hojas de esos."
                        ),
                        related_name="api_clients",
                        to="reclamaciones.establishment",
                        verbose_name="establecimientos",
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="api_clients",
                        to="reclamaciones.provider",
                        verbose_name="proveedor",
                    ),
                ),
            ],
            options={
                "verbose_name": "cliente de la API",
                "verbose_name_plural": "clientes de la API",
                "ordering": ["provider__legal_name", "name"],
            },
        ),
        migrations.CreateModel(
            name="ApiFiling",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "buyer_reference",
                    models.CharField(
                        blank=True, max_length=100, verbose_name="referencia del comprador en la plataforma"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="registrada"),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="filings",
                        to="reclamaciones.apiclient",
                        verbose_name="cliente",
                    ),
                ),
                (
                    "complaint",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="api_filing",
                        to="reclamaciones.complaint",
                        verbose_name="hoja",
                    ),
                ),
            ],
            options={
                "verbose_name": "hoja registrada por la API",
                "verbose_name_plural": "hojas registradas por la API",
            },
        ),
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("static", "Token estático"), ("oauth", "Token de acceso OAuth2")],
                        max_length=10,
                        verbose_name="tipo",
                    ),
                ),
                ("label", models.CharField(blank=True, max_length=100, verbose_name="nombre")),
                ("prefix", models.CharField(editable=False, max_length=12, verbose_name="inicio del token")),
                (
                    "token_sha256",
                    models.CharField(editable=False, max_length=64, unique=True, verbose_name="huella del token"),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="creado"),
                ),
                ("expires_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="vence")),
                ("revoked_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="revocado")),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="último uso"),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tokens",
                        to="reclamaciones.apiclient",
                        verbose_name="cliente",
                    ),
                ),
            ],
            options={
                "verbose_name": "token de la API",
                "verbose_name_plural": "tokens de la API",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["client", "expires_at"], name="api_token_client_expiry_idx")],
            },
        ),
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=255, verbose_name="clave")),
                ("request_sha256", models.CharField(max_length=64, verbose_name="huella de la petición")),
                ("response_status", models.PositiveSmallIntegerField(default=0, verbose_name="código HTTP")),
                ("response_body", models.JSONField(default=dict, verbose_name="respuesta")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="creada")),
                ("expires_at", models.DateTimeField(verbose_name="vence")),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="idempotency_keys",
                        to="reclamaciones.apiclient",
                        verbose_name="cliente",
                    ),
                ),
            ],
            options={
                "verbose_name": "clave de idempotencia",
                "verbose_name_plural": "claves de idempotencia",
                "indexes": [models.Index(fields=["client", "expires_at"], name="api_idempotency_expiry_idx")],
                "constraints": [models.UniqueConstraint(fields=("client", "key"), name="api_idempotency_key_unique")],
            },
        ),
    ]
