"""Días no laborables: adding or removing one recomputes the open deadlines it affects (in a task)."""

from __future__ import annotations

from django.db import transaction

from ..models import NonWorkingDay
from ..tasks import deadlines_recompute as deadlines_recompute_task


def non_working_day_save(*, day: NonWorkingDay) -> NonWorkingDay:
    """Create or edit a non-working day; the dates before and after the change are both recomputed."""
    previous = NonWorkingDay.objects.filter(pk=day.pk).values_list("date", flat=True).first() if day.pk else None
    with transaction.atomic():
        day.full_clean()
        day.save()
        for changed in {previous, day.date} - {None}:
            reason = f"Día no laborable: {day.description} ({day.legal_source})"
            transaction.on_commit(lambda d=changed, r=reason: deadlines_recompute_task.delay(d.isoformat(), r))
    return day


def non_working_day_delete(*, day: NonWorkingDay) -> None:
    changed, reason = day.date, f"Se retiró el día no laborable: {day.description} ({day.legal_source})"
    with transaction.atomic():
        day.delete()
        transaction.on_commit(lambda: deadlines_recompute_task.delay(changed.isoformat(), reason))
