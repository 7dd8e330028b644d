"""E-mail rendering (render only). Services decide when a message is sent and record that it was."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from . import pdf
from .models import OutboundMessage


def message_build(message: OutboundMessage) -> EmailMultiAlternatives:
    """The e-mail for an outbox row, attachments included."""
    builders = {OutboundMessage.Kind.SHEET_COPY: _sheet_copy}
    return builders[message.kind](message)


def _render_trio(name: str, context: dict) -> tuple[str, str, str]:
    base = f"reclamaciones/emails/{name}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    return subject, render_to_string(f"{base}_body.txt", context), render_to_string(f"{base}_body.html", context)


def _sheet_copy(message: OutboundMessage) -> EmailMultiAlternatives:
    complaint = message.complaint
    context = {
        "complaint": complaint,
        "tracking_url": pdf.tracking_url(complaint),
        "is_guardian": message.recipient.lower() != complaint.consumer_email.lower(),
    }
    subject, text, html = _render_trio("sheet_copy", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
    )
    email.attach_alternative(html, "text/html")
    email.attach(pdf.complaint_sheet_filename(complaint), pdf.complaint_sheet_pdf(complaint), "application/pdf")
    return email
