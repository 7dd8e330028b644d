"""The legal records of the complaints book.

Glossary (law / UI -> code): hoja de reclamación -> Complaint; proveedor -> Provider; establecimiento (sede)
-> Establishment; código de identificación -> Establishment.code; correlativo -> SheetCounter; historial ->
ComplaintEvent; mensaje saliente -> OutboundMessage (the outbox).

Models hold data and invariants only. Every write goes through the services of its context.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from stdnum.pe import ruc as stdnum_ruc

from ..deadlines.rules import Regime
from ..records import AppendOnlyModel, ImmutableRecordError, TimeStampedModel
from .branding import brand_logo_path, brand_storage, validate_brand_color
from .embed import validate_embed_origins

RETENTION_YEARS = 2  # Reglamento art. 12: keep every hoja at least 2 years from filing

MSG_ADDRESS_OR_EMAIL = "Indica tu domicilio o tu correo electrónico (al menos uno) para poder responderte."


def validate_ruc(value: str) -> None:
    if not stdnum_ruc.is_valid(value):
        raise ValidationError("El RUC no es válido: debe tener 11 dígitos y un dígito verificador correcto.")


def doc_number_normalize(value: str) -> str:
    """A document number as stored and searched: no spaces, dots or dashes, upper case. NFKC first turns the
    full-width digits some phone keyboards type into 0-9."""
    return re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", value)).upper()


def number_format(number: int, year: int) -> str:
    """Sheet number as printed on Anexo I: 9 digits, a dash, the year (Nº 000000001-2026)."""
    return f"{number:09d}-{year}"


def tracking_token_new() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


class Provider(TimeStampedModel):
    legal_name = models.CharField("razón social o nombre", max_length=150)
    trade_name = models.CharField("nombre comercial", max_length=150, blank=True)
    ruc = models.CharField("RUC", max_length=11, unique=True, validators=[validate_ruc])
    address = models.CharField("domicilio fiscal", max_length=150)
    contact_email = models.EmailField(
        "correo de contacto", blank=True, help_text="Para consultas de los consumidores y derechos ARCO."
    )
    data_bank_name = models.CharField(
        "banco de datos personales",
        max_length=150,
        default="Libro de Reclamaciones",
        help_text="Nombre del banco de datos personales (Ley 29733) donde se guardan las hojas.",
    )
    privacy_policy_url = models.URLField(
        "política de privacidad (URL externa)",
        blank=True,
        help_text="Opcional. Si está vacío, se muestra la política generada por el portal.",
    )
    # Branding (book.branding): the public pages, the embedded book and the sheet's PDF header.
    brand_logo = models.FileField(
        "logo",
        upload_to=brand_logo_path,
        storage=brand_storage,
        blank=True,
        max_length=200,
        help_text="PNG o JPEG. Se guarda reducido y sin metadatos; no se aceptan SVG.",
    )
    brand_primary = models.CharField(
        "color principal",
        max_length=7,
        blank=True,
        validators=[validate_brand_color],
        help_text="#RRGGBB. Encabezado y botones, con texto blanco encima: contraste mínimo 4,5:1 (WCAG AA).",
    )
    brand_accent = models.CharField(
        "color de acento",
        max_length=7,
        blank=True,
        validators=[validate_brand_color],
        help_text="#RRGGBB. Bordes, opciones elegidas y el botón del libro insertado: contraste mínimo 4,5:1.",
    )

    class Meta:
        verbose_name = "proveedor"
        verbose_name_plural = "proveedores"
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return f"{self.legal_name} (RUC {self.ruc})"

    @property
    def display_name(self) -> str:
        return self.trade_name or self.legal_name


class Establishment(TimeStampedModel):
    class Kind(models.TextChoices):
        PHYSICAL = "physical", "Físico"
        VIRTUAL = "virtual", "Virtual"

    provider = models.ForeignKey(
        Provider, verbose_name="proveedor", on_delete=models.PROTECT, related_name="establishments"
    )
    name = models.CharField("nombre", max_length=150)
    address = models.CharField("domicilio del establecimiento", max_length=150)
    code = models.CharField(
        "código de identificación",
        max_length=20,
        help_text="Código del libro (art. 8 del Reglamento), impreso en cada hoja.",
    )
    sirec_code = models.CharField(
        "código de sede SIREC",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{1,6}$", "El código de sede SIREC tiene hasta 6 dígitos.")],
    )
    slug = models.SlugField("dirección web", max_length=60, unique=True, help_text="Se usa en /libro/<slug>/.")
    kind = models.CharField("tipo de establecimiento", max_length=10, choices=Kind, default=Kind.PHYSICAL)
    phone = models.CharField(
        "teléfono de atención al cliente",
        max_length=50,
        blank=True,
        help_text="Se ofrece al consumidor como otra vía si no puede usar el libro virtual en ese momento.",
    )
    is_active = models.BooleanField("activo", default=True)
    offers_need_approval = models.BooleanField(
        "las propuestas de solución requieren aprobación",
        default=False,
        help_text="La propuesta de un agente espera la aprobación de supervisión antes de enviarse al consumidor.",
    )
    reclassifications_need_approval = models.BooleanField(
        "las reclasificaciones requieren aprobación",
        default=False,
        help_text="El cambio de reclamo a queja (o al revés) de un agente espera la aprobación de supervisión.",
    )
    embed_origins = models.TextField(
        "sitios que pueden insertar el libro",
        blank=True,
        validators=[validate_embed_origins],
        help_text="Uno por línea, por ejemplo https://tienda.example.pe: solo esas páginas pueden mostrar el "
        "libro de este establecimiento dentro de un iframe (book.embed).",
    )

    class Meta:
        verbose_name = "establecimiento"
        verbose_name_plural = "establecimientos"
        ordering = ["provider__legal_name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="establishment_code_unique_per_provider"),
        ]

    def __str__(self) -> str:
        return self.name


class SheetCounter(models.Model):
    """Last sheet number used per (establishment, year). Only book.numbering touches it."""

    establishment = models.ForeignKey(
        Establishment, verbose_name="establecimiento", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("año")
    last_number = models.PositiveIntegerField("último número", default=0)

    class Meta:
        verbose_name = "correlativo"
        verbose_name_plural = "correlativos"
        constraints = [
            models.UniqueConstraint(fields=["establishment", "year"], name="sheet_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.establishment} {self.year}: {self.last_number}"


class DocType(models.TextChoices):
    DNI = "dni", "DNI"
    CE = "ce", "Carné de extranjería"
    PASSPORT = "pasaporte", "Pasaporte"
    RUC = "ruc", "RUC"


class GoodType(models.TextChoices):
    PRODUCT = "producto", "Producto"
    SERVICE = "servicio", "Servicio"
    BOTH = "ambos", "Producto y servicio"


class Currency(models.TextChoices):
    PEN = "PEN", "Soles (S/)"
    USD = "USD", "Dólares (US$)"


class Kind(models.TextChoices):
    RECLAMO = "reclamo", "Reclamo"
    QUEJA = "queja", "Queja"


class Channel(models.TextChoices):
    WEB = "web", "Libro virtual (web)"
    BACKUP = "backup", "Libro de reclamaciones de respaldo (papel)"
    API = "api", "Plataforma de comercio electrónico (API)"


class Status(models.TextChoices):
    RECEIVED = "received", "Registrada"
    IN_PROGRESS = "in_progress", "En atención"
    SETTLEMENT_OFFERED = "settlement_offered", "Con propuesta de solución"
    ANSWERED = "answered", "Respondida"
    SETTLED = "settled", "Cerrada por acuerdo"
    CLOSED = "closed", "Cerrada"


# The legal clock runs for these (reminders, escalation, recomputation)...
TRACKED_STATUSES = frozenset({Status.RECEIVED, Status.IN_PROGRESS})

# ...and is only suspended, not stopped, while a settlement offer waits for the consumer (art. 6-A.2.b).
OPEN_STATUSES = TRACKED_STATUSES | {Status.SETTLEMENT_OFFERED}


class ResponseChannel(models.TextChoices):
    EMAIL = "email", "Correo electrónico"
    LETTER = "letter", "Carta al domicilio"


REGIME_CHOICES = [
    (Regime.LEY_31435.value, "Ley 31435: 15 días hábiles, improrrogables"),
    (Regime.DS_006_2014.value, "DS 006-2014-PCM: 30 días calendario"),
    (Regime.DS_011_2011.value, "DS 011-2011-PCM: 30 días calendario"),
]

# The consumer's content as filed (Anexo I sections 1-3, number, date and time): never changes.
FILED_FIELDS = (
    "establishment_id",
    "number",
    "year",
    "filed_at",
    "channel",
    "backup_sheet_number",
    "consumer_name",
    "doc_type",
    "doc_number",
    "consumer_address",
    "consumer_phone",
    "consumer_email",
    "is_minor",
    "guardian_name",
    "guardian_address",
    "guardian_phone",
    "guardian_email",
    "good_type",
    "amount_claimed",
    "currency",
    "good_description",
    "kind_filed",
    "detail",
    "request",
    "provider_name",
    "provider_ruc",
    "establishment_address",
    "establishment_code",
    "tracking_token",
    "content_sha256",
    "seal",
)

_FILED_NAMES = frozenset(FILED_FIELDS) | {f.removesuffix("_id") for f in FILED_FIELDS}

# The consumer's personal data on a hoja, replaced after the retention period (compliance.retention): what
# identifies or reaches the person. The complaint's substance (what, how much, the detail) stays.
PERSONAL_FIELDS = (
    "consumer_name",
    "doc_number",
    "consumer_address",
    "consumer_phone",
    "consumer_email",
    "guardian_name",
    "guardian_address",
    "guardian_phone",
    "guardian_email",
)


class ComplaintQuerySet(models.QuerySet):
    def update(self, **kwargs):
        touched = set(kwargs) & _FILED_NAMES
        if touched:
            raise ImmutableRecordError(f"Una hoja presentada no se modifica: {', '.join(sorted(touched))}.")
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableRecordError("Las hojas de reclamación no se eliminan (Reglamento, art. 12).")

    def anonymise(self, *, values: dict, anonymised_sha256: str, anonymised_seal: str) -> int:
        """The one write allowed on filed content: the retention service replacing the personal data of hojas
        past the retention period, with the fingerprint and seal of what remains (compliance.retention)."""
        if not set(values) <= set(PERSONAL_FIELDS):
            raise ImmutableRecordError(f"Solo se anonimizan datos personales: {', '.join(sorted(values))}.")
        return super().update(**values, anonymised_sha256=anonymised_sha256, anonymised_seal=anonymised_seal)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Complaint(TimeStampedModel):
    """A hoja de reclamación (reclamo or queja) as filed, plus the staff-side state kept beside it."""

    establishment = models.ForeignKey(
        Establishment, verbose_name="establecimiento", on_delete=models.PROTECT, related_name="complaints"
    )
    number = models.PositiveIntegerField("número")
    year = models.PositiveSmallIntegerField("año")
    filed_at = models.DateTimeField("fecha y hora de presentación", db_index=True)
    channel = models.CharField("canal", max_length=10, choices=Channel, default=Channel.WEB)
    backup_sheet_number = models.CharField("número de la hoja de respaldo", max_length=30, blank=True)

    # Provider and establishment as printed on the sheet when it was filed (a later rename never changes it).
    provider_name = models.CharField("proveedor", max_length=150)
    provider_ruc = models.CharField("RUC del proveedor", max_length=11)
    establishment_address = models.CharField("domicilio del establecimiento", max_length=150)
    establishment_code = models.CharField("código de identificación", max_length=20)

    # 1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE
    consumer_name = models.CharField("nombre", max_length=150)
    doc_type = models.CharField("tipo de documento", max_length=10, choices=DocType, default=DocType.DNI)
    doc_number = models.CharField("número de documento", max_length=15, db_index=True)
    consumer_address = models.CharField("domicilio", max_length=150, blank=True)
    consumer_phone = models.CharField("teléfono", max_length=50, blank=True)
    consumer_email = models.EmailField("correo electrónico", max_length=80, blank=True)
    is_minor = models.BooleanField("menor de edad", default=False)
    guardian_name = models.CharField("padre o madre", max_length=150, blank=True)
    guardian_address = models.CharField("domicilio del padre o madre", max_length=150, blank=True)
    guardian_phone = models.CharField("teléfono del padre o madre", max_length=50, blank=True)
    guardian_email = models.EmailField("correo del padre o madre", max_length=80, blank=True)

    # 2. IDENTIFICACIÓN DEL BIEN CONTRATADO
    good_type = models.CharField("producto o servicio", max_length=10, choices=GoodType, blank=True)
    amount_claimed = models.DecimalField(
        "monto reclamado",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField("moneda", max_length=3, choices=Currency, default=Currency.PEN)
    good_description = models.CharField("descripción", max_length=4000, blank=True)

    # 3. DETALLE DE LA RECLAMACIÓN Y PEDIDO DEL CONSUMIDOR
    kind_filed = models.CharField("tipo marcado por el consumidor", max_length=10, choices=Kind, blank=True)
    detail = models.TextField("detalle", max_length=4000)
    request = models.TextField("pedido", max_length=4000, blank=True)

    # Staff-side state (may change; every change is a ComplaintEvent).
    kind = models.CharField("tipo", max_length=10, choices=Kind, blank=True)
    status = models.CharField("estado", max_length=20, choices=Status, default=Status.RECEIVED)
    regime = models.CharField("régimen de plazo", max_length=20, choices=REGIME_CHOICES)
    due_date = models.DateField("fecha límite de respuesta")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
    )
    cause = models.ForeignKey(
        "reclamaciones.Cause",
        verbose_name="causa",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        limit_choices_to={"parent__isnull": False},
    )
    suspended_business_days = models.PositiveSmallIntegerField(
        "días hábiles suspendidos", default=0, help_text="Por ofrecimientos de solución rechazados (art. 6-A)."
    )
    extension_days = models.PositiveSmallIntegerField(
        "días de ampliación", default=0, help_text="Solo hojas anteriores a la Ley 31435 (hasta 30 días calendario)."
    )
    response_channel = models.CharField(
        "medio de respuesta", max_length=10, choices=ResponseChannel, default=ResponseChannel.EMAIL
    )
    # When the consumer did not say whether it was a product or a service (optional on Anexo I), staff say it:
    # SIREC requires P, S or PS on every line. The consumer's own answer (good_type) is never changed.
    good_type_classified = models.CharField(
        "producto o servicio (según el proveedor)",
        max_length=10,
        choices=GoodType,
        blank=True,
        default="",
        db_default="",
    )
    # Set when the hoja is answered or settled, cleared when staff record that the remedy (or the accepted
    # settlement) was carried out (handling.followup): "Solución pendiente de cumplir" until then.
    remedy_pending = models.BooleanField(
        "solución pendiente de cumplir", default=False, db_default=False, editable=False
    )

    tracking_token = models.CharField(
        "clave de seguimiento", max_length=64, unique=True, default=tracking_token_new, editable=False
    )
    submission_key = models.UUIDField("clave de envío", null=True, blank=True, unique=True, editable=False)
    content_sha256 = models.CharField("huella SHA-256", max_length=64, editable=False)
    # HMAC chaining this hoja to the previous one of its book (book.integrity); "" only on rows filed
    # before the chain existed and sealed by its migration.
    seal = models.CharField("sello de integridad", max_length=64, editable=False, db_default="")
    # After anonymisation (compliance.retention): the SHA-256 of the content left, and an HMAC binding it to
    # this hoja's seal, so the anonymised hoja still verifies and stays a link of its book's chain.
    anonymised_sha256 = models.CharField(
        "huella tras la anonimización", max_length=64, editable=False, default="", db_default=""
    )
    anonymised_seal = models.CharField(
        "sello de la anonimización", max_length=64, editable=False, default="", db_default=""
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = "hoja de reclamación"
        verbose_name_plural = "hojas de reclamación"
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(fields=["establishment", "year", "number"], name="complaint_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="complaint_number_positive"),
            models.CheckConstraint(
                condition=Q(amount_claimed__isnull=True) | Q(amount_claimed__gte=0),
                name="complaint_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(consumer_address="") | ~Q(consumer_email=""),
                name="complaint_address_or_email",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="complaint_status_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="complaint_status_due_idx"),
            # Staff look a hoja up by its sheet number across their establishments ("12", "000000012-2026"); the
            # unique (establishment, year, number) index cannot serve a lookup that does not name the establishment.
            models.Index(fields=["number", "year"], name="complaint_number_year_idx"),
            # The consumer's other hojas on the staff detail page, by e-mail: `iexact` compares UPPER() on PostgreSQL.
            models.Index(Upper("consumer_email"), name="complaint_email_upper_idx"),
            # The council's per-cause counts over a period (Pareto, trend, recurring-cause flags, baselines).
            models.Index(fields=["cause", "filed_at"], name="complaint_cause_filed_idx"),
            # Every council figure reads these columns of the hojas filed in a period: an index-only scan
            # instead of reading ~1 KB rows (PostgreSQL; other databases ignore INCLUDE).
            models.Index(
                fields=["filed_at"],
                include=["id", "establishment", "cause", "status", "kind", "due_date", "doc_type", "doc_number"],
                name="complaint_council_idx",
            ),
            # The queue's "solución pendiente de cumplir" filter and counts: only the few hojas still waiting.
            models.Index(
                fields=["filed_at", "id"], condition=Q(remedy_pending=True), name="complaint_remedy_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Hoja Nº {self.display_number}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            kwargs["force_insert"] = True  # a hand-built instance must never UPDATE a filed hoja
        else:
            changed = self._changed_filed_fields()
            if changed:
                raise ImmutableRecordError(f"Una hoja presentada no se modifica: {', '.join(changed)}.")
        super().save(*args, **kwargs)
        self._filed_snapshot = {f: getattr(self, f) for f in FILED_FIELDS}

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        deferred = self.get_deferred_fields()
        self._filed_snapshot = {f: getattr(self, f) for f in FILED_FIELDS if f not in deferred}

    def _changed_filed_fields(self) -> list[str]:
        snapshot = getattr(self, "_filed_snapshot", {})
        deferred = self.get_deferred_fields()
        # A field not loaded (only()/defer()) counts as changed once it is assigned: it is no longer deferred.
        return [
            f
            for f in FILED_FIELDS
            if (f in snapshot and getattr(self, f) != snapshot[f]) or (f not in snapshot and f not in deferred)
        ]

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Las hojas de reclamación no se eliminan (Reglamento, art. 12).")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._filed_snapshot = {f: getattr(instance, f) for f in FILED_FIELDS if f in field_names}
        return instance

    @property
    def display_number(self) -> str:
        return number_format(self.number, self.year)

    @property
    def retain_until(self):
        filed = timezone.localtime(self.filed_at)
        try:
            return filed.replace(year=filed.year + RETENTION_YEARS)
        except ValueError:  # 29 February
            return filed.replace(year=filed.year + RETENTION_YEARS, day=28) + timedelta(days=1)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def contact_email(self) -> str:
        return self.consumer_email or self.guardian_email


class ComplaintEvent(AppendOnlyModel):
    """Append-only trail of everything that happens to a hoja."""

    class Type(models.TextChoices):
        FILED = "filed", "Hoja registrada"
        MESSAGE_QUEUED = "message_queued", "Correo en cola"
        MESSAGE_SENT = "message_sent", "Correo enviado"
        MESSAGE_FAILED = "message_failed", "Envío de correo fallido"
        REMINDED = "reminded", "Recordatorio de plazo"
        ESCALATED = "escalated", "Escalada por vencimiento"
        DEADLINE_RECOMPUTED = "deadline_recomputed", "Plazo recalculado"
        DEADLINE_EXTENDED = "deadline_extended", "Plazo ampliado"
        SETTLEMENT_OFFERED = "settlement_offered", "Propuesta de solución enviada"
        SETTLEMENT_ACCEPTED = "settlement_accepted", "Propuesta de solución aceptada"
        SETTLEMENT_REJECTED = "settlement_rejected", "Propuesta de solución rechazada"
        SETTLEMENT_EXPIRED = "settlement_expired", "Propuesta de solución sin respuesta"
        ASSIGNED = "assigned", "Asignada"
        CLASSIFIED = "classified", "Causa clasificada"
        GOOD_CLASSIFIED = "good_classified", "Producto o servicio clasificado"
        NOTE = "note", "Nota interna"
        RECLASSIFIED = "reclassified", "Reclasificada"
        STATUS_CHANGED = "status_changed", "Cambio de estado"
        RESPONDED = "responded", "Respuesta comunicada"
        SURVEY_ANSWERED = "survey_answered", "Encuesta respondida"
        TRANSCRIBED = "transcribed", "Transcrita del libro de respaldo"
        ANONYMISED = "anonymised", "Datos personales anonimizados"
        REMEDY_DONE = "remedy_done", "Solución cumplida"
        APPROVAL_REQUESTED = "approval_requested", "Aprobación solicitada"
        APPROVAL_GRANTED = "approval_granted", "Aprobada por supervisión"
        APPROVAL_REFUSED = "approval_refused", "Devuelta por supervisión"
        ATTACHMENT_ADDED = "attachment_added", "Documento adjuntado"

    complaint = models.ForeignKey(Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="events")
    type = models.CharField("evento", max_length=40, choices=Type)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="quién",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data = models.JSONField("datos", default=dict, blank=True)
    occurred_at = models.DateTimeField("fecha y hora", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "evento de hoja"
        verbose_name_plural = "historial de las hojas"
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["complaint", "occurred_at"], name="event_complaint_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} · {self.complaint}"
