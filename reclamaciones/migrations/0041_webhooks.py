import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import reclamaciones.webhooks.models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0040_api"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookEndpoint",
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
                    "url",
                    models.URLField(
                        help_text="Debe empezar con https://.", max_length=500, verbose_name="URL de destino"
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=150, verbose_name="descripción")),
                (
                    "events",
                    models.JSONField(default=reclamaciones.webhooks.models.events_default, verbose_name="eventos"),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="activo")),
                ("secret", models.CharField(editable=False, max_length=100, verbose_name="secreto")),
                (
                    "previous_secret",
                    models.CharField(blank=True, editable=False, max_length=100, verbose_name="secreto anterior"),
                ),
                (
                    "previous_secret_until",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="secreto anterior válido hasta"
                    ),
                ),
                (
                    "establishments",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Vacío: todos los establecimientos del proveedor.",
                        related_name="+",
                        to="reclamaciones.establishment",
                        verbose_name="establecimientos",
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="webhook_endpoints",
                        to="reclamaciones.provider",
                        verbose_name="proveedor",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook",
                "verbose_name_plural": "webhooks",
                "ordering": ["provider_id", "pk"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
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
                    "event",
                    models.CharField(
                        choices=[
                            ("complaint.filed", "Hoja registrada"),
                            ("complaint.answered", "Hoja respondida"),
                            ("complaint.overdue", "Hoja vencida sin respuesta"),
                            ("complaint.settled", "Hoja cerrada por acuerdo"),
                        ],
                        max_length=30,
                        verbose_name="evento",
                    ),
                ),
                (
                    "delivery_id",
                    models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="id de entrega"),
                ),
                (
                    "idempotency_key",
                    models.CharField(max_length=200, unique=True, verbose_name="clave de idempotencia"),
                ),
                ("payload", models.JSONField(verbose_name="contenido")),
                ("occurred_at", models.DateTimeField(verbose_name="ocurrió")),
                (
                    "due_date",
                    models.DateField(blank=True, editable=False, null=True, verbose_name="vencimiento anunciado"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pendiente"),
                            ("sending", "Enviando"),
                            ("delivered", "Entregado"),
                            ("failed", "Fallido"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="estado",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="intentos")),
                (
                    "next_attempt_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="próximo intento"),
                ),
                (
                    "lease_until",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="reservado hasta"),
                ),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="entregado")),
                (
                    "last_status_code",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="último código HTTP"),
                ),
                ("last_error", models.TextField(blank=True, verbose_name="último error")),
                ("last_response", models.TextField(blank=True, verbose_name="última respuesta (recortada)")),
                (
                    "complaint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="webhook_deliveries",
                        to="reclamaciones.complaint",
                        verbose_name="hoja",
                    ),
                ),
                (
                    "endpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deliveries",
                        to="reclamaciones.webhookendpoint",
                        verbose_name="webhook",
                    ),
                ),
            ],
            options={
                "verbose_name": "entrega de webhook",
                "verbose_name_plural": "entregas de webhooks",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["status", "next_attempt_at"], name="webhook_status_next_idx")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "delivered"), _negated=True),
                            ("delivered_at__isnull", False),
                            _connector="OR",
                        ),
                        name="webhook_delivered_has_at",
                    )
                ],
            },
        ),
    ]
