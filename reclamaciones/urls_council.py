from django.urls import path

from .views import council

app_name = "council"

urlpatterns = [path("", council.DashboardView.as_view(), name="dashboard")]
