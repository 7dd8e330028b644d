"""Answer templates per cause (issue 13): a template may be limited to some causes or categories (none: any)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0030_council_report_message_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="responsetemplate",
            name="causes",
            field=models.ManyToManyField(
                blank=True,
                help_text="Vacío: cualquier causa. Una categoría incluye todas sus causas.",
                related_name="response_templates",
                to="reclamaciones.cause",
                verbose_name="causas",
            ),
        ),
    ]
