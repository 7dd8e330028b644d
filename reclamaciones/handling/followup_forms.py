"""The follow-through panel's form and context (handling.followup): validation only; the service decides."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ..access import Scope
from ..book.models import Complaint
from ..formfields import LongTextField
from .followup import follow_through_get, remedy_refusal
from .followup_models import RemedyRecord
from .forms import StaffForm

MSG_DATE_REQUIRED = "Indica la fecha en que se cumplió (dd/mm/aaaa)."
MSG_REASON_REQUIRED = "Explica por qué corriges el registro anterior."


class RemedyForm(StaffForm):
    outcome = forms.ChoiceField(
        label="¿Qué registras?",
        choices=RemedyRecord.Outcome.choices,
        initial=RemedyRecord.Outcome.DONE,
        widget=forms.RadioSelect,
    )
    done_on = forms.DateField(
        label="Fecha en que se cumplió",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": MSG_DATE_REQUIRED, "invalid": MSG_DATE_REQUIRED},
        help_text="No puede ser posterior a hoy ni anterior a la presentación de la hoja.",
    )
    what_done = LongTextField(
        label="Qué se hizo",
        max_length=2000,
        rows=3,
        help_text="Lo lee el consumidor: la devolución, el cambio, la reparación… con montos y plazos reales.",
        error_messages={"required": "Cuenta qué se hizo: es lo que leerá el consumidor."},
    )
    evidence_reference = forms.CharField(
        label="Referencia de la constancia",
        max_length=100,
        required=False,
        help_text="Nota de crédito, número de operación, guía de remisión, orden de servicio…",
    )
    evidence_notes = LongTextField(
        label="Descripción de la constancia",
        max_length=2000,
        rows=2,
        required=False,
        help_text="Si no hay un número: qué documento o evidencia lo respalda y dónde está.",
    )
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)
    correction_reason = forms.CharField(
        label="Motivo de la corrección",
        max_length=500,
        required=False,
        help_text="El registro anterior no se borra: queda en el historial, marcado como corregido.",
    )

    def __init__(self, *args, complaint: Complaint, correcting: RemedyRecord | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if correcting is None:
            del self.fields["correction_reason"]
        else:
            # A correction starts from the record it replaces: change what was wrong, say why.
            self.fields["correction_reason"].required = True
            self.fields["correction_reason"].error_messages["required"] = MSG_REASON_REQUIRED
            for name in ("outcome", "done_on", "what_done", "evidence_reference", "evidence_notes"):
                self.initial.setdefault(name, getattr(correcting, name))
            self.initial.setdefault("corrects", correcting.pk)
        self.fields["done_on"].widget.attrs.update(
            min=timezone.localdate(complaint.filed_at).isoformat(), max=timezone.localdate().isoformat()
        )


def remedy_panel_context(complaint: Complaint, *, scope: Scope, form: RemedyForm | None = None) -> dict:
    """The detail page's follow-through panel: the records, whether the remedy is pending, and the form (for
    those who may record it). No query while the hoja is neither answered nor settled."""
    follow = follow_through_get(complaint=complaint)
    if follow is None:
        return {"follow": None}
    can_record = remedy_refusal(complaint, scope=scope) is None
    if form is None and can_record:
        form = RemedyForm(prefix="remedy", complaint=complaint, correcting=follow.current)
    return {"follow": follow, "remedy_form": form if can_record else None}
