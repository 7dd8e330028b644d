"""The improvement council at /consejo/: dashboard, action items and meetings (with their PDFs)."""

from __future__ import annotations

from django.urls import path

from . import meeting_views, views

app_name = "council"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("acciones/", views.ActionListView.as_view(), name="actions"),
    path("acciones/<int:pk>/", views.ActionDetailView.as_view(), name="action"),
    path("reuniones/", meeting_views.MeetingListView.as_view(), name="meetings"),
    path("reuniones/nueva/", meeting_views.MeetingFormView.as_view(), name="meeting_add"),
    path("reuniones/<int:pk>/", meeting_views.MeetingDetailView.as_view(), name="meeting"),
    path("reuniones/<int:pk>/editar/", meeting_views.MeetingFormView.as_view(), name="meeting_edit"),
    path("reuniones/<int:pk>/agenda.pdf", meeting_views.MeetingAgendaPdfView.as_view(), name="meeting_agenda_pdf"),
    path("reuniones/<int:pk>/acta.pdf", meeting_views.MeetingMinutesPdfView.as_view(), name="meeting_minutes_pdf"),
    path("informe/", views.ReportView.as_view(), name="report"),
]
