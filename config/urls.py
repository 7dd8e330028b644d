from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Libro de Reclamaciones · Administración"
admin.site.site_title = "Libro de Reclamaciones"
admin.site.index_title = "Administración del portal"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("gestion/", include("reclamaciones.urls_staff")),
    path("consejo/", include("reclamaciones.urls_council")),
    path("", include("reclamaciones.urls")),
]

handler400 = "reclamaciones.views.public.bad_request"
handler403 = "reclamaciones.views.public.permission_denied"
handler404 = "reclamaciones.views.public.page_not_found"
handler500 = "reclamaciones.views.public.server_error"
