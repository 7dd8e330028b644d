"""The council's meetings at /consejo/reuniones/: the list, scheduling, one meeting (agenda, attendance, notes per
agenda item, decisions, "Cerrar acta") and its PDFs. The council's readers read; the council and supervisors run
them (council.meetings); another establishment's meeting is a 404 for a scoped reader."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from ..access import StaffRequiredMixin, forbidden
from ..handling.selectors import establishment_list
from . import pdf
from .forms import MeetingDecisionForm, MeetingForm, MinutesForm
from .meetings import (
    AGENDA_ITEMS,
    MSG_ATTENDEES,
    MSG_CLOSED,
    MSG_ESTABLISHMENT,
    MSG_NO_ATTENDEES,
    meeting_agenda_refresh,
    meeting_agenda_send,
    meeting_close,
    meeting_decision_add,
    meeting_minutes_record,
    meeting_save,
)
from .models import CouncilMeeting
from .rules import snapshot_display
from .selectors import council_meeting_get, council_meeting_list, council_people, meetings_writable
from .services import MSG_OWNER_CANNOT_ACT, MSG_OWNER_ESTABLISHMENT, CouncilError
from .views import PAGE_SIZE, CouncilReaderRequired


class MeetingMixin(StaffRequiredMixin, CouncilReaderRequired):
    def meeting(self, pk: int) -> CouncilMeeting:
        try:
            return council_meeting_get(pk=pk, scope=self.scope)
        except CouncilMeeting.DoesNotExist:
            raise Http404("Reunión no encontrada") from None

    @property
    def runs_meetings(self) -> bool:
        return meetings_writable(scope=self.scope)


class MeetingListView(MeetingMixin, View):
    def get(self, request):
        page = Paginator(council_meeting_list(scope=self.scope), PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"page": page, "can_add": self.runs_meetings, "nav": "council"}
        return self.render("reclamaciones/council/meetings.html", context)


_FIELD_OF = {MSG_ESTABLISHMENT: "establishment", MSG_ATTENDEES: "attendees", MSG_NO_ATTENDEES: "attendees"}


class MeetingFormView(MeetingMixin, View):
    """Schedule a meeting (no pk) or change its schedule while its minutes are open."""

    def _form(self, data=None, meeting: CouncilMeeting | None = None) -> MeetingForm:
        initial = {}
        if meeting is not None:
            initial = {
                "held_on": meeting.held_on,
                "starts_at": meeting.starts_at,
                "place": meeting.place,
                "establishment": meeting.establishment_id,
                "attendees": list(meeting.attendees.values_list("pk", flat=True)),
                "guests": meeting.guests,
            }
        return MeetingForm(
            data,
            initial=initial,
            establishments=establishment_list(scope=self.scope),
            people=council_people(scope=self.scope),
            all_establishments=self.scope.is_everything,
        )

    def _page(self, form: MeetingForm, meeting: CouncilMeeting | None, *, status: int = 200):
        context = {"form": form, "meeting": meeting, "nav": "council"}
        return self.render("reclamaciones/council/meeting_form.html", context, status=status)

    def _editable(self, request, pk: int | None):
        if not self.runs_meetings:
            return None, forbidden(request, read_only=True)
        meeting = self.meeting(pk) if pk is not None else None
        if meeting is not None and meeting.closed_at is not None:
            messages.error(request, MSG_CLOSED)
            return meeting, redirect("council:meeting", meeting.pk)
        return meeting, None

    def get(self, request, pk: int | None = None):
        meeting, refused = self._editable(request, pk)
        return refused or self._page(self._form(meeting=meeting), meeting)

    def post(self, request, pk: int | None = None):
        meeting, refused = self._editable(request, pk)
        if refused:
            return refused
        form = self._form(request.POST, meeting)
        if not form.is_valid():
            return self._page(form, meeting, status=400)
        data = form.cleaned_data
        try:
            saved = meeting_save(
                scope=self.scope,
                meeting_id=meeting.pk if meeting else None,
                held_on=data["held_on"],
                starts_at=data["starts_at"],
                place=data["place"],
                establishment=data["establishment"],
                attendee_ids=[p.pk for p in data["attendees"]],
                guests=data["guests"],
            )
        except CouncilError as exc:
            form.add_error(_FIELD_OF.get(str(exc)), str(exc))
            return self._page(form, meeting, status=400)
        except PermissionDenied:
            return forbidden(request, read_only=True)
        messages.success(
            request, "Guardamos la reunión y su agenda." if meeting else "Programamos la reunión y armamos su agenda."
        )
        return redirect("council:meeting", saved.pk)


class MeetingDetailView(MeetingMixin, View):
    FORMS = ("minutes", "decision", "refresh", "send_agenda", "close")

    def _page(self, meeting: CouncilMeeting, *, bound: dict | None = None, status: int = 200):
        bound = bound or {}
        attendees = list(meeting.attendees.order_by("first_name", "last_name", "username"))
        attendance = meeting.attendance or {}
        writable = self.runs_meetings and meeting.closed_at is None
        notes = meeting.item_notes or {}
        minutes_form = None
        if writable:
            minutes_form = bound.get("minutes") or MinutesForm(meeting=meeting, attendees=attendees, items=AGENDA_ITEMS)
        context = {
            "meeting": meeting,
            "agenda": snapshot_display(meeting.agenda),
            "attendees": [
                {"person": p, "present": attendance.get(str(p.pk))} for p in attendees
            ],  # present: True, False or None (not recorded)
            "present_n": sum(1 for p in attendees if attendance.get(str(p.pk)) is True),
            "item_notes": [(label, notes[key]) for key, label in AGENDA_ITEMS if notes.get(key)],
            "decisions": meeting.decisions.select_related("owner", "establishment")
            .prefetch_related("causes")
            .order_by("pk"),
            "writable": writable,
            "runs_meetings": self.runs_meetings,
            "minutes_form": minutes_form,
            "decision_form": (bound.get("decision") or MeetingDecisionForm(prefix="acuerdo", meeting=meeting))
            if writable
            else None,
            "close_error": bound.get("close_error"),
            "nav": "council",
        }
        return self.render("reclamaciones/council/meeting.html", context, status=status)

    def get(self, request, pk: int):
        return self._page(self.meeting(pk))

    def post(self, request, pk: int):
        meeting = self.meeting(pk)
        if not self.runs_meetings:
            return forbidden(request, read_only=True)
        which = request.POST.get("form")
        if which not in self.FORMS:
            return self._page(meeting, status=400)
        if meeting.closed_at is not None:
            messages.error(request, MSG_CLOSED)
            return self._page(meeting, status=409)
        try:
            return self._post(request, meeting, which)
        except PermissionDenied:
            return forbidden(request, read_only=True)
        except CouncilMeeting.DoesNotExist:
            raise Http404("Reunión no encontrada") from None

    def _post(self, request, meeting: CouncilMeeting, which: str):
        if which == "minutes":
            attendees = list(meeting.attendees.order_by("first_name", "last_name", "username"))
            form = MinutesForm(request.POST, meeting=meeting, attendees=attendees, items=AGENDA_ITEMS)
            if not form.is_valid():
                return self._page(meeting, bound={"minutes": form}, status=400)
            try:
                meeting_minutes_record(
                    meeting_id=meeting.pk,
                    scope=self.scope,
                    attendance=form.attendance(),
                    item_notes=form.item_notes(),
                    minutes=form.cleaned_data["minutes"],
                )
            except CouncilError as exc:
                form.add_error(None, str(exc))
                return self._page(meeting, bound={"minutes": form}, status=400)
            done, anchor = "Guardamos la asistencia y el acta.", "acta"
        elif which == "decision":
            form = MeetingDecisionForm(request.POST, prefix="acuerdo", meeting=meeting)
            if not form.is_valid():
                return self._page(meeting, bound={"decision": form}, status=400)
            data = form.cleaned_data
            try:
                action = meeting_decision_add(
                    meeting_id=meeting.pk,
                    scope=self.scope,
                    title=data["title"],
                    owner=data["owner"],
                    due_date=data["due_date"],
                    causes=data["causes"],
                    target_reduction_pct=data["target_reduction_pct"],
                    verification_weeks=data["verification_weeks"],
                )
            except CouncilError as exc:
                message = str(exc)
                form.add_error("owner" if message in (MSG_OWNER_CANNOT_ACT, MSG_OWNER_ESTABLISHMENT) else None, message)
                return self._page(meeting, bound={"decision": form}, status=400)
            done, anchor = f"Registramos la acción «{action.title}».", "acuerdos"
        elif which == "refresh":
            meeting_agenda_refresh(meeting_id=meeting.pk, scope=self.scope)
            done, anchor = "Actualizamos la agenda con los datos de hoy.", "agenda"
        elif which == "send_agenda":
            queued = meeting_agenda_send(meeting_id=meeting.pk, scope=self.scope)
            done = (
                f"Enviamos la agenda a {queued} asistente{'s' if queued != 1 else ''}."
                if queued
                else "La agenda de hoy ya se había enviado a los asistentes con correo."
            )
            anchor = "agenda"
        else:
            try:
                meeting_close(meeting_id=meeting.pk, scope=self.scope)
            except CouncilError as exc:
                return self._page(meeting, bound={"close_error": str(exc)}, status=400)
            done, anchor = "Cerramos el acta y la enviamos a los asistentes.", "acta"
        messages.success(request, done)
        return redirect(f"{reverse('council:meeting', args=[meeting.pk])}#{anchor}")


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    add_never_cache_headers(response)
    return response


class MeetingAgendaPdfView(MeetingMixin, View):
    def get(self, request, pk: int):
        meeting = self.meeting(pk)
        return _pdf_response(pdf.meeting_agenda_pdf(meeting), pdf.meeting_pdf_filename(meeting, "agenda"))


class MeetingMinutesPdfView(MeetingMixin, View):
    def get(self, request, pk: int):
        meeting = self.meeting(pk)
        return _pdf_response(pdf.meeting_minutes_pdf(meeting), pdf.meeting_pdf_filename(meeting, "acta"))
