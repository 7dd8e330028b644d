"""Reads of the API: what a client may see (its Scope), its establishments and its hojas, and the hojas changed
since a cursor position."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..access import Scope
from ..book.models import Complaint, Establishment
from .models import ApiClient


def client_scope(*, client: ApiClient) -> Scope:
    """The establishments `client` works for, as the back office's Scope: its provider's, narrowed to the ones
    chosen on the client when any are (one query). A client never acts as staff (can_act=False): it only files."""
    chosen = ApiClient.establishments.through.objects.filter(apiclient_id=client.pk)
    ids = (
        Establishment.objects.filter(provider_id=client.provider_id)
        .filter(Q(Exists(chosen.filter(establishment_id=OuterRef("pk")))) | ~Exists(chosen))
        .values_list("pk", flat=True)
    )
    return Scope(frozenset(ids), can_act=False)


def establishment_list(*, scope: Scope) -> QuerySet[Establishment]:
    return scope.filter(Establishment.objects.all(), path="pk").order_by("code", "pk")


def establishment_get(*, scope: Scope, code: str) -> Establishment:
    """The establishment with this code in scope (codes are unique per provider; raises DoesNotExist)."""
    return establishment_list(scope=scope).select_related("provider").get(code=code)


def _complaints(*, scope: Scope) -> QuerySet[Complaint]:
    return scope.filter(Complaint.objects.all(), path="establishment").select_related(
        "establishment", "response", "api_filing"
    )


def complaint_get(*, scope: Scope, complaint_id: int) -> Complaint:
    """One hoja in scope by its id (raises Complaint.DoesNotExist, also for another establishment's)."""
    return _complaints(scope=scope).get(pk=complaint_id)


def complaint_get_by_number(*, scope: Scope, establishment_code: str, number: int, year: int) -> Complaint:
    """One hoja in scope by its establishment's code and its sheet number (raises Complaint.DoesNotExist)."""
    return _complaints(scope=scope).get(establishment__code=establishment_code, number=number, year=year)


def complaint_changes(
    *, scope: Scope, after: tuple[datetime, int] | None, until: datetime, limit: int
) -> QuerySet[Complaint]:
    """Up to `limit` hojas in scope changed after the position `after` ((updated_at, id) of the last one read)
    and no later than `until`, in (updated_at, id) order: one range scan of complaint_updated_idx (migration
    0044) that stops after `limit` rows, at any size of the book."""
    rows = _complaints(scope=scope).filter(updated_at__lte=until)
    if after is not None:
        moment, pk = after
        rows = rows.filter(updated_at__gte=moment).filter(Q(updated_at__gt=moment) | Q(pk__gt=pk))
    return rows.order_by("updated_at", "pk")[:limit]
