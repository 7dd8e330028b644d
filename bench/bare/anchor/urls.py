from django.urls import path

from . import views

app_name = "anchor"

urlpatterns = [
    path("hoja/", views.filing_create, name="create"),
    path("hoja/<str:token>/", views.filing_detail, name="detail"),
]
