"""Documents attached to a hoja: by the consumer when filing (part of the filed content: their SHA-256 is in the
hoja's fingerprint and seal) and by staff with the answer. The bytes live in the private attachments storage
(book.attachments.attachment_storage) under a random name; the row keeps what is shown and what is verified."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..records import ImmutableRecordError
from .models import Complaint

# What is shown instead of a document's name once its hoja was anonymised (compliance.retention).
REMOVED_LABEL = "Documento eliminado al anonimizar la hoja"


class AttachmentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Binding staged files to the hoja being filed is the one write after upload (book.attachments); the
        # anonymisation's raw UPDATE (attachments_anonymise) is the one recorded exception.
        if set(kwargs) - {"complaint", "complaint_id", "position"} or self.filter(complaint__isnull=False).exists():
            raise ImmutableRecordError("Un documento adjunto a una hoja no se modifica.")
        return super().update(**kwargs)

    def delete(self):
        # Only staged uploads never confirmed are removed (attachments_staged_purge); filed ones are the record.
        if self.filter(complaint__isnull=False).exists():
            raise ImmutableRecordError("Los documentos adjuntos a una hoja no se eliminan (Reglamento, art. 12).")
        return super().delete()

    def consumer(self):
        return self.filter(source=Attachment.Source.CONSUMER)

    def staff(self):
        return self.filter(source=Attachment.Source.STAFF)


class Attachment(models.Model):
    class Source(models.TextChoices):
        CONSUMER = "consumer", "Consumidor (con la hoja)"
        STAFF = "staff", "Proveedor (con la respuesta)"

    # NULL while staged: uploaded with a form that was not filed yet (the review step, or a form with errors).
    complaint = models.ForeignKey(
        Complaint, verbose_name="hoja", null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    source = models.CharField("adjuntado por", max_length=10, choices=Source, default=Source.CONSUMER)
    position = models.PositiveSmallIntegerField("orden", default=0)
    original_name = models.CharField("nombre", max_length=120)  # sanitised, for display only
    content_type = models.CharField("tipo", max_length=40)
    size = models.PositiveIntegerField("tamaño (bytes)")
    sha256 = models.CharField("huella SHA-256", max_length=64)
    stored_name = models.CharField("archivo guardado", max_length=200, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="subido por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("subido", default=timezone.now, editable=False)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "documento adjunto"
        verbose_name_plural = "documentos adjuntos"
        ordering = ["source", "position", "id"]
        indexes = [
            models.Index(fields=["complaint", "source", "position"], name="attachment_complaint_idx"),
            # The purge of staged uploads never confirmed reads only these.
            models.Index(fields=["created_at"], condition=Q(complaint__isnull=True), name="attachment_staged_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError("Un documento adjunto a una hoja no se modifica.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Los documentos adjuntos a una hoja no se eliminan (Reglamento, art. 12).")

    @property
    def removed(self) -> bool:
        """Its file was deleted and its name blanked when its hoja was anonymised (book.attachments.
        attachments_anonymise): the type, size and SHA-256 stay as evidence of what was filed."""
        return not self.original_name

    @property
    def display_name(self) -> str:
        return self.original_name or REMOVED_LABEL

    @property
    def kind_label(self) -> str:
        return {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}.get(self.content_type, "")

    @property
    def size_label(self) -> str:
        return size_label(self.size)

    def fingerprint(self) -> dict:
        """What of this document is part of its hoja's content hash (book.integrity)."""
        return {"name": self.original_name, "type": self.content_type, "size": self.size, "sha256": self.sha256}


def size_label(size: int) -> str:
    """A size as people read it: "850 KB", "4,2 MB" (decimal comma, es-PE)."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")
