"""The compliance desk: the `compliance` role's group, INDECOPI requests and their evidence bundles, retention
runs and anonymisations, the personal-data access log; and, on PostgreSQL, a trigger that refuses to delete a
hoja, its answer, its messages or its events before the legal minimum of two years from filing (Reglamento
art. 12), whatever deletes them (the ORM, the admin, psql)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


RETENTION_GUARD = """
CREATE OR REPLACE FUNCTION reclamaciones_retention_guard() RETURNS trigger AS $$
DECLARE
    filed timestamptz;
BEGIN
    IF TG_TABLE_NAME = 'reclamaciones_complaint' THEN
        filed := OLD.filed_at;
    ELSIF OLD.complaint_id IS NULL THEN
        RETURN OLD;  -- a message about no hoja (a digest, an alarm)
    ELSE
        SELECT filed_at INTO filed FROM reclamaciones_complaint WHERE id = OLD.complaint_id;
    END IF;
    IF filed IS NOT NULL AND filed > now() - interval '2 years' THEN
        RAISE EXCEPTION 'Reglamento art. 12: % of a hoja filed on % cannot be deleted before %',
            TG_TABLE_NAME, filed, filed + interval '2 years'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""

GUARDED_TABLES = (
    "reclamaciones_complaint",
    "reclamaciones_complaintevent",
    "reclamaciones_response",
    "reclamaciones_outboundmessage",
    "reclamaciones_settlementoffer",
)

COMPLIANCE = "compliance"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=COMPLIANCE)


def guard_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # the application refuses the deletes everywhere; the trigger is PostgreSQL's second lock
    schema_editor.execute(RETENTION_GUARD, params=None)
    for table in GUARDED_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_retention BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reclamaciones_retention_guard()"
        )


def guard_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in GUARDED_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_retention ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS reclamaciones_retention_guard()")


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0018_sirec_export"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterField(
            model_name="complaintevent",
            name="type",
            field=models.CharField(
                choices=[
                    ("filed", "Hoja registrada"),
                    ("message_queued", "Correo en cola"),
                    ("message_sent", "Correo enviado"),
                    ("message_failed", "Envío de correo fallido"),
                    ("reminded", "Recordatorio de plazo"),
                    ("escalated", "Escalada por vencimiento"),
                    ("deadline_recomputed", "Plazo recalculado"),
                    ("deadline_extended", "Plazo ampliado"),
                    ("settlement_offered", "Propuesta de solución enviada"),
                    ("settlement_accepted", "Propuesta de solución aceptada"),
                    ("settlement_rejected", "Propuesta de solución rechazada"),
                    ("settlement_expired", "Propuesta de solución sin respuesta"),
                    ("assigned", "Asignada"),
                    ("classified", "Causa clasificada"),
                    ("note", "Nota interna"),
                    ("reclassified", "Reclasificada"),
                    ("status_changed", "Cambio de estado"),
                    ("responded", "Respuesta comunicada"),
                    ("survey_answered", "Encuesta respondida"),
                    ("transcribed", "Transcrita del libro de respaldo"),
                    ("anonymised", "Datos personales anonimizados"),
                ],
                max_length=40,
                verbose_name="evento",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("sheet_copy", "Copia de la hoja de reclamación"),
                    ("reminder", "Recordatorio de plazo"),
                    ("overdue", "Aviso de hoja vencida"),
                    ("daily_digest", "Resumen diario"),
                    ("settlement_offer", "Propuesta de solución"),
                    ("extension_notice", "Aviso de ampliación de plazo"),
                    ("response", "Respuesta al consumidor"),
                    ("action_reminder", "Recordatorio de acción de mejora"),
                    ("action_verdict", "Resultado de acción de mejora"),
                    ("council_digest", "Resumen semanal del consejo"),
                    ("delivery_failed", "Alerta: correo no entregado"),
                    ("integrity_alarm", "Alerta de integridad del libro"),
                    ("sirec_reminder", "Recordatorio de reporte SIREC"),
                    ("indecopi_reminder", "Recordatorio de requerimiento del INDECOPI"),
                ],
                max_length=30,
                verbose_name="tipo",
            ),
        ),
        migrations.CreateModel(
            name="IndecopiRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reference", models.CharField(max_length=120, verbose_name="referencia (oficio, expediente)")),
                ("received_on", models.DateField(verbose_name="fecha de recepción")),
                (
                    "deadline_business_days",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="Si el requerimiento da un plazo en días hábiles.",
                        null=True,
                        verbose_name="plazo en días hábiles",
                    ),
                ),
                ("due_on", models.DateField(verbose_name="fecha límite")),
                ("date_from", models.DateField(blank=True, null=True, verbose_name="hojas desde")),
                ("date_to", models.DateField(blank=True, null=True, verbose_name="hojas hasta")),
                ("numbers", models.JSONField(blank=True, default=list, verbose_name="números de hoja")),
                ("notes", models.TextField(blank=True, max_length=4000, verbose_name="notas")),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Pendiente"), ("answered", "Atendido")],
                        default="open",
                        max_length=10,
                        verbose_name="estado",
                    ),
                ),
                ("created_at", models.DateTimeField(verbose_name="registrado")),
                ("answered_at", models.DateTimeField(blank=True, null=True, verbose_name="atendido")),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "establishments",
                    models.ManyToManyField(
                        related_name="+", to="reclamaciones.establishment", verbose_name="establecimientos"
                    ),
                ),
            ],
            options={
                "verbose_name": "requerimiento del INDECOPI",
                "verbose_name_plural": "requerimientos del INDECOPI",
                "ordering": ["due_on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="EvidenceBundle",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "En cola"),
                            ("running", "En preparación"),
                            ("done", "Listo"),
                            ("failed", "Falló"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="estado",
                    ),
                ),
                ("hojas_done", models.PositiveIntegerField(default=0, verbose_name="hojas incluidas")),
                ("hojas_total", models.PositiveIntegerField(blank=True, null=True, verbose_name="hojas en total")),
                ("file_name", models.CharField(blank=True, max_length=255, verbose_name="archivo")),
                ("size", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="tamaño (bytes)")),
                ("sha256", models.CharField(blank=True, max_length=64, verbose_name="SHA-256 del ZIP")),
                ("error", models.TextField(blank=True, verbose_name="error")),
                ("created_at", models.DateTimeField(verbose_name="solicitado")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="iniciado")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="terminado")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bundles",
                        to="reclamaciones.indecopirequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "paquete de evidencias",
                "verbose_name_plural": "paquetes de evidencias",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="PersonalDataAccess",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(verbose_name="fecha y hora")),
                (
                    "what",
                    models.CharField(
                        choices=[
                            ("detail", "Vio la hoja"),
                            ("pdf", "Descargó el PDF de la hoja"),
                            ("answer", "Abrió la respuesta"),
                            ("export", "Exportó hojas"),
                            ("sirec", "Exportó a SIREC"),
                            ("bundle", "Descargó un paquete de evidencias"),
                            ("admin", "Vio la hoja en la administración"),
                            ("transcribed", "Transcribió una hoja de respaldo"),
                        ],
                        max_length=20,
                        verbose_name="acceso",
                    ),
                ),
                ("hojas", models.PositiveIntegerField(default=1, verbose_name="hojas")),
                ("detail", models.CharField(blank=True, max_length=300, verbose_name="detalle")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="dirección IP")),
                (
                    "complaint",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="reclamaciones.complaint",
                    ),
                ),
                (
                    "establishment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="reclamaciones.establishment",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "acceso a datos personales",
                "verbose_name_plural": "accesos a datos personales",
                "ordering": ["-pk"],
            },
        ),
        migrations.CreateModel(
            name="RetentionRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("ran_at", models.DateTimeField(verbose_name="fecha y hora")),
                ("dry_run", models.BooleanField(default=True, verbose_name="simulación")),
                ("retention_years", models.PositiveSmallIntegerField(verbose_name="años de conservación")),
                ("filed_before", models.DateTimeField(verbose_name="hojas presentadas antes de")),
                ("anonymised", models.PositiveIntegerField(default=0, verbose_name="hojas anonimizadas")),
                (
                    "held",
                    models.PositiveIntegerField(
                        default=0, verbose_name="hojas retenidas por un requerimiento del INDECOPI"
                    ),
                ),
                (
                    "ran_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "ejecución de conservación",
                "verbose_name_plural": "ejecuciones de conservación",
                "ordering": ["-ran_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="Anonymisation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("anonymised_at", models.DateTimeField(verbose_name="fecha y hora")),
                ("fields", models.JSONField(default=list, verbose_name="campos reemplazados")),
                ("reason", models.CharField(max_length=300, verbose_name="motivo")),
                ("content_sha256", models.CharField(max_length=64, verbose_name="SHA-256 del contenido anonimizado")),
                (
                    "complaint",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="anonymisation",
                        to="reclamaciones.complaint",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="anonymisations",
                        to="reclamaciones.retentionrun",
                    ),
                ),
            ],
            options={
                "verbose_name": "hoja anonimizada",
                "verbose_name_plural": "hojas anonimizadas",
            },
        ),
        migrations.AddIndex(
            model_name="indecopirequest",
            index=models.Index(fields=["status", "due_on"], name="indecopi_status_due_idx"),
        ),
        migrations.AddIndex(
            model_name="personaldataaccess",
            index=models.Index(fields=["complaint", "id"], name="pdaccess_complaint_idx"),
        ),
        migrations.AddIndex(
            model_name="personaldataaccess",
            index=models.Index(fields=["user", "id"], name="pdaccess_user_idx"),
        ),
        migrations.AddIndex(
            model_name="personaldataaccess",
            index=models.Index(fields=["establishment", "id"], name="pdaccess_establishment_idx"),
        ),
        migrations.RunPython(create_group, migrations.RunPython.noop),
        migrations.RunPython(guard_create, guard_drop),
    ]
