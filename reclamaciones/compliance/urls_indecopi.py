"""Routes of the compliance desk's INDECOPI requests and evidence bundles (included by compliance/urls.py)."""

from __future__ import annotations

from django.urls import path

from . import indecopi_views as views

urlpatterns: list = [
    path("requerimientos/", views.RequestListView.as_view(), name="requests"),
    path("requerimientos/nuevo/", views.RequestNewView.as_view(), name="request-new"),
    path("requerimientos/<int:pk>/", views.RequestDetailView.as_view(), name="request"),
    path("requerimientos/<int:pk>/atendido/", views.RequestAnsweredView.as_view(), name="request-answered"),
    path("requerimientos/<int:pk>/paquete/", views.BundleNewView.as_view(), name="bundle-new"),
    path("paquetes/<int:pk>/", views.BundleView.as_view(), name="bundle"),
    path("paquetes/<int:pk>/estado/", views.BundleStatusView.as_view(), name="bundle-status"),
    path("paquetes/<int:pk>/descargar/", views.BundleDownloadView.as_view(), name="bundle-download"),
]
