import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0034_follow_through"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="establishment",
            name="offers_need_approval",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "La propuesta de un agente espera la aprobación de supervisión antes de enviarse al consumidor."
                ),
                verbose_name="las propuestas de solución requieren aprobación",
            ),
        ),
        migrations.AddField(
            model_name="establishment",
            name="reclassifications_need_approval",
            field=models.BooleanField(
                default=False,
                help_text="El cambio de reclamo a queja (o al revés) de un agente espera la aprobación de supervisión.",
                verbose_name="las reclasificaciones requieren aprobación",
            ),
        ),
        migrations.CreateModel(
            name="ApprovalRequest",
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
                    "kind",
                    models.CharField(
                        choices=[("offer", "Propuesta de solución"), ("reclassify", "Reclasificación")],
                        max_length=12,
                        verbose_name="qué se propone",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Por aprobar"), ("approved", "Aprobada"), ("returned", "Devuelta")],
                        default="pending",
                        max_length=10,
                        verbose_name="estado",
                    ),
                ),
                ("proposal", models.JSONField(default=dict, verbose_name="propuesta")),
                ("requested_at", models.DateTimeField(verbose_name="pedida el")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decidida el")),
                (
                    "return_reason",
                    models.TextField(blank=True, max_length=2000, verbose_name="motivo de la devolución"),
                ),
                (
                    "complaint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="approval_requests",
                        to="reclamaciones.complaint",
                        verbose_name="hoja",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="decidida por",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="propuesta por",
                    ),
                ),
            ],
            options={
                "verbose_name": "solicitud de aprobación",
                "verbose_name_plural": "solicitudes de aprobación",
                "ordering": ["requested_at", "pk"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "pending")), fields=["complaint"], name="approval_pending_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "pending")),
                        fields=("complaint", "kind"),
                        name="one_pending_approval_per_complaint_kind",
                    )
                ],
            },
        ),
    ]
