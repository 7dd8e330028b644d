"""Bulk assign from the queue: a supervisor picks hojas with checkboxes and gives them all to one person (or back
to their establishments' queue). One transaction: every hoja moves through the same `complaint_assign` an agent
uses on the hoja (its lock, its check that the person works there, its ASSIGNED event), or none does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..access import ACTING_ROLES, Scope
from ..book.models import OPEN_STATUSES, Complaint
from .selectors import assignable_staff
from .services import WorkflowError, complaint_assign
from .trail import person_name

BULK_LIMIT = 200  # a page of the queue is 25 rows; more than this is not a selection made by hand

MSG_SUPERVISORS_ONLY = "Solo supervisión asigna hojas en bloque."
MSG_PICK_HOJAS = "Marca al menos una hoja de la lista."
MSG_TOO_MANY = f"Puedes asignar hasta {BULK_LIMIT} hojas a la vez."
MSG_NOT_ASSIGNABLE_MANY = "{name} no atiende el establecimiento de {count}: {numbers}. No se cambió ninguna hoja."


class HojasOutOfScope(Exception):
    """Some of the hojas do not exist or are not in the scope: nothing changes (the view answers 404)."""


class TooManyHojas(WorkflowError):
    """More than BULK_LIMIT hojas at once: a malformed request, not a conflict (the view answers 400)."""


@dataclass(frozen=True)
class BulkAssignment:
    changed: list[str] = field(default_factory=list)  # hoja numbers that got the new assignee
    unchanged: list[str] = field(default_factory=list)  # already theirs
    closed: list[str] = field(default_factory=list)  # no longer in progress (answered, settled, closed): skipped


def bulk_assignable_people(*, scope: Scope) -> QuerySet:
    """Active agents and supervisors who work for any establishment in `scope` (the bulk bar's choices; whether
    one may take a given hoja is checked per hoja). One query."""
    people = get_user_model().objects.filter(is_active=True, groups__name__in=ACTING_ROLES)
    if not scope.is_everything:
        people = people.filter(
            Q(staff_profile__all_establishments=True) | Q(staff_profile__establishments__in=scope.establishment_ids)
        )
    return people.distinct().order_by("first_name", "last_name", "username")


def complaints_bulk_assign(
    *, complaint_ids: list[int], assignee, scope: Scope, now: datetime | None = None
) -> BulkAssignment:
    """Give the hojas `complaint_ids` to `assignee` (None: back to their establishments' queue). Supervisors only.
    A hoja out of scope (or missing) refuses the whole request (HojasOutOfScope); hojas no longer in progress
    (answered, settled or closed) are skipped and listed; hojas already theirs are left alone (no event); if
    `assignee` does not work for the establishment of any hoja to change, nothing changes and the message names
    those hojas."""
    now = now or timezone.now()
    if not scope.supervises:
        raise WorkflowError(MSG_SUPERVISORS_ONLY)
    ids = sorted(set(complaint_ids))
    if not ids:
        raise WorkflowError(MSG_PICK_HOJAS)
    if len(ids) > BULK_LIMIT:
        raise TooManyHojas(MSG_TOO_MANY)
    target = assignee.pk if assignee is not None else None
    with transaction.atomic():
        hojas = list(
            scope.filter(Complaint.objects.filter(pk__in=ids), path="establishment")
            .select_for_update()
            .order_by("due_date", "pk")
        )
        if len(hojas) != len(ids):
            raise HojasOutOfScope
        result = BulkAssignment()
        to_change = []
        for hoja in hojas:
            if hoja.status not in OPEN_STATUSES:  # answered, settled or closed: nobody takes it any more
                result.closed.append(hoja.display_number)
            elif hoja.assignee_id == target:
                result.unchanged.append(hoja.display_number)
            else:
                to_change.append(hoja)
        if assignee is not None:
            establishments = {h.establishment_id for h in to_change}
            works_for = {
                e for e in establishments if assignable_staff(establishment_id=e).filter(pk=assignee.pk).exists()
            }
            refused = [h.display_number for h in to_change if h.establishment_id not in works_for]
            if refused:
                count = "la hoja" if len(refused) == 1 else f"{len(refused)} hojas"
                raise WorkflowError(
                    MSG_NOT_ASSIGNABLE_MANY.format(
                        name=person_name(assignee), count=count, numbers=", ".join(f"Nº {n}" for n in refused[:20])
                    )
                )
        for hoja in to_change:
            complaint_assign(complaint_id=hoja.pk, assignee=assignee, scope=scope, now=now)
            result.changed.append(hoja.display_number)
    return result
