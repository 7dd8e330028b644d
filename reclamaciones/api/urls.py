"""/api/v1/: the routes of the API for online stores. The schema (api.schema) is built from this list."""

from __future__ import annotations

from django.urls import path

from . import oauth, schema, views
from .http import methods

app_name = "api"

urlpatterns = [
    path("v1/oauth/token", methods(oauth.token), name="oauth-token"),
    path("v1/hojas/", methods(views.hoja_changes, views.hoja_create), name="hojas"),
    # Contract with the webhooks: their payloads link to a hoja here, by its id.
    path("v1/hojas/<int:complaint_id>/", methods(views.hoja_detail), name="hoja"),
    path(
        "v1/establecimientos/<str:code>/hojas/<str:number>/",
        methods(views.hoja_by_number),
        name="hoja-by-number",
    ),
    path("v1/establecimientos/", methods(views.establishment_index), name="establecimientos"),
    path("v1/openapi.json", schema.openapi_json, name="openapi"),
    path("v1/docs/", schema.docs, name="docs"),
]
