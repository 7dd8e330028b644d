"""SIREC exports record how a hoja reached SIREC: the bulk file (and how many hojas it left out) or typed by hand."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reclamaciones', '0022_complaint_good_type_classified'),
    ]

    operations = [
        migrations.AddField(
            model_name='sirecexport',
            name='method',
            field=models.CharField(choices=[('file', 'Archivo de carga masiva'), ('manual', 'Ingreso manual en SIREC')], db_default='file', default='file', max_length=10, verbose_name='forma'),
        ),
        migrations.AddField(
            model_name='sirecexport',
            name='note',
            field=models.CharField(blank=True, db_default='', default='', max_length=300, verbose_name='nota'),
        ),
        migrations.AddField(
            model_name='sirecexport',
            name='skipped',
            field=models.PositiveIntegerField(db_default=0, default=0, verbose_name='hojas omitidas (SIREC las rechazaría)'),
        ),
    ]
