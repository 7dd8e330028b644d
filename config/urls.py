from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers and crawlers ask for /favicon.ico whatever the page says: a temporary redirect to the book's
    icon (its hashed static name changes when the icon does, so the redirect itself is not permanent)."""
    return HttpResponseRedirect(static("img/libro-icon.svg"))


admin.site.site_header = "Libro de Reclamaciones · Administración"
admin.site.site_title = "Libro de Reclamaciones"
admin.site.index_title = "Administración del portal"

urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("gestion/cumplimiento/", include("reclamaciones.compliance.urls")),
    path("gestion/", include("reclamaciones.handling.urls")),
    path("consejo/", include("reclamaciones.council.urls")),
    path("api/", include("reclamaciones.api.urls")),
    path("", include("reclamaciones.book.urls")),
]

handler400 = "reclamaciones.book.views.bad_request"
handler403 = "reclamaciones.book.views.permission_denied"
handler404 = "reclamaciones.book.views.page_not_found"
handler500 = "reclamaciones.book.views.server_error"
