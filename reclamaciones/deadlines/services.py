"""Deadline tracking (Celery beat): reminders before the due date, escalation once overdue, the daily
digest, recomputation when the calendar changes, and the heartbeat that shows the tracker is alive.

Every notice is an outbox message whose idempotency key names the hoja, the notice and the threshold (or
the day), so a sweep run twice, two beats by mistake or a retried task never sends twice."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..access import Role, Scope
from ..book.models import OPEN_STATUSES, Complaint, ComplaintEvent
from ..outbox.keys import daily_digest_key, overdue_key, reminder_key
from ..outbox.models import OutboundMessage
from ..outbox.selectors import staff_emails_by_establishment
from ..outbox.services import outbox_enqueue_many, outbox_message_new
from ..webhooks.services import webhook_emit_overdue
from .clock import DaysLeft, due_date_move, lima_midnight
from .models import NonWorkingDay, TrackerHeartbeat
from .notices import OVERDUE, notice_for
from .selectors import business_calendar_get, complaint_deadline_candidates, open_complaint_rows, tracker_heartbeat_get
from .tasks import deadlines_recompute as deadlines_recompute_task

SWEEP = "deadlines-sweep"


@dataclass
class SweepResult:
    candidates: int = 0
    reminders: int = 0
    escalations: int = 0
    messages_created: int = 0
    unroutable: list[int] = field(default_factory=list)  # hojas with nobody in scope to tell

    def as_dict(self) -> dict:
        return {
            "candidates": self.candidates,
            "reminders": self.reminders,
            "escalations": self.escalations,
            "messages_created": self.messages_created,
            "unroutable": self.unroutable[:50],
        }


def deadlines_sweep(*, scope: Scope, now: datetime | None = None) -> SweepResult:
    """Queue the reminders and escalations owed right now. A constant number of queries per sweep,
    whatever the number of hojas: candidates, staff and existing keys are read in bulk and written in bulk."""
    started = time.monotonic()
    now = now or timezone.now()
    today = timezone.localdate(now)
    thresholds = sorted(settings.RECLAMACIONES_REMINDER_THRESHOLDS)
    result = SweepResult()
    with transaction.atomic():
        # Serialises concurrent sweeps (two beats by mistake): the second one sees the first one's keys.
        TrackerHeartbeat.objects.get_or_create(name=SWEEP, defaults={"last_run_at": now})
        TrackerHeartbeat.objects.select_for_update().get(name=SWEEP)

        calendar = business_calendar_get()
        horizon = calendar.add_business_days(today, thresholds[-1])
        candidates = complaint_deadline_candidates(scope=scope, horizon=horizon)
        result.candidates = len(candidates)
        days_left = DaysLeft(today=today, calendar=calendar)
        establishment_ids = {c["establishment_id"] for c in candidates}
        agents = staff_emails_by_establishment(role=Role.AGENT, establishment_ids=establishment_ids)
        supervisors = staff_emails_by_establishment(role=Role.SUPERVISOR, establishment_ids=establishment_ids)

        # (key, kind, recipient, complaint_id or None, context): plain tuples; objects only for what is new.
        planned: list[tuple[str, str, str, int | None, dict]] = []
        day_start = lima_midnight(today)
        escalated_today = set(
            ComplaintEvent.objects.filter(
                type=ComplaintEvent.Type.ESCALATED,
                occurred_at__gte=day_start,
                occurred_at__lt=day_start + timedelta(days=1),
            ).values_list("complaint_id", flat=True)
        )
        overdue: dict[str, list[list[int]]] = defaultdict(list)  # recipient -> [[complaint_id, days_left]]
        for candidate in candidates:
            left = days_left.until(candidate["due_date"])
            notice = notice_for(left, thresholds)
            if notice is None:
                continue
            # An assignee who left (inactive) or has no e-mail must not swallow the notice: the team gets it.
            assignee = candidate["assignee__email"] if candidate["assignee__is_active"] else ""
            team = agents[candidate["establishment_id"]]
            if notice.kind == OVERDUE:
                bosses = supervisors[candidate["establishment_id"]] or team  # no supervisor: the agents
                recipients = [*bosses, *([assignee] if assignee else [])]
            else:
                recipients = [assignee] if assignee else team
            if not recipients:
                result.unroutable.append(candidate["id"])
                continue
            for recipient in dict.fromkeys(recipients):
                if notice.kind == OVERDUE:
                    if candidate["id"] not in escalated_today:
                        overdue[recipient].append([candidate["id"], left])
                    continue
                context = {"days_left": left, "threshold": notice.threshold, "date": today.isoformat()}
                key = reminder_key(complaint_id=candidate["id"], threshold=notice.threshold, recipient=recipient)
                planned.append((key, OutboundMessage.Kind.REMINDER, recipient, candidate["id"], context))
        for recipient, items in overdue.items():
            context = {"date": today.isoformat(), "items": items}
            key = overdue_key(recipient=recipient, today=today, complaint_ids=(item[0] for item in items))
            planned.append((key, OutboundMessage.Kind.OVERDUE, recipient, None, context))

        new = outbox_enqueue_many(
            messages=[
                outbox_message_new(
                    kind=kind,
                    recipient=recipient,
                    complaint_id=complaint_id,
                    idempotency_key=key,
                    context=context,
                    now=now,
                )
                for key, kind, recipient, complaint_id, context in planned
            ]
        )
        ComplaintEvent.objects.bulk_create(_events_for(new, now))
        webhook_emit_overdue(complaint_ids=[c["id"] for c in candidates if days_left.until(c["due_date"]) < 0], now=now)
        result.messages_created = len(new)
        result.reminders = sum(1 for m in new if m.kind == OutboundMessage.Kind.REMINDER)
        result.escalations = sum(1 for m in new if m.kind == OutboundMessage.Kind.OVERDUE)
        TrackerHeartbeat.objects.filter(name=SWEEP).update(
            last_run_at=now,
            duration_ms=int((time.monotonic() - started) * 1000),
            data=result.as_dict(),
        )
    return result


def _events_for(messages: list[OutboundMessage], now: datetime) -> list[ComplaintEvent]:
    """One event per hoja and notice, naming only the people this sweep actually told."""
    events: dict[tuple[int, str], dict] = {}
    for message in messages:
        if message.kind == OutboundMessage.Kind.REMINDER:
            data = events.setdefault((message.complaint_id, ComplaintEvent.Type.REMINDED), {**message.context})
            data.setdefault("recipients", []).append(message.recipient)
            continue
        for complaint_id, left in message.context["items"]:
            data = events.setdefault(
                (complaint_id, ComplaintEvent.Type.ESCALATED), {"days_left": left, "date": message.context["date"]}
            )
            data.setdefault("recipients", []).append(message.recipient)
    return [
        ComplaintEvent(complaint_id=complaint_id, type=event_type, occurred_at=now, data=data)
        for (complaint_id, event_type), data in events.items()
    ]


def tracker_status(*, now: datetime | None = None) -> dict:
    """Is the sweep alive? Stale when its last run is older than 3 intervals (or it never ran)."""
    now = now or timezone.now()
    interval = settings.RECLAMACIONES_SWEEP_INTERVAL_SECONDS
    heartbeat = tracker_heartbeat_get(name=SWEEP)
    if heartbeat is None:
        return {"status": "never_ran", "stale": True, "last_run_at": None, "age_seconds": None}
    age = (now - heartbeat.last_run_at).total_seconds()
    return {
        "status": "stale" if age > 3 * interval else "ok",
        "stale": age > 3 * interval,
        "last_run_at": heartbeat.last_run_at,
        "age_seconds": int(age),
        "last_result": heartbeat.data,
    }


def digest_queue(*, scope: Scope, now: datetime | None = None) -> int:
    """08:00 Lima: one e-mail per staff member with open hojas in their hands (assigned to them, or
    unassigned in an establishment they work for), instead of one e-mail per hoja. Returns messages queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = open_complaint_rows(scope=scope)
    establishment_ids = {row[1] for row in rows}
    agents = staff_emails_by_establishment(role=Role.AGENT, establishment_ids=establishment_ids)
    supervisors = staff_emails_by_establishment(role=Role.SUPERVISOR, establishment_ids=establishment_ids)
    per_recipient: dict[str, list[int]] = defaultdict(list)
    for complaint_id, establishment_id, assignee, assignee_active in rows:
        if assignee and assignee_active:
            owners = [assignee]
        else:
            owners = [*agents[establishment_id], *supervisors[establishment_id]]
        for email in dict.fromkeys(owners):
            per_recipient[email].append(complaint_id)
    messages = [
        outbox_message_new(
            kind=OutboundMessage.Kind.DAILY_DIGEST,
            recipient=email,
            idempotency_key=daily_digest_key(today=today, recipient=email),
            context={"date": today.isoformat(), "complaint_ids": ids},
            now=now,
        )
        for email, ids in per_recipient.items()
    ]
    with transaction.atomic():
        return len(outbox_enqueue_many(messages=messages))


def deadlines_recompute(*, changed_on: date, reason: str, scope: Scope) -> int:
    """A non-working day was added or removed: recompute the due date of every open hoja whose period
    contains it, recording old and new dates. Answered and closed hojas never move. Returns how many moved."""
    calendar = business_calendar_get()
    start_of_day = lima_midnight(changed_on)
    with transaction.atomic():
        affected = list(
            scope.filter(Complaint.objects.select_for_update(), path="establishment")
            .filter(status__in=OPEN_STATUSES, filed_at__lt=start_of_day, due_date__gte=changed_on)
            .only("id", "filed_at", "due_date", "suspended_business_days", "extension_days")
        )
        moved, events = [], []
        now = timezone.now()
        for complaint in affected:
            old_due, new_due = due_date_move(complaint, calendar=calendar)
            if new_due == old_due:
                continue
            events.append(
                ComplaintEvent(
                    complaint_id=complaint.pk,
                    type=ComplaintEvent.Type.DEADLINE_RECOMPUTED,
                    data={
                        "old_due_date": old_due.isoformat(),
                        "new_due_date": new_due.isoformat(),
                        "changed_on": changed_on.isoformat(),
                        "reason": reason,
                    },
                )
            )
            complaint.updated_at = now
            moved.append(complaint)
        # bulk_update skips auto_now: set by hand, so the API's change feed (ordered by updated_at) sees the move.
        Complaint.objects.bulk_update(moved, ["due_date", "updated_at"])
        ComplaintEvent.objects.bulk_create(events)
    return len(moved)


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
