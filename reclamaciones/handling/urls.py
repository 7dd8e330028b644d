"""Back office at /gestion/: login and password reset (Django's auth views, Spanish templates), the queue,
the hoja's detail and one URL per action."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.utils.text import format_lazy

from ..book import attachment_views
from ..book.embed_views import EmbedDetailView, EmbedListView
from ..ops import views as ops_views
from . import approval_views, export_views, flow_views, followup_views, team_views, views
from .forms import StaffLoginForm

app_name = "staff"

_reset_email_context = {"portal_base_url": settings.PORTAL_BASE_URL}

urlpatterns = [
    # Access
    path(
        "entrar/",
        views.StaffLoginView.as_view(
            template_name="registration/login.html",
            authentication_form=StaffLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path(
        "salir/",
        auth_views.LogoutView.as_view(next_page=format_lazy("{}?sesion=cerrada", reverse_lazy("staff:login"))),
        name="logout",
    ),
    path(
        "clave/",
        views.PasswordResetView.as_view(
            template_name="registration/password_reset_form.html",
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email_body.html",
            subject_template_name="registration/password_reset_subject.txt",
            extra_email_context=_reset_email_context,
            success_url=reverse_lazy("staff:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "clave/enviada/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "clave/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("staff:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "clave/lista/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    # Queue
    path("", views.QueueView.as_view(), name="queue"),
    path("equipo/", team_views.TeamView.as_view(), name="team"),
    path("estado/", ops_views.StatusView.as_view(), name="status"),
    path("asignar/", approval_views.BulkAssignView.as_view(), name="bulk-assign"),
    # Saved personal views of the queue
    path("vistas/", flow_views.SavedViewsView.as_view(), name="saved-views"),
    path("vistas/<int:pk>/renombrar/", flow_views.SavedViewRenameView.as_view(), name="saved-view-rename"),
    path("vistas/<int:pk>/eliminar/", flow_views.SavedViewDeleteView.as_view(), name="saved-view-delete"),
    path("exportar.csv", views.QueueExportView.as_view(fmt="csv"), name="export-csv"),
    path("exportar.xlsx", views.QueueExportView.as_view(fmt="xlsx"), name="export-xlsx"),
    path("exportaciones/<int:pk>/", export_views.ExportJobView.as_view(), name="export-job"),
    path("exportaciones/<int:pk>/estado.json", export_views.ExportJobStatusView.as_view(), name="export-status"),
    path("exportaciones/<int:pk>/descargar", export_views.ExportJobDownloadView.as_view(), name="export-download"),
    # The book on the store's own site (issue 14 §5): the button and iframe code per establishment
    path("insertar/", EmbedListView.as_view(), name="embed-list"),
    path("insertar/<int:pk>/", EmbedDetailView.as_view(), name="embed-detail"),
    # The paper backup book (Reglamento art. 4-A)
    path("respaldo/transcribir/", views.TranscribeView.as_view(), name="transcribe"),
    # One hoja
    path("hojas/<int:pk>/", views.ComplaintDetailView.as_view(), name="detail"),
    path("hojas/<int:pk>/hoja.pdf", views.ComplaintPdfView.as_view(), name="pdf"),
    path("hojas/<int:pk>/asignar/", views.AssignView.as_view(), name="assign"),
    path("hojas/<int:pk>/nota/", views.NoteView.as_view(), name="note"),
    path("hojas/<int:pk>/reclasificar/", views.ReclassifyView.as_view(), name="reclassify"),
    path("hojas/<int:pk>/causa/", views.ClassifyView.as_view(), name="classify"),
    path("hojas/<int:pk>/bien/", views.GoodTypeView.as_view(), name="good-type"),
    path("hojas/<int:pk>/propuesta/", views.SettlementOfferView.as_view(), name="offer"),
    path("hojas/<int:pk>/ampliar/", views.ExtendView.as_view(), name="extend"),
    path("hojas/<int:pk>/aprobacion/aprobar/", approval_views.ApprovalDecisionView.as_view(), name="approval-grant"),
    path(
        "hojas/<int:pk>/aprobacion/devolver/",
        approval_views.ApprovalDecisionView.as_view(decision="return"),
        name="approval-refuse",
    ),
    path("hojas/<int:pk>/respuesta/", views.AnswerView.as_view(), name="answer"),
    path("hojas/<int:pk>/respuesta/enviar/", views.AnswerSendView.as_view(), name="answer-send"),
    path("hojas/<int:pk>/cerrar/", views.CloseView.as_view(), name="close"),
    path("hojas/<int:pk>/cumplimiento/", followup_views.RemedyView.as_view(), name="remedy"),
    # Documents (issue 14 §1): download any of the hoja's; attach one to the answer
    path(
        "hojas/<int:pk>/adjuntos/<int:attachment_pk>/",
        attachment_views.StaffAttachmentDownloadView.as_view(),
        name="attachment",
    ),
    path("hojas/<int:pk>/adjuntos/nuevo/", attachment_views.StaffAttachmentUploadView.as_view(), name="attachment-add"),
]
