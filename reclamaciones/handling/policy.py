"""Which actions a hoja allows, decided in one place.

`allowed_actions(complaint, scope=..., today=...)` is what the staff detail page renders its buttons from, and
`refusal(...)` is what every service checks under the row lock before it writes: a button that is shown is a
move the service accepts, and a move the service refuses is never offered. The consumer's own actions (the
survey, answering a settlement offer) are decided here too. Checks that depend on what the user typed (the
assignee, the new kind, the cause, the channel of the answer) stay in the services.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

from ..access import Scope
from ..book.models import OPEN_STATUSES, TRACKED_STATUSES, Kind, Status
from ..deadlines.rules import Regime

if TYPE_CHECKING:
    from ..book.models import Complaint
    from .models import SettlementOffer

# The one place legal status moves are defined (Oscar-style pipeline).
TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.IN_PROGRESS, Status.SETTLEMENT_OFFERED, Status.ANSWERED},
    Status.IN_PROGRESS: {Status.SETTLEMENT_OFFERED, Status.ANSWERED},
    Status.SETTLEMENT_OFFERED: {Status.IN_PROGRESS, Status.SETTLED},
    Status.ANSWERED: {Status.CLOSED},
    Status.SETTLED: {Status.CLOSED},
    Status.CLOSED: set(),
}

MSG_OUT_OF_SCOPE = "No tienes permiso para actuar sobre hojas de este establecimiento."
MSG_NOT_OPEN = "La hoja ya no está en trámite."
MSG_OFFER_PENDING = "Hay una propuesta de solución pendiente: espera la respuesta del consumidor."
MSG_CAUSE_REQUIRED = "Clasifica la causa de la hoja antes de cerrarla (la usa el consejo de mejora)."
MSG_ONLY_RECLAMOS = "El ofrecimiento de solución (art. 6-A) solo procede para reclamos."
MSG_CAUSE_BEFORE_OFFER = (
    "Clasifica la causa de la hoja antes de ofrecer una solución: si el consumidor la acepta, la hoja queda "
    "cerrada por acuerdo (la causa la usa el consejo de mejora)."
)
MSG_OFFER_ALREADY_SENT = "Ya hay una propuesta esperando la respuesta del consumidor."
MSG_OFFER_NO_EMAIL = "El consumidor no dio un correo electrónico: la propuesta debe dejar constancia documental."
MSG_DEADLINE_PASSED = (
    "El plazo de respuesta ya venció: no hay cómputo que suspender (art. 6-A). Responde formalmente al reclamo."
)
MSG_IMPRORROGABLE = "Desde la Ley 31435 el plazo de 15 días hábiles es improrrogable: no se puede ampliar."
MSG_ALREADY_EXTENDED = "El plazo de esta hoja ya fue ampliado una vez."
MSG_OFFER_WAITING = "Hay una propuesta de solución esperando la respuesta del consumidor."
MSG_TOO_LATE_TO_EXTEND = "La ampliación debe comunicarse antes de que venza el plazo inicial."
MSG_EXTEND_SUPERVISORS = "Solo supervisión puede ampliar el plazo de una hoja: pídeselo a tu supervisor o supervisora."
MSG_SURVEY_DONE = "Ya respondiste la encuesta. ¡Gracias!"
MSG_SURVEY_NOT_YET = "La encuesta se abre cuando recibas nuestra respuesta."
MSG_OFFER_CLOSED = "Esta propuesta ya no está vigente."


class Action(enum.StrEnum):
    """What staff can do to a hoja (the detail page's panels)."""

    ASSIGN = "assign"
    NOTE = "note"
    RECLASSIFY = "reclassify"
    CLASSIFY = "classify"
    OFFER = "offer"
    EXTEND = "extend"
    ANSWER = "answer"
    CLOSE = "close"


def transition_refusal(complaint: Complaint, to: str) -> str | None:
    """Why the hoja cannot move to status `to` (None: TRANSITIONS allows it)."""
    if to in TRANSITIONS[complaint.status]:
        return None
    return f"No se puede pasar de «{complaint.get_status_display()}» a «{Status(to).label}»."


def _offer_refusal(complaint: Complaint, today: date) -> str | None:
    if complaint.kind != Kind.RECLAMO:
        return MSG_ONLY_RECLAMOS
    if complaint.status == Status.SETTLEMENT_OFFERED:
        return MSG_OFFER_ALREADY_SENT
    if complaint.status not in TRACKED_STATUSES:
        return MSG_NOT_OPEN
    if not complaint.contact_email:
        return MSG_OFFER_NO_EMAIL
    if today > complaint.due_date:
        return MSG_DEADLINE_PASSED
    # The consumer's acceptance closes the hoja (art. 6-A.3) and cannot be refused for a staff-side gap, so
    # the cause a close demands is asked for here, before the offer goes out.
    if complaint.cause_id is None:
        return MSG_CAUSE_BEFORE_OFFER
    return None


def _reclassify_refusal(complaint: Complaint) -> str | None:
    """Changing reclamo <-> queja steers how the hoja is handled, so only while it is open; a hoja nobody has
    classified yet (no mark by the consumer, none by staff) can be classified at any time: SIREC and the
    council count every hoja as one or the other."""
    if complaint.status in OPEN_STATUSES or not complaint.kind:
        return None
    return MSG_NOT_OPEN


def _extend_refusal(complaint: Complaint, today: date) -> str | None:
    """DS 006-2014-PCM art. 6, for hojas filed before Ley 31435 only."""
    if complaint.regime == Regime.LEY_31435:
        return MSG_IMPRORROGABLE
    if complaint.extension_days:
        return MSG_ALREADY_EXTENDED
    if complaint.status == Status.SETTLEMENT_OFFERED:
        return MSG_OFFER_WAITING
    if complaint.status not in TRACKED_STATUSES:
        return MSG_NOT_OPEN
    if today > complaint.due_date:
        return MSG_TOO_LATE_TO_EXTEND
    return None


def _answer_refusal(complaint: Complaint) -> str | None:
    if complaint.status == Status.SETTLEMENT_OFFERED:
        return MSG_OFFER_PENDING
    return transition_refusal(complaint, Status.ANSWERED)


def _close_refusal(complaint: Complaint) -> str | None:
    refused = transition_refusal(complaint, Status.CLOSED)
    if refused is None and complaint.cause_id is None:
        return MSG_CAUSE_REQUIRED
    return refused


def refusal(complaint: Complaint, action: Action, *, scope: Scope, today: date) -> str | None:
    """Why `scope` may not take `action` on `complaint` today, in Spanish; None when it may."""
    if not scope.acts_on(complaint.establishment_id):
        return MSG_OUT_OF_SCOPE
    if action is Action.ASSIGN:
        return None if complaint.status in OPEN_STATUSES else MSG_NOT_OPEN
    if action is Action.RECLASSIFY:
        return _reclassify_refusal(complaint)
    if action in (Action.NOTE, Action.CLASSIFY):
        return None
    if action is Action.OFFER:
        return _offer_refusal(complaint, today)
    if action is Action.EXTEND:
        # What the hoja allows first, then who decides: the detail page tells an agent that a hoja which can be
        # extended needs a supervisor, and says nothing of a hoja that cannot.
        return _extend_refusal(complaint, today) or (None if scope.supervises else MSG_EXTEND_SUPERVISORS)
    if action is Action.ANSWER:
        return _answer_refusal(complaint)
    return _close_refusal(complaint)


def allowed_actions(complaint: Complaint, *, scope: Scope, today: date) -> frozenset[Action]:
    """Every action `refusal` accepts: what the staff detail page offers."""
    return frozenset(action for action in Action if refusal(complaint, action, scope=scope, today=today) is None)


def survey_refusal(*, answered: bool, surveyed: bool) -> str | None:
    """The consumer's one-time survey opens once the answer was communicated or a settlement accepted."""
    if not answered:
        return MSG_SURVEY_NOT_YET
    if surveyed:
        return MSG_SURVEY_DONE
    return None


def offer_answer_refusal(offer: SettlementOffer, *, today: date) -> str | None:
    """The consumer may accept or reject an offer while it is pending and within its 5 business days."""
    if offer.status != offer.Status.PENDING or today > offer.respond_by:
        return MSG_OFFER_CLOSED
    return None


MSG_NEEDS_APPROVAL = "En este establecimiento, supervisión aprueba antes {what}: envíala para su aprobación."


def needs_approval(complaint: Complaint, action: Action, *, scope: Scope) -> bool:
    """An agent's settlement offer, or change of a hoja's kind, waits for a supervisor where the establishment
    asks for it (Establishment.offers_need_approval / reclassifications_need_approval). A supervisor's own
    skips the step; a first classification of a hoja nobody marked is not a change and never waits."""
    if scope.supervises:
        return False
    establishment = complaint.establishment
    if action is Action.OFFER:
        return establishment.offers_need_approval
    if action is Action.RECLASSIFY:
        return establishment.reclassifications_need_approval and bool(complaint.kind or complaint.kind_filed)
    return False
