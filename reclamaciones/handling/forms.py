"""Back-office forms. They only validate input; the views hand the cleaned data to one service each."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm

from ..book.models import Kind, ResponseChannel, Status
from ..formfields import LongTextField
from .models import Cause
from .selectors import STATUS_OPEN, cause_choices

LIMA = ZoneInfo("America/Lima")

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends

MSG_PICK_CAUSE = "Elige una causa de la lista."

MSG_TEXT_REQUIRED = "Escribe el texto."

MSG_REASON_REQUIRED = "Indica el motivo de la reclasificación."

MSG_LETTER_DATE_REQUIRED = "Indica la fecha y hora en que se entregó la carta."

MSG_PICK_PERSON = "Elige a una persona de la lista."


def _style(form: forms.Form, *, errors: bool = False) -> None:
    """Bootstrap classes; after validation, is-invalid and aria-invalid on fields with errors, described by
    the error (and help) text, so screen readers read the error with the field."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)
        if errors and name in form.errors and "is-invalid" not in widget.attrs["class"]:
            bound = form[name]
            widget.attrs["class"] += " is-invalid"
            widget.attrs["aria-invalid"] = "true"
            described = [f"{bound.html_name}-error"] + ([f"{bound.auto_id}_helptext"] if field.help_text else [])
            widget.attrs["aria-describedby"] = " ".join(described)


class StaffForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def full_clean(self):
        super().full_clean()
        if self.is_bound:
            _style(self, errors=True)


class QueueFilterForm(StaffForm):
    """The queue's filters and search (GET). Invalid values are ignored rather than shown as errors."""

    q = forms.CharField(
        label="Buscar",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Número, documento o nombre",
                "autocomplete": "off",
                "data-search-shortcut": "/",
            }
        ),
    )
    estado = forms.ChoiceField(
        label="Estado",
        required=False,
        choices=[("", "Todos los estados"), (STATUS_OPEN, "En trámite (abiertas)"), *Status.choices],
    )
    establecimiento = forms.TypedChoiceField(label="Establecimiento", required=False, coerce=int, empty_value=None)
    tipo = forms.ChoiceField(
        label="Tipo", required=False, choices=[("", "Reclamos y quejas"), *Kind.choices, ("sin", "Sin clasificar")]
    )
    mias = forms.BooleanField(label="Asignadas a mí", required=False)
    sin_asignar = forms.BooleanField(label="Sin asignar", required=False)
    vencidas = forms.BooleanField(label="Vencidas", required=False)
    semana = forms.BooleanField(label="Vencen esta semana", required=False)

    def __init__(self, *args, establishments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["establecimiento"].choices = [("", "Todos mis establecimientos")] + [
            (e.pk, e.name) for e in establishments
        ]

    def filters(self) -> dict:
        """The filters that validated, for selectors.complaint_queue. A value that does not validate (an
        establishment out of scope, an unknown status) is ignored; the other filters still apply."""
        if not self.is_bound:
            return {}
        self.is_valid()  # cleaned_data keeps only the fields that validated
        data = self.cleaned_data
        return {
            "status": data.get("estado") or "",
            "establishment_id": data.get("establecimiento") or None,
            "kind": data.get("tipo") or "",
            "mine": bool(data.get("mias")),
            "unassigned": bool(data.get("sin_asignar")),
            "overdue": bool(data.get("vencidas")),
            "this_week": bool(data.get("semana")),
            "query": (data.get("q") or "").strip(),
        }


class AssignForm(StaffForm):
    # Any active user validates here; the service decides whether that person may take the hoja and says why.
    assignee = forms.ModelChoiceField(
        label="Asignar a",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        empty_label="Nadie (devolver a la bandeja)",
        error_messages={"invalid_choice": MSG_PICK_PERSON},
    )

    def set_people(self, people) -> None:
        """The choices shown: the people who may take the hoja (assignable_staff)."""
        self.fields["assignee"].widget.choices = [("", self.fields["assignee"].empty_label)] + [
            (p.pk, p.get_full_name() or p.get_username()) for p in people
        ]


class NoteForm(StaffForm):
    text = LongTextField(
        label="Nota interna",
        max_length=4000,
        rows=3,
        help_text="Solo la ve el equipo; nunca el consumidor.",
        error_messages={"required": MSG_TEXT_REQUIRED},
    )


class ReclassifyForm(StaffForm):
    kind = forms.ChoiceField(label="Tratar como", choices=Kind.choices, widget=forms.RadioSelect)
    reason = LongTextField(
        label="Motivo",
        max_length=1000,
        rows=2,
        help_text="Art. 6 del Reglamento: queda en el historial de la hoja.",
        error_messages={"required": MSG_REASON_REQUIRED},
    )


class CauseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} · {obj.name}"


class ClassifyForm(StaffForm):
    cause = CauseChoiceField(
        label="Causa",
        queryset=Cause.objects.none(),
        empty_label="Elige la causa…",
        help_text="La usa el consejo de mejora para encontrar lo que más se repite.",
        error_messages={"required": MSG_PICK_CAUSE, "invalid_choice": MSG_PICK_CAUSE},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cause"].queryset = cause_choices()
        # Grouped by category in the <select>: (category name, [(pk, label), ...]).
        groups: dict[str, list] = {}
        for cause in self.fields["cause"].queryset:
            groups.setdefault(cause.parent.name, []).append((cause.pk, f"{cause.code} · {cause.name}"))
        self.fields["cause"].choices = [("", "Elige la causa…"), *groups.items()]


class SettlementOfferForm(StaffForm):
    text = LongTextField(
        label="Propuesta de solución",
        max_length=4000,
        rows=4,
        help_text="Se envía por correo al consumidor; tiene 5 días hábiles para aceptarla (art. 6-A).",
        error_messages={"required": MSG_TEXT_REQUIRED},
    )


class LimaDateTimeField(forms.DateTimeField):
    """A datetime-local value, always read as Lima time whatever timezone is active."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=LIMA)
        try:
            return datetime.strptime(str(value).strip(), DATETIME_LOCAL).replace(tzinfo=LIMA)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class ResponseForm(StaffForm):
    """Section 4 of the hoja: the answer, how it is communicated and (for a letter) when."""

    text = LongTextField(
        label="Observaciones y acciones adoptadas por el proveedor",
        max_length=4000,
        rows=10,
        error_messages={"required": MSG_TEXT_REQUIRED},
    )
    channel = forms.ChoiceField(label="Cómo se comunica", choices=ResponseChannel.choices, widget=forms.RadioSelect)
    communicated_at = LimaDateTimeField(
        label="Fecha y hora de entrega de la carta (hora de Lima)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"invalid": "Escribe una fecha y hora válidas."},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") == ResponseChannel.LETTER and not cleaned.get("communicated_at"):
            self.add_error("communicated_at", MSG_LETTER_DATE_REQUIRED)
        if cleaned.get("channel") == ResponseChannel.EMAIL:
            cleaned["communicated_at"] = None  # by e-mail it is communicated when sent
        return cleaned


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Usuario o contraseña incorrectos. Revisa las mayúsculas y vuelve a intentarlo.",
        "inactive": "Este usuario está desactivado. Pide ayuda a un administrador.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Escribe tu usuario."
        self.fields["password"].error_messages["required"] = "Escribe tu contraseña."
