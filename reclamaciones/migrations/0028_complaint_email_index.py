"""The consumer's other hojas by e-mail (staff detail page): an index on UPPER(consumer_email), what iexact compares."""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0026_settled_record_message_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                django.db.models.functions.text.Upper("consumer_email"), name="complaint_email_upper_idx"
            ),
        ),
    ]
