from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Libro de Reclamaciones · Administración"
admin.site.site_title = "Libro de Reclamaciones"
admin.site.index_title = "Administración del portal"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("gestion/cumplimiento/", include("reclamaciones.compliance.urls")),
    path("gestion/", include("reclamaciones.handling.urls")),
    path("consejo/", include("reclamaciones.council.urls")),
    path("", include("reclamaciones.book.urls")),
]

handler400 = "reclamaciones.book.views.bad_request"
handler403 = "reclamaciones.book.views.permission_denied"
handler404 = "reclamaciones.book.views.page_not_found"
handler500 = "reclamaciones.book.views.server_error"
