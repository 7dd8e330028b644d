"""The compliance desk at /gestion/cumplimiento/: SIREC, INDECOPI requests and evidence bundles, posters,
retention and the personal-data access log. Each tool's routes live beside its views."""

from __future__ import annotations

from django.urls import path

from . import urls_indecopi, urls_notices, views

app_name = "compliance"

urlpatterns = [
    path("", views.DeskView.as_view(), name="desk"),
    path("sirec/", views.SirecView.as_view(), name="sirec"),
    path("sirec/manual/", views.SirecManualView.as_view(), name="sirec-manual"),
    path("accesos/", views.AccessLogView.as_view(), name="access-log"),
    *urls_indecopi.urlpatterns,
    *urls_notices.urlpatterns,
]
