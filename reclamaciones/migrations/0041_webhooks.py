from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0040_api"),
    ]

    operations = []
