"""Reads of the book for the public pages: establishments open for filing, a hoja by its tracking token or
by number and document, and the seal of a hoja's predecessor in its book."""

from __future__ import annotations

from django.db.models import (
    QuerySet,
)

from .models import Complaint, Establishment


def establishment_list_public() -> QuerySet[Establishment]:
    return Establishment.objects.filter(is_active=True).select_related("provider").order_by("name")


def establishment_get_public(*, slug: str) -> Establishment:
    """The active establishment whose book lives at /libro/<slug>/ (raises Establishment.DoesNotExist)."""
    return establishment_list_public().get(slug=slug)


def complaint_get_by_token(*, token: str) -> Complaint:
    """The hoja behind a tracking link (raises Complaint.DoesNotExist)."""
    return Complaint.objects.select_related("establishment__provider", "response", "survey").get(tracking_token=token)


def complaint_find_by_number(*, number: int, year: int, doc_number: str) -> str | None:
    """Tracking token of the hoja with this number and year filed with this document number, in any
    establishment (the most recent one if two books share the number). One indexed query either way."""
    return (
        Complaint.objects.filter(number=number, year=year, doc_number=doc_number)
        .order_by("-filed_at", "-pk")
        .values_list("tracking_token", flat=True)
        .first()
    )


def complaint_seal_get(*, establishment_id: int, year: int, number: int) -> str | None:
    """The integrity seal of one hoja of a book (None when that number does not exist)."""
    return (
        Complaint.objects.filter(establishment_id=establishment_id, year=year, number=number)
        .values_list("seal", flat=True)
        .first()
    )
