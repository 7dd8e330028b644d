"""E-mail rendering (render only). Services decide when a message is sent and record that it was."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..access import COUNCIL_READERS, staff_roles
from ..book import pdf
from ..book.models import OPEN_STATUSES, Complaint, ComplaintEvent, Kind
from ..council.models import ActionItem, ActionStatus
from ..council.rules import ACTION_ROWS, change_pct, decimal_or_none, snapshot_display, target_rate, verification_window
from ..deadlines.clock import DaysLeft
from ..deadlines.selectors import business_calendar_get
from .models import OutboundMessage


def message_build(message: OutboundMessage) -> EmailMultiAlternatives:
    """The e-mail for an outbox row, attachments included."""
    builders = {
        OutboundMessage.Kind.SHEET_COPY: _sheet_copy,
        OutboundMessage.Kind.REMINDER: _staff_notice,
        OutboundMessage.Kind.OVERDUE: _overdue,
        OutboundMessage.Kind.DAILY_DIGEST: _daily_digest,
        OutboundMessage.Kind.SETTLEMENT_OFFER: _consumer_notice,
        OutboundMessage.Kind.SETTLEMENT_ACCEPTED: _settlement_accepted,
        OutboundMessage.Kind.REMEDY_DONE: _remedy_done,
        OutboundMessage.Kind.RECLASSIFIED: _reclassified,
        OutboundMessage.Kind.EXTENSION_NOTICE: _consumer_notice,
        OutboundMessage.Kind.RESPONSE: _response,
        OutboundMessage.Kind.ACTION_REMINDER: _action_reminder,
        OutboundMessage.Kind.ACTION_VERDICT: _action_verdict,
        OutboundMessage.Kind.COUNCIL_DIGEST: _council_digest,
        OutboundMessage.Kind.COUNCIL_REPORT: _council_report,
        OutboundMessage.Kind.APPROVAL_REQUEST: _approval_request,
        OutboundMessage.Kind.MEETING_AGENDA: _meeting_agenda,
        OutboundMessage.Kind.MEETING_MINUTES: _meeting_minutes,
        OutboundMessage.Kind.DELIVERY_FAILED: _delivery_failed,
        OutboundMessage.Kind.INTEGRITY_ALARM: _integrity_alarm,
        OutboundMessage.Kind.SIREC_REMINDER: _sirec_reminder,
        OutboundMessage.Kind.INDECOPI_REMINDER: _indecopi_reminder,
    }
    return builders[message.kind](message)


def text_render(template: str, context: dict) -> str:
    """A plain-text template (autoescape off) as a plain str. render_to_string marks its output safe, so a
    page that showed the text would print what a consumer or an agent typed as live HTML; `"" + text` is a
    str that templates escape like any other."""
    return "" + render_to_string(template, context)


def _render_trio(name: str, context: dict) -> tuple[str, str, str | None]:
    """Subject, text body and (when the template exists) HTML body of `emails/<name>_*`."""
    base = f"reclamaciones/emails/{name}"
    subject = " ".join(text_render(f"{base}_subject.txt", context).split())
    try:
        html = render_to_string(f"{base}_body.html", context)
    except TemplateDoesNotExist:
        html = None
    return subject, text_render(f"{base}_body.txt", context), html


def _email(message: OutboundMessage, name: str, context: dict) -> EmailMultiAlternatives:
    subject, text, html = _render_trio(name, context)
    email = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[message.recipient]
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def staff_url(complaint: Complaint) -> str:
    return _hoja_url(complaint.pk)


def _staff_notice(message: OutboundMessage) -> EmailMultiAlternatives:
    context = {**message.context, "complaint": message.complaint, "staff_url": staff_url(message.complaint)}
    return _email(message, message.kind, context)


def _overdue(message: OutboundMessage) -> EmailMultiAlternatives:
    """One escalation a day per person, listing every overdue hoja they must know about."""
    days_left = dict(message.context["items"])
    complaints = Complaint.objects.filter(pk__in=days_left).select_related("establishment", "assignee")
    rows = sorted(
        ({"complaint": c, "days_overdue": -days_left[c.pk], "url": staff_url(c)} for c in complaints),
        key=lambda row: (-row["days_overdue"], row["complaint"].pk),
    )
    return _email(message, "overdue", {"rows": rows, "first": rows[0] if rows else None})


def _daily_digest(message: OutboundMessage) -> EmailMultiAlternatives:
    today = date.fromisoformat(message.context["date"])
    calendar = business_calendar_get()
    complaints = list(
        Complaint.objects.filter(pk__in=message.context["complaint_ids"], status__in=OPEN_STATUSES)
        .select_related("establishment")
        .order_by("due_date", "pk")
    )
    days_left = DaysLeft(today=today, calendar=calendar)
    rows = [{"complaint": c, "days_left": days_left(c), "url": staff_url(c)} for c in complaints]
    return _email(message, "daily_digest", {"rows": rows, "today": today})


def _consumer_notice(message: OutboundMessage) -> EmailMultiAlternatives:
    complaint = message.complaint
    context = {**message.context, "complaint": complaint, "tracking_url": pdf.tracking_url(complaint)}
    if message.kind == OutboundMessage.Kind.SETTLEMENT_OFFER:
        context["offer"] = complaint.settlement_offers.get(pk=message.context["offer"])
        context["offer_url"] = settings.PORTAL_BASE_URL + reverse(
            "reclamaciones:settlement", args=[complaint.tracking_token]
        )
    return _email(message, message.kind, context)


def _sheet_copy(message: OutboundMessage) -> EmailMultiAlternatives:
    complaint = message.complaint
    context = {
        "complaint": complaint,
        "tracking_url": pdf.tracking_url(complaint),
        "is_guardian": message.recipient.lower() != complaint.consumer_email.lower(),
    }
    email = _email(message, "sheet_copy", context)
    email.attach(pdf.complaint_sheet_filename(complaint), pdf.complaint_sheet_pdf(complaint), "application/pdf")
    return email


def _response_context(complaint: Complaint, response) -> dict:
    return {
        "complaint": complaint,
        "response": response,
        "answer_text": pdf.printable(response.text),
        "tracking_url": pdf.tracking_url(complaint),
    }


def response_preview(complaint: Complaint, response) -> tuple[str, str]:
    """Subject and text of the answer e-mail as the consumer will read it (plain str: the page escapes it). The
    e-mail also has an HTML part with the same words, in the sheet copy's frame."""
    subject, text, _html = _render_trio("response", _response_context(complaint, response))
    return subject, text


def _response(message: OutboundMessage) -> EmailMultiAlternatives:
    complaint = message.complaint
    email = _email(message, "response", _response_context(complaint, complaint.response))
    email.attach(pdf.complaint_sheet_filename(complaint), pdf.complaint_sheet_pdf(complaint), "application/pdf")
    return email


def _settlement_accepted(message: OutboundMessage) -> EmailMultiAlternatives:
    """The written record of a settlement (art. 6-A.3): what was agreed, that the consumer accepted it and when,
    with the sheet whose section 4 now holds the agreement."""
    from ..handling.settlement import ACCEPTANCE_PHRASE

    complaint = message.complaint
    offer = complaint.settlement_offers.get(pk=message.context["offer"])
    context = {
        "complaint": complaint,
        "offer": offer,
        "offer_text": pdf.printable(offer.text),
        "accepted_at": offer.resolved_at,
        "acceptance_phrase": ACCEPTANCE_PHRASE,
        "tracking_url": pdf.tracking_url(complaint),
    }
    email = _email(message, "settlement_accepted", context)
    email.attach(pdf.complaint_sheet_filename(complaint), pdf.complaint_sheet_pdf(complaint), "application/pdf")
    return email


def _reclassified(message: OutboundMessage) -> EmailMultiAlternatives:
    """To the consumer: their hoja is handled as a reclamo instead of a queja (or the reverse), and why."""
    complaint = message.complaint
    event = complaint.events.get(pk=message.context["event"], type=ComplaintEvent.Type.RECLASSIFIED)
    old = event.data.get("from") or complaint.kind_filed
    context = {
        "complaint": complaint,
        "old_kind": Kind(old).label.lower() if old else "",
        "new_kind": Kind(event.data["to"]).label.lower(),
        "reason": " ".join(pdf.printable(event.data.get("reason", "")).split()),
        "when": event.occurred_at,
        "tracking_url": pdf.tracking_url(complaint),
    }
    return _email(message, "reclassified", context)


def _admin_url(name: str, *args) -> str:
    return settings.PORTAL_BASE_URL + reverse(f"admin:reclamaciones_{name}", args=args)


def _delivery_failed(message: OutboundMessage) -> EmailMultiAlternatives:
    """To supervisors: a message the law requires was given up after its whole retry schedule."""
    failed = OutboundMessage.objects.select_related("complaint__establishment").get(pk=message.context["message"])
    context = {
        "failed": failed,
        "complaint": failed.complaint,
        "staff_url": staff_url(failed.complaint) if failed.complaint_id else None,
        "admin_url": _admin_url("outboundmessage_changelist") + "?status__exact=failed",
        "error": message.context.get("error", failed.last_error),
    }
    return _email(message, "delivery_failed", context)


def _integrity_alarm(message: OutboundMessage) -> EmailMultiAlternatives:
    """To supervisors, daily while it lasts: hojas that fail the integrity verification."""
    from ..book.integrity import PROBLEM_LABELS

    items = [
        {**item, "labels": [PROBLEM_LABELS[p] for p in item["problems"]], "url": _hoja_url(item["id"])}
        for item in message.context["items"]
    ]
    context = {"date": date.fromisoformat(message.context["date"]), "items": items, "total": message.context["total"]}
    return _email(message, "integrity_alarm", context)


def _sirec_reminder(message: OutboundMessage) -> EmailMultiAlternatives:
    """To the compliance role, once a day while it lasts: books with hojas near or past 30 days unreported."""
    context = {
        **message.context,
        "date": date.fromisoformat(message.context["date"]),
        "url": settings.PORTAL_BASE_URL + reverse("compliance:sirec"),
    }
    return _email(message, "sirec_reminder", context)


def _indecopi_reminder(message: OutboundMessage) -> EmailMultiAlternatives:
    """To the compliance role: an INDECOPI request's last day is near, or past while it is still open."""
    context = {
        **message.context,
        "date": date.fromisoformat(message.context["date"]),
        "due_on": date.fromisoformat(message.context["due_on"]),
        "days_overdue": -message.context["days_left"],
        "url": settings.PORTAL_BASE_URL + reverse("compliance:request", args=[message.context["request"]]),
    }
    return _email(message, "indecopi_reminder", context)


def _hoja_url(pk: int | None) -> str | None:
    return settings.PORTAL_BASE_URL + reverse("staff:detail", args=[pk]) if pk else None


def _reads_council(user) -> bool:
    return bool(user.is_active and (user.is_superuser or staff_roles(user) & COUNCIL_READERS))


def _changes_actions_in_admin(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm("reclamaciones.change_actionitem"))


def _council_links(action: ActionItem | None = None, *, reader=None) -> dict:
    """The council's pages an e-mail links to. With `reader` (the person it goes to) only those they can open:
    a link that answers 403 is worse than none (the list and the dashboard for the council's readers, the
    action's admin page for those who may change actions there). None: the council itself (the digest)."""
    reads = reader is None or _reads_council(reader)
    links = {
        "dashboard_url": settings.PORTAL_BASE_URL + reverse("council:dashboard") if reads else None,
        "actions_url": settings.PORTAL_BASE_URL + reverse("council:actions") if reads else None,
    }
    if action is not None:
        links["admin_url"] = None
        if reader is None or _changes_actions_in_admin(reader):
            try:
                links["admin_url"] = _admin_url("actionitem_change", action.pk)
            except NoReverseMatch:  # the model is not registered in this admin site
                links["admin_url"] = None
    return links


def _council_member(email: str):
    """The active council member an e-mail goes to (None if no one has that address any more)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("pk").first()


def _action_get(pk: int) -> ActionItem:
    return ActionItem.objects.select_related("owner", "establishment").prefetch_related("causes").get(pk=pk)


def _action_reminder(message: OutboundMessage) -> EmailMultiAlternatives:
    """To the owner of a pending action: 7 and 1 days before its due date, then once when it has passed."""
    action = _action_get(message.context["action"])
    today = date.fromisoformat(message.context["date"])
    days_left = (action.due_date - today).days
    context = {
        "action": action,
        "causes": list(action.causes.all()),
        "owner_name": action.owner.first_name or action.owner.get_full_name() or action.owner.get_username(),
        "days_left": days_left,
        "days_overdue": -days_left,
        "reminder_days": sorted(set(settings.COUNCIL_ACTION_REMINDER_DAYS), reverse=True),
        "target_rate": (
            None if action.baseline_rate is None else target_rate(action.baseline_rate, action.target_reduction_pct)
        ),
        **_council_links(action, reader=action.owner),
    }
    return _email(message, "action_reminder", context)


def _action_verdict(message: OutboundMessage) -> EmailMultiAlternatives:
    """To the owner and the council once the figures decided: the figures recorded by the verification."""
    action = _action_get(message.context["action"])
    figures = message.context
    baseline = decimal_or_none(figures.get("baseline_rate", action.baseline_rate))
    measured = decimal_or_none(figures.get("measured_rate", action.measured_rate))
    if "window" in figures:
        start, end = (date.fromisoformat(day) for day in figures["window"])
    else:
        window = verification_window(action.implemented_on, action.verification_weeks)
        start, end = window.start, window.end
    is_owner = figures.get("is_owner", message.recipient.lower() == action.owner.email.lower())
    context = {
        "action": action,
        "causes": list(action.causes.all()),
        "effective": action.status == ActionStatus.EFFECTIVE,
        "is_owner": is_owner,
        "owner_name": action.owner.get_full_name() or action.owner.get_username(),
        "greeting_name": action.owner.first_name or action.owner.get_full_name() or action.owner.get_username(),
        "baseline_rate": baseline,
        "target_rate": (
            decimal_or_none(figures["target_rate"])
            if "target_rate" in figures
            else target_rate(baseline, action.target_reduction_pct)
        ),
        "measured_rate": measured,
        "measured_count": figures.get("measured_count"),
        "unclassified": figures.get("unclassified", 0),
        "change_pct": change_pct(baseline, measured),
        "window_start": start,
        "window_end": end,
        **_council_links(action, reader=action.owner if is_owner else _council_member(message.recipient)),
    }
    return _email(message, "action_verdict", context)


def _council_digest(message: OutboundMessage) -> EmailMultiAlternatives:
    """The Monday digest, rendered from the snapshot the council's selector took when it was queued."""
    since = date.fromisoformat(message.context["since"])
    until = date.fromisoformat(message.context["date"])
    as_of = date.fromisoformat(message.context["as_of"])
    snapshot = snapshot_display(message.context["snapshot"])
    context = {
        "since": since,
        "until": until,
        "as_of": as_of,
        "total": snapshot["total"],
        "unclassified": snapshot["unclassified"],
        "top_causes": snapshot["top_causes"],
        "top": snapshot["top_causes"][0] if snapshot["top_causes"] else None,
        "new_flags": snapshot["new_flags"],
        "old_flags": snapshot["ongoing_flags"],
        **{key: snapshot[key] for key in ACTION_ROWS},
        "survey": snapshot["survey"],
        "performance": snapshot["performance"],
        "flag_factor": settings.COUNCIL_FLAG_FACTOR,
        "flag_min_count": settings.COUNCIL_FLAG_MIN_COUNT,
        **_council_links(),
    }
    return _email(message, "council_digest", context)


def _council_report(message: OutboundMessage) -> EmailMultiAlternatives:
    """The monthly management report: the report taken when it was queued, as a PDF and an XLSX attached."""
    from ..council import report as management

    data = message.context["report"]
    shown = management.report_display(data)
    context = {
        "report": shown,
        "total": shown["total"],
        "report_url": settings.PORTAL_BASE_URL + reverse("council:report"),
        **_council_links(),
    }
    email = _email(message, "council_report", context)
    start, end = shown["start"], shown["end"]
    email.attach(management.report_filename(start, end, "pdf"), management.report_pdf(data), "application/pdf")
    email.attach(
        management.report_filename(start, end, "xlsx"),
        management.report_xlsx(data),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return email


def _remedy_done(message: OutboundMessage) -> EmailMultiAlternatives:
    """To the consumer: what was done to carry out the answer or the accepted settlement, when, and its evidence
    reference (handling.followup; one message per record, a correction is told anew), with the sheet whose
    section 4 now records it."""
    from ..handling.followup_models import RemedyRecord

    complaint = message.complaint
    record = RemedyRecord.objects.get(pk=message.context["record"], complaint=complaint)
    context = {
        "complaint": complaint,
        "record": record,
        "settled": complaint.settlement_offers.filter(status="accepted").exists(),
        "tracking_url": pdf.tracking_url(complaint) + "#cumplimiento",
    }
    email = _email(message, "remedy_done", context)
    email.attach(pdf.complaint_sheet_filename(complaint), pdf.complaint_sheet_pdf(complaint), "application/pdf")
    return email


def _meeting_context(message: OutboundMessage):
    from ..council.models import CouncilMeeting

    meeting = CouncilMeeting.objects.select_related("establishment", "closed_by").get(pk=message.context["meeting"])
    person = _council_member(message.recipient)
    attendance = meeting.attendance or {}
    attendees = list(meeting.attendees.order_by("first_name", "last_name", "username"))
    return meeting, {
        "meeting": meeting,
        "greeting_name": (person.first_name or person.get_full_name()) if person else "",
        "agenda": snapshot_display(meeting.agenda),
        "attendees": attendees,
        "present": [p for p in attendees if attendance.get(str(p.pk)) is True],
        "absent": [p for p in attendees if attendance.get(str(p.pk)) is False],
        "place_is_link": meeting.place.lower().startswith(("https://", "http://")),
        "meeting_url": settings.PORTAL_BASE_URL + reverse("council:meeting", args=[meeting.pk]),
    }


def _meeting_agenda(message: OutboundMessage) -> EmailMultiAlternatives:
    """To each attendee (council.meetings): the meeting's time and place, the standing item's open actions and
    the agenda as PDF, as regenerated that morning."""
    from ..council import pdf as council_pdf

    meeting, context = _meeting_context(message)
    email = _email(message, "meeting_agenda", context)
    email.attach(
        council_pdf.meeting_pdf_filename(meeting, "agenda"), council_pdf.meeting_agenda_pdf(meeting), "application/pdf"
    )
    return email


def _meeting_minutes(message: OutboundMessage) -> EmailMultiAlternatives:
    """To each attendee once the minutes are closed: who attended, the decisions and the minutes as PDF."""
    from ..council import pdf as council_pdf

    meeting, context = _meeting_context(message)
    context["decisions"] = list(meeting.decisions.select_related("owner").order_by("pk"))
    email = _email(message, "meeting_minutes", context)
    email.attach(
        council_pdf.meeting_pdf_filename(meeting, "acta"), council_pdf.meeting_minutes_pdf(meeting), "application/pdf"
    )
    return email


def _approval_request(message: OutboundMessage) -> EmailMultiAlternatives:
    """To each supervisor of the establishment (handling.approvals): an agent's offer or reclassification waits
    for their decision; the hoja's legal deadline keeps running meanwhile."""
    from ..handling.approval_models import ApprovalRequest

    request = ApprovalRequest.objects.select_related("complaint__establishment", "requested_by").get(
        pk=message.context["request"]
    )
    complaint = request.complaint
    new_kind = request.proposal.get("kind") if request.kind == ApprovalRequest.Kind.RECLASSIFY else ""
    context = {
        "request": request,
        "complaint": complaint,
        "requested_by": request.requested_by.get_full_name() or request.requested_by.get_username(),
        "text": pdf.printable(request.proposal.get("text", "")).strip() if not new_kind else "",
        "reason": " ".join(pdf.printable(request.proposal.get("reason", "")).split()),
        "old_kind": complaint.get_kind_display().lower() if complaint.kind else "sin clasificar",
        "new_kind": Kind(new_kind).label.lower() if new_kind in Kind.values else "",
        "days_left": DaysLeft(today=timezone.localdate(), calendar=business_calendar_get())(complaint),
        "staff_url": staff_url(complaint) + "#aprobaciones",
        "pending": request.status == ApprovalRequest.Status.PENDING,
    }
    return _email(message, "approval_request", context)
