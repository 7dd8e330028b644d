"""The personal-data access log (Ley 29733, accountability under DS 016-2024-JUS): every staff view or export
of a hoja's personal data is one append-only row: who, what, which hoja or how many, when, from where.

One INSERT per page view, written outside the page's transaction so that a refused action still leaves its
trace; the system (beat jobs, commands without a user) is not logged."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..access import Scope
from ..clientip import client_ip
from .models import PersonalDataAccess

What = PersonalDataAccess.What

DETAIL_MAX = 300


def personal_data_access_record(
    *,
    scope: Scope,
    what: str,
    complaint=None,
    establishment_id: int | None = None,
    hojas: int = 1,
    detail: str = "",
    request=None,
    now: datetime | None = None,
) -> PersonalDataAccess | None:
    """Record that `scope.user` saw or exported personal data (`what`, a PersonalDataAccess.What): one hoja
    (`complaint`) or `hojas` of them (an export: `detail` says which filters). None for the system."""
    user = scope.user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if complaint is not None and establishment_id is None:
        establishment_id = complaint.establishment_id
    return PersonalDataAccess.objects.create(
        user=user,
        at=now or timezone.now(),
        what=what,
        complaint=complaint,
        establishment_id=establishment_id,
        hojas=hojas,
        detail=detail[:DETAIL_MAX],
        ip=client_ip(request) if request is not None else None,
    )
