"""The evidence bundle of an INDECOPI request: one ZIP, built by a Celery job, with what an inspector checks for
each hoja the request covers (and the builder's scope allows):

    LEEME.txt               what the bundle is and how it is laid out
    resumen.pdf             the request, the counts, who built the bundle and when, the integrity verdicts
    indice.csv              one row per hoja: dates, status, answer on time, delivery, Message-IDs, integrity
    huellas-sha256.txt      the SHA-256 of every other file (`sha256sum -c huellas-sha256.txt`)
    hojas/<Nº>_<código>/    hoja.pdf (Anexo I, section 4 with the answer), respuesta.txt (the answer, how and
                            when it was communicated, any settlement offer), envios.csv (every e-mail about the
                            hoja: status, attempts, times, Message-ID, its history), historial.csv (the trail)

Constant memory: hojas are read from a cursor, each hoja's files go into the ZIP as they are made, and the
index and fingerprint list grow in temporary files. The ZIP is written to a temporary file in the private
export storage, fingerprinted, then renamed into place; a failure leaves no file and a Spanish error on the
bundle. A bundle's SHA-256 cannot be inside it: the portal records it and shows it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from ..access import Scope
from ..book.attachments import FIXITY_OK, attachment_storage, attachments_of, fixity_verdict
from ..book.integrity import PROBLEM_LABELS
from ..book.models import Complaint, ComplaintEvent, Kind, ResponseChannel, Status, number_format
from ..book.pdf import _pdf, complaint_sheet_pdf
from ..book.services import BookReport, book_verify_iter, complaint_integrity_problems
from ..deadlines.rules import answered_on_time
from ..handling.exports import _safe, export_storage
from ..handling.models import SettlementOffer
from ..handling.trail import _NO_ACTOR, _event_lines, person_name
from ..outbox.models import OutboundMessage
from .indecopi import numbers_split
from .models import EvidenceBundle, IndecopiRequest
from .selectors import indecopi_request_hojas

logger = logging.getLogger(__name__)

BUNDLES_DIR = "paquetes"  # under RECLAMACIONES_EXPORT_ROOT
PROGRESS_EVERY = 10  # hojas between two progress updates
CHUNK_HOJAS = 100
LISTED = 200  # failing hojas and missing numbers listed in the summary (the index has every hoja)
COPY_CHUNK = 1 << 20

INDEX_HEADERS = [
    "Número",
    "Establecimiento",
    "Código del libro",
    "Presentada (hora de Lima)",
    "Tipo",
    "Estado",
    "Fecha límite",
    "Respuesta comunicada (hora de Lima)",
    "Medio de respuesta",
    "A tiempo",
    "Entrega de la respuesta",
    "Message-ID de los correos",
    "Huella SHA-256 de la hoja",
    "Integridad",
    "Carpeta",
    "Archivos",
]
MESSAGE_HEADERS = [
    "Id",
    "Tipo",
    "Destinatario",
    "Estado",
    "Intentos",
    "En cola (hora de Lima)",
    "Enviado (hora de Lima)",
    "Message-ID",
    "Último error",
    "Historial del envío",
]
EVENT_HEADERS = ["Fecha y hora (hora de Lima)", "Evento", "Código", "Realizado por", "Descripción", "Datos"]
HOJA_FILES = ("hoja.pdf", "respuesta.txt", "envios.csv", "historial.csv")

VERIFIED = "Verificada: coincide con su huella SHA-256 y con su sello en la cadena del libro"
NOT_VERIFIED = "NO VERIFICA"

MSG_FAILED = "No se pudo preparar el paquete ({error}). Inténtalo de nuevo o avisa a soporte."
MSG_NOT_RUNNER = "Quien pidió el paquete ya no tiene el rol de cumplimiento: no se preparó."

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def _plain(text: str) -> str:
    """Text for a .txt file: control characters (other than line breaks and tabs) become spaces."""
    return _CONTROL.sub(" ", text or "")


def _moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S") if value else ""


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _label(choices, value: str, empty: str = "") -> str:
    try:
        return str(choices(value).label) if value else empty
    except ValueError:
        return str(value)


def hoja_folder(complaint: Complaint) -> str:
    """hojas/000000012-2026_LR-001: the sheet number and the book's code (numbers repeat across books)."""
    code = _UNSAFE_NAME.sub("_", complaint.establishment.code).strip("_") or str(complaint.establishment_id)
    return f"hojas/{complaint.display_number}_{code}"


# -- what each hoja says --------------------------------------------------------------------------------------


def on_time_verdict(complaint: Complaint, response, *, today: date) -> str:
    """Whether the answer was communicated by the due date (the verdict an inspector asks for)."""
    if response is not None:
        on_time = answered_on_time(
            answered_on=timezone.localdate(response.communicated_at), due_date=complaint.due_date
        )
        return "Sí" if on_time else "No"
    if complaint.status == Status.SETTLED:
        return "No aplica: acuerdo aceptado por el consumidor (art. 6-A)"
    if today <= complaint.due_date:
        return "Pendiente, dentro del plazo"
    return "No: vencida sin respuesta"


def delivery_text(response, messages: list[OutboundMessage]) -> str:
    """How the answer reached the consumer: the letter's delivery, or the answer e-mail's status; for a hoja
    settled by an accepted offer (no formal answer), the e-mail that confirmed the agreement."""
    if response is None:
        accepted = [m for m in messages if m.kind == OutboundMessage.Kind.SETTLEMENT_ACCEPTED]
        if accepted:
            return "Acuerdo aceptado (art. 6-A), constancia: " + "; ".join(_message_status(m) for m in accepted)
        return "Sin respuesta comunicada"
    if response.channel == ResponseChannel.LETTER:
        return f"Carta entregada el {_moment(response.communicated_at)}"
    answers = [m for m in messages if m.kind == OutboundMessage.Kind.RESPONSE]
    if not answers:
        return "Correo de respuesta no registrado"
    return "; ".join(_message_status(m) for m in answers)


def _message_status(m: OutboundMessage) -> str:
    if m.status == OutboundMessage.Status.SENT:
        return f"Correo enviado el {_moment(m.sent_at)} a {m.recipient}"
    if m.status == OutboundMessage.Status.FAILED:
        return f"Correo fallido tras {m.attempts} intentos a {m.recipient}: {m.last_error}"
    return f"Correo {m.get_status_display().lower()} a {m.recipient}"


def _message_history(message: OutboundMessage, events: list[ComplaintEvent]) -> str:
    steps = []
    for event in events:
        if (event.data or {}).get("message") != message.pk:
            continue
        d = event.data
        if event.type == ComplaintEvent.Type.MESSAGE_QUEUED:
            steps.append(f"{_moment(event.occurred_at)} en cola")
        elif event.type == ComplaintEvent.Type.MESSAGE_SENT:
            attempt = f" (intento {d['attempts']})" if d.get("attempts") else ""
            steps.append(f"{_moment(event.occurred_at)} enviado{attempt}, Message-ID {d.get('message_id') or '—'}")
        elif event.type == ComplaintEvent.Type.MESSAGE_FAILED:
            steps.append(f"{_moment(event.occurred_at)} fallido: {d.get('error') or 'sin detalle'}")
    return "; ".join(steps)


def _csv_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([_safe(str(cell)) for cell in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def messages_csv(messages: list[OutboundMessage], events: list[ComplaintEvent]) -> bytes:
    return _csv_bytes(
        MESSAGE_HEADERS,
        [
            [
                m.pk,
                m.get_kind_display(),
                m.recipient,
                m.get_status_display(),
                m.attempts,
                _moment(m.created_at),
                _moment(m.sent_at),
                m.message_id,
                m.last_error,
                _message_history(m, events),
            ]
            for m in messages
        ],
    )


def events_csv(events: list[ComplaintEvent]) -> bytes:
    return _csv_bytes(
        EVENT_HEADERS,
        [
            [
                _moment(e.occurred_at),
                e.get_type_display(),
                e.type,
                person_name(e.actor) or _NO_ACTOR.get(e.type, "Sistema"),
                " ".join(_event_lines(e)),
                json.dumps(e.data or {}, ensure_ascii=False, sort_keys=True, default=str),
            ]
            for e in events
        ],
    )


def answer_text(complaint: Complaint, response, offers: list[SettlementOffer], *, on_time: str, delivery: str) -> bytes:
    """respuesta.txt: section 4 as communicated, how and when, and any settlement offer (art. 6-A)."""
    lines = [
        f"Hoja de reclamación Nº {complaint.display_number}",
        f"{complaint.establishment.name} (código {complaint.establishment.code})",
        f"Presentada el {_moment(complaint.filed_at)} (hora de Lima) · fecha límite de respuesta "
        f"{_day(complaint.due_date)}",
        f"Estado: {complaint.get_status_display()}",
        "",
        "4. OBSERVACIONES Y ACCIONES ADOPTADAS POR EL PROVEEDOR",
        "",
    ]
    if response is None:
        lines.append("Esta hoja no tiene una respuesta comunicada.")
    else:
        lines += [
            f"Medio: {response.get_channel_display()}",
            f"FECHA DE COMUNICACIÓN DE LA RESPUESTA: {_moment(response.communicated_at)} (hora de Lima)",
            f"Registrada por: {person_name(response.responded_by)}",
            "",
            response.text,
        ]
    lines += ["", f"Dentro del plazo: {on_time}", f"Entrega: {delivery}"]
    for offer in offers:
        lines += [
            "",
            f"Propuesta de solución (Reglamento, art. 6-A) del {_day(offer.offered_on)}: {offer.get_status_display()}"
            + (f" el {_moment(offer.resolved_at)}" if offer.resolved_at else ""),
            offer.text,
        ]
    return _plain("\n".join(lines) + "\n").encode("utf-8")


# -- the ZIP --------------------------------------------------------------------------------------------------


class _Zip:
    """A ZIP being written, with the SHA-256 of every member kept in a temporary file."""

    def __init__(self, out, *, stamp: datetime) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.date_time = timezone.localtime(stamp).timetuple()[:6]
        self.sums = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def _info(self, path: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add(self, path: str, data: bytes) -> None:
        self.zip.writestr(self._info(path), data)
        self.sums.write(f"{hashlib.sha256(data).hexdigest()}  {path}\n")

    def add_file(self, path: str, source) -> str:
        """A member copied from an open binary file, a megabyte at a time; returns its SHA-256."""
        digest = hashlib.sha256()
        source.seek(0)
        with self.zip.open(self._info(path), "w", force_zip64=True) as member:
            while chunk := source.read(COPY_CHUNK):
                member.write(chunk)
                digest.update(chunk)
        self.sums.write(f"{digest.hexdigest()}  {path}\n")
        return digest.hexdigest()

    def close(self, *, sums_path: str) -> None:
        self.sums.seek(0)
        data = io.BytesIO(self.sums.read().encode("utf-8"))
        with self.zip.open(self._info(sums_path), "w", force_zip64=True) as member:
            shutil.copyfileobj(data, member)
        self.zip.close()
        self.sums.close()

    def abort(self) -> None:
        self.sums.close()
        try:
            self.zip.close()
        except Exception:  # the file is removed anyway
            logger.debug("bundle: closing an aborted ZIP failed", exc_info=True)


@dataclass
class Tally:
    """The counts the summary shows, kept as the hojas go by (no hoja kept in memory)."""

    hojas: int = 0
    kinds: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    answered: int = 0
    on_time: int = 0
    late: int = 0
    pending: int = 0
    overdue: int = 0
    settled: int = 0
    messages: Counter = field(default_factory=Counter)
    verified: int = 0
    failing: int = 0
    failing_listed: list[dict] = field(default_factory=list)

    def count(self, complaint: Complaint, response, messages: list[OutboundMessage], problems: list[str], on_time):
        self.hojas += 1
        self.kinds[_label(Kind, complaint.kind, "Sin clasificar")] += 1
        self.statuses[complaint.get_status_display()] += 1
        if response is not None:
            self.answered += 1
            if on_time == "Sí":
                self.on_time += 1
            else:
                self.late += 1
        elif complaint.status == Status.SETTLED:
            self.settled += 1
        elif on_time.startswith("Pendiente"):
            self.pending += 1
        else:
            self.overdue += 1
        for m in messages:
            self.messages[m.get_status_display()] += 1
        if problems:
            self.failing += 1
            if len(self.failing_listed) < LISTED:
                self.failing_listed.append(
                    {
                        "number": complaint.display_number,
                        "establishment": complaint.establishment.name,
                        "problems": problems,
                    }
                )
        else:
            self.verified += 1


def _hoja_write(archive: _Zip, index, complaint: Complaint, tally: Tally, *, today: date) -> None:
    """One hoja's folder and its index row."""
    response = getattr(complaint, "response", None)
    events = list(complaint.events.select_related("actor").order_by("occurred_at", "pk"))
    messages = list(OutboundMessage.objects.filter(complaint=complaint).order_by("created_at", "pk"))
    offers = list(SettlementOffer.objects.filter(complaint=complaint).order_by("offered_on", "pk"))
    documents = attachments_of(complaint)
    problems = complaint_integrity_problems(complaint, documents)
    on_time = on_time_verdict(complaint, response, today=today)
    delivery = delivery_text(response, messages)
    folder = hoja_folder(complaint)

    archive.add(f"{folder}/hoja.pdf", complaint_sheet_pdf(complaint, recipient="indecopi", documents=documents))
    archive.add(f"{folder}/respuesta.txt", answer_text(complaint, response, offers, on_time=on_time, delivery=delivery))
    archive.add(f"{folder}/envios.csv", messages_csv(messages, events))
    archive.add(f"{folder}/historial.csv", events_csv(events))
    written, fixity = _attachments_write(archive, folder, documents)
    problems += [PROBLEM_LABELS[code] for code in fixity]  # the stored bytes, read once as they were copied
    files = [*HOJA_FILES, *written]

    message_ids = "; ".join(f"{m.get_kind_display()}: {m.message_id}" for m in messages if m.message_id)
    row = [
        complaint.display_number,
        complaint.establishment.name,
        complaint.establishment.code,
        _moment(complaint.filed_at),
        _label(Kind, complaint.kind, "Sin clasificar"),
        complaint.get_status_display(),
        _day(complaint.due_date),
        _moment(response.communicated_at) if response else "",
        response.get_channel_display() if response else "",
        on_time,
        delivery,
        message_ids,
        complaint.content_sha256,
        VERIFIED if not problems else f"{NOT_VERIFIED}: {'; '.join(problems)}",
        folder + "/",
        ", ".join(files),
    ]
    index.writerow([_safe(str(cell)) for cell in row])
    tally.count(complaint, response, messages, problems, on_time)


ATTACHMENT_HEADERS = ["Archivo en el paquete", "Nombre original", "Adjuntado por", "Tipo", "Bytes", "SHA-256", "Subido"]


def _attachments_write(archive: _Zip, folder: str, documents: list) -> tuple[list[str], list[str]]:
    """The hoja's documents (issue 14 §1) under adjuntos/, copied from the private storage, with adjuntos.csv
    listing each one's recorded SHA-256 (huellas-sha256.txt has the SHA-256 of the bytes in the bundle). Each file
    is read once: hashed as it is copied and compared with its recorded SHA-256 (fixity). Returns the members
    written and the fixity problems (book.integrity codes, each once). A missing or unreadable file is listed."""
    if not documents:
        return [], []
    rows, problems, storage = [], [], attachment_storage()
    for a in documents:
        path = f"adjuntos/{a.source}-{a.position + 1}-{_safe_file_name(a.original_name)}"
        verdict = FIXITY_OK
        if a.removed:  # deleted on purpose with the hoja's anonymisation: listed with its SHA-256 only
            path = "(eliminado al anonimizar)"
        else:
            try:
                with storage.open(a.stored_name, "rb") as source:
                    verdict = fixity_verdict(a, archive.add_file(f"{folder}/{path}", source))
            except FileNotFoundError:
                path, verdict = "(falta el archivo)", fixity_verdict(a, None, missing=True)
            except Exception:  # any storage backend's error: reported in the verdict, the bundle goes on
                logger.warning("Could not copy attachment %s into the bundle", a.pk, exc_info=True)
                path, verdict = "(no se pudo leer el archivo)", fixity_verdict(a, None)
        if verdict != FIXITY_OK and verdict not in problems:
            problems.append(verdict)
        when = _moment(a.created_at)
        rows.append([path, a.display_name, a.get_source_display(), a.content_type, str(a.size), a.sha256, when])
    archive.add(f"{folder}/adjuntos.csv", _csv_bytes(ATTACHMENT_HEADERS, rows))
    return ["adjuntos.csv", *(row[0] for row in rows if row[0].startswith("adjuntos/"))], problems


def _safe_file_name(name: str) -> str:
    """A document's name as a ZIP member: the consumer's name without anything a file system could act on."""
    stem, dot, ext = name.rpartition(".")
    cleaned = _UNSAFE_NAME.sub("-", slugify(stem or name)).strip("-")[:60] or "documento"
    return f"{cleaned}.{_UNSAFE_NAME.sub('', ext.lower())}" if dot else cleaned


def _chain_verdict(*, scope: Scope, establishment_ids: set[int]) -> BookReport:
    """The fingerprint chain of every book (establishment and year) of the bundle's establishments."""
    narrowed = Scope(
        frozenset(establishment_ids if scope.is_everything else establishment_ids & scope.establishment_ids),
        can_act=False,
        user=scope.user,
        roles=scope.roles,
    )
    report = BookReport(keep=LISTED)
    if narrowed.establishment_ids:
        for _item in book_verify_iter(report=report, scope=narrowed):
            pass
    return report


def _missing_numbers(request: IndecopiRequest, found: set[tuple[int, int]]) -> list[str]:
    return [number_format(n, y) for n, y in numbers_split(request.numbers) if (n, y) not in found]


def _summary_context(*, bundle, request, scope, tally, chain, missing, generated_at) -> dict:
    establishments = sorted(request.establishments.select_related("provider"), key=lambda e: e.name)
    providers = {(e.provider.legal_name, e.provider.ruc) for e in establishments}
    return {
        "bundle": bundle,
        "request": request,
        "establishments": establishments,
        "providers": sorted(providers),
        "builder": person_name(bundle.created_by) or "Sistema",
        "builder_scope_all": scope.is_everything
        or {e.pk for e in establishments} <= set(scope.establishment_ids or ()),
        "tally": tally,
        "kinds": sorted(tally.kinds.items()),
        "statuses": sorted(tally.statuses.items()),
        "messages": sorted(tally.messages.items()),
        "messages_total": sum(tally.messages.values()),
        "chain": chain,
        "chain_broken": [
            {**item, "labels": [PROBLEM_LABELS.get(p, p) for p in item["problems"]]} for item in chain.broken[:50]
        ],
        "missing": missing[:LISTED],
        "missing_count": len(missing),
        "generated_at": generated_at,
        "numbers_listed": request.numbers[:LISTED],
    }


def _readme(context: dict) -> bytes:
    return _plain(render_to_string("reclamaciones/compliance/indecopi_bundle_leeme.txt", context)).encode("utf-8")


def _write(bundle: EvidenceBundle, out, *, scope: Scope, progress) -> Tally:
    request = bundle.request
    now = timezone.now()
    today = timezone.localdate(now)
    archive = _Zip(out, stamp=now)
    tally = Tally()
    found: set[tuple[int, int]] = set()
    try:
        # The index grows in a temporary file (one ZIP member is written at a time), with a BOM for Excel.
        with io.TextIOWrapper(tempfile.TemporaryFile(), encoding="utf-8-sig", newline="") as index_file:
            index = csv.writer(index_file)
            index.writerow(INDEX_HEADERS)
            hojas = indecopi_request_hojas(scope=scope, request=request).select_related(
                "establishment__provider", "response__responded_by"
            )
            for complaint in hojas.iterator(chunk_size=CHUNK_HOJAS):
                _hoja_write(archive, index, complaint, tally, today=today)
                if request.numbers:
                    found.add((complaint.number, complaint.year))
                progress(tally.hojas)
            index_file.flush()
            archive.add_file("indice.csv", index_file.buffer)
        chain = _chain_verdict(scope=scope, establishment_ids=set(request.establishments.values_list("pk", flat=True)))
        context = _summary_context(
            bundle=bundle,
            request=request,
            scope=scope,
            tally=tally,
            chain=chain,
            missing=_missing_numbers(request, found),
            generated_at=timezone.now(),
        )
        archive.add("resumen.pdf", _pdf("reclamaciones/pdf/indecopi_summary.html", context))
        archive.add("LEEME.txt", _readme(context))
        archive.close(sums_path="huellas-sha256.txt")
    except BaseException:
        archive.abort()
        raise
    return tally


def bundle_root() -> Path:
    return Path(export_storage().location) / BUNDLES_DIR


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_file_name(request: IndecopiRequest, bundle: EvidenceBundle) -> str:
    """evidencias-oficio-123-2026-indecopi-7.zip: the request's reference, readable on any system."""
    return f"evidencias-{slugify(request.reference)[:60].strip('-') or 'requerimiento'}-{bundle.pk}.zip"


def evidence_bundle_run(*, bundle_id: int) -> EvidenceBundle | None:
    """Build the bundle's ZIP with the scope of who asked for it as it is now, recording hojas done / total.
    Runs again from the start if the task is delivered twice; a finished bundle is left as it is. When two
    runs overlap (a redelivery while the first still works), the one that started last records its file."""
    bundle = EvidenceBundle.objects.select_related("request", "created_by").filter(pk=bundle_id).first()
    if bundle is None or bundle.status == EvidenceBundle.Status.DONE:
        return bundle
    rows = EvidenceBundle.objects.filter(pk=bundle.pk)
    user = bundle.created_by
    scope = Scope.of(user) if user is not None else Scope.everything()
    if not scope.runs_compliance:
        rows.update(status=EvidenceBundle.Status.FAILED, error=MSG_NOT_RUNNER, finished_at=timezone.now())
        return rows.first()

    started = timezone.now()
    total = indecopi_request_hojas(scope=scope, request=bundle.request).count()
    rows.update(
        status=EvidenceBundle.Status.RUNNING,
        started_at=started,
        hojas_done=0,
        hojas_total=total,
        error="",
        file_name="",
        size=None,
        sha256="",
        finished_at=None,
    )
    reported = 0

    def progress(done: int) -> None:
        nonlocal reported
        if done - reported >= PROGRESS_EVERY or done >= total:
            rows.filter(started_at=started).update(hojas_done=done)
            reported = done

    token = secrets.token_hex(6)
    run_dir = bundle_root() / str(bundle.pk) / token
    name = bundle_file_name(bundle.request, bundle)
    final = run_dir / name
    temporary: Path | None = None
    try:
        run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary_name = tempfile.mkstemp(prefix=".parcial-", suffix=".zip", dir=run_dir)
        temporary = Path(temporary_name)
        with os.fdopen(handle, "w+b") as out:
            tally = _write(bundle, out, scope=scope, progress=progress)
        sha256, size = _file_sha256(temporary), temporary.stat().st_size
        os.replace(temporary, final)  # atomic: the file is complete or absent
        temporary = None
    except BaseException as exc:
        logger.exception("indecopi: evidence bundle %s failed", bundle.pk)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        shutil.rmtree(run_dir, ignore_errors=True)
        rows.filter(started_at=started).update(
            status=EvidenceBundle.Status.FAILED,
            error=MSG_FAILED.format(error=type(exc).__name__),
            finished_at=timezone.now(),
        )
        raise
    relative = f"{BUNDLES_DIR}/{bundle.pk}/{token}/{name}"
    recorded = rows.filter(started_at=started).update(
        status=EvidenceBundle.Status.DONE,
        hojas_done=tally.hojas,
        hojas_total=tally.hojas,
        file_name=relative,
        size=size,
        sha256=sha256,
        finished_at=timezone.now(),
    )
    if not recorded:  # a later run of the same bundle took over: its file is the one recorded
        shutil.rmtree(run_dir, ignore_errors=True)
    return rows.select_related("request", "created_by").first()


def evidence_bundle_open(*, bundle: EvidenceBundle):
    """The finished ZIP, opened for reading."""
    return export_storage().open(bundle.file_name, "rb")
