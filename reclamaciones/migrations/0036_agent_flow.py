from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reclamaciones", "0035_approvals")]

    operations: list = []
