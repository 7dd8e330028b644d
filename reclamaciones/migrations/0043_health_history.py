from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0042_branding_embed"),
    ]

    operations = []
