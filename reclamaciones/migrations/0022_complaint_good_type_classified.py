"""Staff say product or service when the consumer left it empty (SIREC needs P, S or PS on every line)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0021_complaint_anonymised"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="good_type_classified",
            field=models.CharField(
                blank=True,
                choices=[("producto", "Producto"), ("servicio", "Servicio"), ("ambos", "Producto y servicio")],
                db_default="",
                default="",
                max_length=10,
                verbose_name="producto o servicio (según el proveedor)",
            ),
        ),
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
                    ("good_classified", "Producto o servicio clasificado"),
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
    ]
