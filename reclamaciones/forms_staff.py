"""Back-office forms. They only validate input; the views hand the cleaned data to one service each."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q, QuerySet

from .models import OPEN_STATUSES, Complaint, Kind, ResponseChannel, Status

LIMA = ZoneInfo("America/Lima")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
# "000000012-2026", "12-2026", "Nº 12" or "12": a sheet number, with or without its year.
NUMBER_RE = re.compile(r"^(?:n[º°o.]?\s*)?0*(\d{1,9})(?:\s*-\s*(\d{4}))?$", re.IGNORECASE)

MSG_TEXT_REQUIRED = "Escribe el texto."
MSG_REASON_REQUIRED = "Indica el motivo de la reclasificación."
MSG_LETTER_DATE_REQUIRED = "Indica la fecha y hora en que se entregó la carta."
MSG_PICK_PERSON = "Elige a una persona de la lista."

STATUS_OPEN = "abiertas"


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
            attrs={"type": "search", "placeholder": "Número, documento o nombre", "autocomplete": "off"}
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

    def filter(self, complaints: QuerySet[Complaint], *, user, today: date) -> QuerySet[Complaint]:
        """Apply the filters to a queryset already limited to the user's scope. A value that does not validate
        (an establishment out of scope, an unknown status) is ignored; the other filters still apply."""
        data = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data keeps only the fields that validated
            data = self.cleaned_data
        status = data.get("estado")
        if status == STATUS_OPEN:
            complaints = complaints.filter(status__in=OPEN_STATUSES)
        elif status:
            complaints = complaints.filter(status=status)
        if data.get("establecimiento"):
            complaints = complaints.filter(establishment_id=data["establecimiento"])
        kind = data.get("tipo")
        if kind:
            complaints = complaints.filter(kind="" if kind == "sin" else kind)
        if data.get("mias"):
            complaints = complaints.filter(assignee=user)
        if data.get("sin_asignar"):
            complaints = complaints.filter(assignee__isnull=True)
        if data.get("vencidas"):
            complaints = complaints.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        if data.get("semana"):
            complaints = complaints.filter(status__in=OPEN_STATUSES, due_date__range=(today, week_end(today)))
        query = (data.get("q") or "").strip()
        if query:
            complaints = complaints.filter(search_q(query))
        return complaints


def week_end(today: date) -> date:
    """The Sunday that ends today's week: "vencen esta semana" means today .. that Sunday."""
    return today + timedelta(days=6 - today.weekday())


def search_q(query: str) -> Q:
    """By sheet number ("000000012-2026", "12"), by document number, or by the consumer's name."""
    match = NUMBER_RE.match(query)
    condition = Q(doc_number__iexact=query) | Q(consumer_name__icontains=query)
    if match:
        number = Q(number=int(match.group(1)))
        if match.group(2):
            number &= Q(year=int(match.group(2)))
        condition |= number
    return condition


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
    text = forms.CharField(
        label="Nota interna",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Solo la ve el equipo; nunca el consumidor.",
        error_messages={"required": MSG_TEXT_REQUIRED},
    )


class ReclassifyForm(StaffForm):
    kind = forms.ChoiceField(label="Tratar como", choices=Kind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Motivo",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Art. 6 del Reglamento: queda en el historial de la hoja.",
        error_messages={"required": MSG_REASON_REQUIRED},
    )


class SettlementOfferForm(StaffForm):
    text = forms.CharField(
        label="Propuesta de solución",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
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

    text = forms.CharField(
        label="Observaciones y acciones adoptadas por el proveedor",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 10}),
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
