import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0033_council_meetings_workflow"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="remedy_pending",
            field=models.BooleanField(
                db_default=False, default=False, editable=False, verbose_name="solución pendiente de cumplir"
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("remedy_pending", True)),
                fields=["filed_at", "id"],
                name="complaint_remedy_pending_idx",
            ),
        ),
        migrations.CreateModel(
            name="RemedyRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "outcome",
                    models.CharField(
                        choices=[("done", "Solución cumplida"), ("nothing_due", "No había una solución que cumplir")],
                        default="done",
                        max_length=20,
                        verbose_name="resultado",
                    ),
                ),
                ("done_on", models.DateField(verbose_name="fecha de cumplimiento")),
                ("what_done", models.TextField(max_length=2000, verbose_name="qué se hizo")),
                (
                    "evidence_reference",
                    models.CharField(blank=True, max_length=100, verbose_name="referencia de la constancia"),
                ),
                (
                    "evidence_notes",
                    models.TextField(blank=True, max_length=2000, verbose_name="descripción de la constancia"),
                ),
                (
                    "correction_reason",
                    models.CharField(blank=True, max_length=500, verbose_name="motivo de la corrección"),
                ),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="registrado")),
                (
                    "complaint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="remedy_records",
                        to="reclamaciones.complaint",
                        verbose_name="hoja",
                    ),
                ),
                (
                    "corrects",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="corrected_by",
                        to="reclamaciones.remedyrecord",
                        verbose_name="corrige el registro",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="registrado por",
                    ),
                ),
            ],
            options={
                "verbose_name": "cumplimiento de la solución",
                "verbose_name_plural": "cumplimientos de la solución",
                "ordering": ["recorded_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("corrects__isnull", True)),
                        fields=("complaint",),
                        name="remedy_one_original_per_complaint",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("corrects__isnull", True),
                            models.Q(("correction_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="remedy_correction_has_reason",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("outcome__in", ["done", "nothing_due"])),
                        name="remedy_outcome_valid",
                    ),
                ],
            },
        ),
    ]
