"""Anonymised hojas keep verifying: the fingerprint of what remains after the retention service replaced the
consumer's personal data, and its HMAC bound to the hoja's seal (book.integrity.anonymised_seal_compute)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0019_compliance_desk"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="anonymised_seal",
            field=models.CharField(
                db_default="", default="", editable=False, max_length=64, verbose_name="sello de la anonimización"
            ),
        ),
        migrations.AddField(
            model_name="complaint",
            name="anonymised_sha256",
            field=models.CharField(
                db_default="", default="", editable=False, max_length=64, verbose_name="huella tras la anonimización"
            ),
        ),
    ]
