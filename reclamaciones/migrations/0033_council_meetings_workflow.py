from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reclamaciones", "0032_shared_choices_issue13")]

    operations: list = []
