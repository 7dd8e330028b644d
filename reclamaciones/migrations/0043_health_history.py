from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0042_branding_embed"),
    ]

    operations = [
        migrations.CreateModel(
            name="HealthSpan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("ok", "Operativo"), ("degraded", "Operativo con alertas"), ("error", "Caído")],
                        max_length=10,
                        verbose_name="estado",
                    ),
                ),
                (
                    "failing",
                    models.JSONField(blank=True, default=list, verbose_name="comprobaciones con problemas"),
                ),
                ("started_at", models.DateTimeField(verbose_name="primera muestra")),
                ("last_sample_at", models.DateTimeField(verbose_name="última muestra")),
                ("samples", models.PositiveIntegerField(default=1, verbose_name="muestras")),
                (
                    "detail",
                    models.JSONField(blank=True, default=dict, verbose_name="detalle de la última muestra"),
                ),
            ],
            options={
                "verbose_name": "tramo del historial de salud",
                "verbose_name_plural": "historial de salud",
                "ordering": ["started_at"],
                "indexes": [models.Index(fields=["last_sample_at"], name="healthspan_last_sample_idx")],
            },
        ),
        migrations.CreateModel(
            name="ProcessHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hostname", models.CharField(max_length=255, verbose_name="servidor")),
                ("pid", models.PositiveIntegerField(verbose_name="PID")),
                (
                    "role",
                    models.CharField(
                        choices=[("web", "Web"), ("worker", "Worker de Celery"), ("beat", "Beat de Celery")],
                        max_length=10,
                        verbose_name="función",
                    ),
                ),
                ("started_at", models.DateTimeField(verbose_name="inicio")),
                ("last_seen_at", models.DateTimeField(verbose_name="última señal")),
                ("version", models.CharField(blank=True, max_length=64, verbose_name="versión")),
                ("state", models.CharField(blank=True, max_length=100, verbose_name="estado")),
            ],
            options={
                "verbose_name": "latido de proceso",
                "verbose_name_plural": "latidos de procesos",
                "ordering": ["role", "hostname", "pid"],
                "indexes": [models.Index(fields=["last_seen_at"], name="processheartbeat_seen_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("hostname", "pid", "role"), name="processheartbeat_identity_uniq")
                ],
            },
        ),
    ]
