from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reclamaciones", "0033_council_meetings_workflow")]

    operations: list = []
