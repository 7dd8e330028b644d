"""PDF rendering (render only: no database writes). WeasyPrint is imported lazily: it loads Pango."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..handling.followup_models import RemedyRecord
from ..handling.models import Response, SettlementOffer
from .models import Complaint, ComplaintEvent, Kind

RECIPIENT_LABELS = {"consumidor": "Consumidor", "proveedor": "Proveedor", "indecopi": "INDECOPI"}


# C0 controls but tab and line feed, DEL and the Unicode line/paragraph separators: what a staff member pasted
# from elsewhere and a PDF or an e-mail client would print as garbage or act on (an ANSI escape in a terminal).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def printable(text: str) -> str:
    """Text typed by staff, as printed on the sheet and in the consumer's e-mails: control characters become
    spaces (the text is escaped by the templates as usual; this only removes what no reader should get)."""
    return _CONTROL.sub(" ", (text or "").replace("\r\n", "\n"))


@dataclass(frozen=True)
class SheetRecord:
    """What the provider's part of the sheet shows, derived from the hoja's records (render only)."""

    kind: str  # the box marked in section 3: the current classification
    kind_note: str  # how that relates to the consumer's own mark, "" when it is the consumer's mark
    response: Response | None
    settlement: SettlementOffer | None  # the accepted offer of a hoja closed by agreement (art. 6-A.3)
    answer_text: str  # section 4
    communicated_at: datetime | None  # FECHA DE COMUNICACIÓN DE LA RESPUESTA
    remedy: RemedyRecord | None = None  # the current follow-through record, when it says the remedy was carried out


def _kind_label(kind: str) -> str:
    return Kind(kind).label.upper()


def _kind_note(complaint: Complaint) -> str:
    """The filed mark (kind_filed) stays part of the record: when the provider classified the hoja otherwise,
    or classified a hoja the consumer left unmarked, the sheet says so, when and why."""
    if not complaint.kind or complaint.kind == complaint.kind_filed:
        return ""
    event = (
        complaint.events.filter(type=ComplaintEvent.Type.RECLASSIFIED, data__to=complaint.kind)
        .order_by("-occurred_at", "-pk")
        .first()
    )
    verb = "Reclasificada" if complaint.kind_filed else "Clasificada"
    how = f"{verb} por el proveedor como {_kind_label(complaint.kind)}"
    if event is not None:
        reason = " ".join(printable(event.data.get("reason", "")).split()).rstrip(".")
        how += f" el {timezone.localtime(event.occurred_at):%d/%m/%Y}" + (f": {reason}" if reason else "")
    mark = (
        f"Marcado por el consumidor: {_kind_label(complaint.kind_filed)}."
        if complaint.kind_filed
        else "El consumidor no marcó reclamo ni queja."
    )
    return f"{mark} {how}."


def sheet_record(complaint: Complaint) -> SheetRecord:
    """Section 3's mark and section 4 of the sheet: the written answer, or the settlement the consumer accepted
    (art. 6-A.3: the express acceptance is the communication that ends the hoja, and its date is the one the
    sheet records as the communication of the answer)."""
    response = Response.objects.filter(complaint=complaint).first()
    settlement = None
    if response is None:
        settlement = (
            complaint.settlement_offers.filter(status=SettlementOffer.Status.ACCEPTED).order_by("-resolved_at").first()
        )
    if response is not None:
        answer_text, communicated_at = printable(response.text), response.communicated_at
    elif settlement is not None:
        answer_text, communicated_at = printable(settlement.text), settlement.resolved_at
    else:
        answer_text, communicated_at = "", None
    from ..handling.followup import follow_through_get

    follow = follow_through_get(complaint=complaint)
    return SheetRecord(
        kind=complaint.kind or complaint.kind_filed,
        kind_note=_kind_note(complaint),
        response=response,
        settlement=settlement,
        answer_text=answer_text,
        communicated_at=communicated_at,
        remedy=follow.done if follow is not None else None,
    )


def complaint_sheet_filename(complaint: Complaint) -> str:
    return f"hoja-de-reclamacion-{complaint.display_number}.pdf"


def complaint_sheet_pdf(complaint: Complaint, *, recipient: str = "consumidor", documents: list | None = None) -> bytes:
    """The hoja in the Anexo I layout (DS 101-2022-PCM), for the given destinatario. `documents`: the hoja's
    documents when the caller already loaded them (the evidence bundle), else read here."""
    from weasyprint import HTML

    from ..handling.settlement import ACCEPTANCE_PHRASE
    from .attachments import attachments_for_consumer

    font_config, stylesheet = _sheet_style()
    record = sheet_record(complaint)
    html = render_to_string(
        "reclamaciones/pdf/hoja.html",
        {
            "complaint": complaint,
            "recipient_label": RECIPIENT_LABELS[recipient],
            "record": record,
            "acceptance_phrase": ACCEPTANCE_PHRASE,
            "tracking_url": tracking_url(complaint),
            # Issue 14 §1: the documents, listed with their SHA-256 (the provider's once the answer is sent).
            "attachments": attachments_for_consumer(
                complaint, answered=record.response is not None, documents=documents
            ),
        },
    )
    document = HTML(string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=_no_fetcher())
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)


_local = threading.local()


def _sheet_style():
    """(font configuration, parsed stylesheet) of the sheet, built once per thread: setting up the fonts and
    parsing the CSS took a sixth of every render. Per thread because WeasyPrint's objects are not meant to be
    shared between threads (the web process renders downloads in several)."""
    if not hasattr(_local, "sheet_style"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        css = CSS(string=render_to_string("reclamaciones/pdf/hoja.css"), font_config=font_config)
        _local.sheet_style = (font_config, css)
    return _local.sheet_style


def _no_fetcher():
    """The sheet is self-contained (inline CSS, system fonts): a template must never make the worker fetch."""
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):  # inline content (the provider's logo): decoded, nothing is fetched
                return super().fetch(url, headers)
            raise ValueError(f"PDF rendering does not fetch resources ({url})")

    return NoFetch()


def tracking_url(complaint: Complaint) -> str:
    return settings.PORTAL_BASE_URL + reverse("reclamaciones:track", args=[complaint.tracking_token])


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=_no_fetcher()).write_pdf()
