"""The improvement council's pages (/consejo/): council, supervisors and auditors read; agents do not."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.http import Http404
from django.utils import timezone
from django.views import View

from .. import roles
from ..selectors import cause_pareto, establishment_list_for
from .staff import StaffRequiredMixin, _forbidden

DEFAULT_PERIOD_DAYS = 90


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

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("desde") and cleaned.get("hasta") and cleaned["desde"] > cleaned["hasta"]:
            self.add_error("hasta", "La fecha final no puede ser anterior a la inicial.")
        return cleaned


class DashboardView(StaffRequiredMixin, View):
    def get(self, request):
        if not (request.user.is_superuser or self.roles & roles.COUNCIL_READERS):
            return _forbidden(request)
        today = timezone.localdate()
        establishments = establishment_list_for(request.user)
        defaults = {"desde": today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), "hasta": today}
        form = PeriodForm(request.GET or None, initial=defaults, establishments=establishments)
        period = dict(defaults, establecimiento=None)
        if form.is_bound and form.is_valid():
            period = form.cleaned_data
        pareto = cause_pareto(
            user=request.user,
            start=period["desde"],
            end=period["hasta"],
            establishment_id=period["establecimiento"],
        )
        context = {"form": form, "pareto": pareto, "period": period, "nav": "council"}
        return self.render("reclamaciones/council/dashboard.html", context, status=200 if not form.errors else 400)


class ActionListView(StaffRequiredMixin, View):
    def get(self, request):
        raise Http404  # being built in this session (issue 5, step 4)
