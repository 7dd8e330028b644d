"""Back office: recording the follow-through of an answered or settled hoja (handling.followup). The panel lives
on the hoja's detail page (templates/reclamaciones/staff/_remedy_panel.html); this module gives it its context
and receives its form. Thin: the form validates input, the service decides."""

from __future__ import annotations

from django.contrib import messages

from ..book.models import Complaint
from .flow_views import flow_redirect
from .followup import MSG_REMEDY_NOT_YET, RemedyError, follow_through_get, remedy_record, remedy_refusal
from .followup_forms import RemedyForm
from .followup_models import RemedyRecord
from .views import ComplaintActionView, _complaint_or_404

MSG_REMEDY_SAVED = "Cumplimiento registrado."
MSG_REMEDY_EMAILED = " Se lo contamos al consumidor por correo, a {email}."
MSG_REMEDY_CORRECTED = "Corrección registrada: reemplaza al registro anterior, que queda en el historial."
MSG_REMEDY_NOTHING_DUE = "Registrado: la respuesta no prometía una solución que cumplir."
MSG_REMEDY_MOVED = (
    "Mientras escribías, otra persona registró el cumplimiento de esta hoja: revisa el registro vigente. Si lo tuyo "
    "debe reemplazarlo, indica el motivo y regístralo como corrección."
)


class RemedyView(ComplaintActionView):
    """POST: record that the remedy was carried out (or that the answer promised none), or correct the latest
    record. Errors come back next to their fields with what was typed; a hoja not yet answered or settled goes
    back to its page with the reason."""

    form_name = "remedy_form"
    invalid_status = 400

    def post(self, request, pk: int):
        complaint = _complaint_or_404(self.scope, pk)
        denied = self.denied(complaint)
        if denied is not None:
            return denied
        if remedy_refusal(complaint, scope=self.scope) == MSG_REMEDY_NOT_YET:
            messages.error(request, MSG_REMEDY_NOT_YET)
            return flow_redirect(request, scope=self.scope, complaint=complaint, advance=False)  # in its view
        current = follow_through_get(complaint=complaint).current
        data, expected = request.POST, str(current.pk) if current else ""
        if data.get("remedy-corrects", "") != expected:
            # Someone recorded (or corrected) meanwhile: what was typed comes back as a correction of the record
            # that stands now, for the person to check and give a reason; nothing is saved yet.
            data = data.copy()
            data["remedy-corrects"] = expected
            form = RemedyForm(data, prefix="remedy", complaint=complaint, correcting=current)
            form.is_valid()
            form.add_error(None, MSG_REMEDY_MOVED)
            return self.invalid(complaint, form)
        form = RemedyForm(data, prefix="remedy", complaint=complaint, correcting=current)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = remedy_record(
                    complaint_id=complaint.pk,
                    outcome=data["outcome"],
                    done_on=data["done_on"],
                    what_done=data["what_done"],
                    evidence_reference=data["evidence_reference"],
                    evidence_notes=data["evidence_notes"],
                    corrects_id=data.get("corrects"),
                    correction_reason=data.get("correction_reason", ""),
                    scope=self.scope,
                )
            except RemedyError as exc:
                form.add_error(exc.field or None, str(exc))
            else:
                messages.success(request, self.done_message(record, complaint))
                # "Guardar y siguiente": on through a «Solución pendiente de cumplir» view
                return flow_redirect(request, scope=self.scope, complaint=complaint, anchor="cumplimiento")
        return self.invalid(complaint, form)

    @staticmethod
    def done_message(record: RemedyRecord, complaint: Complaint) -> str:
        if not record.is_done:
            return MSG_REMEDY_NOTHING_DUE
        message = MSG_REMEDY_CORRECTED if record.corrects_id else MSG_REMEDY_SAVED
        if complaint.contact_email:
            message += MSG_REMEDY_EMAILED.format(email=complaint.contact_email)
        return message
