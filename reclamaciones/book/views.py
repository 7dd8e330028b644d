"""Public pages: no login, ever. The consumer files, gets the sheet at once and follows it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from ..clientip import client_ip, rate_limit_wait, wait_phrase
from ..deadlines.clock import days_left
from ..deadlines.selectors import business_calendar_get
from ..handling.followup import follow_through_get, settlement_accepted_get, survey_refusal_get
from ..handling.models import SettlementOffer
from ..handling.policy import offer_answer_refusal
from ..handling.selectors import related_or_none, settlement_offer_latest
from ..handling.services import WorkflowError, survey_answer
from ..handling.settlement import ACCEPTANCE_PHRASE, SettlementError, settlement_offer_accept, settlement_offer_reject
from . import pdf
from .attachment_views import (
    form_attachments_context,
    form_attachments_stage,
    form_page_status,
    form_uploads_wait,
    public_attachments_context,
)
from .attachments import MSG_UPLOAD_TOO_MANY
from .forms import MSG_HONEYPOT, ComplaintForm, ComplaintLookupForm, SurveyForm
from .models import RETENTION_YEARS, TRACKED_STATUSES, Complaint, Establishment, Status
from .selectors import (
    complaint_find_by_number,
    complaint_get_by_token,
    establishment_get_public,
    establishment_list_public,
)
from .services import FilingError, complaint_build, complaint_file, filing_warnings
from .uploads import uploads_refused

MSG_RATE_LIMITED = (
    "Recibimos muchas hojas desde tu conexión en poco tiempo. Tus datos siguen aquí: podrás enviarla dentro de {wait}."
)

MSG_LOOKUP_NOT_FOUND = "No encontramos una hoja con esos datos. Revisa el número y tu documento."

MSG_LOOKUP_RATE_LIMITED = (
    "Hiciste muchas consultas desde tu conexión en poco tiempo. Tus datos siguen aquí: podrás consultar "
    "de nuevo dentro de {wait}."
)

FILING_GROUP = "public-filing"

LOOKUP_GROUP = "public-lookup"


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


def _form_page(
    request,
    establishment: Establishment,
    form: ComplaintForm,
    *,
    status: int = 200,
    alert: str = "",
    other_ways: bool = False,
    attachments: list | None = None,
):
    context = {
        # Documents already checked and staged (book.attachments), named by a reference bound to this establishment.
        **form_attachments_context(attachments or [], establishment_id=establishment.pk),
        "establishment": establishment,
        "provider": establishment.provider,
        "form": form,
        "alert": alert,
        "other_ways": other_ways,
        "confirm_step": settings.RECLAMACIONES_RULES_2026,  # draft art. 5-A: a review page comes first
    }
    return render(request, "reclamaciones/public/complaint_form.html", context, status=status)


# The review page's two buttons (draft art. 5-A): file it, or go back to the form with everything typed.
ACTION_FIELD, ACTION_CONFIRM, ACTION_EDIT = "accion", "confirmar", "corregir"


def _review_page(request, establishment: Establishment, form: ComplaintForm, attachments: list):
    """ "Revisa y confirma tu hoja": the sheet as it will be filed (no number yet), the warnings of what is
    missing, and the form's data carried in hidden fields to either button. Nothing is filed (documents wait
    staged, named by a signed reference: book.attachments)."""
    data = form.service_kwargs()
    data.pop("submission_key", None)
    context = {
        # Listed on the sheet; carried by a signed reference bound to this establishment.
        **form_attachments_context(attachments, establishment_id=establishment.pk),
        "establishment": establishment,
        "provider": establishment.provider,
        "form": form,
        "complaint": complaint_build(establishment=establishment, **data),
        "warnings": filing_warnings(form.cleaned_data),
        "action_field": ACTION_FIELD,
        "action_confirm": ACTION_CONFIRM,
        "action_edit": ACTION_EDIT,
    }
    return render(request, "reclamaciones/public/complaint_review.html", context)


def _too_many(response: HttpResponse, wait_seconds: int) -> HttpResponse:
    response["Retry-After"] = str(wait_seconds)
    return response


@require_http_methods(["GET", "POST"])
def complaint_create(request, slug: str):
    try:
        establishment = establishment_get_public(slug=slug)
    except Establishment.DoesNotExist:
        raise Http404("Libro de reclamaciones no encontrado") from None

    if request.method == "GET":
        return _form_page(request, establishment, ComplaintForm())

    # Without the new files until both rates allow them: no upload is read or decoded for a refused post.
    form = ComplaintForm(request.POST, establishment_id=establishment.pk)
    # With the review step, only the POST that confirms can file: reviewing and correcting count for nothing.
    files = not settings.RECLAMACIONES_RULES_2026 or request.POST.get(ACTION_FIELD) == ACTION_CONFIRM
    wait = rate_limit_wait(request, group=FILING_GROUP, rate=settings.RECLAMACIONES_FILING_RATE) if files else None
    if wait is not None:
        form.is_valid()
        alert = MSG_RATE_LIMITED.format(wait=wait_phrase(wait))
        page = _form_page(
            request, establishment, form, status=429, alert=alert, other_ways=True, attachments=form.attachments_kept
        )
        return _too_many(page, wait)
    if form.honeypot_filled:
        # Re-render with the hidden field emptied, so a person whose browser autofilled it can just resend.
        data = request.POST.copy()
        data["referencia_interna"] = ""
        form = ComplaintForm(data, establishment_id=establishment.pk)
        form.is_valid()
        return _form_page(
            request, establishment, form, status=400, alert=MSG_HONEYPOT, attachments=form.attachments_kept
        )
    upload_wait = form_uploads_wait(request)
    if upload_wait is None and request.FILES:
        form = ComplaintForm(request.POST, request.FILES, establishment_id=establishment.pk)
    valid = form.is_valid()
    # Issue 14 §1: the documents that passed their checks are stored (staged) now, so that neither the review page
    # nor a form sent back with errors asks for them again; a refused file is a 400 with its message by the field.
    attachments = form_attachments_stage(form, wait=upload_wait, too_big=uploads_refused(request))
    if not valid or form.errors:
        return _form_page(request, establishment, form, status=form_page_status(form), attachments=attachments)
    confirmed = None
    if settings.RECLAMACIONES_RULES_2026:  # draft art. 5-A: the consumer reviews, then confirms
        if not files:
            if request.POST.get(ACTION_FIELD) == ACTION_EDIT:
                return _form_page(request, establishment, form, attachments=attachments)
            return _review_page(request, establishment, form, attachments)
        confirmed = {"confirmed": True, "warnings": filing_warnings(form.cleaned_data)}
    try:
        complaint = complaint_file(
            establishment=establishment,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            confirmation=confirmed,
            attachments=attachments,
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
    context = {
        "complaint": complaint,
        "tracking_url": pdf.tracking_url(complaint),
        "just_filed": True,
        **public_attachments_context(complaint, answered=False),
    }
    return _private(render(request, "reclamaciones/public/complaint_sheet.html", context))


def _deadline_note(complaint: Complaint) -> str:
    """How long the provider still has to answer, in plain words (only while the legal clock runs)."""
    if complaint.status not in TRACKED_STATUSES:
        return ""
    left = days_left(complaint, today=timezone.localdate(), calendar=business_calendar_get())
    if left < 0:
        return (
            f"El plazo para responderte venció el {complaint.due_date:%d/%m/%Y}. Lamentamos la demora: "
            "tu hoja sigue en atención."
        )
    if left == 0:
        return "Hoy es el último día del plazo para responderte."
    return f"Te responderemos como máximo en {left} {'día hábil' if left == 1 else 'días hábiles'}."


def _timeline(complaint: Complaint, answer, offer: SettlementOffer | None) -> list[dict]:
    """The consumer's view of the hoja's progress, from its status, the answer and the settlement offer only
    (never from the internal event trail: notes, assignments and staff names stay in the back office)."""
    status = complaint.status
    settled = status == Status.SETTLED or (
        status == Status.CLOSED
        and answer is None
        and offer is not None
        and offer.status == SettlementOffer.Status.ACCEPTED
    )
    finished = status in {Status.ANSWERED, Status.SETTLED, Status.CLOSED}
    in_progress_note = "Estamos revisando tu caso."
    if status == Status.SETTLEMENT_OFFERED:
        in_progress_note = "Te enviamos una propuesta de solución."
    steps = [
        {
            "label": Status.RECEIVED.label,
            "state": "current" if status == Status.RECEIVED else "done",
            "when": complaint.filed_at,
            "note": "Recibimos tu hoja.",
        },
        {
            "label": Status.IN_PROGRESS.label,
            "state": "todo" if status == Status.RECEIVED else ("done" if finished else "current"),
            "when": None,
            "note": in_progress_note if not finished and status != Status.RECEIVED else "",
        },
    ]
    if settled:
        steps.append(
            {
                "label": Status.SETTLED.label,
                "state": "done",
                "when": offer.resolved_at if offer is not None else None,
                "note": "Aceptaste nuestra propuesta de solución.",
            }
        )
    elif answer is not None:
        steps.append(
            {
                "label": Status.ANSWERED.label,
                "state": "done",
                "when": answer.communicated_at,
                "note": f"Por {answer.get_channel_display().lower()}.",
            }
        )
    else:
        steps.append(
            {
                "label": Status.ANSWERED.label,
                "state": "done" if finished else "todo",
                "when": None,
                "note": "" if finished else f"A más tardar el {complaint.due_date:%d/%m/%Y}.",
            }
        )
    return steps


def _remedy_step(follow) -> list[dict]:
    """Once staff record that what the answer or the settlement promised was carried out (handling.followup); while
    it is pending, the page says so in its own card."""
    if follow is None or follow.done is None:
        return []
    return [{"label": "Solución cumplida", "state": "done", "when": follow.done.done_on, "note": ""}]


def _tracking_page(
    request, complaint: Complaint, *, survey_form: SurveyForm | None = None, alert: str = "", status: int = 200
) -> HttpResponse:
    answer = related_or_none(complaint, "response")
    survey = related_or_none(complaint, "survey")
    offer = settlement_offer_latest(complaint=complaint)
    settled = settlement_accepted_get(complaint=complaint, offer=offer)
    follow = follow_through_get(complaint=complaint)
    context = {
        "complaint": complaint,
        "tracking_url": pdf.tracking_url(complaint),
        "just_filed": False,
        "offer": offer,
        "answer": answer,
        "survey": survey,
        "settled": settled,
        "survey_open": survey_refusal_get(complaint=complaint, offer=offer) is None,
        "survey_form": survey_form or SurveyForm(settled=settled is not None),
        "follow": follow,
        "alert": alert,
        "timeline": _timeline(complaint, answer, offer) + _remedy_step(follow),
        "deadline_note": _deadline_note(complaint),
        **public_attachments_context(complaint, answered=answer is not None),
    }
    return _private(render(request, "reclamaciones/public/complaint_sheet.html", context, status=status))


def complaint_track(request, token: str):
    """The consumer's follow-up page: status, deadline, the answer (or the accepted settlement), the PDF, whether
    the remedy was carried out and, after the answer or the settlement, the survey."""
    return _tracking_page(request, _complaint_or_404(token))


@require_http_methods(["GET", "POST"])
def survey_respond(request, token: str):
    """The one-time satisfaction survey. The form lives on the tracking page; this URL receives it."""
    complaint = _complaint_or_404(token)
    survey_url = reverse("reclamaciones:track", args=[token]) + "#encuesta"
    if request.method == "GET":
        return _private(redirect(survey_url))
    # A survey that is not open answers 409 whatever was sent: there is no form to correct.
    offer = settlement_offer_latest(complaint=complaint)
    refused = survey_refusal_get(complaint=complaint, offer=offer)
    if refused:
        return _tracking_page(request, complaint, alert=refused, status=409)
    settled = settlement_accepted_get(complaint=complaint, offer=offer) is not None
    form = SurveyForm(request.POST, settled=settled)
    if not form.is_valid():
        return _tracking_page(request, complaint, survey_form=form, status=400)
    try:
        survey_answer(complaint=complaint, **form.service_kwargs())
    except WorkflowError as exc:  # answered meanwhile, from another tab
        complaint = _complaint_or_404(token)
        return _tracking_page(request, complaint, alert=str(exc), status=409)
    return _private(redirect(survey_url))


def _lookup_page(request, form: ComplaintLookupForm, *, status: int = 200, alert: str = "") -> HttpResponse:
    context = {"form": form, "alert": alert}
    return _private(render(request, "reclamaciones/public/complaint_lookup.html", context, status=status))


@require_http_methods(["GET", "POST"])
def complaint_lookup(request):
    """Find a hoja by number + document number. Whether the number exists or the document does not match,
    the answer is the same page, status and message, so the form cannot be used to probe for hojas."""
    if request.method == "GET":
        return _lookup_page(request, ComplaintLookupForm())
    form = ComplaintLookupForm(request.POST)
    wait = rate_limit_wait(request, group=LOOKUP_GROUP, rate=settings.RECLAMACIONES_LOOKUP_RATE)
    if wait is not None:
        alert = MSG_LOOKUP_RATE_LIMITED.format(wait=wait_phrase(wait))
        return _too_many(_lookup_page(request, form, status=429, alert=alert), wait)
    if not form.is_valid():
        return _lookup_page(request, form)
    number, year = form.cleaned_data["sheet_number"]
    token = complaint_find_by_number(number=number, year=year, doc_number=form.cleaned_data["doc_number"])
    if token is None:
        return _lookup_page(request, form, alert=MSG_LOOKUP_NOT_FOUND)
    return _private(redirect("reclamaciones:track", token=token))


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
        "can_answer": offer_answer_refusal(offer, today=timezone.localdate()) is None,
    }
    return _private(render(request, "reclamaciones/public/settlement.html", context, status=status))


def complaint_pdf(request, token: str):
    complaint = _complaint_or_404(token)
    response = HttpResponse(pdf.complaint_sheet_pdf(complaint), content_type="application/pdf")
    disposition = "inline" if request.GET.get("ver") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf.complaint_sheet_filename(complaint)}"'
    return _private(response)


# Spanish cardinals as a period is written before "años" (apocopated "un", "veintiún"), 0..29.
# fmt: off
_UNITS = (
    "", "un", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce", "trece",
    "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiún", "veintidós",
    "veintitrés", "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho", "veintinueve",
)
# fmt: on
_TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta", 8: "ochenta", 9: "noventa"}


def years_phrase(years: int) -> str:
    """A period as legal texts write it, in words and figures: "dos (2) años", "un (1) año", "treinta y un (31)
    años" (the apocopated "un" before "años"). Beyond 99 years, figures only."""
    if years < 1 or years > 99:
        return f"{years} años"
    if years < 30:
        words = _UNITS[years]
    else:
        tens, units = divmod(years, 10)
        words = _TENS[tens] + (f" y {_UNITS[units]}" if units else "")
    return f"{words} ({years}) {'año' if years == 1 else 'años'}"


def _privacy_providers() -> dict[str, dict]:
    """The providers with an active book, by RUC, each with its active establishments (where a consumer may
    also exercise the ARCO rights in person)."""
    providers: dict[str, dict] = {}
    for establishment in establishment_list_public():
        entry = providers.setdefault(establishment.provider.ruc, {"provider": establishment.provider, "places": []})
        entry["places"].append(establishment)
    return providers


def _privacy_policy(request, entry: dict):
    provider = entry["provider"]
    if provider.privacy_policy_url:
        return redirect(provider.privacy_policy_url)  # the provider publishes its own policy (admin setting)
    context = {
        "provider": provider,
        "places": entry["places"],
        # Never less than the two years of Reglamento art. 12 (a lower setting is also system-check error E003).
        "retention": years_phrase(max(settings.RECLAMACIONES_RETENTION_YEARS, RETENTION_YEARS)),
    }
    return render(request, "reclamaciones/public/privacy.html", context)


def privacy(request):
    """The privacy notice (Ley 29733 art. 18): with one provider, its policy; with several, the list of them."""
    providers = _privacy_providers()
    if len(providers) == 1:
        return _privacy_policy(request, next(iter(providers.values())))
    entries = sorted(providers.values(), key=lambda e: e["provider"].legal_name)
    return render(request, "reclamaciones/public/privacy.html", {"providers": entries})


def privacy_provider(request, ruc: str):
    """One provider's privacy policy at /privacidad/<RUC>/: the RUC is its stable public identity."""
    entry = _privacy_providers().get(ruc)
    if entry is None:
        raise Http404("Proveedor no encontrado")
    return _privacy_policy(request, entry)


def bad_request(request, exception):
    context = {}
    if isinstance(exception, TooManyFilesSent):
        # Refused while parsing (DATA_UPLOAD_MAX_NUMBER_FILES), before any view: the form's data is gone with it.
        context["message"] = MSG_UPLOAD_TOO_MANY.format(limit=settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES)
    return render(request, "400.html", context, status=400)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    # Django's own CSRF page is English and technical; a consumer only needs to know nothing was filed.
    return render(request, "403_csrf.html", status=403)
