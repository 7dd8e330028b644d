import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0038_shared_choices_issue14"),
    ]

    operations = [
        migrations.CreateModel(
            name="Attachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[("consumer", "Consumidor (con la hoja)"), ("staff", "Proveedor (con la respuesta)")],
                        default="consumer",
                        max_length=10,
                        verbose_name="adjuntado por",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="orden")),
                ("original_name", models.CharField(max_length=120, verbose_name="nombre")),
                ("content_type", models.CharField(max_length=40, verbose_name="tipo")),
                ("size", models.PositiveIntegerField(verbose_name="tamaño (bytes)")),
                ("sha256", models.CharField(max_length=64, verbose_name="huella SHA-256")),
                (
                    "stored_name",
                    models.CharField(editable=False, max_length=200, unique=True, verbose_name="archivo guardado"),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="subido"),
                ),
                (
                    "complaint",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attachments",
                        to="reclamaciones.complaint",
                        verbose_name="hoja",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="subido por",
                    ),
                ),
            ],
            options={
                "verbose_name": "documento adjunto",
                "verbose_name_plural": "documentos adjuntos",
                "ordering": ["source", "position", "id"],
                "indexes": [
                    models.Index(fields=["complaint", "source", "position"], name="attachment_complaint_idx"),
                    models.Index(
                        condition=models.Q(("complaint__isnull", True)),
                        fields=["created_at"],
                        name="attachment_staged_idx",
                    ),
                ],
            },
        ),
    ]
