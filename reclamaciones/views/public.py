"""Public pages: no login, ever. The consumer files, gets the sheet at once and follows it."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from .. import pdf
from ..forms import MSG_HONEYPOT, ComplaintForm
from ..models import Complaint, Establishment, SettlementOffer
from ..selectors import (
    complaint_get_by_token,
    establishment_get_public,
    establishment_list_public,
    settlement_offer_latest,
)
from ..services.filing import FilingError, complaint_file
from ..services.settlement import (
    ACCEPTANCE_PHRASE,
    SettlementError,
    settlement_offer_accept,
    settlement_offer_reject,
)

MSG_RATE_LIMITED = (
    "Recibimos muchas hojas desde tu conexión en poco tiempo. Tus datos siguen aquí: espera unos minutos "
    "y vuelve a enviarla."
)


def _private(response: HttpResponse) -> HttpResponse:
    # Pages behind a tracking token carry personal data: never cached, never indexed.
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def home(request):
    return render(request, "reclamaciones/public/home.html", {"establishments": establishment_list_public()})


def book_index(request):
    establishments = list(establishment_list_public())
    if len(establishments) == 1:
        return redirect("reclamaciones:file", slug=establishments[0].slug)
    return render(request, "reclamaciones/public/book_index.html", {"establishments": establishments})


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _form_page(request, establishment: Establishment, form: ComplaintForm, *, status: int = 200, alert: str = ""):
    context = {"establishment": establishment, "provider": establishment.provider, "form": form, "alert": alert}
    return render(request, "reclamaciones/public/complaint_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=lambda group, request: settings.RECLAMACIONES_FILING_RATE, method="POST", block=False)
def complaint_create(request, slug: str):
    try:
        establishment = establishment_get_public(slug=slug)
    except Establishment.DoesNotExist:
        raise Http404("Libro de reclamaciones no encontrado") from None

    if request.method == "GET":
        return _form_page(request, establishment, ComplaintForm())

    form = ComplaintForm(request.POST)
    if getattr(request, "limited", False):
        form.is_valid()
        return _form_page(request, establishment, form, status=429, alert=MSG_RATE_LIMITED)
    if form.honeypot_filled:
        # Re-render with the hidden field emptied, so a person whose browser autofilled it can just resend.
        data = request.POST.copy()
        data["referencia_interna"] = ""
        form = ComplaintForm(data)
        form.is_valid()
        return _form_page(request, establishment, form, status=400, alert=MSG_HONEYPOT)
    if not form.is_valid():
        return _form_page(request, establishment, form)
    try:
        complaint = complaint_file(
            establishment=establishment,
            client_ip=_client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            **form.service_kwargs(),
        )
    except FilingError as exc:
        return _form_page(request, establishment, form, status=409, alert=str(exc))
    return redirect("reclamaciones:filed", token=complaint.tracking_token)


def _complaint_or_404(token: str) -> Complaint:
    try:
        return complaint_get_by_token(token=token)
    except Complaint.DoesNotExist:
        raise Http404("Hoja no encontrada") from None


def complaint_filed(request, token: str):
    """The confirmation page right after filing: the whole sheet, PDF, tracking link (art. 4-B)."""
    complaint = _complaint_or_404(token)
    context = {"complaint": complaint, "tracking_url": pdf.tracking_url(complaint), "just_filed": True}
    return _private(render(request, "reclamaciones/public/complaint_sheet.html", context))


def complaint_track(request, token: str):
    complaint = _complaint_or_404(token)
    context = {
        "complaint": complaint,
        "tracking_url": pdf.tracking_url(complaint),
        "just_filed": False,
        "offer": settlement_offer_latest(complaint=complaint),
    }
    return _private(render(request, "reclamaciones/public/complaint_sheet.html", context))


@require_http_methods(["GET", "POST"])
def settlement_respond(request, token: str):
    """The consumer reads the provider's offer and accepts it expressly, or rejects it (art. 6-A)."""
    complaint = _complaint_or_404(token)
    offer = settlement_offer_latest(complaint=complaint)
    if offer is None:
        raise Http404("No hay propuesta de solución")
    error, status = "", 200
    if request.method == "POST":
        answer = request.POST.get("respuesta")
        try:
            if answer == "aceptar":
                settlement_offer_accept(offer_id=offer.pk)
            elif answer == "rechazar":
                settlement_offer_reject(offer_id=offer.pk)
            else:
                raise SettlementError("Elige si aceptas o rechazas la propuesta.")
        except SettlementError as exc:
            error, status = str(exc), 409 if answer in {"aceptar", "rechazar"} else 400
        else:
            return redirect("reclamaciones:settlement", token=token)
        offer.refresh_from_db()
    context = {
        "complaint": complaint,
        "offer": offer,
        "error": error,
        "acceptance_phrase": ACCEPTANCE_PHRASE,
        "can_answer": offer.status == SettlementOffer.Status.PENDING and timezone.localdate() <= offer.respond_by,
    }
    return _private(render(request, "reclamaciones/public/settlement.html", context, status=status))


def complaint_pdf(request, token: str):
    complaint = _complaint_or_404(token)
    response = HttpResponse(pdf.complaint_sheet_pdf(complaint), content_type="application/pdf")
    disposition = "inline" if request.GET.get("ver") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf.complaint_sheet_filename(complaint)}"'
    return _private(response)


def privacy(request):
    establishments = establishment_list_public()
    providers = {e.provider_id: e.provider for e in establishments}.values()
    return render(request, "reclamaciones/public/privacy.html", {"providers": providers})


def ratelimited(request, exception):
    return render(request, "429.html", {"message": MSG_RATE_LIMITED}, status=429)


def bad_request(request, exception):
    return render(request, "400.html", status=400)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
