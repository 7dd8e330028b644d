from django.urls import path

from .views import council, council_meetings

app_name = "council"

urlpatterns = [
    path("", council.DashboardView.as_view(), name="dashboard"),
    path("acciones/", council.ActionListView.as_view(), name="actions"),
    path("reuniones/", council_meetings.MeetingListView.as_view(), name="meetings"),
    path("reuniones/<int:pk>/", council_meetings.MeetingDetailView.as_view(), name="meeting"),
    path("reuniones/<int:pk>/agenda.pdf", council_meetings.MeetingAgendaPdfView.as_view(), name="meeting_agenda_pdf"),
    path("reuniones/<int:pk>/acta.pdf", council_meetings.MeetingMinutesPdfView.as_view(), name="meeting_minutes_pdf"),
]
