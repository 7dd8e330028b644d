"""Reads for the compliance exports, scoped like every other read."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import F, QuerySet
from django.db.models.functions import TruncDate

from ..access import Scope
from ..book.models import Complaint
from ..deadlines.clock import lima_midnight

# What one SIREC line is built from (compliance.rules.sirec_fields): no model instances, one join to the answer.
SIREC_VALUES = (
    "pk",
    "sirec_code",
    "number",
    "year",
    "filed_on",
    "consumer_name",
    "consumer_address",
    "doc_number",
    "consumer_phone",
    "consumer_email",
    "guardian_name",
    "good_type",
    "amount_claimed",
    "currency",
    "good_description",
    "kind",
    "detail",
    "request",
    "answered_on",
    "answer_text",
)


def sirec_rows(
    *, scope: Scope, establishment_id: int, start: date, end: date, include_reported: bool, up_to_pk: int | None = None
) -> QuerySet:
    """The hojas of one book filed between two Lima dates (inclusive) in `scope`, in numbering order, as the
    mappings SIREC lines are built from; without `include_reported`, only those no export has reported yet."""
    hojas = scope.filter(Complaint.objects.all(), path="establishment").filter(
        establishment_id=establishment_id,
        filed_at__gte=lima_midnight(start),
        filed_at__lt=lima_midnight(end + timedelta(1)),
    )
    if not include_reported:
        hojas = hojas.filter(sirec_report__isnull=True)
    if up_to_pk is not None:
        hojas = hojas.filter(pk__lte=up_to_pk)
    return (
        hojas.annotate(
            sirec_code=F("establishment__sirec_code"),
            filed_on=TruncDate("filed_at"),
            answered_on=TruncDate("response__communicated_at"),
            answer_text=F("response__text"),
        )
        .order_by("year", "number")
        .values(*SIREC_VALUES)
    )
