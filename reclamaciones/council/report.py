"""The council's management report (issue 13, capability 8): a period's KPIs, causes, satisfaction and action
items, per establishment and in total, as a PDF and an XLSX; on demand at /consejo/informe/ and e-mailed to the
council on the 1st of each month for the month before.

Every figure comes from the council's selectors, the same the dashboard reads for the same period (answers
judged by the one rule, deadlines.rules.answered_on_time through selectors.answer_timeliness), so the report
and the screen never disagree. The report is a plain JSON document (`management_report`): the monthly e-mail
takes it once, when it is queued, and its attachments only render it, like the weekly digest's snapshot.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..access import Scope
from ..handling.exports import _safe
from ..handling.selectors import establishment_list
from ..outbox.keys import council_report_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from .models import ACTION_PENDING_STATUSES, ActionItem, ActionStatus
from .rollup import rollup_refresh
from .rules import round_or_none
from .selectors import (
    action_item_list,
    action_items_verified_between,
    answer_performance,
    cause_pareto,
    council_recipients,
    establishment_counts,
    survey_by_cause,
)

TOP_CAUSES = 10  # the Pareto of the whole scope
TOP_CAUSES_EACH = 5  # per establishment

MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


# -- periods --------------------------------------------------------------------------------------------------


def month_period(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month."""
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def previous_month(today: date) -> tuple[date, date]:
    """The whole month before `today`'s: what the report sent on the 1st covers."""
    last = today.replace(day=1) - timedelta(days=1)
    return month_period(last.year, last.month)


def month_label(start: date) -> str:
    """ "noviembre de 2026"."""
    return f"{MONTHS[start.month - 1]} de {start.year}"


def period_label(start: date, end: date) -> str:
    """A whole month by its name, any other period by its dates."""
    if start.day == 1 and (start, end) == month_period(start.year, start.month):
        return month_label(start)
    return f"del {start:%d/%m/%Y} al {end:%d/%m/%Y}"


def report_filename(start: date, end: date, extension: str) -> str:
    """informe-consejo-2026-11.pdf for a month, informe-consejo-2026-11-01-a-2026-11-15.xlsx otherwise."""
    if start.day == 1 and (start, end) == month_period(start.year, start.month):
        stem = f"{start:%Y-%m}"
    else:
        stem = f"{start.isoformat()}-a-{end.isoformat()}"
    return f"informe-consejo-{stem}.{extension}"


# -- the figures ----------------------------------------------------------------------------------------------


def _figures(*, scope: Scope, start: date, end: date, today: date, establishment_id: int | None) -> dict:
    """One column of the report: the dashboard's KPIs for the period in `scope` (one establishment or all)."""
    performance = answer_performance(scope=scope, start=start, end=end, today=today, establishment_id=establishment_id)
    kinds = establishment_counts(scope=scope, start=start, end=end, establishment_id=establishment_id)
    survey = survey_by_cause(scope=scope, start=start, end=end, establishment_id=establishment_id)["overall"]
    pareto = cause_pareto(
        scope=scope,
        start=start,
        end=end,
        establishment_id=establishment_id,
        limit=TOP_CAUSES_EACH if establishment_id else TOP_CAUSES,
    )
    actions = list(action_item_list(scope=scope, establishment_id=establishment_id))
    verdicts = list(action_items_verified_between(start=start, end=end, scope=scope, establishment_id=establishment_id))
    return {
        "filed": performance["total"],
        "reclamos": sum(row["reclamos"] for row in kinds),
        "quejas": sum(row["quejas"] for row in kinds),
        "answered": performance["answered"],
        "on_time": performance["on_time"],
        "late": performance["late"],
        "on_time_rate": round_or_none(performance["on_time_rate"], 1),
        "median_business_days": performance["median_business_days"],
        "unanswered_overdue": performance["unanswered_overdue"],
        "overdue_now": performance["overdue_now"],
        "survey": {
            "answers": survey["answers"],
            "csat_avg": round_or_none(survey["csat_avg"], 2),
            "satisfied_pct": round_or_none(survey["satisfied_pct"], 1),
            "nps": survey["nps"],
        },
        "causes": [
            {
                "code": row["code"],
                "name": row["name"],
                "category": row["category"],
                "count": row["count"],
                "share": round(row["share"], 1),
                "cumulative": round(row["cumulative"], 1),
            }
            for row in pareto["rows"]
        ],
        "unclassified": pareto["unclassified"],
        "actions": {
            "open": sum(1 for a in actions if a.status in ACTION_PENDING_STATUSES),
            "open_overdue": sum(1 for a in actions if a.status in ACTION_PENDING_STATUSES and a.due_date < today),
            "in_verification": sum(1 for a in actions if a.status == ActionStatus.IMPLEMENTED),
            "implemented": sum(1 for a in actions if a.implemented_on and start <= a.implemented_on <= end),
            "effective": sum(1 for a in verdicts if a.status == ActionStatus.EFFECTIVE),
            "not_effective": sum(1 for a in verdicts if a.status == ActionStatus.NOT_EFFECTIVE),
        },
    }


def _action_row(action: ActionItem, *, today: date) -> dict:
    window = action.verification_window
    return {
        "title": action.title,
        "owner": action.owner.get_full_name() or action.owner.get_username(),
        "establishment": action.establishment.name if action.establishment else "",
        "causes": ", ".join(f"{c.code} {c.name}" for c in action.causes.all()),
        "status": action.get_status_display(),
        "status_code": action.status,
        "due_date": action.due_date.isoformat(),
        "overdue": action.status in ACTION_PENDING_STATUSES and action.due_date < today,
        "implemented_on": action.implemented_on.isoformat() if action.implemented_on else None,
        "baseline_rate": str(action.baseline_rate) if action.baseline_rate is not None else None,
        "measured_rate": str(action.measured_rate) if action.measured_rate is not None else None,
        "target_reduction_pct": action.target_reduction_pct,
        "verified_on": timezone.localdate(action.verified_at).isoformat() if action.verified_at else None,
        "window_end": window.end.isoformat() if window else None,
    }


def management_report(
    *, scope: Scope, start: date, end: date, today: date, establishment_id: int | None = None
) -> dict:
    """The report of the hojas filed and answered between `start` and `end` (Lima dates, inclusive) in `scope`
    (optionally one establishment of it): per establishment and in total, as JSON. Reads the rollup as it
    stands: callers refresh it first (rollup_refresh), as the dashboard does."""
    establishments = [e for e in establishment_list(scope=scope) if not establishment_id or e.pk == establishment_id]
    columns = [
        {
            "id": e.pk,
            "name": e.name,
            **_figures(scope=scope, start=start, end=end, today=today, establishment_id=e.pk),
        }
        for e in establishments
    ]
    total = _figures(scope=scope, start=start, end=end, today=today, establishment_id=establishment_id)
    actions = list(action_item_list(scope=scope, establishment_id=establishment_id))
    verdicts = action_items_verified_between(start=start, end=end, scope=scope, establishment_id=establishment_id)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "today": today.isoformat(),
        "label": period_label(start, end),
        "scope": (
            establishments[0].name
            if establishment_id and establishments
            else "Todos los establecimientos"
            if scope.is_everything
            else ", ".join(e.name for e in establishments)
        ),
        "total": total,
        "establishments": columns,
        "actions": {
            "open": [_action_row(a, today=today) for a in actions if a.status in ACTION_PENDING_STATUSES],
            "in_verification": [_action_row(a, today=today) for a in actions if a.status == ActionStatus.IMPLEMENTED],
            "implemented": [
                _action_row(a, today=today) for a in actions if a.implemented_on and start <= a.implemented_on <= end
            ],
            "verdicts": [_action_row(a, today=today) for a in verdicts],
        },
    }


def report_display(report: dict) -> dict:
    """The JSON report with its dates as dates, for templates and cells."""

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    actions = {
        group: [
            {
                **row,
                **{k: day(row[k]) for k in ("due_date", "implemented_on", "verified_on", "window_end")},
            }
            for row in rows
        ]
        for group, rows in report["actions"].items()
    }
    return {**report, **{k: day(report[k]) for k in ("start", "end", "today")}, "actions": actions}


# -- the files ------------------------------------------------------------------------------------------------


def report_pdf(report: dict) -> bytes:
    """The report as an A4 PDF (WeasyPrint, the council's frame)."""
    from .pdf import management_report_pdf

    return management_report_pdf(report_display(report))


KPI_HEADERS = [
    "Establecimiento",
    "Hojas presentadas",
    "Reclamos",
    "Quejas",
    "Respuestas comunicadas",
    "A tiempo",
    "Fuera de plazo",
    "% a tiempo",
    "Mediana (días hábiles)",
    "Vencidas sin respuesta en el periodo",
    "Vencidas hoy",
    "Encuestas",
    "CSAT (1-5)",
    "% satisfechos",
    "NPS",
    "Sin causa",
    "Acciones pendientes",
    "Acciones pendientes vencidas",
    "En verificación",
    "Implementadas en el periodo",
    "Efectivas en el periodo",
    "No efectivas en el periodo",
]

CAUSE_HEADERS = ["Establecimiento", "Puesto", "Código", "Causa", "Categoría", "Hojas", "%", "% acumulado"]

ACTION_HEADERS = [
    "Grupo",
    "Acción",
    "Estado",
    "Responsable",
    "Establecimiento",
    "Causas",
    "Fecha límite",
    "Implementada el",
    "Línea base (hojas/semana)",
    "Medida (hojas/semana)",
    "Reducción meta (%)",
    "Verificada el",
]

ACTION_GROUPS = (
    ("open", "Pendiente de implementar"),
    ("in_verification", "En verificación"),
    ("implemented", "Implementada en el periodo"),
    ("verdicts", "Verificada en el periodo"),
)


def _kpi_cells(name: str, figures: dict) -> list:
    survey, actions = figures["survey"], figures["actions"]
    return [
        _safe(name),
        figures["filed"],
        figures["reclamos"],
        figures["quejas"],
        figures["answered"],
        figures["on_time"],
        figures["late"],
        figures["on_time_rate"],
        figures["median_business_days"],
        figures["unanswered_overdue"],
        figures["overdue_now"],
        survey["answers"],
        survey["csat_avg"],
        survey["satisfied_pct"],
        survey["nps"],
        figures["unclassified"],
        actions["open"],
        actions["open_overdue"],
        actions["in_verification"],
        actions["implemented"],
        actions["effective"],
        actions["not_effective"],
    ]


def _float(value: str | None) -> float | None:
    return None if value is None else float(value)


def report_xlsx(report: dict) -> bytes:
    """The report as an XLSX workbook (openpyxl): Resumen (the period), Indicadores (one row per establishment
    and the total), Causas (the Pareto, in total and per establishment) and Acciones. Text from people (names
    of causes, actions, establishments, owners) goes through exports._safe: a leading = stays text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    shown = report_display(report)
    bold = Font(bold=True)
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Resumen"
    summary.append(["Informe de gestión del consejo de mejora"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["Periodo", _safe(shown["label"])])
    for label, value in (("Desde", shown["start"]), ("Hasta", shown["end"]), ("Generado el", shown["today"])):
        summary.append([label, value])
        summary.cell(row=summary.max_row, column=2).number_format = "DD/MM/YYYY"
    summary.append(["Alcance", _safe(shown["scope"])])
    summary.append([])
    summary.append(
        [
            "Respuestas a tiempo: comunicadas en el periodo hasta su fecha límite (hora de Lima), la misma regla "
            "del panel del consejo. Vencidas sin respuesta: hojas cuya fecha límite cayó en el periodo sin una "
            "respuesta comunicada."
        ]
    )
    summary.column_dimensions["A"].width = 16
    summary.column_dimensions["B"].width = 40

    def sheet_new(title: str, headers: list[str], widths: list[int]):
        sheet = workbook.create_sheet(title=title)
        sheet.append(headers)
        for index, width in enumerate(widths, start=1):
            sheet.cell(row=1, column=index).font = bold
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        return sheet

    kpis = sheet_new("Indicadores", KPI_HEADERS, [30] + [14] * (len(KPI_HEADERS) - 1))
    for column in shown["establishments"]:
        kpis.append(_kpi_cells(column["name"], column))
    kpis.append(_kpi_cells("Total", shown["total"]))
    for cell in kpis[kpis.max_row]:
        cell.font = bold

    causes = sheet_new("Causas", CAUSE_HEADERS, [30, 8, 12, 40, 28, 10, 10, 12])
    for name, figures in [("Total", shown["total"])] + [(c["name"], c) for c in shown["establishments"]]:
        for rank, row in enumerate(figures["causes"], start=1):
            causes.append(
                [
                    _safe(name),
                    rank,
                    _safe(row["code"]),
                    _safe(row["name"]),
                    _safe(row["category"]),
                    row["count"],
                    row["share"],
                    row["cumulative"],
                ]
            )
        if figures["unclassified"]:
            causes.append([_safe(name), None, "", "Sin causa todavía", "", figures["unclassified"], None, None])

    actions = sheet_new("Acciones", ACTION_HEADERS, [26, 40, 14, 24, 26, 40, 14, 14, 14, 14, 12, 14])
    for group, label in ACTION_GROUPS:
        for row in shown["actions"][group]:
            actions.append(
                [
                    label,
                    _safe(row["title"]),
                    row["status"],
                    _safe(row["owner"]),
                    _safe(row["establishment"] or "Todos"),
                    _safe(row["causes"]),
                    row["due_date"],
                    row["implemented_on"],
                    _float(row["baseline_rate"]),
                    _float(row["measured_rate"]),
                    row["target_reduction_pct"],
                    row["verified_on"],
                ]
            )
            for column in (7, 8, 12):
                actions.cell(row=actions.max_row, column=column).number_format = "DD/MM/YYYY"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- the monthly e-mail ---------------------------------------------------------------------------------------


def council_report_queue(*, scope: Scope, now: datetime | None = None) -> int:
    """The 1st of each month, 07:00 Lima: one e-mail per council member with last month's report (PDF and
    XLSX) in `scope`. The report is taken once, here, and travels in the message: rendering the e-mail only
    renders it. Keyed by month and recipient: a second run (or a second beat) queues nothing. Returns the
    messages queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = previous_month(today)
    recipients = dict.fromkeys(e.lower() for e in council_recipients())
    keys = {email: council_report_key(month=start, recipient=email) for email in recipients}
    due = [email for email in recipients if not OutboundMessage.objects.filter(idempotency_key=keys[email]).exists()]
    if not due:
        return 0
    rollup_refresh(now=timezone.now())  # the wall clock: it marks how far changes were read
    context = {"report": management_report(scope=scope, start=start, end=end, today=today)}
    with transaction.atomic():
        for email in due:
            outbox_enqueue(
                kind=OutboundMessage.Kind.COUNCIL_REPORT, recipient=email, idempotency_key=keys[email], context=context
            )
    return len(due)
