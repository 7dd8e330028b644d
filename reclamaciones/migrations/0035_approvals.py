from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reclamaciones", "0034_follow_through")]

    operations: list = []
