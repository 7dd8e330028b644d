"""The agent's flow (issue 13, capability 5): saved personal queue views.

`SavedQueueView`: a user's named queue filters (unique per user, case-insensitive). The queue's search over what
the consumer wrote has its index in 0037 (built CONCURRENTLY, outside a transaction).
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0035_approvals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedQueueView",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "created_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="creado"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="actualizado")),
                ("name", models.CharField(max_length=60, verbose_name="nombre")),
                ("query", models.CharField(blank=True, max_length=500, verbose_name="filtros")),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_queue_views",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="dueño",
                    ),
                ),
            ],
            options={
                "verbose_name": "vista guardada de la bandeja",
                "verbose_name_plural": "vistas guardadas de la bandeja",
                "ordering": ["owner", "name", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("owner"),
                        django.db.models.functions.text.Lower("name"),
                        name="saved_queue_view_owner_name_uniq",
                    )
                ],
            },
        ),
    ]
