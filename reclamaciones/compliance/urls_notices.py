"""Routes of the compliance desk's notices tool (included by compliance/urls.py): the Anexo II posters."""

from __future__ import annotations

from django.urls import path

from . import notice_views

urlpatterns = [
    path("carteles/", notice_views.PosterListView.as_view(), name="posters"),
    path("carteles/<int:pk>/aviso.pdf", notice_views.PosterPdfView.as_view(), name="poster"),
]
