# A new kind of outbox message: the council's monthly management report (issue 13).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0029_action_root_cause_steps"),
    ]

    operations = [
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
                    ("settlement_accepted", "Constancia del acuerdo aceptado"),
                    ("reclassified", "Aviso de reclasificación"),
                    ("extension_notice", "Aviso de ampliación de plazo"),
                    ("response", "Respuesta al consumidor"),
                    ("action_reminder", "Recordatorio de acción de mejora"),
                    ("action_verdict", "Resultado de acción de mejora"),
                    ("council_digest", "Resumen semanal del consejo"),
                    ("council_report", "Informe mensual de gestión del consejo"),
                    ("delivery_failed", "Alerta: correo no entregado"),
                    ("integrity_alarm", "Alerta de integridad del libro"),
                    ("sirec_reminder", "Recordatorio de reporte SIREC"),
                    ("indecopi_reminder", "Recordatorio de requerimiento del INDECOPI"),
                ],
                max_length=30,
                verbose_name="tipo",
            ),
        ),
    ]
