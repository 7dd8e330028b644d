"""Helpers of the back office tests: logging in, the queue's hojas by days left, the exports' rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from reclamaciones.book.models import Complaint
from reclamaciones.deadlines.rules import business_days_left
from reclamaciones.deadlines.selectors import business_calendar_get

LIMA = ZoneInfo("America/Lima")
PASSWORD = "clave-de-prueba-2026"
STALE_WARNING = "El seguimiento de plazos no se ejecuta"


# Fixtures ------------------------------------------------------------------------------------------------------


def _login(client, user) -> None:
    if user is not None:
        client.force_login(user)


ANSWER = {"text": "Le devolvemos el importe.", "channel": "email"}


def _body(response) -> bytes:
    """The whole body of a response, streamed or not (a stream is read once: kept on the response)."""
    if not response.streaming:
        return response.content
    if not hasattr(response, "_test_body"):
        response._test_body = b"".join(response.streaming_content)  # the test client closes it at the end
    return response._test_body


def _csv_rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _xlsx_rows(response) -> list[tuple]:
    from openpyxl import load_workbook

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(_body(response)))
    return list(workbook.active.iter_rows(values_only=True))


def _filed_with_days_left(file_complaint, wanted: int, **overrides) -> Complaint:
    """A hoja whose business days left today are `wanted` (negative: overdue)."""
    today = timezone.localdate()
    calendar = business_calendar_get()
    for back in range(0, 80):
        filed_on = today - timedelta(days=back)
        due = calendar.add_business_days(filed_on, 15)
        if business_days_left(today, due, calendar) == wanted:
            filed_at = datetime.combine(filed_on, time(10, 0), tzinfo=LIMA)
            return file_complaint(filed_at=min(filed_at, timezone.now()), **overrides)
    raise AssertionError(f"no filing date gives {wanted} business days left")


def _file_many(file_complaint, n: int) -> list[Complaint]:
    return [file_complaint(consumer_name=f"Cliente {i:02d}", doc_number=f"4{i:07d}") for i in range(n)]


# Session, user; roles (mixin); calendar; roles + profile + establishment ids for the filter's establishments and
# again for complaint_list_for (the selectors do not memoise); establishments; page count; page rows; counters;
# tracker heartbeat (the view, and the `portal` context processor for is_staff users). Never per row.
