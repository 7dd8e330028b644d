"""Council meetings (/consejo/reuniones/): the list, one meeting (agenda, minutes, decisions) and its agenda and
minutes as PDF. Council, supervisors, auditors and superusers read; agents get the 403 page. Meetings are
created and edited in the admin (agenda generated there, decisions inline)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views import View

from .. import pdf, roles
from ..improvement import snapshot_display
from ..models import CouncilMeeting
from ..selectors import council_meeting_list
from .staff import StaffRequiredMixin, _forbidden

PAGE_SIZE = 25


class CouncilReaderRequired:
    """After StaffRequiredMixin (which reads the roles): only the council's readers get further."""

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_superuser or self.roles & roles.COUNCIL_READERS):
            return _forbidden(request)
        return super().dispatch(request, *args, **kwargs)


def _meeting_or_404(pk: int) -> CouncilMeeting:
    try:
        return CouncilMeeting.objects.get(pk=pk)
    except CouncilMeeting.DoesNotExist:
        raise Http404("Reunión no encontrada") from None


class MeetingListView(StaffRequiredMixin, CouncilReaderRequired, View):
    def get(self, request):
        page = Paginator(council_meeting_list(), PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "can_add": request.user.has_perm("reclamaciones.add_councilmeeting"),
            "nav": "council",
        }
        return self.render("reclamaciones/council/meetings.html", context)


class MeetingDetailView(StaffRequiredMixin, CouncilReaderRequired, View):
    def get(self, request, pk: int):
        meeting = _meeting_or_404(pk)
        context = {
            "meeting": meeting,
            "agenda": snapshot_display(meeting.agenda),
            "attendees": meeting.attendees.order_by("first_name", "last_name", "username"),
            "decisions": meeting.decisions.select_related("owner", "establishment")
            .prefetch_related("causes")
            .order_by("pk"),
            "can_change": request.user.has_perm("reclamaciones.change_councilmeeting"),
            "nav": "council",
        }
        return self.render("reclamaciones/council/meeting.html", context)


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    add_never_cache_headers(response)
    return response


class MeetingAgendaPdfView(StaffRequiredMixin, CouncilReaderRequired, View):
    def get(self, request, pk: int):
        meeting = _meeting_or_404(pk)
        return _pdf_response(pdf.meeting_agenda_pdf(meeting), pdf.meeting_pdf_filename(meeting, "agenda"))


class MeetingMinutesPdfView(StaffRequiredMixin, CouncilReaderRequired, View):
    def get(self, request, pk: int):
        meeting = _meeting_or_404(pk)
        return _pdf_response(pdf.meeting_minutes_pdf(meeting), pdf.meeting_pdf_filename(meeting, "acta"))
