from django.urls import include, path

urlpatterns = [path("", include("bench.bare.anchor.urls"))]
