"""Attachments on the web: staging the consumer's uploads of a filing form, the downloads (consumer by tracking
token, staff by scope) and the staff's upload of a document for the answer. Thin: book.attachments does the work."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.cache import add_never_cache_headers
from django.views import View

from ..access import StaffRequiredMixin
from ..audit import What, personal_data_access_record
from ..clientip import rate_limit_wait, wait_phrase
from ..handling.forms import ResponseForm
from ..handling.views import AnswerMixin, _complaint_or_404, _default_channel
from .attachment_models import Attachment, size_label
from .attachments import (
    AttachmentStorageError,
    attachment_add_staff,
    attachment_prepare,
    attachment_storage,
    attachments_for_consumer,
    attachments_of,
    attachments_ref,
    attachments_stage,
    limits_text,
    max_files,
)
from .models import Complaint
from .selectors import complaint_get_by_token
from .uploads import uploads_refused

ATTACHMENTS_GROUP = "public-attachments"

MSG_RATE_LIMITED = (
    "Subiste muchos archivos desde tu conexión en poco tiempo: no adjuntamos los nuevos. Podrás hacerlo dentro de "
    "{wait}, o enviar tu hoja sin ellos."
)
MSG_NEW_FILES_DROPPED = (
    "Los documentos que acabas de elegir no se guardaron: vuelve a adjuntarlos. Los que ya estaban adjuntos siguen "
    "en la lista."
)
MSG_STAFF_ADDED = "Adjuntamos «{name}» a la respuesta."
MSG_FILE_REQUIRED = "Elige un archivo PDF, JPG o PNG para adjuntar."


def form_uploads_wait(request) -> int | None:
    """Count the new files of a filing form's post against the per-IP upload rate (storage and CPU abuse), one
    by one, BEFORE any of them is read or decoded. Returns the seconds to wait when over it (the view then builds
    the form without the files), else None; a post without files counts nothing."""
    # Never more than one over the limit per hoja: a post with more files is refused whole by the form anyway.
    for _file in request.FILES.getlist("attachments")[: max_files() + 1]:
        wait = rate_limit_wait(request, group=ATTACHMENTS_GROUP, rate=settings.RECLAMACIONES_ATTACHMENTS_RATE)
        if wait is not None:
            return wait
    return None


def form_attachments_stage(form, *, wait: int | None = None, too_big: list[str] = ()) -> list[Attachment]:
    """The documents of a filing form's post, stored as staged: those kept from an earlier post of the same form
    and the new uploads that passed every check. Call after form.is_valid(). `wait`: form_uploads_wait's answer,
    when the new files were left out for the upload rate (said next to the field; the rest goes on); `too_big`:
    the messages of the files dropped while uploading (book.uploads). When the storage fails the new files are
    not kept: said next to the field (503), the form and the documents kept before stay."""
    if wait is not None:
        form.add_error("attachments", MSG_RATE_LIMITED.format(wait=wait_phrase(wait)))
        form.attachments_limited = True
    for message in too_big:
        form.add_error("attachments", message)
    try:
        return attachments_stage(files=form.attachments_new, kept=form.attachments_kept)
    except AttachmentStorageError as exc:
        form.add_error("attachments", str(exc))
        form.attachments_unsaved = True
        return form.attachments_kept


def form_page_status(form) -> int:
    """The status of a filing form sent back: 503 when the storage failed, 429 over the upload rate, 400 for a
    refused document (hostile input is a client error), 200 for the usual corrections."""
    if getattr(form, "attachments_unsaved", False):
        return 503
    if getattr(form, "attachments_limited", False):
        return 429
    return 400 if "attachments" in form.errors else 200


def form_attachments_context(attachments: list[Attachment], *, establishment_id: int) -> dict:
    """What the filing form and the review page show of the staged documents, and the reference they carry (valid
    on this establishment's form only)."""
    return {
        "consumer_attachments": attachments,
        "attachment_ref": attachments_ref(attachments, establishment_id=establishment_id),
        "attachment_links": "",
        "attachments_limits": limits_text(),
    }


def _file_response(attachment: Attachment) -> FileResponse:
    """The stored bytes, always as a download of the declared type: never rendered by the browser (nosniff)."""
    try:
        handle = attachment_storage().open(attachment.stored_name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("Documento no disponible") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def consumer_attachment_download(request, token: str, pk: int):
    """A document of the consumer's hoja, reached only through its tracking token. The provider's documents appear
    with the answer: before it is communicated they are a draft and answer 404 like a document that does not exist,
    as does a document deleted when its hoja was anonymised."""
    try:
        complaint = complaint_get_by_token(token=token)
    except Complaint.DoesNotExist:
        raise Http404("Hoja no encontrada") from None
    documents = list(Attachment.objects.filter(complaint=complaint, pk=pk))
    attachment = next(iter(attachments_for_consumer(complaint, documents=documents)), None)
    if attachment is None or attachment.removed:
        raise Http404("Documento no encontrado")
    return _file_response(attachment)


def public_attachments_context(complaint: Complaint, *, answered: bool) -> dict:
    """The tracking and confirmation pages' documents (one query): the consumer's, and the provider's once the
    answer was communicated."""
    documents = attachments_for_consumer(complaint, answered=answered)
    return {
        "consumer_attachments": [a for a in documents if a.source == Attachment.Source.CONSUMER],
        "staff_attachments": [a for a in documents if a.source == Attachment.Source.STAFF],
        "attachment_links": "public",
    }


def staff_attachments_context(complaint: Complaint) -> dict:
    """The back office's documents of a hoja (one query); `attachments` is reused by its integrity check."""
    documents = attachments_of(complaint)
    return {
        "attachments": documents,
        "consumer_attachments": [a for a in documents if a.source == Attachment.Source.CONSUMER],
        "staff_attachments": [a for a in documents if a.source == Attachment.Source.STAFF],
        "attachment_links": "staff",
    }


class StaffAttachmentDownloadView(StaffRequiredMixin, View):
    """A document of a hoja in the user's scope (404 otherwise, as every back-office object); the download is
    recorded in the personal-data access log."""

    def get(self, request, pk: int, attachment_pk: int):
        complaint = _complaint_or_404(self.scope, pk)
        attachment = Attachment.objects.filter(complaint=complaint, pk=attachment_pk).first()
        if attachment is None or attachment.removed:  # deleted with the hoja's anonymisation
            raise Http404("Documento no encontrado")
        personal_data_access_record(
            scope=self.scope,
            what=What.DETAIL,
            complaint=complaint,
            detail=f"Descargó el documento adjunto «{attachment.original_name}» ({attachment.sha256[:12]})",
            request=request,
        )
        return _file_response(attachment)


class StaffAttachmentForm(forms.Form):
    """One document for the answer; every check is book.attachments.attachment_prepare's."""

    documento = forms.Field(
        label="Documento para la respuesta", widget=forms.FileInput, error_messages={"required": MSG_FILE_REQUIRED}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documento"].help_text = (
            f"PDF, JPG o PNG de {size_label(settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES)} como máximo; hasta "
            f"{settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES} documentos. El consumidor los verá con la respuesta en "
            "su página de seguimiento."
        )
        self.fields["documento"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

    def clean_documento(self):
        return attachment_prepare(self.cleaned_data["documento"])


class StaffAttachmentUploadView(AnswerMixin, View):
    """The answer form's "Adjuntar documento" button: attach one document to the answer being written (before it
    is sent) and come back to the answer page with the draft as it was. A refused file comes back with its
    message next to the field (400)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        complaint, denied = self.scoped(request, pk)
        if denied:
            return denied
        draft = ResponseForm(
            initial={
                "text": request.POST.get("text", ""),
                "channel": request.POST.get("channel") or _default_channel(complaint),
                "communicated_at": request.POST.get("communicated_at", ""),
            }
        )
        form = StaffAttachmentForm(request.POST, request.FILES)
        too_big = uploads_refused(request)
        status = 400
        if too_big:  # dropped while uploading: the form would only say that no file was chosen
            form.is_valid()
            form.errors.pop("documento", None)
            for message in too_big:
                form.add_error("documento", message)
        elif form.is_valid():
            try:
                attachment = attachment_add_staff(
                    complaint_id=complaint.pk, prepared=form.cleaned_data["documento"], scope=self.scope
                )
            except ValidationError as exc:
                form.add_error("documento", exc)
            except AttachmentStorageError as exc:
                form.add_error("documento", str(exc))
                status = 503
            except Complaint.DoesNotExist:
                raise Http404("Hoja no encontrada") from None
            else:
                messages.success(request, MSG_STAFF_ADDED.format(name=attachment.original_name))
                return self.answer_page(complaint, draft)
        self.attachment_form = form
        return self.answer_page(complaint, draft, status=status)


def answer_attachments_context(complaint: Complaint, form: StaffAttachmentForm | None) -> dict:
    """The answer page's documents panel (one query): what staff attached so far and the upload form."""
    documents = [a for a in attachments_of(complaint) if a.source == Attachment.Source.STAFF]
    return {
        "staff_attachments": documents,
        "attachment_form": form or StaffAttachmentForm(),
        "attachments_full": len(documents) >= settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES,
    }
