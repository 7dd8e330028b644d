"""E-mail rendering (render only). Services decide when a message is sent and record that it was."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse

from . import pdf
from .deadlines import business_days_left
from .models import OPEN_STATUSES, Complaint, OutboundMessage
from .selectors import business_calendar_get


def message_build(message: OutboundMessage) -> EmailMultiAlternatives:
    """The e-mail for an outbox row, attachments included."""
    builders = {
        OutboundMessage.Kind.SHEET_COPY: _sheet_copy,
        OutboundMessage.Kind.REMINDER: _staff_notice,
        OutboundMessage.Kind.OVERDUE: _overdue,
        OutboundMessage.Kind.DAILY_DIGEST: _daily_digest,
        OutboundMessage.Kind.SETTLEMENT_OFFER: _consumer_notice,
        OutboundMessage.Kind.EXTENSION_NOTICE: _consumer_notice,
        OutboundMessage.Kind.RESPONSE: _response,
    }
    return builders[message.kind](message)


def _render_trio(name: str, context: dict) -> tuple[str, str, str | None]:
    """Subject, text body and (when the template exists) HTML body of `emails/<name>_*`."""
    base = f"reclamaciones/emails/{name}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    try:
        html = render_to_string(f"{base}_body.html", context)
    except TemplateDoesNotExist:
        html = None
    return subject, render_to_string(f"{base}_body.txt", context), html


def _email(message: OutboundMessage, name: str, context: dict) -> EmailMultiAlternatives:
    subject, text, html = _render_trio(name, context)
    email = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[message.recipient]
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def staff_url(complaint: Complaint) -> str:
    return settings.PORTAL_BASE_URL + reverse("staff:detail", args=[complaint.pk])


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
    rows = [
        {"complaint": c, "days_left": business_days_left(today, c.due_date, calendar), "url": staff_url(c)}
        for c in complaints
    ]
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


def _response(message: OutboundMessage) -> EmailMultiAlternatives:
    complaint = message.complaint
    context = {"complaint": complaint, "response": complaint.response, "tracking_url": pdf.tracking_url(complaint)}
    email = _email(message, "response", context)
    email.attach(pdf.complaint_sheet_filename(complaint), pdf.complaint_sheet_pdf(complaint), "application/pdf")
    return email
