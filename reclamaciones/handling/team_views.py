"""/gestion/equipo/: the supervisor's team view and the bulk reassignment (handling.team). Supervisors (and
administrators) only: agents and readers get the 403 page saying so."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View

from ..access import AreaRequiredMixin, Role
from ..deadlines.selectors import business_calendar_get
from .approval_views import team_pending_approvals
from .forms import StaffForm
from .services import WorkflowError
from .team import SOON_BUSINESS_DAYS, complaints_reassign, team_workload
from .trail import person_name

UNASSIGNED = "bandeja"

MSG_MOVED = "Listo: {moved} hoja(s) pasaron a {to}."
MSG_REFUSED = "{count} hoja(s) no se movieron porque {to} no atiende su establecimiento: {numbers}."


class ReassignForm(StaffForm):
    desde = forms.ChoiceField(label="Hojas abiertas de")
    hacia = forms.ChoiceField(label="Pasarlas a")
    solo_vencidas = forms.BooleanField(label="Solo las vencidas", required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.pk), person_name(p)) for p in people]
        self.people = {str(p.pk): p for p in people}
        self.fields["desde"].choices = [(UNASSIGNED, "Sin asignar (bandeja)"), *choices]
        self.fields["hacia"].choices = [(UNASSIGNED, "La bandeja del establecimiento (sin responsable)"), *choices]
        for name in ("desde", "hacia"):
            self.fields[name].error_messages["invalid_choice"] = "Elige a una persona de la lista."

    def clean(self):
        data = super().clean()
        data["from_user"] = self.people.get(data.get("desde", ""))
        data["to_user"] = self.people.get(data.get("hacia", ""))
        if data.get("desde") and data.get("desde") == data.get("hacia"):
            self.add_error("hacia", "Elige a otra persona: las hojas ya son suyas.")
        return data


class TeamView(AreaRequiredMixin, View):
    area_roles = frozenset({Role.SUPERVISOR})
    area_name = "la vista de equipo"
    area_roles_words = "supervisión"

    def _page(self, form=None, *, status=200):
        today = timezone.localdate()
        workload = team_workload(scope=self.scope, today=today, calendar=business_calendar_get())
        people = [p.user for p in workload.people if p.user is not None]
        context = {
            "workload": workload,
            "form": form or ReassignForm(people=people),
            "soon_days": SOON_BUSINESS_DAYS,
            "today": today,
            "pending_approvals": team_pending_approvals(self.scope, today=today, calendar=business_calendar_get()),
        }
        return self.render("reclamaciones/staff/team.html", context, status=status)

    def get(self, request):
        return self._page()

    def post(self, request):
        workload = team_workload(scope=self.scope, today=timezone.localdate(), calendar=business_calendar_get())
        people = [p.user for p in workload.people if p.user is not None]
        form = ReassignForm(request.POST, people=people)
        if not form.is_valid():
            return self._page(form, status=400)
        data = form.cleaned_data
        to_name = person_name(data["to_user"]) if data["to_user"] else "la bandeja del establecimiento"
        try:
            result = complaints_reassign(
                from_user=data["from_user"],
                to_user=data["to_user"],
                only_overdue=data["solo_vencidas"],
                scope=self.scope,
            )
        except WorkflowError as exc:
            form.add_error(None, str(exc))
            return self._page(form, status=400)
        if result.moved:
            messages.success(request, MSG_MOVED.format(moved=result.moved, to=to_name))
        if result.refused:
            numbers = ", ".join(number for number, _ in result.refused[:20])
            messages.warning(request, MSG_REFUSED.format(count=len(result.refused), to=to_name, numbers=numbers))
        return redirect("staff:team")
