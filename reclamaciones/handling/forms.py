"""Back-office forms. They only validate input; the views hand the cleaned data to one service each."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from ..book.backup import (
    SHEET_NUMBER_MAX,
    TranscriptionError,
    backup_sheet_number_clean,
    transcription_dates_refusal,
)
from ..book.forms import ComplaintForm
from ..book.models import Establishment, GoodType, Kind, ResponseChannel, Status
from ..deadlines.rules import MAX_EXTENSION_CALENDAR_DAYS
from ..formfields import LongTextField, newlines_normalize
from .models import Cause
from .selectors import STATUS_OPEN, STATUS_REMEDY_PENDING, cause_choices

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

    def add_error(self, field, error):
        super().add_error(field, error)
        if self._errors is not None and self.is_bound:  # an error a service reported after validation
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
        choices=[
            ("", "Todos los estados"),
            (STATUS_OPEN, "En trámite (abiertas)"),
            *Status.choices,
            (STATUS_REMEDY_PENDING, "Solución pendiente de cumplir"),
        ],
    )
    establecimiento = forms.TypedChoiceField(label="Establecimiento", required=False, coerce=int, empty_value=None)
    tipo = forms.ChoiceField(
        label="Tipo", required=False, choices=[("", "Reclamos y quejas"), *Kind.choices, ("sin", "Sin clasificar")]
    )
    mias = forms.BooleanField(label="Asignadas a mí", required=False)
    sin_asignar = forms.BooleanField(label="Sin asignar", required=False)
    vencidas = forms.BooleanField(label="Vencidas", required=False)
    semana = forms.BooleanField(label="Vencen esta semana", required=False)
    por_aprobar = forms.BooleanField(label="Por aprobar", required=False)  # handling.approvals
    # From the team view's links: one person's hojas (not a visible filter: any id only narrows the scope).
    responsable = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

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
            "assignee_id": data.get("responsable") or None,
            "query": (data.get("q") or "").strip(),
            "pending_approval": bool(data.get("por_aprobar")),
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


class GoodTypeForm(StaffForm):
    good_type = forms.ChoiceField(
        label="¿Es un producto o un servicio?",
        choices=GoodType.choices,
        widget=forms.RadioSelect,
        help_text="El consumidor no lo indicó; SIREC lo pide en cada hoja.",
        error_messages={"required": "Elige producto, servicio o ambos.", "invalid_choice": "Elige una opción."},
    )


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


def template_merge(draft: str, body: str) -> str:
    """The answer after choosing a template without a cursor to insert at (no JavaScript): the template below
    what was already typed, never instead of it; an empty draft simply becomes the template. The browser script
    inserts at the cursor instead (static/js/staff.js)."""
    draft, body = newlines_normalize(draft), newlines_normalize(body)
    if not draft.strip():
        return body
    return f"{draft.rstrip()}\n\n{body}"


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


MSG_EXTENSION_DAYS_FORM = f"Escribe un número de días calendario entre 1 y {MAX_EXTENSION_CALENDAR_DAYS}."

MSG_EXTENSION_REASON_REQUIRED = "Indica por qué la naturaleza del reclamo justifica la ampliación."


class ExtensionForm(StaffForm):
    """DS 006-2014-PCM art. 6: the one extension of a hoja filed before Ley 31435 (handling.settlement)."""

    days = forms.IntegerField(
        label="Días calendario de ampliación",
        min_value=1,
        max_value=MAX_EXTENSION_CALENDAR_DAYS,
        initial=MAX_EXTENSION_CALENDAR_DAYS,
        help_text=f"De 1 a {MAX_EXTENSION_CALENDAR_DAYS} días, una sola vez («hasta por otro igual»).",
        error_messages={
            "required": MSG_EXTENSION_DAYS_FORM,
            "invalid": MSG_EXTENSION_DAYS_FORM,
            "min_value": MSG_EXTENSION_DAYS_FORM,
            "max_value": MSG_EXTENSION_DAYS_FORM,
        },
    )
    reason = LongTextField(
        label="Motivo",
        max_length=1000,
        rows=3,
        help_text="Se le comunica al consumidor y queda en el historial de la hoja.",
        error_messages={"required": MSG_EXTENSION_REASON_REQUIRED},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs.update({"inputmode": "numeric"})


MSG_PICK_ESTABLISHMENT = "Elige el establecimiento al que pertenece el libro de respaldo."

MSG_PAPER_DATE_REQUIRED = "Escribe la fecha y hora que figuran en la hoja de papel."

MSG_DATE_INVALID = "Escribe una fecha y hora válidas."

# The public form's texts speak to the consumer; here the staff copy what the consumer wrote on paper.
_TRANSCRIBE_TEXTS = {
    "consumer_name": ("Nombre completo", "Escribe el nombre del consumidor como figura en la hoja de papel."),
    "doc_number": (None, "Escribe el número de documento que figura en la hoja de papel."),
    "detail": (None, "Copia el detalle que escribió el consumidor: es obligatorio."),
}

_TRANSCRIBE_HELP = {
    "consumer_address": "Domicilio o correo electrónico: la hoja necesita al menos uno de los dos.",
    "consumer_email": "Si lo escribió, le enviaremos la copia de su hoja por correo al registrarla.",
    "detail": "Cópialo tal cual, sin resumir. Hasta 4000 caracteres.",
    "request": "El pedido del consumidor, tal cual.",
}


class BackupSheetForm(StaffForm, ComplaintForm):
    """A sheet of the paper backup book, typed by staff (book.backup.complaint_transcribe): the public form's
    fields and checks (one definition, the same cleaning) plus where and when the paper sheet was filled in.
    No honeypot and no double-submit key: a repeated paper number is refused by the service."""

    establishment = forms.ModelChoiceField(
        label="Establecimiento",
        queryset=Establishment.objects.none(),
        empty_label="Elige el establecimiento…",
        error_messages={"required": MSG_PICK_ESTABLISHMENT, "invalid_choice": MSG_PICK_ESTABLISHMENT},
    )
    backup_sheet_number = forms.CharField(
        label="Número de la hoja de papel",
        max_length=SHEET_NUMBER_MAX,
        help_text="Tal como está impreso en la hoja del libro de respaldo, por ejemplo 000000012-2026.",
        error_messages={
            "required": "Escribe el número impreso en la hoja de papel.",
            "max_length": f"El número de la hoja tiene como máximo {SHEET_NUMBER_MAX} caracteres.",
        },
    )
    paper_filed_at = LimaDateTimeField(
        label="Fecha y hora escritas en la hoja de papel (hora de Lima)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="El plazo de respuesta se cuenta desde esta fecha, no desde hoy.",
        error_messages={"required": MSG_PAPER_DATE_REQUIRED, "invalid": MSG_DATE_INVALID},
    )
    book_enabled_at = LimaDateTimeField(
        label="El libro virtual volvió a estar disponible el… (hora de Lima)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=(
            "Opcional. Desde ese momento hay un (01) día calendario para transcribir la hoja (art. 4-A). "
            "Si lo dejas vacío, se cuenta desde la fecha de la hoja de papel."
        ),
        error_messages={"invalid": MSG_DATE_INVALID},
    )

    field_order = ["establishment", "backup_sheet_number", "paper_filed_at", "book_enabled_at"]

    msg_address_or_email = (
        "La hoja necesita el domicilio o el correo electrónico del consumidor (al menos uno): sin ellos se "
        "considera no presentada (art. 5 del Reglamento)."
    )
    msg_guardian_required = "Si el consumidor es menor de edad, escribe el nombre de su padre, madre o representante."

    def __init__(self, *args, establishments, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["referencia_interna"], self.fields["submission_key"]
        del self.fields["attachments"], self.fields["attachment_ref"]  # a paper sheet has no uploads (issue 14 §1)
        self.fields["establishment"].queryset = establishments
        self.fields["is_minor"].label = "El consumidor es menor de edad"
        for name, (label, required_message) in _TRANSCRIBE_TEXTS.items():
            if label:
                self.fields[name].label = label
            self.fields[name].error_messages["required"] = required_message
        for name, text in _TRANSCRIBE_HELP.items():
            self.fields[name].help_text = text
        for name in self.fields:
            self.fields[name].widget.attrs["autocomplete"] = "off"  # someone else's data, not the typist's

    def clean_backup_sheet_number(self) -> str:
        try:
            return backup_sheet_number_clean(self.cleaned_data["backup_sheet_number"])
        except TranscriptionError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        cleaned = super().clean()
        establishment, paper = cleaned.get("establishment"), cleaned.get("paper_filed_at")
        if establishment is not None and paper is not None and "book_enabled_at" not in self.errors:
            refused = transcription_dates_refusal(
                establishment=establishment,
                paper_filed_at=paper,
                book_enabled_at=cleaned.get("book_enabled_at") or paper,
                now=timezone.now(),
            )
            if refused is not None:
                self.add_error(refused.field, str(refused))
        return cleaned

    def service_kwargs(self) -> dict:
        """The cleaned data as keyword arguments of book.backup.complaint_transcribe."""
        data = super().service_kwargs()
        data.pop("submission_key", None)
        return data


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
