"""The improvement council's pages (/consejo/): council, supervisors and auditors read; agents do not.

Thin views: every figure comes from a selector (SQL aggregation, scoped to the user's establishments); the view
only gathers them, masks personal data for the screen and shapes the chart series for council-charts.js."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views import View

from ..access import COUNCIL_READERS, StaffRequiredMixin, forbidden
from ..book.models import DocType
from ..handling.selectors import consumer_search_token, establishment_list
from . import report
from .forms import ActionEditForm, ActionProgressForm, RootCauseForm, StepAddForm
from .models import (
    ACTION_PENDING_STATUSES,
    ACTION_VERDICT_STATUSES,
    ActionItem,
    ActionItemEvent,
    ActionStatus,
    ActionStep,
)
from .rollup import PAGE_MAX_AGE, rollup_refresh
from .rules import (
    BASELINE_WEEKS,
    RECENT_WEEKS,
    TINY_BASELINE_HOJAS,
    baseline_count,
    baseline_too_small,
    baseline_window,
    run_chart_weeks,
    week_index,
)
from .selectors import (
    action_events,
    action_item_get,
    action_item_list,
    action_items_due_for_verification,
    action_items_on_same_causes,
    action_items_overdue,
    action_items_verified_between,
    action_owners_who_can_act,
    action_weekly_counts,
    action_writable,
    answer_performance,
    cause_flags,
    cause_pareto,
    cause_weekly_trend,
    establishment_counts,
    repeat_complainants,
    survey_by_cause,
)
from .services import (
    ACTION_EDIT_FIELDS,
    MEASURED,
    MSG_OWNER_CANNOT_ACT,
    MSG_OWNER_ESTABLISHMENT,
    CouncilError,
    action_edit,
    action_editable,
    action_progress_record,
    action_root_cause_set,
    action_step_add,
    action_step_done_set,
)

DEFAULT_PERIOD_DAYS = 90

TREND_CAUSES = 5  # the weekly trend follows the top 5 causes of the Pareto

DOC_VISIBLE_DIGITS = 4

PERIOD_EARLIEST = date(2010, 1, 1)  # Ley 29571 (the book's origin) is of 2010

PERIOD_MAX_DAYS = 2 * 366


def reads_council(user, user_roles: set[str]) -> bool:
    """Council, supervisors, auditors and superusers read the council's pages; agents do not."""
    return user.is_superuser or bool(user_roles & COUNCIL_READERS)


class PeriodForm(forms.Form):
    # <input type="date"> only accepts ISO dates, whatever the locale's display format.
    desde = forms.DateField(
        label="Desde", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
    )
    hasta = forms.DateField(
        label="Hasta", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
    )
    establecimiento = forms.TypedChoiceField(
        label="Establecimiento",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, establishments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["establecimiento"].choices = [("", "Todos"), *((e.pk, e.name) for e in establishments)]

    def _clean_day(self, name: str) -> date:
        # Dates outside the book's life make the period arithmetic overflow (a 500) and mean nothing anyway.
        day = self.cleaned_data[name]
        latest = timezone.localdate() + timedelta(days=366)
        if not PERIOD_EARLIEST <= day <= latest:
            raise forms.ValidationError(f"Elige una fecha entre el {PERIOD_EARLIEST:%d/%m/%Y} y el {latest:%d/%m/%Y}.")
        return day

    def clean_desde(self) -> date:
        return self._clean_day("desde")

    def clean_hasta(self) -> date:
        return self._clean_day("hasta")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("desde") and cleaned.get("hasta"):
            if cleaned["desde"] > cleaned["hasta"]:
                self.add_error("hasta", "La fecha final no puede ser anterior a la inicial.")
            elif (cleaned["hasta"] - cleaned["desde"]).days > PERIOD_MAX_DAYS:
                self.add_error("hasta", "El periodo puede abarcar como máximo 2 años.")
        return cleaned


def masked_document(doc_type: str, doc_number: str) -> str:
    """The document as "DNI ••••5689": enough to tell consumers apart on a shared screen, not to identify one."""
    try:
        label = DocType(doc_type).label
    except ValueError:
        label = doc_type.upper()
    return f"{label} ••••{doc_number[-DOC_VISIBLE_DIGITS:]}"


def short_name(full_name: str) -> str:
    """The first name and the initial of the next one: "María Núñez Ñahui" -> "María N."."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[0]} {parts[1][0]}."


def _num(value) -> float | None:
    """Decimals and floats as JSON numbers (one decimal is all a chart shows)."""
    return None if value is None else round(float(value), 1)


def _chart_data(*, pareto: dict, trend: dict, establishments: list[dict], surveys: dict) -> dict:
    """The series council-charts.js draws; the same figures are in the page's tables."""
    return {
        "pareto": {
            "codes": [r["code"] for r in pareto["rows"]],
            "names": [r["name"] for r in pareto["rows"]],
            "counts": [r["count"] for r in pareto["rows"]],
            "cumulative": [_num(r["cumulative"]) for r in pareto["rows"]],
        },
        "trend": {
            "weeks": [f"{monday:%d/%m}" for monday in trend["weeks"]],
            "series": [{"code": s["code"], "name": s["name"], "counts": s["counts"]} for s in trend["series"]],
        },
        "establishments": {
            "names": [r["establishment__name"] for r in establishments],
            "counts": [r["count"] for r in establishments],
            "open": [r["open"] for r in establishments],
        },
        "surveys": {
            "codes": [r["complaint__cause__code"] or "Sin causa" for r in surveys["rows"]],
            "names": [r["complaint__cause__name"] or "Hojas aún sin causa" for r in surveys["rows"]],
            "csat": [_num(r["csat_avg"]) for r in surveys["rows"]],
            "nps": [r["nps"] for r in surveys["rows"]],
        },
    }


class DashboardView(StaffRequiredMixin, View):
    """A bounded number of queries whatever the size of the book: each section is one selector doing SQL
    aggregation (tests pin the count)."""

    def get(self, request):
        if not reads_council(request.user, self.roles):
            return forbidden(request)
        # One SELECT when the rollup was refreshed within the last minute; else it brings in what changed
        # since, and when another refresh is running the page reads what that one leaves rather than waiting.
        rollup = rollup_refresh(now=timezone.now(), wait=False, max_age=PAGE_MAX_AGE)
        today = timezone.localdate()
        establishments = establishment_list(scope=self.scope)
        defaults = {"desde": today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), "hasta": today}
        form = PeriodForm(request.GET or None, initial=defaults, establishments=establishments)
        period = dict(defaults, establecimiento=None)
        if form.is_bound and form.is_valid():
            period = form.cleaned_data
        start, end = period["desde"], period["hasta"]
        filters = {"scope": self.scope, "establishment_id": period["establecimiento"]}

        pareto = cause_pareto(start=start, end=end, **filters)
        trend = cause_weekly_trend(
            end=end, cause_ids=[row["cause_id"] for row in pareto["rows"][:TREND_CAUSES]], **filters
        )
        per_establishment = establishment_counts(start=start, end=end, **filters)
        repeat = repeat_complainants(end=end, **filters)
        repeat["rows"] = [
            {
                **{key: value for key, value in row.items() if key != "doc_number"},  # the page never holds it
                "document": masked_document(row["doc_type"], row["doc_number"]),
                "short_name": short_name(row["name"]),
                # The link to their hojas carries a token, never the document (URLs end up in logs and Referers).
                "search": consumer_search_token(doc_type=row["doc_type"], doc_number=row["doc_number"]),
            }
            for row in repeat["rows"]
        ]
        surveys = survey_by_cause(start=start, end=end, **filters)
        context = {
            "form": form,
            "period": period,
            "today": today,
            "nav": "council",
            "tab": "dashboard",
            "performance": answer_performance(start=start, end=end, today=today, **filters),
            # As of the period's end: looking back at a past period shows what was rising then.
            "flags": cause_flags(today=min(end, today), **filters),
            "flags_as_of": min(end, today),
            "figures_as_of": rollup.refreshed_at if rollup else None,
            "flag_rule": {
                "factor": settings.COUNCIL_FLAG_FACTOR,
                "min_count": settings.COUNCIL_FLAG_MIN_COUNT,
                "recent_weeks": RECENT_WEEKS,
                "baseline_weeks": BASELINE_WEEKS,
            },
            "pareto": pareto,
            "trend": trend,
            "trend_rows": [  # the table reads week by week: one row per Monday, one column per cause
                (monday, [series["counts"][i] for series in trend["series"]]) for i, monday in enumerate(trend["weeks"])
            ],
            "establishments": per_establishment,
            "repeat": repeat,
            "surveys": surveys,
            "actions": {
                "overdue": list(action_items_overdue(today=today, **filters)),
                "to_verify": action_items_due_for_verification(today=today, **filters),
                "verdicts": list(action_items_verified_between(start=start, end=end, **filters)),
            },
            "charts": _chart_data(pareto=pareto, trend=trend, establishments=per_establishment, surveys=surveys),
        }
        return self.render("reclamaciones/council/dashboard.html", context, status=400 if form.errors else 200)


@dataclass(frozen=True)
class ActionRow:
    action: ActionItem
    today: date
    owner_can_act: bool = True  # False: an old action given to someone who cannot open or update it

    @property
    def overdue(self) -> bool:
        """Still to implement and past its due date."""
        return self.action.status in ACTION_PENDING_STATUSES and self.action.due_date < self.today


class ActionListView(StaffRequiredMixin, View):
    """Every action item, filterable by status (?estado=). An unknown status is ignored, as in the queue.
    Action items are counted in tens: one query (plus the causes' prefetch) and the counts per status in Python."""

    def get(self, request):
        if not reads_council(request.user, self.roles):
            return forbidden(request)
        today = timezone.localdate()
        actions = list(action_item_list(scope=self.scope))
        counts = Counter(action.status for action in actions)
        status = request.GET.get("estado", "")
        if status not in ActionStatus.values:
            status = ""
        shown = [action for action in actions if not status or action.status == status]
        can_act = action_owners_who_can_act({action.owner_id for action in shown})
        user = request.user
        context = {
            "nav": "council",
            "tab": "actions",
            "today": today,
            # a verified action needs no more updates: no warning about its owner
            "rows": [
                ActionRow(
                    action,
                    today,
                    owner_can_act=action.owner_id in can_act or action.status in ACTION_VERDICT_STATUSES,
                )
                for action in shown
            ],
            "status": status,
            "status_filters": [
                {"value": value, "label": label, "count": counts.get(value, 0)} for value, label in ActionStatus.choices
            ],
            "total": len(actions),
            "can_add": user.is_staff and user.has_perm("reclamaciones.add_actionitem"),
            "can_edit": user.is_staff and user.has_perm("reclamaciones.change_actionitem"),
        }
        return self.render("reclamaciones/council/actions.html", context)


PAGE_SIZE = 25


class CouncilReaderRequired:
    """After StaffRequiredMixin (which reads the roles): only the council's readers get further."""

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_superuser or self.roles & COUNCIL_READERS):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)


class ReportForm(forms.Form):
    """The report's month (<input type="month">: YYYY-MM whatever the locale) and, within the reader's scope,
    one establishment or all."""

    mes = forms.RegexField(
        label="Mes",
        regex=r"^\d{4}-\d{2}$",
        error_messages={"invalid": "Escribe el mes como AAAA-MM, por ejemplo 2026-11."},
        widget=forms.TextInput(
            attrs={"type": "month", "class": "form-control", "placeholder": "AAAA-MM", "aria-describedby": "mes-ayuda"}
        ),
    )
    establecimiento = forms.TypedChoiceField(
        label="Establecimiento",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, establishments, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["establecimiento"].choices = [("", "Todos"), *((e.pk, e.name) for e in establishments)]

    def clean_mes(self) -> tuple[date, date]:
        """(first day, last day), the last day being today for the month under way."""
        year, month = (int(part) for part in self.cleaned_data["mes"].split("-"))
        if not 1 <= month <= 12:
            raise forms.ValidationError("Ese mes no existe: elige uno del 01 al 12.")
        if not (PERIOD_EARLIEST.year, PERIOD_EARLIEST.month) <= (year, month) <= (self.today.year, self.today.month):
            raise forms.ValidationError(
                f"Elige un mes entre {PERIOD_EARLIEST:%m/%Y} y el mes en curso ({self.today:%m/%Y})."
            )
        start, end = report.month_period(year, month)
        return start, min(end, self.today)


REPORT_FORMATS = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ReportView(StaffRequiredMixin, CouncilReaderRequired, View):
    """The management report on demand: a month and an establishment (within the reader's scope), the KPIs on
    screen and the same report as PDF or XLSX (?formato=pdf|xlsx). The monthly e-mail attaches the same files."""

    def get(self, request):
        today = timezone.localdate()
        establishments = establishment_list(scope=self.scope)
        start, end = report.previous_month(today)
        form = ReportForm(
            request.GET or None, initial={"mes": f"{start:%Y-%m}"}, establishments=establishments, today=today
        )
        establishment_id = None
        if form.is_bound:
            if not form.is_valid():
                return self.render(
                    "reclamaciones/council/report.html",
                    {"form": form, "nav": "council", "tab": "report"},
                    status=400,
                )
            (start, end), establishment_id = form.cleaned_data["mes"], form.cleaned_data["establecimiento"]
        # the dashboard's freshness: at most a minute old, and never waiting on another refresh
        rollup_refresh(now=timezone.now(), wait=False, max_age=PAGE_MAX_AGE)
        data = report.management_report(
            scope=self.scope, start=start, end=end, today=today, establishment_id=establishment_id
        )
        fmt = request.GET.get("formato", "")
        if fmt in REPORT_FORMATS:
            content = report.report_pdf(data) if fmt == "pdf" else report.report_xlsx(data)
            response = HttpResponse(content, content_type=REPORT_FORMATS[fmt])
            disposition = "inline" if fmt == "pdf" else "attachment"
            response["Content-Disposition"] = f'{disposition}; filename="{report.report_filename(start, end, fmt)}"'
            add_never_cache_headers(response)
            return response
        query = urlencode(
            {"mes": f"{start:%Y-%m}", **({"establecimiento": establishment_id} if establishment_id else {})}
        )
        context = {
            "form": form,
            "nav": "council",
            "tab": "report",
            "report": report.report_display(data),
            "query": query,
            "monthly": start.day == 1 and end == report.month_period(start.year, start.month)[1],
        }
        return self.render("reclamaciones/council/report.html", context)


# -- One action (/consejo/acciones/<pk>/): its facts, analysis, steps, history and run chart ------------------


def _day(value) -> str:
    """An ISO date from an event's data as the page writes dates (dd/mm/yyyy); anything else as it came."""
    try:
        return f"{date.fromisoformat(value):%d/%m/%Y}"
    except (TypeError, ValueError):
        return "—" if value in (None, "") else str(value)


def _status_label(value) -> str:
    try:
        return ActionStatus(value).label
    except ValueError:
        return str(value)


_FIELD_LABELS = {"causes": "Causas"}

_EDIT_ORDER = {name: i for i, name in enumerate(ACTION_EDIT_FIELDS)}


def _field_label(name: str) -> str:
    if name in _FIELD_LABELS:
        return _FIELD_LABELS[name]
    try:
        return str(ActionItem._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # a field removed since the event was written still reads
        return name


def _changed_value(name: str, value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    if name in ("due_date", "implemented_on"):
        return _day(value)
    return "—" if value in (None, "") else str(value)


def event_words(event: ActionItemEvent) -> dict:
    """An event of the action's history in words: a title and its lines (and, for progress, the evidence link).
    The data is written by council.services; old events lacking a key still read."""
    data, T = event.data or {}, ActionItemEvent.Type
    lines: list[str] = []
    title = event.get_type_display()
    link = ""
    if event.type == T.CREATED:
        title = "Acción creada"
        if data.get("baseline_rate") is not None:
            window = data.get("window") or [None, None]
            lines.append(
                f"Línea base: {data['baseline_rate']} hojas por semana ({data.get('baseline_count', '—')} hojas "
                f"entre el {_day(window[0])} y el {_day(window[1])})."
            )
    elif event.type == T.STATUS_CHANGED:
        title = f"Estado: de «{_status_label(data.get('old'))}» a «{_status_label(data.get('new'))}»"
        if data.get("implemented_on"):
            lines.append(f"Implementada el {_day(data['implemented_on'])}.")
    elif event.type == T.VERIFIED:
        title = f"Verificación de eficacia: «{_status_label(data.get('new'))}»"
        lines.append(
            f"Resultado: {data.get('measured_rate', '—')} hojas por semana; meta {data.get('target_rate', '—')}; "
            f"línea base {data.get('baseline_rate', '—')}."
        )
    elif event.type == T.REMINDER_QUEUED:
        days_left = data.get("days_left")
        if isinstance(days_left, int):
            lines.append(
                f"Faltaban {days_left} días para la fecha límite."
                if days_left >= 0
                else f"La fecha límite había pasado hace {-days_left} días."
            )
    elif event.type in (T.UPDATED, T.EDITED):
        changes = data.get("changes") or {}
        if event.type == T.EDITED:
            title = "Datos de la acción cambiados"
            # jsonb keeps keys in its own order: show them in the form's
            changes = dict(sorted(changes.items(), key=lambda kv: _EDIT_ORDER.get(kv[0], len(_EDIT_ORDER))))
        for name, pair in changes.items():
            old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            lines.append(f"{_field_label(name)}: «{_changed_value(name, old)}» → «{_changed_value(name, new)}».")
    elif event.type == T.COMPLAINTS_LINKED:
        added, removed = (
            len(data.get("added") or []),
            len(data.get("removed") or []),
        )
        lines.append(f"Se vincularon {added} hojas y se desvincularon {removed}.")
    elif event.type == T.PROGRESS:
        title = "Avance"
        if data.get("note"):
            lines.append(data["note"])
        if data.get("evidence"):
            lines.append(f"Evidencia: {data['evidence']}")
        link = data.get("evidence_url") or ""
        if not link.lower().startswith(("https://", "http://")):
            link = ""  # the service refuses other schemes; an old or hand-made row never becomes a javascript: link
    elif event.type == T.ROOT_CAUSE:
        title = "Análisis de causa raíz actualizado"
        new = data.get("new") or {}
        lines.append(f"{len(new.get('whys') or [])} «¿Por qué?» respondidos.")
        if new.get("root_cause"):
            lines.append(f"Causa raíz: {new['root_cause']}")
    elif event.type in (T.STEP_ADDED, T.STEP_DONE):
        kind = "de contención" if data.get("kind") == ActionStep.Kind.CONTAINMENT else "correctivo"
        if event.type == T.STEP_ADDED:
            title = f"Paso {kind} añadido"
        else:
            title = f"Paso {kind} {'hecho' if data.get('done') else 'reabierto'}"
        lines.append(data.get("text") or "")
    return {"event": event, "title": title, "lines": [line for line in lines if line], "link": link}


def action_run_chart(action: ActionItem, *, today: date) -> dict:
    """The run chart of an action: hojas per week of its causes from its baseline window to this week, its
    baseline and target as lines and the week it was implemented. Counted over the whole book (MEASURED), the
    hojas its baseline and verdict count, whoever looks."""
    created_on = action.baseline_measured_on or timezone.localdate(action.created_at)
    baseline = baseline_window(created_on, action.baseline_weeks)
    mondays = run_chart_weeks(baseline.start, today)
    counts = action_weekly_counts(action=action, scope=MEASURED, mondays=mondays)
    verification = action.verification_window
    implemented_at = week_index(mondays, action.implemented_on)
    rows = []
    for i, (monday, count) in enumerate(zip(mondays, counts, strict=True)):
        sunday = monday + timedelta(days=6)
        phase = []
        if monday <= baseline.end and sunday >= baseline.start:
            phase.append("línea base")
        if i == implemented_at:
            phase.append(f"implementada el {action.implemented_on:%d/%m/%Y}")
        elif verification and monday <= verification.end and sunday >= verification.start:
            phase.append("verificación")
        if monday <= today <= sunday:
            phase.append("semana en curso")
        rows.append({"monday": monday, "count": count, "phase": ", ".join(phase)})
    baseline_rate = action.baseline_rate
    target = action.target_rate
    return {
        "rows": rows,
        "baseline_window": baseline,
        "data": {
            "weeks": [f"{monday:%d/%m}" for monday in mondays],
            "counts": counts,
            "baseline": None if baseline_rate is None else float(baseline_rate),
            "target": None if target is None else float(target),
            "implemented": implemented_at,
            "implemented_label": f"Implementada {action.implemented_on:%d/%m}" if action.implemented_on else "",
        },
    }


def action_warnings(action: ActionItem, *, others: list[dict]) -> dict:
    """What the council should know before reading the result: a baseline too small to measure against, and
    other open actions on the same causes."""
    tiny = None
    if action.baseline_rate is not None:
        count = baseline_count(action.baseline_rate, action.baseline_weeks)
        if baseline_too_small(count):
            tiny = {"count": count, "weeks": action.baseline_weeks, "threshold": TINY_BASELINE_HOJAS}
    return {"tiny_baseline": tiny, "same_cause": others}


class ActionDetailView(StaffRequiredMixin, CouncilReaderRequired, View):
    """Everyone who reads the council reads the action; its owner (while she can act) and the council write it,
    each form through its service. Another establishment's action is a 404 for a scoped reader."""

    FORMS = ("progress", "root_cause", "step_add", "step_done", "edit")

    def _action(self, pk: int) -> ActionItem:
        try:
            return action_item_get(pk=pk, scope=self.scope)
        except ActionItem.DoesNotExist:
            raise Http404("Acción no encontrada") from None

    def get(self, request, pk: int):
        return self._page(self._action(pk))

    def _page(self, action: ActionItem, *, bound: dict | None = None, status: int = 200):
        today = timezone.localdate()
        rollup_refresh(now=timezone.now(), wait=False, max_age=PAGE_MAX_AGE)
        bound = bound or {}
        can_write = action_writable(action=action, scope=self.scope)
        steps = list(action.steps.order_by("pk"))
        chart = action_run_chart(action, today=today)
        context = {
            "nav": "council",
            "tab": "actions",
            "today": today,
            "action": action,
            "causes": list(action.causes.all()),
            "can_write": can_write,
            "owner_can_act": action_owners_who_can_act([action.owner_id]) == {action.owner_id},
            "can_edit": self.request.user.is_staff and self.request.user.has_perm("reclamaciones.change_actionitem"),
            "can_edit_fields": (can_edit_fields := action_editable(action=action, scope=self.scope)),
            "edit_form": (bound.get("edit") or ActionEditForm(action=action)) if can_edit_fields else None,
            "edit_open": "edit" in bound or self.request.GET.get("editar") == "1",
            "progress_form": bound.get("progress") or ActionProgressForm(action=action),
            "root_cause_form": bound.get("root_cause") or RootCauseForm(action=action),
            "step_form": bound.get("step_add") or StepAddForm(),
            "step_error": bound.get("step_error"),
            "step_groups": [
                {
                    "heading": "Contención",
                    "hint": "frenan el daño ya, para los consumidores afectados",
                    "empty": "Sin pasos de contención.",
                    "steps": [s for s in steps if s.kind == ActionStep.Kind.CONTAINMENT],
                },
                {
                    "heading": "Correctivos",
                    "hint": "quitan la causa para que no vuelva a pasar",
                    "empty": "Sin pasos correctivos.",
                    "steps": [s for s in steps if s.kind == ActionStep.Kind.CORRECTIVE],
                },
            ],
            "events": [event_words(e) for e in reversed(action_events(action))],
            "chart": chart,
            "warnings": action_warnings(action, others=action_items_on_same_causes(action=action, scope=self.scope)),
            "overdue": action.status in ACTION_PENDING_STATUSES and action.due_date < today,
        }
        return self.render("reclamaciones/council/action.html", context, status=status)

    def _edit(self, request, action: ActionItem):
        """The council's edit of the title, owner and dates (council.services.action_edit)."""
        if not action_editable(action=action, scope=self.scope):
            return forbidden(request, read_only=True)
        form = ActionEditForm(request.POST, action=action)
        if not form.is_valid():
            return self._page(action, bound={"edit": form}, status=400)
        try:
            action_edit(action_id=action.pk, scope=self.scope, **form.cleaned_data)
        except CouncilError as exc:
            message = str(exc)
            form.add_error("owner" if message in (MSG_OWNER_CANNOT_ACT, MSG_OWNER_ESTABLISHMENT) else None, message)
            return self._page(action, bound={"edit": form}, status=400)
        except PermissionDenied:
            return forbidden(request, read_only=True)
        messages.success(request, "Guardamos los cambios de la acción.")
        return redirect(f"{request.path}#history-title")

    def post(self, request, pk: int):
        action = self._action(pk)
        if request.POST.get("form") == "edit":
            return self._edit(request, action)
        if not action_writable(action=action, scope=self.scope):
            return forbidden(request, read_only=True)
        which = request.POST.get("form")
        if which not in self.FORMS:
            return self._page(action, status=400)
        try:
            if which == "progress":
                form = ActionProgressForm(request.POST, action=action)
                if not form.is_valid():
                    return self._page(action, bound={"progress": form}, status=400)
                data = form.cleaned_data
                try:
                    action_progress_record(
                        action_id=action.pk,
                        scope=self.scope,
                        note=data["note"],
                        evidence=data["evidence"],
                        evidence_url=data["evidence_url"],
                        status=data["status"],
                        implemented_on=data["implemented_on"],
                    )
                except CouncilError as exc:
                    form.add_error(None, str(exc))
                    return self._page(action, bound={"progress": form}, status=400)
                done, anchor = "Guardamos el avance.", "avance"
            elif which == "root_cause":
                form = RootCauseForm(request.POST, action=action)
                if not form.is_valid():
                    return self._page(action, bound={"root_cause": form}, status=400)
                try:
                    action_root_cause_set(
                        action_id=action.pk,
                        scope=self.scope,
                        whys=form.whys,
                        root_cause=form.cleaned_data["root_cause"],
                    )
                except CouncilError as exc:
                    form.add_error(None, str(exc))
                    return self._page(action, bound={"root_cause": form}, status=400)
                done, anchor = "Guardamos el análisis de causa raíz.", "causa-raiz"
            elif which == "step_add":
                form = StepAddForm(request.POST)
                if not form.is_valid():
                    return self._page(action, bound={"step_add": form}, status=400)
                try:
                    action_step_add(action_id=action.pk, scope=self.scope, **form.cleaned_data)
                except CouncilError as exc:
                    form.add_error("text", str(exc))
                    return self._page(action, bound={"step_add": form}, status=400)
                done, anchor = "Añadimos el paso.", "pasos"
            else:
                try:
                    step_id = int(request.POST.get("step", ""))
                    action_step_done_set(
                        action_id=action.pk, step_id=step_id, scope=self.scope, done=request.POST.get("done") == "1"
                    )
                except (ValueError, CouncilError):
                    return self._page(
                        action, bound={"step_error": "No encontramos ese paso; recarga la página."}, status=400
                    )
                done, anchor = "Actualizamos el paso.", "pasos"
        except PermissionDenied:
            return forbidden(request, read_only=True)
        messages.success(request, done)
        return redirect(f"{request.path}#{anchor}")
