"""Public pages (no login, ever): the book's index, the form, the confirmation, follow-up, the PDF, the
settlement answer and the survey; and /healthz."""

from __future__ import annotations

from django.urls import path, register_converter

from .. import health
from . import attachment_views, embed_views, views


class TrackingTokenConverter:
    """A tracking token's shape (url-safe base64, models.tracking_token_new): anything else, a NUL byte
    included, is a 404 before any query."""

    regex = "[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingTokenConverter, "token")


class RucConverter:
    """A RUC's shape (11 digits): the key of a provider's privacy page; anything else is a 404 before any query."""

    regex = "[0-9]{11}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RucConverter, "ruc")

app_name = "reclamaciones"

urlpatterns = [
    path("", views.home, name="home"),
    path("libro/", views.book_index, name="book-index"),
    path("libro/icono.svg", embed_views.book_icon, name="book-icon"),
    path("libro/<slug:slug>/", views.complaint_create, name="file"),
    path("libro/<slug:slug>/insertado/", embed_views.embed_file, name="embed"),
    path("libro/<slug:slug>/insertado/registrada/<token:token>/", embed_views.embed_filed, name="embed-filed"),
    path("marca/<int:pk>/logo.png", embed_views.brand_logo, name="brand-logo"),
    path("seguimiento/", views.complaint_lookup, name="lookup"),
    path("seguimiento/<token:token>/", views.complaint_track, name="track"),
    path("seguimiento/<token:token>/registrada/", views.complaint_filed, name="filed"),
    path("seguimiento/<token:token>/hoja.pdf", views.complaint_pdf, name="pdf"),
    path(
        "seguimiento/<token:token>/adjuntos/<int:pk>/", attachment_views.consumer_attachment_download, name="attachment"
    ),
    path("seguimiento/<token:token>/propuesta/", views.settlement_respond, name="settlement"),
    path("seguimiento/<token:token>/encuesta/", views.survey_respond, name="survey"),
    path("privacidad/", views.privacy, name="privacy"),
    path("privacidad/<ruc:ruc>/", views.privacy_provider, name="privacy-provider"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/ready", health.healthz_ready, name="healthz-ready"),
]
