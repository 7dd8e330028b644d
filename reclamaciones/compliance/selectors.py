"""Reads for the compliance exports, scoped like every other read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..access import Scope
from ..audit import PersonalDataAccess
from ..book.models import Complaint, Establishment
from ..deadlines.clock import lima_midnight
from ..outbox.alarms import alarm_status
from .models import IndecopiRequest, RetentionRun, SirecExport

SIREC_DEADLINE_DAYS = 30  # Directive 004-2014 §VIII: in SIREC within 30 calendar days of filing
SIREC_LOOKBACK_DAYS = 365  # older unreported hojas are shown on the page, not chased every morning

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
    "good_type_classified",
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


@dataclass(frozen=True)
class SirecPending:
    """One SIREC book's hojas not yet reported: how many, the oldest, and how many are near or past 30 days."""

    establishment: Establishment
    unreported: int
    due_soon: int  # filed RECLAMACIONES_SIREC_REMIND_AFTER_DAYS or more days ago
    late: int  # filed more than 30 calendar days ago
    oldest: datetime | None

    @property
    def oldest_days(self) -> int | None:
        return None if self.oldest is None else (timezone.localdate() - timezone.localdate(self.oldest)).days


def sirec_pending(*, scope: Scope, now: datetime) -> list[SirecPending]:
    """Per book with a SIREC code, in scope: hojas of the last year not yet reported (one aggregate query over
    the filing-date index and the report's unique key)."""
    today = timezone.localdate(now)
    soon = lima_midnight(today - timedelta(days=settings.RECLAMACIONES_SIREC_REMIND_AFTER_DAYS - 1))
    late = lima_midnight(today - timedelta(days=SIREC_DEADLINE_DAYS))
    establishments = {
        e.pk: e
        for e in scope.filter(Establishment.objects.exclude(sirec_code=""), path="pk").select_related("provider")
    }
    if not establishments:
        return []
    counts = (
        Complaint.objects.filter(
            establishment_id__in=establishments,
            filed_at__gte=lima_midnight(today - timedelta(days=SIREC_LOOKBACK_DAYS)),
            sirec_report__isnull=True,
        )
        .values("establishment_id")
        .annotate(
            unreported=Count("pk"),
            due_soon=Count("pk", filter=Q(filed_at__lt=soon)),
            late=Count("pk", filter=Q(filed_at__lt=late)),
            oldest=Min("filed_at"),
        )
    )
    by_pk = {row["establishment_id"]: row for row in counts}
    return [
        SirecPending(
            establishment=e,
            unreported=by_pk.get(pk, {}).get("unreported", 0),
            due_soon=by_pk.get(pk, {}).get("due_soon", 0),
            late=by_pk.get(pk, {}).get("late", 0),
            oldest=by_pk.get(pk, {}).get("oldest"),
        )
        for pk, e in sorted(establishments.items(), key=lambda item: item[1].name)
    ]


def sirec_export_list(*, scope: Scope) -> QuerySet[SirecExport]:
    return scope.filter(SirecExport.objects.all(), path="establishment").select_related("establishment", "created_by")


def access_log_page(
    *, scope: Scope, username: str, number: str, before: int | None, size: int
) -> list[PersonalDataAccess]:
    """The newest `size` accesses (below `before`, a primary key) to hojas of the scope's establishments,
    optionally of one user or one sheet number ("12", "000000012-2026"). Keyset pages over the primary key or
    the (user, id) / (complaint, id) indexes: one index range per page at any depth."""
    rows = scope.filter(PersonalDataAccess.objects.all(), path="establishment")
    if before:
        rows = rows.filter(pk__lt=before)
    if username:
        rows = rows.filter(user__username=username.strip())
    if number:
        digits, _, year = number.strip().partition("-")
        if not digits.isdigit():
            return []
        hojas = Complaint.objects.filter(number=int(digits))
        if year.isdigit():
            hojas = hojas.filter(year=int(year))
        rows = rows.filter(complaint__in=scope.filter(hojas, path="establishment").values("pk")[:50])
    return list(rows.select_related("user", "complaint", "establishment").order_by("-pk")[:size])


def desk_summary(*, scope: Scope, now: datetime) -> dict:
    """The desk's home: SIREC pending, open INDECOPI requests by due date, the last retention run."""
    return {
        "integrity": alarm_status(now=now)["integrity"],
        "sirec": sirec_pending(scope=scope, now=now),
        "requests": indecopi_open_requests(scope=scope)[:20],
        "retention": RetentionRun.objects.filter(dry_run=False).first(),
    }


# -- INDECOPI requests and their evidence bundles --------------------------------------------------------------


def _indecopi_requests(*, scope: Scope) -> QuerySet[IndecopiRequest]:
    """The requests `scope` sees: those whose every establishment is in it."""
    requests = IndecopiRequest.objects.all()
    if not scope.is_everything:
        requests = requests.exclude(establishments__in=Establishment.objects.exclude(pk__in=scope.establishment_ids))
    return requests


def indecopi_request_list(*, scope: Scope, limit: int = 500) -> list[IndecopiRequest]:
    """Open requests first, the nearest last day first; then the answered ones, the latest first."""
    requests = _indecopi_requests(scope=scope).select_related("created_by", "answered_by")
    requests = requests.prefetch_related("establishments")
    open_ = list(requests.filter(status=IndecopiRequest.Status.OPEN).order_by("due_on", "pk")[:limit])
    answered = requests.filter(status=IndecopiRequest.Status.ANSWERED).order_by("-due_on", "-pk")
    return open_ + list(answered[: max(0, limit - len(open_))])


def indecopi_open_requests(*, scope: Scope) -> list[IndecopiRequest]:
    return list(
        _indecopi_requests(scope=scope)
        .filter(status=IndecopiRequest.Status.OPEN)
        .prefetch_related("establishments")
        .order_by("due_on", "pk")
    )


def indecopi_request_get(*, scope: Scope, pk: int) -> IndecopiRequest | None:
    return (
        _indecopi_requests(scope=scope)
        .filter(pk=pk)
        .select_related("created_by", "answered_by")
        .prefetch_related("establishments")
        .first()
    )


def indecopi_request_hojas(*, scope: Scope, request: IndecopiRequest) -> QuerySet[Complaint]:
    """The hojas a request covers that `scope` sees: of its establishments, filed within its dates (Lima days,
    inclusive) and, when it lists sheet numbers, only those; every given criterion narrows. In book order."""
    hojas = scope.filter(
        Complaint.objects.filter(establishment__in=request.establishments.values("pk")), path="establishment"
    )
    if request.date_from:
        hojas = hojas.filter(filed_at__gte=lima_midnight(request.date_from))
    if request.date_to:
        hojas = hojas.filter(filed_at__lt=lima_midnight(request.date_to + timedelta(days=1)))
    if request.numbers:
        by_year: dict[int, list[int]] = {}
        for printed in request.numbers:
            digits, _, year = printed.partition("-")
            by_year.setdefault(int(year), []).append(int(digits))
        numbers = Q(pk__in=[])
        for year, wanted in by_year.items():
            numbers |= Q(year=year, number__in=wanted)
        hojas = hojas.filter(numbers)
    return hojas.order_by("establishment__name", "establishment_id", "year", "number")


def evidence_bundle_get(*, scope: Scope, pk: int):
    """A bundle of a request `scope` sees."""
    from .models import EvidenceBundle

    return (
        EvidenceBundle.objects.filter(pk=pk, request__in=_indecopi_requests(scope=scope).values("pk"))
        .select_related("request", "created_by")
        .first()
    )


def evidence_bundle_list(*, request: IndecopiRequest, limit: int = 50) -> list:
    return list(request.bundles.select_related("created_by").order_by("-created_at", "-pk")[:limit])
