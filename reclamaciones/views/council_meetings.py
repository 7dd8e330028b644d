"""Council meetings (/consejo/reuniones/): being built in this session (issue 5, step 5)."""

from django.http import Http404
from django.views import View


class _NotYet(View):
    def get(self, request, *args, **kwargs):
        raise Http404


MeetingListView = MeetingDetailView = MeetingAgendaPdfView = MeetingMinutesPdfView = _NotYet
