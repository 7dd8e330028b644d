from django.urls import path

from .views import health, public

app_name = "reclamaciones"

urlpatterns = [
    path("", public.home, name="home"),
    path("libro/", public.book_index, name="book-index"),
    path("libro/<slug:slug>/", public.complaint_create, name="file"),
    path("seguimiento/", public.complaint_lookup, name="lookup"),
    path("seguimiento/<str:token>/", public.complaint_track, name="track"),
    path("seguimiento/<str:token>/registrada/", public.complaint_filed, name="filed"),
    path("seguimiento/<str:token>/hoja.pdf", public.complaint_pdf, name="pdf"),
    path("seguimiento/<str:token>/propuesta/", public.settlement_respond, name="settlement"),
    path("seguimiento/<str:token>/encuesta/", public.survey_respond, name="survey"),
    path("privacidad/", public.privacy, name="privacy"),
    path("healthz", health.healthz, name="healthz"),
]
