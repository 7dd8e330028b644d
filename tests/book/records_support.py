"""Helpers of the legal-record tests (reloading a hoja, its filed values, a copy to violate constraints)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reclamaciones.book.models import (
    FILED_FIELDS,
    Complaint,
    tracking_token_new,
)

LIMA = ZoneInfo("America/Lima")
RUC_MESSAGE = "El RUC no es válido: debe tener 11 dígitos y un dígito verificador correcto."
SIREC_MESSAGE = "El código de sede SIREC tiene hasta 6 dígitos."


def _reload(complaint: Complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def _filed_values(complaint: Complaint) -> dict:
    return {name: getattr(complaint, name) for name in FILED_FIELDS}


# --------------------------------------------------------------------------------------------------------------
# 1. A filed hoja never changes and is never deleted
# --------------------------------------------------------------------------------------------------------------


def _copy(complaint: Complaint, **overrides) -> Complaint:
    """A hand-built, unsaved hoja with a filed hoja's column values, a fresh number and token."""
    values = {
        field.attname: getattr(complaint, field.attname)
        for field in Complaint._meta.concrete_fields
        if not field.primary_key
    }
    values.update(number=complaint.number + 100, tracking_token=tracking_token_new(), submission_key=None)
    values.update(overrides)
    return Complaint(**values)
