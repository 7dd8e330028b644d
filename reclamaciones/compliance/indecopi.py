"""INDECOPI requests (Ley 29571 art. 152; Reglamento art. 11.1): register what a request asks for and by when,
mark it answered, remind the compliance role before its deadline, and start the evidence bundle.

The time limit is the one each request sets (the 2014 text of art. 11 fixes none; the 2011 minimum of three
business days was replaced): a number of business days counted from the day after receipt (Código Civil art.
183, as for the hojas), or a date. A compliance user registers requests only for establishments in their scope
and sees only requests whose establishments are all in it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..access import Role, Scope
from ..book.models import Establishment, number_format
from ..deadlines.notices import OVERDUE, notice_for
from ..deadlines.rules import business_days_left
from ..deadlines.selectors import business_calendar_get
from ..outbox.keys import indecopi_reminder_key
from ..outbox.models import OutboundMessage
from ..outbox.selectors import staff_emails_by_establishment, superuser_emails
from ..outbox.services import outbox_enqueue
from .models import EvidenceBundle, IndecopiRequest
from .selectors import indecopi_open_requests, indecopi_request_get

logger = logging.getLogger(__name__)

MAX_NUMBERS = 5000  # sheet numbers one request may list

MSG_DEADLINE_MISSING = "Indica el plazo del requerimiento: en días hábiles o como fecha límite."
MSG_DEADLINE_BOTH = "Indica el plazo de una sola forma: en días hábiles o como fecha límite, no ambas."
MSG_DUE_BEFORE_RECEIVED = "La fecha límite no puede ser anterior a la fecha de recepción."
MSG_RECEIVED_FUTURE = "La fecha de recepción no puede ser posterior a hoy."
MSG_RANGE_REVERSED = "La fecha final es anterior a la inicial."
MSG_NO_ESTABLISHMENT = "Elige al menos un establecimiento."
MSG_OUT_OF_SCOPE = "Solo puedes registrar requerimientos de los establecimientos a tu cargo."
MSG_NUMBERS_BAD = (
    "Estos números de hoja no son válidos: {bad}. Escribe cada hoja como número-año, por ejemplo 12-2026 o "
    "000000012-2026, separadas por comas."
)
MSG_NUMBERS_TOO_MANY = f"Indica como máximo {MAX_NUMBERS} números de hoja; para más, usa un rango de fechas."
MSG_ALREADY_ANSWERED = "Este requerimiento ya figura como atendido."
MSG_ANSWERED_FUTURE = "La fecha de entrega no puede ser posterior a este momento."
MSG_ANSWERED_BEFORE_RECEIVED = "La fecha de entrega no puede ser anterior a la recepción del requerimiento."
MSG_RUNS_ONLY = "Solo el rol de cumplimiento registra requerimientos y prepara paquetes de evidencias."
MSG_QUEUE_DOWN = "No se pudo poner en cola el paquete. Inténtalo de nuevo en unos minutos."


class IndecopiError(Exception):
    """A request cannot be registered or changed as asked; the message is for the person (Spanish)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- pure -----------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^0*(\d{1,9})-(\d{4})$")
_SEPARATORS = re.compile(r"[\s,;]+")
_PREFIX = re.compile(r"n(?:ro|[º°o])?\.?\s*(?=\d)", re.IGNORECASE)  # "Nº 12-2026", "N° 12-2026", "nro. 12-2026"


def numbers_parse(text: str) -> tuple[list[str], list[str]]:
    """Sheet numbers typed as "12-2026, 000000013-2026" → (the valid ones as printed on the sheet, without
    repeats and in the order given; the tokens that are not a number-year)."""
    valid: dict[str, None] = {}
    bad: list[str] = []
    for token in _SEPARATORS.split(_PREFIX.sub("", text or "")):
        if not token:
            continue
        match = _NUMBER.match(token)
        if match and int(match.group(1)) >= 1:
            valid[number_format(int(match.group(1)), int(match.group(2)))] = None
        else:
            bad.append(token)
    return list(valid), bad


def numbers_split(numbers: Iterable[str]) -> list[tuple[int, int]]:
    """("000000012-2026", ...) → [(12, 2026), ...], as the book's (number, year) index reads them."""
    pairs = []
    for printed in numbers:
        digits, _, year = printed.partition("-")
        pairs.append((int(digits), int(year)))
    return pairs


def request_due_on(*, received_on: date, business_days: int | None, due_on: date | None, calendar) -> date:
    """The request's last day: `business_days` after receipt (day 1 is the first business day after it,
    weekends, Peru's holidays and the recorded non-working days skipped), or the date it gives."""
    if business_days is None and due_on is None:
        raise IndecopiError(MSG_DEADLINE_MISSING, field="plazo_dias")
    if business_days is not None and due_on is not None:
        raise IndecopiError(MSG_DEADLINE_BOTH, field="plazo_dias")
    if business_days is not None:
        return calendar.add_business_days(received_on, business_days)
    if due_on < received_on:
        raise IndecopiError(MSG_DUE_BEFORE_RECEIVED, field="fecha_limite")
    return due_on


# -- services -------------------------------------------------------------------------------------------------


def _runs(scope: Scope, request: IndecopiRequest | None = None) -> None:
    """The compliance role acts, and only on requests it sees (every establishment in its scope)."""
    if not scope.runs_compliance:
        raise IndecopiError(MSG_RUNS_ONLY)
    if request is not None and indecopi_request_get(scope=scope, pk=request.pk) is None:
        raise IndecopiError(MSG_OUT_OF_SCOPE)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


@transaction.atomic
def indecopi_request_register(
    *,
    scope: Scope,
    reference: str,
    received_on: date,
    establishments: Iterable[Establishment],
    deadline_business_days: int | None = None,
    due_on: date | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    numbers: Iterable[str] = (),
    notes: str = "",
    now: datetime | None = None,
) -> IndecopiRequest:
    """Record a request: what it covers (establishments, filing dates, sheet numbers) and its last day."""
    _runs(scope)
    now = now or timezone.now()
    establishments = list(establishments)
    if not establishments:
        raise IndecopiError(MSG_NO_ESTABLISHMENT, field="establecimientos")
    if not all(scope.allows(e.pk) for e in establishments):
        raise IndecopiError(MSG_OUT_OF_SCOPE, field="establecimientos")
    if received_on > timezone.localdate(now):
        raise IndecopiError(MSG_RECEIVED_FUTURE, field="recibido")
    if date_from and date_to and date_to < date_from:
        raise IndecopiError(MSG_RANGE_REVERSED, field="hasta")
    numbers, bad = numbers_parse(" ".join(numbers))
    if bad:
        raise IndecopiError(MSG_NUMBERS_BAD.format(bad=", ".join(f"«{b}»" for b in bad[:20])), field="numeros")
    if len(numbers) > MAX_NUMBERS:
        raise IndecopiError(MSG_NUMBERS_TOO_MANY, field="numeros")
    due = request_due_on(
        received_on=received_on,
        business_days=deadline_business_days,
        due_on=due_on,
        calendar=business_calendar_get(),
    )
    request = IndecopiRequest.objects.create(
        reference=_one_line(reference),
        received_on=received_on,
        deadline_business_days=deadline_business_days,
        due_on=due,
        date_from=date_from,
        date_to=date_to,
        numbers=numbers,
        notes=notes,
        created_by=scope.user,
        created_at=now,
    )
    request.establishments.set(establishments)
    return request


@transaction.atomic
def indecopi_request_answer(
    *, scope: Scope, request: IndecopiRequest, answered_at: datetime, now: datetime | None = None
) -> IndecopiRequest:
    """Record that the documents reached INDECOPI at `answered_at` (what its deadline is checked against)."""
    _runs(scope, request)
    now = now or timezone.now()
    locked = IndecopiRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status == IndecopiRequest.Status.ANSWERED:
        raise IndecopiError(MSG_ALREADY_ANSWERED)
    if answered_at > now:
        raise IndecopiError(MSG_ANSWERED_FUTURE, field="entregado")
    if timezone.localdate(answered_at) < locked.received_on:
        raise IndecopiError(MSG_ANSWERED_BEFORE_RECEIVED, field="entregado")
    locked.status, locked.answered_at, locked.answered_by = IndecopiRequest.Status.ANSWERED, answered_at, scope.user
    locked.save(update_fields=["status", "answered_at", "answered_by"])
    return locked


def evidence_bundle_create(*, scope: Scope, request: IndecopiRequest, now: datetime | None = None) -> EvidenceBundle:
    """Queue the building of a bundle for `request` (a Celery job), once the row is committed. A bundle of the
    same request still queued or running is returned instead (a second click starts nothing). If the broker
    cannot take it, the bundle fails at once with a message its page shows."""
    from .tasks import evidence_bundle_build as build_task

    _runs(scope, request)
    with transaction.atomic():
        IndecopiRequest.objects.select_for_update().filter(pk=request.pk).first()
        pending = request.bundles.filter(
            status__in=[EvidenceBundle.Status.QUEUED, EvidenceBundle.Status.RUNNING], created_by=scope.user
        ).first()
        if pending is not None:
            return pending
        bundle = EvidenceBundle.objects.create(request=request, created_by=scope.user, created_at=now or timezone.now())

        def publish(pk: int = bundle.pk) -> None:
            try:
                build_task.delay(pk)
            except Exception:
                logger.warning("indecopi: could not queue evidence bundle %s", pk, exc_info=True)
                EvidenceBundle.objects.filter(pk=pk, status=EvidenceBundle.Status.QUEUED).update(
                    status=EvidenceBundle.Status.FAILED, error=MSG_QUEUE_DOWN, finished_at=timezone.now()
                )

        transaction.on_commit(publish)
    return bundle


# -- reminders ------------------------------------------------------------------------------------------------


def indecopi_reminder_recipients(*, establishment_ids: set[int]) -> list[str]:
    """The compliance users whose scope covers every establishment of a request (those who see it); the
    administrators when nobody does."""
    by_establishment = staff_emails_by_establishment(role=Role.COMPLIANCE, establishment_ids=establishment_ids)
    covering: set[str] | None = None
    for emails in by_establishment.values():
        covering = set(emails) if covering is None else covering & set(emails)
    if covering:
        first_seen = [email for emails in by_establishment.values() for email in emails]
        return list(dict.fromkeys(email for email in first_seen if email in covering))
    return superuser_emails()


def indecopi_reminder_queue(*, scope: Scope, now: datetime | None = None) -> int:
    """Remind the compliance role of each open request at RECLAMACIONES_INDECOPI_REMINDER_DAYS business days
    before its last day (once per request, threshold and person: a request registered late gets the nearest
    threshold only), and every day once it is past. Returns how many messages were queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    thresholds = sorted(settings.RECLAMACIONES_INDECOPI_REMINDER_DAYS)
    calendar = business_calendar_get()
    queued = 0
    with transaction.atomic():
        for request in indecopi_open_requests(scope=scope):
            left = business_days_left(today, request.due_on, calendar)
            notice = notice_for(left, thresholds)
            if notice is None:
                continue
            establishments = sorted(request.establishments.all(), key=lambda e: e.name)
            context = {
                "request": request.pk,
                "reference": request.reference,
                "due_on": request.due_on.isoformat(),
                "days_left": left,
                "date": today.isoformat(),
                "establishments": [e.name for e in establishments],
            }
            for email in indecopi_reminder_recipients(establishment_ids={e.pk for e in establishments}):
                key = indecopi_reminder_key(
                    request_id=request.pk,
                    threshold=None if notice.kind == OVERDUE else notice.threshold,
                    today=today,
                    recipient=email,
                )
                if OutboundMessage.objects.filter(idempotency_key=key).exists():
                    continue
                outbox_enqueue(
                    kind=OutboundMessage.Kind.INDECOPI_REMINDER, recipient=email, idempotency_key=key, context=context
                )
                queued += 1
    return queued
