import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0032_shared_choices_issue13"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="councilmeeting",
            name="attendance",
            field=models.JSONField(blank=True, default=dict, verbose_name="asistencia"),
        ),
        migrations.AddField(
            model_name="councilmeeting",
            name="closed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="acta cerrada"),
        ),
        migrations.AddField(
            model_name="councilmeeting",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="acta cerrada por",
            ),
        ),
        migrations.AddField(
            model_name="councilmeeting",
            name="establishment",
            field=models.ForeignKey(
                blank=True,
                help_text="Vacío: la reunión trata todos los establecimientos.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="council_meetings",
                to="reclamaciones.establishment",
                verbose_name="establecimiento",
            ),
        ),
        migrations.AddField(
            model_name="councilmeeting",
            name="item_notes",
            field=models.JSONField(blank=True, default=dict, verbose_name="acuerdos y notas por punto de la agenda"),
        ),
        migrations.AddField(
            model_name="councilmeeting",
            name="place",
            field=models.CharField(blank=True, max_length=300, verbose_name="lugar o enlace de la videollamada"),
        ),
        migrations.AddField(
            model_name="councilmeeting",
            name="starts_at",
            field=models.TimeField(blank=True, null=True, verbose_name="hora"),
        ),
    ]
