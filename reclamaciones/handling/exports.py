"""CSV and XLSX rendering of the staff queue (render only: the view chooses and scopes the rows)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from ..book.models import Complaint

HEADERS = [
    "Número",
    "Establecimiento",
    "Código del libro",
    "Tipo",
    "Consumidor",
    "Tipo de documento",
    "Número de documento",
    "Presentada (hora de Lima)",
    "Fecha límite",
    "Días hábiles restantes",
    "Responsable",
    "Estado",
    "Canal",
]

# Cells a spreadsheet would run as a formula (CSV/formula injection): consumers type these fields.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Control characters XML 1.0 (so XLSX) cannot hold: one in any filed field made the whole export fail.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ExportRow:
    complaint: Complaint
    days_left: int | None  # None once the legal clock no longer runs (answered, closed)


def _safe(value: str) -> str:
    """Text as an export cell: control characters become spaces (the hoja itself stays as filed) and a
    leading formula character is neutralised."""
    value = _CONTROL.sub(" ", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _values(row: ExportRow) -> list:
    """One row, typed: dates and numbers stay dates and numbers (XLSX); text is neutralised."""
    c = row.complaint
    return [
        c.display_number,
        _safe(c.establishment.name),
        _safe(c.establishment_code),
        c.get_kind_display() if c.kind else "Sin clasificar",
        _safe(c.consumer_name),
        c.get_doc_type_display(),
        _safe(c.doc_number),
        timezone.localtime(c.filed_at).replace(tzinfo=None, microsecond=0),
        c.due_date,
        row.days_left,
        _safe(_person(c.assignee)),
        c.get_status_display(),
        c.get_channel_display(),
    ]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def queue_csv(rows: Iterable[ExportRow]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([_text(v) for v in _values(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def queue_xlsx(rows: Iterable[ExportRow], *, title: str = "Hojas de reclamación") -> bytes:
    """One sheet, bold frozen header, real date cells, sensible column widths."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    widths = [16, 28, 14, 14, 32, 20, 18, 20, 14, 14, 24, 24, 22]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in _values(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
