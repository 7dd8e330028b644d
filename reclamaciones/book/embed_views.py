"""The embedded book (/libro/<slug>/insertado/), the book's icon, the providers' logos, and the back office's
snippet pages (/gestion/insertar/). The embedded flow is the public flow (views.complaint_create and
views.complaint_filed): these views only check the form token and the origin, mark the request as embedded and set
the framing headers.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import etag, require_GET, require_http_methods, require_safe

from ..access import COMPLIANCE_READERS, Role, StaffRequiredMixin, forbidden
from . import embed, views
from .attachment_views import MSG_NEW_FILES_DROPPED
from .branding import brand_logo_bytes
from .forms import ComplaintForm
from .models import Complaint, Establishment, Provider
from .selectors import complaint_get_by_token, establishment_get_public

# Who reads the snippet pages: supervisors and the compliance role publish the book on the store's site;
# auditors check that it is published (superusers hold every role).
EMBED_READERS = frozenset({Role.SUPERVISOR}) | COMPLIANCE_READERS


def _framed(response: HttpResponse, establishment: Establishment) -> HttpResponse:
    """Frameable by the establishment's declared origins (and the portal's own preview) only; never cached (the
    page carries a time-limited token, the filed sheet personal data)."""
    response._csp_replace = {"frame-ancestors": embed.frame_ancestors(establishment)}  # read by django-csp
    add_never_cache_headers(response)
    return response


def _establishment_or_404(slug: str) -> Establishment:
    try:
        return establishment_get_public(slug=slug)
    except Establishment.DoesNotExist:
        raise Http404("Libro de reclamaciones no encontrado") from None


def _refused(request, establishment: Establishment, message: str) -> HttpResponse:
    request.embed = embed.EmbedMark(establishment=establishment, token="")
    context = {"establishment": establishment, "provider": establishment.provider, "message": message}
    return render(request, "reclamaciones/public/embed_refused.html", context, status=403)


def _mark(request, establishment: Establishment) -> None:
    """The request is the embedded book's: the public templates draw the compact layout and a fresh token."""
    request.embed = embed.EmbedMark(establishment=establishment, token=embed.token_new(establishment=establishment))


@csrf_exempt  # no cookie reaches a cross-site iframe: the form token and the Origin check protect these POSTs
@xframe_options_exempt  # framing is decided by _framed's frame-ancestors
@require_http_methods(["GET", "POST"])
def embed_file(request, slug: str):
    establishment = _establishment_or_404(slug)
    if request.method == "POST":
        if not embed.origin_allowed(request, establishment=establishment):
            return _framed(_refused(request, establishment, embed.MSG_FOREIGN_ORIGIN), establishment)
        try:
            embed.token_check(request.POST.get(embed.TOKEN_FIELD, ""), establishment=establishment)
        except embed.TokenError as exc:
            if not exc.expired:
                return _framed(_refused(request, establishment, str(exc)), establishment)
            # Sent back with what the consumer wrote, the documents already staged and a fresh token: nothing is
            # filed or reviewed, and new files are not read (the token is the embedded form's only protection).
            _mark(request, establishment)
            form = ComplaintForm(request.POST, establishment_id=establishment.pk)
            form.is_valid()
            alert = f"{exc} {MSG_NEW_FILES_DROPPED}" if request.FILES else str(exc)
            page = views._form_page(
                request, establishment, form, status=403, alert=alert, attachments=form.attachments_kept
            )
            return _framed(page, establishment)
    _mark(request, establishment)
    response = views.complaint_create(request, slug)
    token = _filed_token(response)
    if token is not None:  # filed: its sheet, still inside the frame
        response = redirect("reclamaciones:embed-filed", slug=slug, token=token)
    return _framed(response, establishment)


def _filed_token(response: HttpResponse) -> str | None:
    """The tracking token when `response` is complaint_create's redirect to the filed page."""
    if response.status_code != 302:
        return None
    try:
        match = resolve(response["Location"])
    except Resolver404:
        return None
    return match.kwargs.get("token") if match.view_name == "reclamaciones:filed" else None


@xframe_options_exempt
@require_GET
def embed_filed(request, slug: str, token: str):
    establishment = _establishment_or_404(slug)
    try:
        complaint = complaint_get_by_token(token=token)
    except Complaint.DoesNotExist:
        raise Http404("Hoja no encontrada") from None
    if complaint.establishment_id != establishment.pk:
        raise Http404("Hoja no encontrada")
    request.embed = embed.EmbedMark(establishment=establishment, token="")
    return _framed(views.complaint_filed(request, token), establishment)


@require_GET
def brand_logo(request, pk: int):
    """A provider's logo: public (it is on every public page of its book), read through the storage API."""
    provider = Provider.objects.filter(pk=pk).only("pk", "brand_logo").first()
    data = brand_logo_bytes(provider) if provider is not None else None
    if data is None:
        raise Http404("Logo no encontrado")
    response = HttpResponse(data, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    # The page's URL carries the content's hash (?v=): a new logo is a new URL.
    response["Cache-Control"] = "public, max-age=31536000, immutable" if request.GET.get("v") else "public, max-age=300"
    return response


BOOK_ICON = "img/libro-icon.svg"
# The icon's URL never changes (pasted code keeps it for ever), so a new icon reaches the stores' pages as caches
# expire: a week, then a cheap revalidation by ETag.
BOOK_ICON_MAX_AGE = 7 * 24 * 3600


@lru_cache(maxsize=1)
def _book_icon() -> tuple[bytes, str]:
    with open(finders.find(BOOK_ICON), "rb") as icon:
        data = icon.read()
    return data, hashlib.sha256(data).hexdigest()[:20]


@require_safe
@cache_control(public=True, max_age=BOOK_ICON_MAX_AGE)
@etag(lambda request: _book_icon()[1])
def book_icon(request):
    """The official icon for the snippets stores paste (/libro/icono.svg): the static file's own URL carries
    its content hash, which changes with the icon and would break every pasted button."""
    response = HttpResponse(_book_icon()[0], content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Back office -----------------------------------------------------------------------------------------------


class EmbedReadMixin(StaffRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.scope.roles and not (self.scope.roles & EMBED_READERS):
            return forbidden(request, read_only=True)
        return super().dispatch(request, *args, **kwargs)

    def establishments(self):
        return self.scope.filter(
            Establishment.objects.filter(is_active=True).select_related("provider"), path="pk"
        ).order_by("provider__legal_name", "name")


class EmbedListView(EmbedReadMixin, View):
    """/gestion/insertar/: the establishments in the user's scope, each with its link and snippet page."""

    def get(self, request):
        context = {"establishments": list(self.establishments()), "nav": "embed"}
        return self.render("reclamaciones/staff/embed_list.html", context)


def _snippets(establishment: Establishment, *, base: str) -> dict[str, str]:
    return {
        "button": embed.snippet_button(establishment, base=base),
        "fixed": embed.snippet_button(establishment, base=base, fixed=True),
        "iframe": embed.snippet_iframe(establishment, base=base),
    }


class EmbedDetailView(EmbedReadMixin, View):
    """/gestion/insertar/<pk>/: the copy-paste code of one establishment, with a live preview. Another
    establishment's page does not exist for this user (404)."""

    def get(self, request, pk: int):
        establishment = self.establishments().filter(pk=pk).first()
        if establishment is None:
            raise Http404("Establecimiento no encontrado")
        context = {
            "establishment": establishment,
            "origins": embed.origins_of(establishment),
            # What the store pastes (shown escaped, in textareas), and the same code with the portal's relative
            # URLs for the live preview (this page's CSP allows only 'self'). Both escape what they interpolate.
            "code": _snippets(establishment, base=settings.PORTAL_BASE_URL),
            "preview": _snippets(establishment, base=""),
            "hosted_url": embed.embed_url(establishment, base=settings.PORTAL_BASE_URL),
            "admin_url": reverse("admin:reclamaciones_establishment_change", args=[establishment.pk]),
            "nav": "embed",
        }
        return self.render("reclamaciones/staff/embed_detail.html", context)
