"""The improvement council at /consejo/: dashboard, action items and meetings (with their PDFs)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "council"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("acciones/", views.ActionListView.as_view(), name="actions"),
    path("acciones/<int:pk>/", views.ActionDetailView.as_view(), name="action"),
    path("reuniones/", views.MeetingListView.as_view(), name="meetings"),
    path("reuniones/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting"),
    path("reuniones/<int:pk>/agenda.pdf", views.MeetingAgendaPdfView.as_view(), name="meeting_agenda_pdf"),
    path("reuniones/<int:pk>/acta.pdf", views.MeetingMinutesPdfView.as_view(), name="meeting_minutes_pdf"),
    path("informe/", views.ReportView.as_view(), name="report"),
]
