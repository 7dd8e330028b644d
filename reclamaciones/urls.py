from django.urls import path, register_converter

from .views import health, public


class TrackingTokenConverter:
    """A tracking token's shape (url-safe base64, models.tracking_token_new): anything else, a NUL byte
    included, is a 404 before any query."""

    regex = "[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingTokenConverter, "token")

app_name = "reclamaciones"

urlpatterns = [
    path("", public.home, name="home"),
    path("libro/", public.book_index, name="book-index"),
    path("libro/<slug:slug>/", public.complaint_create, name="file"),
    path("seguimiento/", public.complaint_lookup, name="lookup"),
    path("seguimiento/<token:token>/", public.complaint_track, name="track"),
    path("seguimiento/<token:token>/registrada/", public.complaint_filed, name="filed"),
    path("seguimiento/<token:token>/hoja.pdf", public.complaint_pdf, name="pdf"),
    path("seguimiento/<token:token>/propuesta/", public.settlement_respond, name="settlement"),
    path("seguimiento/<token:token>/encuesta/", public.survey_respond, name="survey"),
    path("privacidad/", public.privacy, name="privacy"),
    path("healthz", health.healthz, name="healthz"),
]
