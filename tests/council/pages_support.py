"""Helpers of the council page tests: hojas filed in the period, answers, surveys, actions, page sections."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.utils import timezone

from reclamaciones.book.models import Complaint, Status
from reclamaciones.council.models import ActionItem
from reclamaciones.handling.models import Response, SurveyAnswer

LIMA = ZoneInfo("America/Lima")
FILED = datetime(2026, 10, 5, 10, 0, tzinfo=LIMA)
PERIOD = {"desde": "2026-10-01", "hasta": "2026-10-31"}


def _file(file_complaint, cause=None, **overrides) -> Complaint:
    complaint = file_complaint(**{"filed_at": FILED, **overrides})
    if cause is not None:
        Complaint.objects.filter(pk=complaint.pk).update(cause=cause)  # staff-side field
    return complaint


def _answer(complaint: Complaint, when: datetime, by: User) -> None:
    Response.objects.create(
        complaint=complaint, text="Respuesta.", channel="email", communicated_at=when, responded_by=by
    )
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.ANSWERED)


def _survey(complaint: Complaint, *, csat: int, nps: int, solved: bool, when: datetime = FILED) -> None:
    SurveyAnswer.objects.create(complaint=complaint, csat=csat, nps=nps, solved=solved, answered_at=when)


def _section(html: str, title_id: str) -> str:
    """The text of the <section> labelled by `title_id`, tags stripped and whitespace collapsed."""
    start = html.index(f'id="{title_id}"')
    chunk = html[start : html.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", chunk).split())


def _chart_data(html: str) -> dict:
    match = re.search(r'<script id="council-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the chart data is passed with json_script"
    return json.loads(match.group(1))


def _action(title: str, owner: User, *causes, **fields) -> ActionItem:
    action = ActionItem.objects.create(title=title, owner=owner, **{"due_date": timezone.localdate(), **fields})
    action.causes.set(causes)
    return action
