import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reclamaciones', '0013_action_event_actor_protect'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ExportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(default='queue', max_length=30, verbose_name='exportación')),
                ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'Excel (XLSX)')], max_length=10, verbose_name='formato')),
                ('filters', models.JSONField(blank=True, default=dict, verbose_name='filtros')),
                ('status', models.CharField(choices=[('queued', 'En cola'), ('running', 'En preparación'), ('done', 'Lista'), ('failed', 'Falló')], default='queued', max_length=10, verbose_name='estado')),
                ('rows_done', models.PositiveIntegerField(default=0, verbose_name='filas escritas')),
                ('rows_total', models.PositiveIntegerField(blank=True, null=True, verbose_name='filas en total')),
                ('file_name', models.CharField(blank=True, max_length=255, verbose_name='archivo')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='solicitada')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='iniciada')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='terminada')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='export_jobs', to=settings.AUTH_USER_MODEL, verbose_name='solicitada por')),
            ],
            options={
                'verbose_name': 'exportación',
                'verbose_name_plural': 'exportaciones',
                'ordering': ['-created_at', '-pk'],
            },
        ),
    ]
