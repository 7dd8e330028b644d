"""Seal the hojas filed before the integrity chain existed, in each book's number order."""

from django.conf import settings
from django.db import migrations


def seal_existing(apps, schema_editor):
    from ..book.integrity import GENESIS, key_derive, seal_compute

    key = key_derive(configured=settings.BOOK_INTEGRITY_KEY, secret_key=settings.SECRET_KEY)
    Complaint = apps.get_model("reclamaciones", "Complaint")
    book, previous = None, GENESIS
    rows = Complaint.objects.order_by("establishment_id", "year", "number").values_list(
        "pk", "establishment_id", "year", "content_sha256"
    )
    for pk, establishment_id, year, content_sha256 in rows.iterator(chunk_size=2000):
        if (establishment_id, year) != book:
            book, previous = (establishment_id, year), GENESIS
        previous = seal_compute(key=key, previous_seal=previous, content_sha256=content_sha256)
        Complaint.objects.filter(pk=pk).update(seal=previous)


class Migration(migrations.Migration):
    dependencies = [("reclamaciones", "0010_complaint_seal")]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
