"""Documents attached to a hoja (issue 14 §1; draft DS of R.M. 244-2026-PCM): validation, private storage, staging
across the review step, binding at filing, the staff's documents of the answer, and the files' verification.

Every upload is checked by its declared type, its extension AND its bytes; images are re-encoded (no EXIF, no
GPS, nothing appended survives); PDFs must be a PDF from the first byte to the last, parsed without active content,
and nothing an unzip tool would open or a browser would sniff as a page (markup in the first kilobyte). Markup
deeper inside a PDF is only text: files are always served as downloads with nosniff and a sandboxing CSP. Files go
to the storage alias "attachments" (private FileSystemStorage by default, S3-compatible by setting:
docs/attachments.md) under a random name; the consumer's file name is shown only."""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Value, When
from django.utils import timezone

from ..access import Scope
from ..images import ImageBroken, ImageTooLarge, image_decode
from .attachment_models import Attachment, size_label
from .integrity import PROBLEM_ATTACHMENT, PROBLEM_ATTACHMENT_UNREADABLE
from .models import Complaint, ComplaintEvent

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "attachments"

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"

# What a browser may declare for each type (some old ones say image/jpg or image/pjpeg, or x-png).
DECLARED = {
    PDF: {"application/pdf", "application/x-pdf"},
    JPEG: {"image/jpeg", "image/jpg", "image/pjpeg"},
    PNG: {"image/png", "image/x-png"},
}
EXTENSIONS = {PDF: {".pdf"}, JPEG: {".jpg", ".jpeg"}, PNG: {".png"}}
STORED_EXTENSION = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

NAME_MAX = 120
# A ZIP reader looks for its end record in the last 64 KiB + 22 bytes; a PDF or image with one there opens as a
# ZIP too (a polyglot), whatever its first bytes say.
ZIP_TAIL = 65_557
ZIP_END = b"PK\x05\x06"
# What makes a browser sniff a file as HTML (WHATWG MIME sniffing reads the first 512 bytes; we read twice that).
HTML_HEAD = 1024
HTML_MARKERS = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|a\s|img\s|style|title|!--)",
    re.IGNORECASE,
)
# JPEGs over a phone camera's pixels are decoded (and stored) at half their width and height.
JPEG_DRAFT_ABOVE = 12_000_000
# A PDF's end-of-file marker must be in its last kilobyte (ISO 32000-1 §7.5.5, as readers look for it).
PDF_TAIL = 1024
# A PDF is parsed (pypdf), never grepped: names may be written with #xx escapes (/J#61vaScript) and objects may sit
# compressed inside object streams, where no byte pattern sees them. Bounds keep a hostile file from holding the
# worker: a scanned receipt has tens of objects, a long report a few thousand.
PDF_MAX_OBJECTS = 20_000
PDF_MAX_VALUES = 2_000_000  # every name, number, array and dictionary walked, all objects together
PDF_MAX_SECONDS = 5.0
PDF_MAX_DECODED = 25_000_000  # bytes one compressed stream may inflate to (pypdf's default is 75 MB)
# "N G obj" as written in the body (incremental updates and objects no cross-reference table lists included).
_PDF_OBJECT = re.compile(rb"(?<![0-9])([0-9]{1,10})[\x00\t\n\f\r ]+([0-9]{1,5})[\x00\t\n\f\r ]+obj(?![A-Za-z])")
_PDF_WHITESPACE = re.compile(rb"[\x00\t\n\f\r ]*")
_PDF_TRAILER = re.compile(rb"trailer[\x00\t\n\f\r ]*(?=<<)")
# Action types (ISO 32000-2 §12.6.4): only /GoTo (a jump inside the document) is allowed.
PDF_ACTION_TYPES = frozenset(
    {
        "/GoTo", "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie", "/Hide",
        "/Named", "/SubmitForm", "/ResetForm", "/ImportData", "/JavaScript", "/SetOCGState", "/Rendition",
        "/Trans", "/GoTo3DView", "/RichMediaExecute",
    }
)  # fmt: skip
# Keys that make a viewer run, open, fetch or submit something, wherever they appear: additional actions, scripts
# and the JavaScript name tree, embedded files, interactive forms (AcroForm, XFA), rich media.
PDF_ACTIVE_KEYS = frozenset(
    {
        "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/AcroForm", "/XFA", "/Launch",
        "/RichMedia", "/RichMediaContent", "/RichMediaSettings",
    }
)  # fmt: skip
PDF_ACTIVE_SUBTYPES = frozenset({"/RichMedia", "/FileAttachment", "/Movie", "/Sound", "/Screen", "/3D"})

MSG_EMPTY = "«{name}» está vacío. Elige otro archivo."
MSG_TOO_BIG = "«{name}» pesa {size}: el máximo es {limit} por archivo."
MSG_TOO_MANY = "Puedes adjuntar hasta {limit} archivos en total."
MSG_TYPE = "«{name}» no es un PDF, JPG ni PNG. Solo aceptamos esos tipos de archivo."
MSG_EXTENSION = (
    "«{name}» no tiene la extensión de su tipo de archivo ({expected}). Revisa el archivo y vuelve a elegirlo."
)
MSG_DECLARED = "«{name}» no es del tipo que dice ser. Solo aceptamos PDF, JPG y PNG."
MSG_POLYGLOT = (
    "«{name}» contiene además otro tipo de contenido (un ZIP o una página web escondidos). Por seguridad no lo "
    "aceptamos: guárdalo de nuevo como PDF, JPG o PNG normal."
)
MSG_PDF_BROKEN = "«{name}» no es un PDF completo o está dañado. Guárdalo de nuevo como PDF y vuelve a adjuntarlo."
MSG_PDF_ACTIVE = (
    "«{name}» tiene contenido activo (enlaces o acciones, formularios, JavaScript o archivos incrustados) y por "
    "seguridad no lo aceptamos. Imprímelo como PDF (o tómale una captura) y adjunta esa copia."
)
MSG_PDF_UNREADABLE = (
    "No pudimos leer el PDF «{name}»: está dañado, es demasiado complejo o tiene un formato que no aceptamos. "
    "Imprímelo como PDF (o tómale una captura) y adjunta esa copia."
)
MSG_PDF_ENCRYPTED = (
    "«{name}» está protegido con contraseña o cifrado y no podemos revisarlo. Adjunta una copia sin contraseña."
)
MSG_IMAGE_BROKEN = "No pudimos leer la imagen «{name}»: puede estar dañada. Prueba con otra foto o captura."
MSG_IMAGE_HUGE = (
    "La imagen «{name}» es demasiado grande ({width} × {height} píxeles; el máximo es {limit} millones de píxeles). "
    "Envíala en un tamaño menor."
)
MSG_IMAGE_TOO_BIG = "La imagen «{name}» es demasiado grande. Envíala en un tamaño menor."
MSG_NAME = "El nombre del archivo tiene caracteres no permitidos. Cámbiale el nombre y vuelve a elegirlo."
MSG_STAGED_GONE = (
    "Los documentos que adjuntaste ya no están disponibles (pasó demasiado tiempo). Vuelve a adjuntarlos, por favor."
)
MSG_STAGED_FILED = (
    "Los documentos que adjuntaste ya se presentaron con tu hoja anterior. Si quieres presentar otra hoja, vuelve a "
    "adjuntarlos, por favor."
)
MSG_STAFF_FORBIDDEN = "No puedes adjuntar documentos a la respuesta de esta hoja."
MSG_STORAGE_FAILED = "No pudimos guardar tu documento; inténtalo en unos minutos."
MSG_UPLOAD_TOO_BIG = "El archivo «{name}» supera el límite de {limit} por archivo."
MSG_UPLOAD_TOO_MANY = (
    "Enviaste más archivos de los que aceptamos: puedes adjuntar hasta {limit} en total. No registramos tu hoja: "
    "vuelve atrás con el botón de tu navegador (lo que escribiste sigue allí), quita algunos archivos y envíala de "
    "nuevo."
)

_STAGED_SALT = "reclamaciones.attachments.staged"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def limits_text() -> str:
    """The limits as the form states them, from the settings."""
    return (
        f"Opcional. Hasta {settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES} archivos PDF, JPG o PNG de "
        f"{size_label(settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES)} como máximo cada uno "
        "(boletas, fotos, capturas de pantalla)."
    )


def attachment_storage() -> Storage:
    """The private storage of attachments: the STORAGES alias "attachments" (config/settings/base.py), or the same
    configuration (RECLAMACIONES_ATTACHMENTS_STORAGE) when a settings module replaced STORAGES whole."""
    if STORAGE_ALIAS in settings.STORAGES:
        return storages[STORAGE_ALIAS]
    return storages.create_storage(settings.RECLAMACIONES_ATTACHMENTS_STORAGE)


@dataclass(frozen=True)
class PreparedFile:
    """An upload that passed every check, as it will be stored (images already re-encoded)."""

    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def name_clean(raw: str) -> str:
    """The consumer's file name as shown (never as stored): no path, no control, invisible or direction-changing
    characters, at most NAME_MAX characters keeping the extension. A name with any of those is refused."""
    name = unicodedata.normalize("NFKC", raw or "")
    # Format characters (category Cf: RLM, LRM, ALM, zero-width space, BOM...) make a name look like another one;
    # a lone surrogate (Cs) cannot even be stored.
    if _CONTROL.search(name) or any(unicodedata.category(c) in {"Cf", "Cs"} for c in name):
        raise ValidationError(MSG_NAME)
    name = posixpath.basename(name.replace("\\", "/")).strip().strip(".")
    name = " ".join(name.split())
    if not name:
        raise ValidationError(MSG_NAME)
    stem, ext = posixpath.splitext(name)
    return stem[: NAME_MAX - len(ext)] + ext if len(name) > NAME_MAX else name


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _read_limited(upload) -> bytes:
    """At most one byte more than the limit: a huge upload is refused without reading it whole into memory."""
    upload.seek(0)
    return upload.read(settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES + 1)


def attachment_prepare(upload) -> PreparedFile:
    """Check one upload (a Django UploadedFile) and return it as it will be stored; ValidationError with a
    Spanish message for the consumer otherwise."""
    name = name_clean(getattr(upload, "name", ""))
    limit = settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES
    if (upload.size or 0) > limit:
        raise ValidationError(MSG_TOO_BIG.format(name=name, size=size_label(upload.size), limit=size_label(limit)))
    data = _read_limited(upload)
    if not data:
        raise ValidationError(MSG_EMPTY.format(name=name))
    if len(data) > limit:
        size = size_label(upload.size or len(data))
        raise ValidationError(MSG_TOO_BIG.format(name=name, size=size, limit=size_label(limit)))
    detected = _sniff(data)
    if detected is None:
        raise ValidationError(MSG_TYPE.format(name=name))
    extension = posixpath.splitext(name)[1].lower()
    if extension not in EXTENSIONS[detected]:
        expected = " o ".join(sorted(EXTENSIONS[detected]))
        raise ValidationError(MSG_EXTENSION.format(name=name, expected=expected))
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in DECLARED[detected]:
        raise ValidationError(MSG_DECLARED.format(name=name))
    if detected == PDF:
        # Only a PDF is stored as sent: an image is decoded and re-encoded below, which drops anything appended or
        # hidden in its comments, so these checks would only refuse legitimate photos.
        if ZIP_END in data[-ZIP_TAIL:] or HTML_MARKERS.search(data[:HTML_HEAD]):
            raise ValidationError(MSG_POLYGLOT.format(name=name))
        _pdf_check(data, name)
    else:
        data = _image_reencode(data, name, detected)
        if len(data) > limit:  # a re-encoded image is rarely larger, but the limit is the stored size
            raise ValidationError(MSG_TOO_BIG.format(name=name, size=size_label(len(data)), limit=size_label(limit)))
    return PreparedFile(name=name, content_type=detected, data=data)


def _pdf_check(data: bytes, name: str) -> None:
    if b"%%EOF" not in data[-PDF_TAIL:] or b"startxref" not in data[-PDF_TAIL:]:
        raise ValidationError(MSG_PDF_BROKEN.format(name=name))
    # Only whitespace may follow the last %%EOF: anything after it is another file riding on this one.
    if data[data.rindex(b"%%EOF") + 5 :].strip(b"\r\n\t \x00"):
        raise ValidationError(MSG_POLYGLOT.format(name=name))
    _pdf_inspect(data, name)


def _pdf_inspect(data: bytes, name: str) -> None:
    """Parse the PDF and walk every object in it; refuse what pypdf cannot read, an encrypted file (its objects
    cannot be checked) and any active content. Bounded in objects, values, inflated bytes and time."""
    from pypdf import PdfReader, apply_configuration

    deadline = time.monotonic() + PDF_MAX_SECONDS
    limits = dict.fromkeys(
        ("zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length"),
        PDF_MAX_DECODED,
    )
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise ValidationError(MSG_PDF_ENCRYPTED.format(name=name))
            if len(reader.pages) < 1:
                raise _PdfUnreadable
            active = any(_pdf_value_active(value, reader) for value in _pdf_values(reader, data, deadline))
    except ValidationError:
        raise
    except Exception:  # hostile bytes can make a parser raise anything: a refusal, never a 500
        logger.info("PDF refused as unreadable", exc_info=True)
        raise ValidationError(MSG_PDF_UNREADABLE.format(name=name)) from None
    if active:
        raise ValidationError(MSG_PDF_ACTIVE.format(name=name))


class _PdfUnreadable(Exception):
    """Over a bound, or not a document a viewer could show."""


def _pdf_values(reader, data: bytes, deadline: float) -> Iterator:
    """Every top-level object of the file, each once or more: the trailers, each object written in the body (also
    those the cross-reference table leaves out), each object the cross-reference tables name (also those inside
    another object's stream, where a viewer finds them by offset), and the objects packed in object streams."""
    from pypdf.generic import IndirectObject, StreamObject

    count = 0

    def counted(value):
        nonlocal count
        count += 1
        if count > PDF_MAX_OBJECTS or time.monotonic() > deadline:
            raise _PdfUnreadable
        if isinstance(value, StreamObject) and value.get("/Type") == "/ObjStm":
            return [value, *_pdf_packed(value, reader)]
        return [value]

    yield reader.trailer
    body = io.BytesIO(data)
    for match in _PDF_TRAILER.finditer(data):
        yield from counted(_pdf_read(body, match.end(), reader))
    resume = 0
    for match in _PDF_OBJECT.finditer(data):
        if match.start() < resume:  # inside the previous object (a string, a stream): not an object header
            continue
        yield from counted(_pdf_read(body, match.end(), reader))
        resume = body.tell()
    listed = [(gen, idnum) for gen, entries in reader.xref.items() for idnum in entries]
    listed += [(0, idnum) for idnum in reader.xref_objStm]
    for gen, idnum in listed:
        yield from counted(IndirectObject(idnum, gen, reader).get_object())


def _pdf_packed(stream, reader) -> list:
    """The objects an object stream (ISO 32000-1 §7.5.7) packs: "number offset" pairs, then the objects."""
    content = stream.get_data()  # inflated within PDF_MAX_DECODED
    count, first = int(stream["/N"]), int(stream["/First"])
    if not 0 <= count <= PDF_MAX_OBJECTS or not 0 <= first <= len(content):
        raise _PdfUnreadable
    offsets = [int(offset) for offset in content[:first].split()[1::2]][:count]
    packed = io.BytesIO(content)
    objects = []
    for offset in offsets:
        objects.append(_pdf_read(packed, first + offset, reader))
    return objects


def _pdf_read(source: io.BytesIO, position: int, reader):
    """The object written at `position` of `source` (after any whitespace)."""
    from pypdf.generic import read_object

    source.seek(_PDF_WHITESPACE.match(source.getbuffer(), position).end())
    return read_object(source, reader)


def _pdf_value_active(value, reader) -> bool:
    """Whether a value, or anything nested in it, is active content (indirect references are not followed: each
    object is walked on its own)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack, walked = [value], 0
    while stack:
        item = stack.pop()
        walked += 1
        if walked > PDF_MAX_VALUES:
            raise _PdfUnreadable
        if isinstance(item, ArrayObject):
            stack.extend(item)
        elif isinstance(item, DictionaryObject):
            if _pdf_dict_active(item, reader):
                return True
            stack.extend(v for v in item.values() if not isinstance(v, IndirectObject))
    return False


def _pdf_dict_active(item, reader) -> bool:
    from pypdf.generic import DictionaryObject

    if not PDF_ACTIVE_KEYS.isdisjoint(item.keys()):
        return True
    if _pdf_name(item, "/Subtype") in PDF_ACTIVE_SUBTYPES or _pdf_name(item, "/Type") == "/EmbeddedFile":
        return True
    # An action: typed as one, or its /S names an action type. /S also names other things (a border style, a
    # page-label style, a transparency group), which share no name with the action types.
    kind = _pdf_name(item, "/S")
    if (_pdf_name(item, "/Type") == "/Action" or kind in PDF_ACTION_TYPES) and kind != "/GoTo":
        return True
    opened = item.get("/OpenAction")
    if opened is not None:  # a destination (an array) only shows a page; an action runs when the file opens
        action = opened.get_object()
        return isinstance(action, DictionaryObject) and _pdf_name(action, "/S") != "/GoTo"
    return False


def _pdf_name(item, key: str) -> str:
    """A dictionary's name value, followed if it is an indirect reference (a viewer follows it); "" otherwise."""
    from pypdf.generic import IndirectObject, NameObject

    value = item.get(key)
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return str(value) if isinstance(value, NameObject) else ""


def _image_reencode(data: bytes, name: str, content_type: str) -> bytes:
    """Decode and encode again: what is stored is only the pixels (EXIF, GPS, comments and anything appended are
    gone), turned as the camera said. The pixel count is checked from the header before anything is decoded."""
    max_pixels = settings.RECLAMACIONES_ATTACHMENTS_MAX_PIXELS
    expected = {JPEG: "JPEG", PNG: "PNG"}[content_type]
    try:
        # A photo over a phone's 12 MP is decoded at half its width: still legible, a quarter of the memory.
        clean = image_decode(data, formats=[expected], max_pixels=max_pixels, draft_above=JPEG_DRAFT_ABOVE)
    except ImageTooLarge as exc:
        if exc.size is None:
            raise ValidationError(MSG_IMAGE_TOO_BIG.format(name=name)) from None
        limit = f"{max_pixels / 1_000_000:g}".replace(".", ",")
        width, height = exc.size
        raise ValidationError(MSG_IMAGE_HUGE.format(name=name, width=width, height=height, limit=limit)) from None
    except ImageBroken:
        raise ValidationError(MSG_IMAGE_BROKEN.format(name=name)) from None
    # Only the transparency of a palette image is kept; EXIF, ICC, text chunks and comments are dropped.
    clean.info = {k: v for k, v in clean.info.items() if k == "transparency"}
    out = io.BytesIO()
    if content_type == JPEG:
        if clean.mode not in {"RGB", "L"}:
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=88, optimize=True)
    else:
        if clean.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
            clean = clean.convert("RGBA")
        clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


class AttachmentStorageError(Exception):
    """The storage refused to save a document (a full disk, S3 down...): the view says so (503), nothing is filed."""


def _store(prepared: PreparedFile, *, now: datetime) -> str:
    """Save the bytes under a random name (never the consumer's) and return the name the storage gave it."""
    local = timezone.localtime(now)
    name = f"{local:%Y/%m}/{secrets.token_urlsafe(24)}{STORED_EXTENSION[prepared.content_type]}"
    try:
        return attachment_storage().save(name, ContentFile(prepared.data))
    except Exception as exc:  # any backend (S3 raises its own errors, not OSError): a message, never a 500
        logger.exception("The attachments storage could not save a document")
        raise AttachmentStorageError(MSG_STORAGE_FAILED) from exc


def _row(prepared: PreparedFile, *, stored_name: str, position: int, now: datetime, **fields) -> Attachment:
    return Attachment(
        original_name=prepared.name,
        content_type=prepared.content_type,
        size=len(prepared.data),
        sha256=prepared.sha256,
        stored_name=stored_name,
        position=position,
        created_at=now,
        **fields,
    )


def attachments_stage(
    *, files: Iterable[PreparedFile], kept: list[Attachment], now: datetime | None = None
) -> list[Attachment]:
    """Store the consumer's new uploads as staged (no hoja yet) after those `kept` from an earlier post of the same
    form; returns them all, in order. The filing binds them (attachments_bind); the purge removes the rest.
    AttachmentStorageError when the storage fails (what was staged before it is left to the purge)."""
    now = now or timezone.now()
    staged = list(kept)
    for prepared in files:
        stored = _store(prepared, now=now)
        row = _row(prepared, stored_name=stored, position=len(staged), now=now, source=Attachment.Source.CONSUMER)
        row.save()
        staged.append(row)
    return staged


def attachments_ref(attachments: list[Attachment], *, establishment_id: int) -> str:
    """The opaque, signed reference a review page (or a form sent back with errors) carries instead of the files.
    It names the establishment whose form staged them: another establishment's form refuses it."""
    if not attachments:
        return ""
    return signing.dumps([establishment_id, [a.pk for a in attachments]], salt=_STAGED_SALT, compress=True)


def attachments_staged_get(*, ref: str, establishment_id: int | None) -> list[Attachment]:
    """The staged uploads a signed reference names, not purged, in the reference's order: still unfiled, or all
    already bound to one hoja (the same confirmation sent twice: complaint_file finds that hoja by its submission
    key, or refuses to bind them to another one). A forged, expired or emptied reference, or one staged by another
    establishment's form (or read where no establishment is filing: `establishment_id` None), raises
    ValidationError (the form says it next to the field)."""
    if not ref:
        return []
    try:
        payload = signing.loads(ref, salt=_STAGED_SALT, max_age=staged_ttl())
    except signing.BadSignature:
        raise ValidationError(MSG_STAGED_GONE) from None
    staged_for, ids = payload if isinstance(payload, list) and len(payload) == 2 else (None, None)
    if establishment_id is None or staged_for != establishment_id or not isinstance(ids, list):
        raise ValidationError(MSG_STAGED_GONE)
    if not all(isinstance(i, int) for i in ids) or len(ids) > max_files():
        raise ValidationError(MSG_STAGED_GONE)
    rows = Attachment.objects.in_bulk(ids)
    staged = [rows[i] for i in ids if i in rows and rows[i].source == Attachment.Source.CONSUMER]
    if len(staged) != len(ids) or len({a.complaint_id for a in staged}) > 1:
        raise ValidationError(MSG_STAGED_GONE)
    return staged


def max_files() -> int:
    return settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES


def staged_ttl() -> timedelta:
    return timedelta(hours=settings.RECLAMACIONES_ATTACHMENTS_STAGED_TTL_HOURS)


def attachments_fingerprint(attachments: Iterable[Attachment]) -> list[dict]:
    """The consumer's documents as part of the hoja's content hash, in their order (book.services)."""
    return [a.fingerprint() for a in sorted(attachments, key=lambda a: a.position)]


def attachments_number(attachments: list[Attachment]) -> list[Attachment]:
    """The documents' order on the hoja is the order the consumer sees them in: positions 0..n-1 (documents taken
    out and added across posts leave the staged positions out of order). Before the fingerprint is taken."""
    for position, attachment in enumerate(attachments):
        attachment.position = position
    return attachments


def attachments_bind(*, complaint: Complaint, attachments: list[Attachment]) -> None:
    """Inside the filing transaction: the staged uploads (numbered by attachments_number) become part of the hoja.
    One UPDATE; if any of them was filed with another hoja or purged meanwhile, the filing fails whole (the form
    says so)."""
    from .services import FilingError

    bound = Attachment.objects.filter(pk__in=[a.pk for a in attachments], complaint__isnull=True).update(
        complaint=complaint,
        position=Case(
            *(When(pk=a.pk, then=Value(a.position)) for a in attachments),
            default=F("position"),
            output_field=PositiveSmallIntegerField(),
        ),
    )
    if bound != len(attachments):
        # Filed already with a hoja of other content (Back, edit, send again), or purged meanwhile.
        filed = Attachment.objects.filter(pk__in=[a.pk for a in attachments], complaint__isnull=False).exists()
        raise FilingError(MSG_STAGED_FILED if filed else MSG_STAGED_GONE)
    for attachment in attachments:
        attachment.complaint = complaint


def attachment_add_staff(
    *, complaint_id: int, prepared: PreparedFile, scope: Scope, now: datetime | None = None
) -> Attachment:
    """A document staff attach to the answer (before it is sent): stored like the consumer's, listed on the hoja for
    staff at once and for the consumer with the answer; an ATTACHMENT_ADDED event records who added what."""
    from ..handling.policy import Action, refusal

    now = now or timezone.now()
    stored = _store(prepared, now=now)
    try:
        with transaction.atomic():
            complaint = scope.filter(Complaint.objects.select_for_update(of=("self",)), path="establishment").get(
                pk=complaint_id
            )
            if not scope.acts_on(complaint.establishment_id) or refusal(
                complaint, Action.ANSWER, scope=scope, today=timezone.localdate(now)
            ):
                raise ValidationError(MSG_STAFF_FORBIDDEN)
            position = Attachment.objects.filter(complaint=complaint, source=Attachment.Source.STAFF).count()
            if position >= max_files():
                raise ValidationError(MSG_TOO_MANY.format(limit=max_files()))
            attachment = _row(
                prepared,
                stored_name=stored,
                position=position,
                now=now,
                complaint=complaint,
                source=Attachment.Source.STAFF,
                uploaded_by=scope.user,
            )
            attachment.save()
            ComplaintEvent.objects.create(
                complaint=complaint,
                type=ComplaintEvent.Type.ATTACHMENT_ADDED,
                actor=scope.user,
                occurred_at=now,
                data={
                    "id": attachment.pk,
                    "name": attachment.original_name,
                    "type": attachment.content_type,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                },
            )
    except BaseException:
        try:
            attachment_storage().delete(stored)  # refused or rolled back: no file without its row
        except Exception:  # the refusal is what the user must see; a leftover file is only logged
            logger.exception("Could not delete the stored file %s of a refused staff document", stored)
        raise
    return attachment


def attachments_of(complaint: Complaint) -> list[Attachment]:
    """A hoja's documents, the consumer's first (one query)."""
    return list(Attachment.objects.filter(complaint=complaint).order_by("source", "position", "pk"))


def attachments_for_consumer(complaint: Complaint, *, answered: bool | None = None, documents=None) -> list[Attachment]:
    """The documents the consumer sees (tracking page, their PDF, their downloads): theirs always, the provider's
    only once the answer was communicated (before, the provider's are a draft). `answered`: whether the hoja has
    its answer, read here when the caller does not know; `documents`: the hoja's documents when already loaded."""
    documents = attachments_of(complaint) if documents is None else documents
    if not any(a.source == Attachment.Source.STAFF for a in documents):
        return documents
    if answered is None:
        from ..handling.models import Response

        answered = Response.objects.filter(complaint=complaint).exists()
    return [a for a in documents if a.source == Attachment.Source.CONSUMER or answered]


# What fixity (re-reading a stored file) found; the seal check reads rows only (their SHA-256 is in the fingerprint).
FIXITY_OK, FIXITY_CHANGED, FIXITY_UNREADABLE = "ok", PROBLEM_ATTACHMENT, PROBLEM_ATTACHMENT_UNREADABLE


def fixity_verdict(attachment: Attachment, file_sha256: str | None, *, missing: bool = False) -> str:
    """A stored file's bytes against the SHA-256 recorded at upload. `missing`: the file is gone (a change, like a
    swap); `file_sha256` None otherwise: the storage failed to read it."""
    if missing:
        return FIXITY_CHANGED
    if file_sha256 is None:
        return FIXITY_UNREADABLE
    return FIXITY_OK if file_sha256 == attachment.sha256 else FIXITY_CHANGED


def attachment_fixity(attachment: Attachment) -> str:
    """Re-read one stored file (a megabyte at a time) and compare it. Any storage error is a verdict (logged),
    never an exception: the daily check and the bundle go on with the next file."""
    digest = hashlib.sha256()
    try:
        with attachment_storage().open(attachment.stored_name, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        return fixity_verdict(attachment, None, missing=True)
    except Exception:  # S3 and others raise their own errors: reported as unreadable
        logger.warning("Could not read attachment %s for its fixity check", attachment.pk, exc_info=True)
        return fixity_verdict(attachment, None)
    return fixity_verdict(attachment, digest.hexdigest())


def attachments_fixity_window(*, scope: Scope, after: int, limit: int) -> tuple[list[tuple[Attachment, str]], int]:
    """The daily check's rolling window: re-read the next `limit` filed documents in `scope` by id after `after`
    (wrapping round to the first ones), so every file is re-read once per cycle of ceil(files / limit) days and
    no run reads a whole book. Returns what failed (document, verdict) and the id to start after next time. The
    cursor lives in the check's heartbeat (no column). Files of anonymised hojas are gone on purpose: skipped."""
    rows = scope.filter(
        Attachment.objects.filter(complaint__isnull=False).exclude(original_name=""), path="complaint__establishment"
    ).select_related("complaint__establishment")
    window = list(rows.filter(pk__gt=after).order_by("pk")[:limit])
    if len(window) < limit:  # the end of the list: go on from the start (never the same file twice in one run)
        window += list(rows.filter(pk__lte=after).order_by("pk")[: limit - len(window)])
    failed = [(a, verdict) for a in window if (verdict := attachment_fixity(a)) != FIXITY_OK]
    return failed, (window[-1].pk if window else 0)


def attachments_anonymise(*, complaint_ids: list[int]) -> None:
    """Part of anonymising hojas (compliance.retention), inside its transaction: their documents' names are
    blanked wherever they were recorded (the rows, the filing event, the staff's ATTACHMENT_ADDED events) and their
    files deleted once it commits. The type, size and SHA-256 stay as evidence of what was filed."""
    stored = list(Attachment.objects.filter(complaint_id__in=complaint_ids).values_list("stored_name", flat=True))
    if not stored:
        return
    with connection.cursor() as cursor:
        # Attachments and the trail are append-only for the application; this is their one, recorded, exception
        # (as the filing event's IP address in compliance.retention).
        cursor.execute(
            f"UPDATE {Attachment._meta.db_table} SET original_name = '' WHERE complaint_id = ANY(%s)",  # noqa: S608
            [complaint_ids],
        )
        cursor.execute(
            f"UPDATE {ComplaintEvent._meta.db_table} SET data = data - 'name' "  # noqa: S608
            "WHERE complaint_id = ANY(%s) AND type = %s",
            [complaint_ids, ComplaintEvent.Type.ATTACHMENT_ADDED],
        )
        cursor.execute(
            f"UPDATE {ComplaintEvent._meta.db_table} SET data = jsonb_set(data, '{{attachments}}', ("  # noqa: S608
            "  SELECT coalesce(jsonb_agg(item - 'name' ORDER BY position), '[]'::jsonb)"
            "  FROM jsonb_array_elements(data -> 'attachments') WITH ORDINALITY AS listed(item, position)"
            ")) WHERE complaint_id = ANY(%s) AND type = %s AND jsonb_typeof(data -> 'attachments') = 'array'",
            [complaint_ids, ComplaintEvent.Type.FILED],
        )
    storage = attachment_storage()
    for name in stored:
        # robust: a storage that fails to delete one file is logged and does not undo or stop the anonymisation.
        transaction.on_commit(partial(storage.delete, name), robust=True)


def attachments_staged_purge(*, now: datetime | None = None) -> int:
    """Remove the staged uploads never filed (a review page abandoned, a form never corrected) once older than the
    TTL: their files first, then their rows. Returns how many."""
    now = now or timezone.now()
    stale = Attachment.objects.filter(complaint__isnull=True, created_at__lt=now - staged_ttl())
    storage = attachment_storage()
    removed = 0
    for pk, stored_name in stale.values_list("pk", "stored_name").iterator(chunk_size=500):
        # Deleted row by row and only while still unfiled: a filing binding it right now keeps it.
        with transaction.atomic():
            if Attachment.objects.filter(pk=pk, complaint__isnull=True).select_for_update().exists():
                Attachment.objects.filter(pk=pk, complaint__isnull=True).delete()
                transaction.on_commit(partial(storage.delete, stored_name))
                removed += 1
    return removed
