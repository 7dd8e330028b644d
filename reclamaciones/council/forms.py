"""Forms of the improvement council's admin: action items (status moves checked by the service's rule), the
decisions of a meeting, and the "create an action from these hojas" bulk action. Forms validate; the writes are
council.services'."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from ..book.models import Establishment
from ..handling.models import Cause
from ..handling.selectors import cause_choices
from .models import ACTION_VERDICT_STATUSES, ActionItem, ActionStatus
from .selectors import action_owner_can_act, action_owner_choices
from .services import (
    ACTION_TRANSITIONS,
    MSG_IMPLEMENTED_DATE,
    MSG_NO_CAUSE,
    MSG_OWNER_CANNOT_ACT,
    CouncilError,
    action_status_check,
)

MSG_TARGET_RANGE = "La meta es un porcentaje de reducción entre 1 y 100."

MSG_WEEKS_MIN = "Mide al menos una semana."


def user_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def owner_label(user) -> str:
    """An owner choice; the current owner of an old action who can no longer act says so."""
    label = user_label(user)
    return label if action_owner_can_act(user) else f"{label} (no puede actualizar la acción)"


def restrict_owner(field, instance=None) -> None:
    """Offer as owners only people who can act on the action (plus the action's current owner, kept so its
    other fields can be edited); anything else posted is refused in Spanish."""
    keep = instance.owner if instance is not None and instance.pk and instance.owner_id else None
    field.queryset = action_owner_choices(keep)
    field.label_from_instance = owner_label
    field.error_messages["invalid_choice"] = MSG_OWNER_CANNOT_ACT
    field.help_text = "Alguien del consejo de mejora o de supervisión: quien recibe los recordatorios y la actualiza."


class StaffUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class StaffUserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class ActionItemAdminForm(forms.ModelForm):
    """The admin's action-item form. People move the status along council.services.ACTION_TRANSITIONS only;
    «Efectiva» / «No efectiva» come from the measurement. The rule is the service's (action_status_check)."""

    class Meta:
        model = ActionItem
        fields = [
            "title",
            "description",
            "causes",
            "establishment",
            "owner",
            "due_date",
            "meeting",
            "status",
            "implemented_on",
            "target_reduction_pct",
            "verification_weeks",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.old_status = self.instance.status if self.instance.pk else ActionStatus.PROPOSED
        if "causes" in self.fields:
            keep = list(self.instance.causes.all()) if self.instance.pk else []
            self.fields["causes"].queryset = cause_choices(keep)
            self.fields["causes"].error_messages["required"] = MSG_NO_CAUSE
        if "owner" in self.fields:
            restrict_owner(self.fields["owner"], self.instance)
        status = self.fields.get("status")
        if status is not None:
            # Offer only the moves allowed from here; anything else posted is refused by the rule in clean().
            allowed = {self.old_status, *ACTION_TRANSITIONS[self.old_status]}
            status.widget.choices = [(v, label) for v, label in ActionStatus.choices if v in allowed]
        if "implemented_on" in self.fields:
            self.fields["implemented_on"].help_text = (
                "Al marcarla «Implementada»: el día en que se implementó (vacío = hoy). Desde ese día corren "
                "las semanas de verificación."
            )

    def clean(self):
        cleaned = super().clean()
        if "status" not in self.fields:
            return cleaned  # read-only once the measurement gave its verdict
        new = cleaned.get("status")
        if not new:
            return cleaned
        today = timezone.localdate()
        implemented_on = cleaned.get("implemented_on")
        if new == ActionStatus.IMPLEMENTED and implemented_on is None and "implemented_on" not in self.errors:
            implemented_on = cleaned["implemented_on"] = today
        try:
            action_status_check(old=self.old_status, new=new, implemented_on=implemented_on, today=today)
        except CouncilError as exc:
            self.add_error("implemented_on" if str(exc) == MSG_IMPLEMENTED_DATE else "status", str(exc))
            return cleaned
        if new not in {ActionStatus.IMPLEMENTED, *ACTION_VERDICT_STATUSES}:
            cleaned["implemented_on"] = None  # back in progress: the verification clock is not running
        return cleaned


class DecisionForm(forms.ModelForm):
    """An action item agreed in a meeting (inline in the meeting's admin page)."""

    class Meta:
        model = ActionItem
        fields = ["title", "causes", "owner", "due_date", "target_reduction_pct", "verification_weeks"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep = list(self.instance.causes.all()) if self.instance.pk else []
        self.fields["causes"].queryset = cause_choices(keep)
        self.fields["causes"].error_messages["required"] = MSG_NO_CAUSE
        restrict_owner(self.fields["owner"], self.instance)


class ActionFromComplaintsForm(forms.Form):
    """The intermediate page of the hojas' bulk action "Crear acción de mejora con los reclamos seleccionados"."""

    required_css_class = "required"  # the admin's bold labels

    title = forms.CharField(label="Título", max_length=150, widget=forms.TextInput(attrs={"class": "vTextField"}))
    description = forms.CharField(
        label="Descripción",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Qué se va a hacer y por qué.",
    )
    causes = forms.ModelMultipleChoiceField(
        label="Causas que debe reducir",
        queryset=Cause.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": MSG_NO_CAUSE},
        help_text="Vienen marcadas las causas con que se clasificaron las hojas seleccionadas.",
    )
    owner = StaffUserChoiceField(label="Responsable", queryset=get_user_model().objects.none())
    due_date = forms.DateField(
        label="Fecha límite de implementación",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    target_reduction_pct = forms.IntegerField(
        label="Meta de reducción (%)",
        initial=30,
        min_value=1,
        max_value=100,
        error_messages={"min_value": MSG_TARGET_RANGE, "max_value": MSG_TARGET_RANGE},
        help_text="Reducción de hojas semanales de sus causas que se espera lograr (30 = -30 %).",
    )
    verification_weeks = forms.IntegerField(
        label="Semanas de verificación",
        initial=8,
        min_value=1,
        max_value=52,
        error_messages={"min_value": MSG_WEEKS_MIN},
        help_text="Semanas después de implementada en las que se mide el resultado.",
    )
    establishment = forms.ModelChoiceField(
        label="Establecimiento",
        queryset=Establishment.objects.none(),
        required=False,
        empty_label="Todos los establecimientos",
        help_text="Vacío: la acción mide las hojas de todos los establecimientos.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["causes"].queryset = cause_choices()
        restrict_owner(self.fields["owner"])
        self.fields["establishment"].queryset = Establishment.objects.filter(is_active=True).order_by("name")

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("La fecha límite no puede estar en el pasado.")
        return due
