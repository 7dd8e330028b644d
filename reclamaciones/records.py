"""The bases of the legal records every context shares: timestamps, append-only history rows (no UPDATE, no
DELETE, not even through the queryset) and the read-only admin that shows them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ImmutableRecordError(Exception):
    """Raised when code tries to change or delete a legal record."""


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("creado", default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError(self.model.message_changed)

    def delete(self):
        raise ImmutableRecordError(self.model.message_deleted)


class AppendOnlyModel(models.Model):
    """A record written once and never changed or deleted, not even through the queryset: history rows (the
    hoja's and the action items' events) and the answer communicated to the consumer."""

    message_changed = "El historial es de solo agregado."
    message_deleted = "El historial es de solo agregado."

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(self.message_changed)
        kwargs["force_insert"] = True  # never an UPDATE of an existing row, even with a hand-set pk
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(self.message_deleted)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
