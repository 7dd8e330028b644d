"""The improvement council's writes: action items (creation with a baseline, status moves, owner reminders,
effectiveness verification), meetings (agenda generated from the data) and the weekly digest.

Every action-item change writes an ActionItemEvent; every e-mail goes through the outbox with an idempotency
key, so a beat task that runs twice (or a worker that retries) never reminds or notifies twice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ..access import Role, Scope
from ..book.models import Complaint
from ..handling.models import Cause
from ..outbox.keys import action_reminder_key, action_verdict_key, council_digest_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from .models import ACTION_PENDING_STATUSES, ActionItem, ActionItemEvent, ActionStatus, ActionStep, CouncilMeeting
from .rollup import rollup_refresh
from .rules import (
    BASELINE_WEEKS,
    action_verdict,
    baseline_window,
    change_pct,
    root_cause_errors,
    str_or_none,
    target_rate,
    verification_ready,
    verification_window,
    week_start,
    weekly_rate,
    whys_clean,
)
from .selectors import (
    action_items_due_for_verification,
    action_items_open_rows,
    action_owner_can_act,
    action_owner_qualifies,
    action_writable,
    cause_count,
    council_meeting_previous,
    council_recipients,
    council_snapshot,
    unclassified_count,
)

# Status moves people make; EFFECTIVE / NOT_EFFECTIVE are only ever set by the verification (the figures).
ACTION_TRANSITIONS: dict[str, set[str]] = {
    ActionStatus.PROPOSED: {ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED},
    ActionStatus.IN_PROGRESS: {ActionStatus.PROPOSED, ActionStatus.IMPLEMENTED},
    ActionStatus.IMPLEMENTED: {ActionStatus.IN_PROGRESS},
    ActionStatus.EFFECTIVE: set(),
    ActionStatus.NOT_EFFECTIVE: set(),
}

MSG_NO_CAUSE = "Elige al menos una causa: es lo que la acción debe reducir."

MSG_STATUS_MOVE = "Una acción en estado «{old}» no puede pasar a «{new}»."

MSG_VERDICT_BY_DATA = "«Efectiva» o «No efectiva» lo decide la medición al final de la verificación, no a mano."

MSG_IMPLEMENTED_DATE = "Indica la fecha de implementación (no puede ser futura)."

MSG_COMPLAINT_OUT_OF_SCOPE = "Solo puedes vincular hojas de tus establecimientos."
MSG_OWNER_EMAIL = "El responsable necesita un correo electrónico para recibir los recordatorios."

MSG_OWNER_CANNOT_ACT = (
    "Elige como responsable a alguien del consejo de mejora o de supervisión: solo ellos pueden abrir las "
    "acciones de mejora y actualizarlas."
)

MSG_OWNER_ESTABLISHMENT = (
    "Elige como responsable a alguien que vea el establecimiento de la acción (si es de todos los "
    "establecimientos, alguien que los vea todos): si no, no podría abrirla."
)


def action_owner_check(owner, establishment_id: int | None) -> None:
    """Raise CouncilError unless `owner` may own an action of `establishment_id` (shared by the services and the
    forms, so the rule lives once)."""
    if not action_owner_can_act(owner):
        raise CouncilError(MSG_OWNER_CANNOT_ACT)
    if not action_owner_qualifies(owner, establishment_id):
        raise CouncilError(MSG_OWNER_ESTABLISHMENT)


# What an action is measured against: its causes' hojas in its establishment (or all of them), whoever looks.
MEASURED = Scope.everything()


class CouncilError(Exception):
    """A change the council's rules do not allow (Spanish message)."""


def _event(action: ActionItem, type_: str, actor=None, **data) -> ActionItemEvent:
    return ActionItemEvent.objects.create(action=action, type=type_, actor=actor, data=data)


def causes_of_complaints(complaint_ids: Iterable[int]) -> list[Cause]:
    """The distinct causes the given hojas were classified with (the default causes of an action made from them)."""
    return list(Cause.objects.filter(complaints__pk__in=list(complaint_ids)).distinct().order_by("code"))


def action_baseline_set(*, action: ActionItem, today: date | None = None) -> ActionItem:
    """Store the action's baseline: hojas per week for its causes over the BASELINE_WEEKS before `today`
    (its creation day). Done once; a later change of causes does not move the line the result is judged by."""
    if action.baseline_rate is not None:
        return action
    today = today or timezone.localdate(action.created_at)
    window = baseline_window(today, BASELINE_WEEKS)
    count = cause_count(
        scope=MEASURED,
        cause_ids=action.causes.values_list("pk", flat=True),
        start=window.start,
        end=window.end,
        establishment_id=action.establishment_id,
    )
    action.baseline_weeks = BASELINE_WEEKS
    action.baseline_rate = weekly_rate(count, BASELINE_WEEKS)
    action.baseline_measured_on = today
    action.save(update_fields=["baseline_weeks", "baseline_rate", "baseline_measured_on", "updated_at"])
    _event(
        action,
        ActionItemEvent.Type.CREATED,
        action.created_by,
        baseline_rate=str(action.baseline_rate),
        baseline_count=count,
        window=[window.start.isoformat(), window.end.isoformat()],
    )
    return action


@transaction.atomic
def action_create(
    *,
    title: str,
    owner,
    due_date: date,
    causes: Iterable[Cause],
    complaints: Iterable[Complaint] = (),
    description: str = "",
    establishment=None,
    target_reduction_pct: int = 30,
    verification_weeks: int = 8,
    meeting: CouncilMeeting | None = None,
    created_by=None,
    today: date | None = None,
) -> ActionItem:
    """A person (`created_by`) must give the action to someone who can act on it (selectors.ACTION_OWNER_ROLES);
    loads made without a person (fixtures, imports) keep the owner they bring, and the action list warns about
    an owner who cannot act."""
    causes = list(causes)
    if not causes:
        raise CouncilError(MSG_NO_CAUSE)
    if created_by is not None:
        action_owner_check(owner, establishment.pk if establishment is not None else None)
    action = ActionItem.objects.create(
        title=title,
        description=description,
        owner=owner,
        due_date=due_date,
        establishment=establishment,
        target_reduction_pct=target_reduction_pct,
        verification_weeks=verification_weeks,
        meeting=meeting,
        created_by=created_by,
    )
    action.causes.set(causes)
    action.complaints.set(list(complaints))
    return action_baseline_set(action=action, today=today)


# What people may change on an action after creating it (the status moves through action_status_set).
ACTION_DETAIL_FIELDS = (
    "title",
    "description",
    "establishment",
    "owner",
    "due_date",
    "meeting",
    "target_reduction_pct",
    "verification_weeks",
)


def _plain(value):
    """A field's value as the UPDATED event keeps it (readable after the row it named is gone)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def _details_apply(
    *, action: ActionItem, changes: dict, actor, event_type: str, causes: list[Cause] | None = None
) -> ActionItem:
    """Set the changed ACTION_DETAIL_FIELDS (and causes) of the locked `action` and record them in one
    `event_type` event with the old and new values (people by name, readable after they are gone); no change,
    no event. A person (`actor`) who gives the action a new owner or establishment must leave it to someone who
    can act and sees its establishment; an owner who no longer qualifies may stay while neither changes."""
    diff: dict[str, list] = {}
    for field_name, value in changes.items():
        if field_name not in ACTION_DETAIL_FIELDS:
            raise ValueError(f"{field_name} is not an editable field of an action item")
        old = getattr(action, field_name)
        if old != value:
            show = _person if field_name == "owner" else _plain
            diff[field_name] = [show(old) if old is not None else None, show(value) if value is not None else None]
            setattr(action, field_name, value)
    if actor is not None and {"owner", "establishment"} & diff.keys():
        action_owner_check(action.owner, action.establishment_id)
    if causes is not None:
        old_codes = sorted(action.causes.values_list("code", flat=True))
        new_codes = sorted(c.code for c in causes)
        if old_codes != new_codes:
            action.causes.set(causes)
            diff["causes"] = [old_codes, new_codes]
    if diff:
        action.save(update_fields=[*(f for f in diff if f != "causes"), "updated_at"])
        _event(action, event_type, actor, changes=diff)
    return action


def _locked_action(action_id: int, scope: Scope) -> ActionItem:
    actions = scope.filter(ActionItem.objects.select_for_update(), path="establishment", unbound=True)
    return actions.get(pk=action_id)


@transaction.atomic
def action_update(
    *,
    action_id: int,
    scope: Scope,
    changes: dict,
    causes: Iterable[Cause] | None = None,
    status: str | None = None,
    implemented_on: date | None = None,
    today: date | None = None,
) -> ActionItem:
    """Change an action's details (ACTION_DETAIL_FIELDS, its causes) and move its status along the rule. What
    changed is recorded in one UPDATED event with the old and new values; the status move in its own event.
    The baseline never moves: it is the line the action is judged by."""
    action = _locked_action(action_id, scope)
    if causes is not None:
        causes = list(causes)
        if not causes:
            raise CouncilError(MSG_NO_CAUSE)
    action = _details_apply(
        action=action, changes=changes, causes=causes, actor=scope.user, event_type=ActionItemEvent.Type.UPDATED
    )
    if status is not None and status != action.status:
        action = action_status_set(
            action=action, status=status, actor=scope.user, implemented_on=implemented_on, today=today
        )
    return action


@transaction.atomic
def action_complaints_set(*, action_id: int, complaint_ids: Iterable[int], scope: Scope) -> ActionItem:
    """Link exactly `complaint_ids` among the hojas `scope` sees; hojas linked from other establishments stay
    linked (unseen). Records which hojas were linked and unlinked."""
    action = _locked_action(action_id, scope)
    wanted = set(complaint_ids)
    linked = set(action.complaints.values_list("pk", flat=True))
    visible = set(
        scope.filter(Complaint.objects.filter(pk__in=linked | wanted), path="establishment").values_list(
            "pk", flat=True
        )
    )
    if wanted - visible:
        raise CouncilError(MSG_COMPLAINT_OUT_OF_SCOPE)
    result = (linked - visible) | wanted
    if result != linked:
        action.complaints.set(sorted(result))
        _event(
            action,
            ActionItemEvent.Type.COMPLAINTS_LINKED,
            scope.user,
            added=sorted(result - linked),
            removed=sorted(linked - result),
        )
    return action


def action_status_check(*, old: str, new: str, implemented_on: date | None, today: date) -> None:
    """Raise CouncilError unless people may move an action from `old` to `new` (shared by the service
    and the admin form, so the rule lives once)."""
    if old == new:
        return
    if new in (ActionStatus.EFFECTIVE, ActionStatus.NOT_EFFECTIVE):
        raise CouncilError(MSG_VERDICT_BY_DATA)
    if new not in ACTION_TRANSITIONS[old]:
        raise CouncilError(MSG_STATUS_MOVE.format(old=ActionStatus(old).label, new=ActionStatus(new).label))
    if new == ActionStatus.IMPLEMENTED and (implemented_on is None or implemented_on > today):
        raise CouncilError(MSG_IMPLEMENTED_DATE)


@transaction.atomic
def action_status_set(
    *, action: ActionItem, status: str, actor=None, implemented_on: date | None = None, today: date | None = None
) -> ActionItem:
    today = today or timezone.localdate()
    action = ActionItem.objects.select_for_update().get(pk=action.pk)
    if status == ActionStatus.IMPLEMENTED and implemented_on is None:
        implemented_on = today
    action_status_check(old=action.status, new=status, implemented_on=implemented_on, today=today)
    if action.status == status:
        return action
    old = action.status
    action.status = status
    action.implemented_on = implemented_on if status == ActionStatus.IMPLEMENTED else None
    action.save(update_fields=["status", "implemented_on", "updated_at"])
    _event(
        action,
        ActionItemEvent.Type.STATUS_CHANGED,
        actor,
        old=old,
        new=status,
        implemented_on=action.implemented_on.isoformat() if action.implemented_on else None,
    )
    return action


def _reminder_step(days_left: int, steps: list[int]) -> str | None:
    """The reminder an action `days_left` days from its due date is owed: "overdue" once the date has passed,
    else the tightest step already reached (a task that missed a day still sends the latest one), else None."""
    if days_left < 0:
        return "overdue"
    reached = [s for s in steps if days_left <= s]
    return f"d{min(reached)}" if reached else None


def action_reminders_queue(*, scope: Scope, today: date | None = None) -> int:
    """Remind owners of pending (propuesta, en curso) actions COUNCIL_ACTION_REMINDER_DAYS calendar days before
    the due date, and once when it has passed. Keyed by action, due date and step: rerunning sends nothing new;
    moving the due date re-arms them. Each action is re-read under a row lock (pretix), so two overlapping runs,
    or an owner implementing it meanwhile, never produce a stray reminder. Returns the messages queued."""
    today = today or timezone.localdate()
    queued = 0
    steps = sorted(set(settings.COUNCIL_ACTION_REMINDER_DAYS), reverse=True)
    horizon = today + timedelta(days=max(steps, default=0))
    candidates = ActionItem.objects.filter(status__in=ACTION_PENDING_STATUSES, due_date__lte=horizon).order_by()
    candidates = scope.filter(candidates, path="establishment", unbound=True)
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            action = ActionItem.objects.select_for_update().select_related("owner").get(pk=pk)
            if action.status not in ACTION_PENDING_STATUSES or not action.owner.email:
                continue  # Race condition: implemented since the candidates were read
            days_left = (action.due_date - today).days
            step = _reminder_step(days_left, steps)
            if step is None:
                continue
            key = action_reminder_key(action_id=action.pk, due_date=action.due_date, step=step)
            if OutboundMessage.objects.filter(idempotency_key=key).exists():
                continue
            outbox_enqueue(
                kind=OutboundMessage.Kind.ACTION_REMINDER,
                recipient=action.owner.email,
                idempotency_key=key,
                context={
                    "action": action.pk,
                    "date": today.isoformat(),
                    "due_date": action.due_date.isoformat(),
                    "days_left": days_left,
                    "step": step,
                },
            )
            _event(action, ActionItemEvent.Type.REMINDER_QUEUED, None, key=key, days_left=days_left)
            queued += 1
    return queued


def action_verify(*, action: ActionItem, now: datetime | None = None) -> ActionItem:
    """Measure an implemented action whose verification window has ended: hojas per week of its causes (in its
    establishment, or all) over the window, compared with the stored baseline reduced by the target. Marks it
    effective or not effective, records the figures as an event and notifies the owner and the council.
    Idempotent: only an IMPLEMENTED action whose window ended before today (Lima) is measured."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        action = ActionItem.objects.select_for_update().select_related("owner").get(pk=action.pk)
        if action.status != ActionStatus.IMPLEMENTED or action.implemented_on is None:
            return action
        window = verification_window(action.implemented_on, action.verification_weeks)
        unclassified = (
            unclassified_count(
                scope=MEASURED, start=window.start, end=window.end, establishment_id=action.establishment_id
            )
            if window.end < today
            else 0
        )
        if not verification_ready(window=window, today=today, unclassified=unclassified):
            return action  # the window is still being filed, or its hojas are still being classified
        if action.baseline_rate is None:
            # Made without the service (a bulk load): the baseline as of its creation day, which only counts
            # hojas filed before it, so measuring it now is the same as measuring it then.
            action_baseline_set(action=action)
        cause_ids = list(action.causes.values_list("pk", flat=True))
        count = cause_count(
            scope=MEASURED,
            cause_ids=cause_ids,
            start=window.start,
            end=window.end,
            establishment_id=action.establishment_id,
        )
        measured = weekly_rate(count, action.verification_weeks)
        effective = action_verdict(
            baseline_rate=action.baseline_rate, measured_rate=measured, reduction_pct=action.target_reduction_pct
        )
        old = action.status
        action.status = ActionStatus.EFFECTIVE if effective else ActionStatus.NOT_EFFECTIVE
        action.measured_rate = measured
        action.verified_at = now
        action.save(update_fields=["status", "measured_rate", "verified_at", "updated_at"])
        figures = {
            "baseline_rate": str(action.baseline_rate),
            "target_rate": str(target_rate(action.baseline_rate, action.target_reduction_pct)),
            "measured_rate": str(measured),
            "measured_count": count,
            "unclassified": unclassified,
            "window": [window.start.isoformat(), window.end.isoformat()],
            "change_pct": str_or_none(change_pct(action.baseline_rate, measured)),
        }
        _event(action, ActionItemEvent.Type.VERIFIED, None, old=old, new=action.status, **figures)
        recipients = dict.fromkeys(e.lower() for e in [action.owner.email, *council_recipients()] if e)
        for email in recipients:
            outbox_enqueue(
                kind=OutboundMessage.Kind.ACTION_VERDICT,
                recipient=email,
                idempotency_key=action_verdict_key(action_id=action.pk, recipient=email),
                context={"action": action.pk, "is_owner": email == action.owner.email.lower(), **figures},
            )
    return action


def actions_daily(*, scope: Scope, now: datetime | None = None) -> dict:
    """The beat task's work: verify what is due in `scope`, then remind owners."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = action_items_due_for_verification(today=today, scope=scope)
    verified = [action_verify(action=a, now=now) for a in due]
    return {
        "verified": sum(a.status != ActionStatus.IMPLEMENTED for a in verified),
        "reminders": action_reminders_queue(scope=scope, today=today),
    }


def meeting_agenda_generate(*, meeting: CouncilMeeting, scope: Scope, now: datetime | None = None) -> CouncilMeeting:
    """Write the meeting's agenda from the data since the previous meeting (or the 4 weeks before, for the first
    one), up to the meeting day (or today, when preparing it in advance). Regenerating overwrites the snapshot."""
    now = now or timezone.now()
    today = min(timezone.localdate(now), meeting.held_on)
    previous = council_meeting_previous(meeting)
    since = previous.held_on if previous else today - timedelta(weeks=4) + timedelta(days=1)
    since = min(since, today)
    rollup_refresh(now=timezone.now())  # the wall clock: it marks how far changes were read
    meeting.agenda = council_snapshot(scope=scope, today=today, since=since)
    meeting.agenda["previous_meeting"] = previous.held_on.isoformat() if previous else None
    # the standing item: every action still open, whatever the period (the council follows each one to the end)
    meeting.agenda["open_actions"] = action_items_open_rows(scope=scope, as_of=today)
    meeting.agenda_generated_at = now
    meeting.save(update_fields=["agenda", "agenda_generated_at", "updated_at"])
    return meeting


def council_digest_period(today: date) -> tuple[date, date]:
    """(since, until): the last full Monday-Sunday week before `today`'s week, the period a digest sent in
    `today`'s ISO week reports (consecutive digests neither overlap nor leave a gap)."""
    until = week_start(today) - timedelta(days=1)
    return until - timedelta(days=6), until


def council_digest_queue(*, scope: Scope, now: datetime | None = None) -> int:
    """Mondays 08:00 Lima: one digest per council member and ISO week, on last week (Monday-Sunday) in `scope`;
    overdue actions as of the day it is queued. The snapshot is taken once, here, and travels in the message, so
    rendering the e-mail only renders. Keyed by ISO week and recipient: a second run (or a second beat) queues
    nothing. Returns the messages queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since, until = council_digest_period(today)
    recipients = dict.fromkeys(e.lower() for e in council_recipients())
    keys = {email: council_digest_key(today=today, recipient=email) for email in recipients}
    due = [email for email in recipients if not OutboundMessage.objects.filter(idempotency_key=keys[email]).exists()]
    if not due:
        return 0
    rollup_refresh(now=timezone.now())
    context = {
        "date": until.isoformat(),
        "since": since.isoformat(),
        "as_of": today.isoformat(),
        "snapshot": council_snapshot(scope=scope, today=until, since=since, as_of=today),
    }
    queued = 0
    with transaction.atomic():
        for email in due:
            key = keys[email]
            outbox_enqueue(
                kind=OutboundMessage.Kind.COUNCIL_DIGEST, recipient=email, idempotency_key=key, context=context
            )
            queued += 1
    return queued


# -- The action's page: progress, the root cause analysis and the steps, by its owner or the council ----------

MSG_PROGRESS_EMPTY = "Escribe qué avanzaste o cambia el estado."
MSG_EVIDENCE_URL = "El enlace debe empezar por https:// o http://."
MSG_STEP_EMPTY = "Escribe el paso."
MSG_NOT_WRITABLE = "Solo el responsable de la acción y el consejo de mejora pueden actualizarla."

PROGRESS_NOTE_MAX = 2000
EVIDENCE_MAX = 500
STEP_TEXT_MAX = 300


def _writable_action(action_id: int, scope: Scope) -> ActionItem:
    """The action locked for the change, if `scope` may write it (PermissionDenied otherwise)."""
    action = _locked_action(action_id, scope)
    if not action_writable(action=action, scope=scope):
        raise PermissionDenied(MSG_NOT_WRITABLE)
    return action


@transaction.atomic
def action_progress_record(
    *,
    action_id: int,
    scope: Scope,
    note: str,
    evidence: str = "",
    evidence_url: str = "",
    status: str | None = None,
    implemented_on: date | None = None,
    today: date | None = None,
) -> ActionItem:
    """What was done on the action (a note and, optionally, its evidence: a text and a link), and a status move
    along the rule (action_status_check). The note is a PROGRESS event; the move its own STATUS_CHANGED event."""
    action = _writable_action(action_id, scope)
    note, evidence, evidence_url = note.strip(), evidence.strip(), evidence_url.strip()
    moves = status is not None and status != action.status
    if not note and not moves:
        raise CouncilError(MSG_PROGRESS_EMPTY)
    if evidence_url and not evidence_url.lower().startswith(("https://", "http://")):
        raise CouncilError(MSG_EVIDENCE_URL)  # a javascript: or data: "link" must never reach the page
    if len(note) > PROGRESS_NOTE_MAX or len(evidence) > EVIDENCE_MAX or len(evidence_url) > EVIDENCE_MAX:
        raise CouncilError("El texto es demasiado largo.")
    if moves:
        action = action_status_set(
            action=action, status=status, actor=scope.user, implemented_on=implemented_on, today=today
        )
    if note or evidence or evidence_url:
        _event(
            action,
            ActionItemEvent.Type.PROGRESS,
            scope.user,
            note=note,
            evidence=evidence,
            evidence_url=evidence_url,
            status=action.status,
        )
    return action


@transaction.atomic
def action_root_cause_set(*, action_id: int, scope: Scope, whys: list[str], root_cause: str) -> ActionItem:
    """Store the action's 5-whys analysis (rules.root_cause_errors says what is acceptable); the event keeps
    the old and the new analysis. Writing the same analysis again records nothing."""
    action = _writable_action(action_id, scope)
    errors = root_cause_errors(whys, root_cause)
    if errors:
        raise CouncilError(next(iter(errors.values())))
    new_whys, new_root = whys_clean(whys), root_cause.strip()
    if new_whys == action.root_cause_whys and new_root == action.root_cause:
        return action
    old = {"whys": action.root_cause_whys, "root_cause": action.root_cause}
    action.root_cause_whys, action.root_cause = new_whys, new_root
    action.save(update_fields=["root_cause_whys", "root_cause", "updated_at"])
    _event(
        action,
        ActionItemEvent.Type.ROOT_CAUSE,
        scope.user,
        old=old,
        new={"whys": new_whys, "root_cause": new_root},
    )
    return action


@transaction.atomic
def action_step_add(*, action_id: int, scope: Scope, kind: str, text: str) -> ActionStep:
    """A containment or corrective step, not done yet."""
    action = _writable_action(action_id, scope)
    text = text.strip()
    if not text:
        raise CouncilError(MSG_STEP_EMPTY)
    if len(text) > STEP_TEXT_MAX:
        raise CouncilError(f"El paso puede tener como máximo {STEP_TEXT_MAX} caracteres.")
    if kind not in ActionStep.Kind.values:
        raise CouncilError("Elige si el paso es de contención o correctivo.")
    step = ActionStep.objects.create(action=action, kind=kind, text=text)
    _event(action, ActionItemEvent.Type.STEP_ADDED, scope.user, step=step.pk, kind=kind, text=text)
    return step


@transaction.atomic
def action_step_done_set(
    *, action_id: int, step_id: int, scope: Scope, done: bool, today: date | None = None
) -> ActionStep:
    """Mark a step of the action done (today) or not done again; marking it as it already is records nothing."""
    action = _writable_action(action_id, scope)
    try:
        step = ActionStep.objects.select_for_update().get(pk=step_id, action=action)
    except ActionStep.DoesNotExist:
        raise CouncilError("Ese paso no es de esta acción.") from None
    if step.done == done:
        return step
    step.done = done
    step.done_on = (today or timezone.localdate()) if done else None
    step.save(update_fields=["done", "done_on", "updated_at"])
    _event(action, ActionItemEvent.Type.STEP_DONE, scope.user, step=step.pk, kind=step.kind, text=step.text, done=done)
    return step


# -- Editing an action outside the admin (the council) -------------------------------------------------------

MSG_EDIT_COUNCIL_ONLY = "Solo el consejo de mejora cambia el título, el responsable y las fechas de una acción."
MSG_EDIT_VERIFIED = "Esta acción ya tiene su resultado verificado: sus datos quedan como se midieron."
MSG_TITLE_EMPTY = "Escribe el título de la acción."
TITLE_MAX = 150

# the fields the council edits on the action's page, in the order the history shows them
ACTION_EDIT_FIELDS = ("title", "owner", "due_date", "target_reduction_pct", "verification_weeks")


def action_editable(*, action: ActionItem, scope: Scope) -> bool:
    """The council (superusers hold every role) edits an action's title, owner and dates until it is verified."""
    person = scope.user
    return bool(
        person is not None
        and person.is_active
        and Role.COUNCIL in scope.roles
        and action.status not in (ActionStatus.EFFECTIVE, ActionStatus.NOT_EFFECTIVE)
    )


@transaction.atomic
def action_edit(
    *,
    action_id: int,
    scope: Scope,
    title: str,
    owner,
    due_date: date,
    target_reduction_pct: int,
    verification_weeks: int,
) -> ActionItem:
    """Change the action's title, owner (someone who can act and sees its establishment; the current one may
    stay), due date, target and verification weeks: action_update's details, recorded as one EDITED event
    (_details_apply: old and new values, people by name; no change, no event). The baseline never moves."""
    action = _locked_action(action_id, scope)
    if Role.COUNCIL not in scope.roles or scope.user is None:
        raise PermissionDenied(MSG_EDIT_COUNCIL_ONLY)
    if not action_editable(action=action, scope=scope):
        raise CouncilError(MSG_EDIT_VERIFIED)
    title = title.strip()
    if not title:
        raise CouncilError(MSG_TITLE_EMPTY)
    if len(title) > TITLE_MAX:
        raise CouncilError(f"El título puede tener como máximo {TITLE_MAX} caracteres.")
    if not 1 <= target_reduction_pct <= 100:
        raise CouncilError("La meta es un porcentaje de reducción entre 1 y 100.")
    if verification_weeks < 1:
        raise CouncilError("Mide al menos una semana.")
    changes = {
        "title": title,
        "owner": owner,
        "due_date": due_date,
        "target_reduction_pct": target_reduction_pct,
        "verification_weeks": verification_weeks,
    }
    return _details_apply(action=action, changes=changes, actor=scope.user, event_type=ActionItemEvent.Type.EDITED)
