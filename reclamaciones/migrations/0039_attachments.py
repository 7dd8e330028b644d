from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0038_shared_choices_issue14"),
    ]

    operations = []
