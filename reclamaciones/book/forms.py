"""Public form: input validation only (the filing service does the rest). Field names follow Anexo I."""

from __future__ import annotations

import re
import unicodedata
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from stdnum.pe import ruc as stdnum_ruc

from ..formfields import LongTextField
from .attachments import MSG_TOO_MANY, attachment_prepare, attachments_staged_get, limits_text, max_files
from .models import MSG_ADDRESS_OR_EMAIL, Currency, DocType, GoodType, Kind, doc_number_normalize

NAME_MAX = ADDRESS_MAX = 150  # SIREC limits (Manual "Controla tus Reclamos" §H)

TEXT_MAX = 4000

PHONE_MAX = 50

EMAIL_MAX = 80

MSG_NAME_REQUIRED = "Escribe tu nombre completo."

MSG_DOC_REQUIRED = "Escribe el número de tu documento de identidad."

MSG_DNI = "El DNI tiene 8 dígitos, sin letras ni espacios."

MSG_CE = "El carné de extranjería tiene entre 8 y 12 letras o números."

MSG_PASSPORT = "El pasaporte tiene entre 6 y 12 letras o números."

MSG_RUC = "El RUC no es válido: revisa sus 11 dígitos."

MSG_EMAIL = "Escribe un correo electrónico válido, por ejemplo nombre@correo.com."

MSG_PHONE = "Escribe solo números, espacios, guiones, paréntesis o el signo +."

MSG_GUARDIAN_REQUIRED = "Si eres menor de edad, escribe el nombre de tu padre, madre o representante."

MSG_AMOUNT = "Escribe el monto con números, por ejemplo 150.50."

MSG_AMOUNT_NEGATIVE = "El monto no puede ser negativo."

MSG_AMOUNT_DECIMALS = "Escribe el monto con dos decimales como máximo."

MSG_AMOUNT_TOO_LARGE = "El monto es demasiado grande."

MSG_DETAIL_REQUIRED = "Cuéntanos qué pasó: el detalle es obligatorio."

REMOVE_FIELD = "quitar_adjunto"  # a checkbox per document kept from an earlier post: take it out

MSG_HONEYPOT = "No pudimos registrar la hoja. Deja vacío el campo «No escribas nada aquí» y vuelve a enviarla."

HELP_TEXTS = {
    "doc_number": "DNI: 8 dígitos. Carné de extranjería, pasaporte o RUC también valen.",
    "consumer_address": "Domicilio o correo electrónico: basta con uno de los dos.",
    "consumer_email": "Aquí te enviaremos la copia de tu hoja y nuestra respuesta.",
    "amount_claimed": "Opcional. Por ejemplo: 150.50",
    "detail": "Cuéntanos qué pasó, cuándo y dónde. Hasta 4000 caracteres.",
    "request": "¿Qué solución esperas de nosotros?",
}


def _max_length_message(limit: int) -> str:
    return f"Escribe como máximo {limit} caracteres (llevas %(show_value)d)."


def _text(label: str, limit: int, *, required: bool = False, textarea_rows: int = 0, **messages) -> forms.CharField:
    error_messages = {"max_length": _max_length_message(limit), **messages}
    if textarea_rows:
        return LongTextField(
            label=label, max_length=limit, required=required, rows=textarea_rows, error_messages=error_messages
        )
    return forms.CharField(label=label, max_length=limit, required=required, error_messages=error_messages)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    """Several files in one input; each is checked by book.attachments (type, bytes, size), not here."""

    widget = MultipleFileInput

    def to_python(self, data) -> list:
        if not data:
            return []
        return list(data) if isinstance(data, list | tuple) else [data]


class ComplaintForm(forms.Form):
    # Spoken to the consumer; the staff's backup-book form (handling.forms) speaks of the consumer instead.
    msg_address_or_email = MSG_ADDRESS_OR_EMAIL
    msg_guardian_required = MSG_GUARDIAN_REQUIRED

    # 1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE
    consumer_name = _text("Nombre completo", NAME_MAX, required=True, required_message=MSG_NAME_REQUIRED)
    doc_type = forms.ChoiceField(label="Tipo de documento", choices=DocType.choices, initial=DocType.DNI)
    doc_number = _text("Número de documento", 15, required=True, required_message=MSG_DOC_REQUIRED)
    consumer_address = _text("Domicilio", ADDRESS_MAX)
    consumer_phone = _text("Teléfono", PHONE_MAX)
    consumer_email = forms.EmailField(
        label="Correo electrónico",
        max_length=EMAIL_MAX,
        required=False,
        error_messages={"invalid": MSG_EMAIL, "max_length": _max_length_message(EMAIL_MAX)},
    )
    is_minor = forms.BooleanField(label="Soy menor de edad", required=False)
    guardian_name = _text("Nombre del padre, madre o representante", NAME_MAX)
    guardian_address = _text("Domicilio del padre, madre o representante", ADDRESS_MAX)
    guardian_phone = _text("Teléfono del padre, madre o representante", PHONE_MAX)
    guardian_email = forms.EmailField(
        label="Correo electrónico del padre, madre o representante",
        max_length=EMAIL_MAX,
        required=False,
        error_messages={"invalid": MSG_EMAIL, "max_length": _max_length_message(EMAIL_MAX)},
    )

    # 2. IDENTIFICACIÓN DEL BIEN CONTRATADO
    good_type = forms.ChoiceField(
        label="¿Es un producto o un servicio?",
        choices=GoodType.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    amount_claimed = forms.CharField(label="Monto reclamado", required=False, max_length=20)
    currency = forms.ChoiceField(label="Moneda", choices=Currency.choices, initial=Currency.PEN)
    good_description = _text("Descripción del producto o servicio", TEXT_MAX, textarea_rows=2)

    # 3. DETALLE DE LA RECLAMACIÓN Y PEDIDO DEL CONSUMIDOR
    kind = forms.ChoiceField(label="Tipo", choices=Kind.choices, required=False, widget=forms.RadioSelect)
    detail = _text("Detalle", TEXT_MAX, required=True, textarea_rows=6, required_message=MSG_DETAIL_REQUIRED)
    request = _text("Pedido", TEXT_MAX, textarea_rows=3)
    # Issue 14 §1: documents that support the complaint (book.attachments). Files cannot be posted again from a
    # review page or a form sent back with errors: what was already checked and staged travels as a signed
    # reference (a plain Field: a mangled reference is a message next to the files, never a hidden-field error).
    attachments = MultipleFileField(label="Documentos de sustento", required=False)
    attachment_ref = forms.Field(required=False, widget=forms.HiddenInput)

    # Not shown to people: a double submit of the same page files one hoja; bots fill the honeypot.
    # A plain Field, not a CharField: a CharField refuses NUL bytes with an error on a hidden field, which the
    # consumer can neither see nor fix.
    submission_key = forms.Field(required=False, widget=forms.HiddenInput)
    referencia_interna = forms.CharField(label="No escribas nada aquí", required=False)

    def __init__(self, *args, establishment_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Whose form this is: a reference to documents staged by another establishment's form is refused.
        self.establishment_id = establishment_id
        for field in self.fields.values():
            if "required_message" in field.error_messages:
                field.error_messages["required"] = field.error_messages.pop("required_message")
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())
        autocomplete = {
            "consumer_name": "name",
            "consumer_address": "street-address",
            "consumer_phone": "tel",
            "consumer_email": "email",
            "guardian_email": "off",
            "referencia_interna": "off",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["consumer_phone"].widget.input_type = "tel"
        self.fields["guardian_phone"].widget.input_type = "tel"
        self.fields["doc_number"].widget.attrs.update({"autocapitalize": "characters", "spellcheck": "false"})
        # No "0.00" placeholder: it read as an amount already filled in; the help text gives an example.
        self.fields["amount_claimed"].widget.attrs["inputmode"] = "decimal"
        self.fields["referencia_interna"].widget.attrs["tabindex"] = "-1"
        for name, text in HELP_TEXTS.items():
            self.fields[name].help_text = text
        self.fields["attachments"].help_text = limits_text()
        self.fields["attachments"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
        # What the view stages (book.attachments.attachments_stage): documents kept from an earlier post of this
        # form, and this post's uploads that passed every check.
        self.attachments_kept: list = []
        self.attachments_new: list = []

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get("referencia_interna", "").strip())

    def clean_submission_key(self) -> uuid.UUID | None:
        # Only de-duplicates double submits: a mangled key must never stop a consumer from filing.
        try:
            return uuid.UUID(str(self.cleaned_data["submission_key"]))
        except ValueError:
            return None

    def clean_attachments(self) -> list:
        uploads = self.cleaned_data["attachments"]
        errors = []
        try:
            ref = str(self.data.get("attachment_ref") or "")
            kept = attachments_staged_get(ref=ref, establishment_id=self.establishment_id)
        except forms.ValidationError as exc:
            kept, errors = [], [exc]
        getlist = getattr(self.data, "getlist", None)
        removed = set(getlist(REMOVE_FIELD)) if getlist else set()
        self.attachments_kept = [a for a in kept if str(a.pk) not in removed]
        if len(self.attachments_kept) + len(uploads) > max_files():
            errors.append(forms.ValidationError(MSG_TOO_MANY.format(limit=max_files())))
            uploads = []
        for upload in uploads:
            try:
                self.attachments_new.append(attachment_prepare(upload))
            except forms.ValidationError as exc:
                errors.append(exc)
        if errors:
            raise forms.ValidationError(errors)
        return self.attachments_new

    def clean_doc_number(self) -> str:
        value = doc_number_normalize(self.cleaned_data["doc_number"])
        doc_type = self.data.get("doc_type", DocType.DNI)
        checks = {
            DocType.DNI: (lambda v: re.fullmatch(r"[0-9]{8}", v), MSG_DNI),
            DocType.CE: (lambda v: re.fullmatch(r"[A-Z0-9]{8,12}", v), MSG_CE),
            DocType.PASSPORT: (lambda v: re.fullmatch(r"[A-Z0-9]{6,12}", v), MSG_PASSPORT),
            DocType.RUC: (stdnum_ruc.is_valid, MSG_RUC),
        }
        is_valid, message = checks.get(doc_type, checks[DocType.DNI])
        if not is_valid(value):
            raise forms.ValidationError(message)
        return value

    def _clean_phone(self, name: str) -> str:
        value = " ".join(self.cleaned_data[name].split())
        if value and not re.fullmatch(r"[0-9+()\- ]+", value):
            raise forms.ValidationError(MSG_PHONE)
        return value

    def clean_consumer_phone(self) -> str:
        return self._clean_phone("consumer_phone")

    def clean_guardian_phone(self) -> str:
        return self._clean_phone("guardian_phone")

    def clean_amount_claimed(self) -> Decimal | None:
        raw = self.cleaned_data["amount_claimed"].strip()
        raw = re.sub(r"(?i)^(s/\.?|us\$|\$)\s*", "", raw).replace(" ", "")
        if not raw:
            return None
        if "," in raw and "." in raw:
            raw = raw.replace(",", "")  # 1,250.50
        elif re.fullmatch(r"\d+,\d{1,2}", raw):
            raw = raw.replace(",", ".")  # 1250,50
        else:
            raw = raw.replace(",", "")  # 1,250
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(MSG_AMOUNT) from None
        if not amount.is_finite():
            raise forms.ValidationError(MSG_AMOUNT)
        if amount < 0:
            raise forms.ValidationError(MSG_AMOUNT_NEGATIVE)
        if amount.as_tuple().exponent < -2:
            raise forms.ValidationError(MSG_AMOUNT_DECIMALS)
        if amount >= Decimal("1e10"):
            raise forms.ValidationError(MSG_AMOUNT_TOO_LARGE)
        return amount

    def clean(self):
        cleaned = super().clean()
        missing_contact = not cleaned.get("consumer_address") and not cleaned.get("consumer_email")
        if missing_contact and "consumer_email" not in self.errors:  # a malformed e-mail has its own message
            self.add_error("consumer_address", self.msg_address_or_email)
            self.add_error("consumer_email", self.msg_address_or_email)
        if cleaned.get("is_minor") and not cleaned.get("guardian_name"):
            self.add_error("guardian_name", self.msg_guardian_required)
        return cleaned

    def service_kwargs(self) -> dict:
        """The cleaned data as keyword arguments of book.services.complaint_file."""
        data = dict(self.cleaned_data)
        for name in ("referencia_interna", "attachments", "attachment_ref"):  # the documents go staged (the view)
            data.pop(name, None)
        return data


MSG_LOOKUP_NUMBER_REQUIRED = "Escribe el número de tu hoja, por ejemplo 000000012-2026."

MSG_LOOKUP_NUMBER = (
    "Escribe el número como aparece en tu hoja: el número, un guion y el año (por ejemplo 000000012-2026)."
)

MSG_LOOKUP_DOC_REQUIRED = "Escribe el número del documento con el que presentaste la hoja."

# "Nº 000000012-2026", "N.º 12-2026", "N° 12-2026", "Nro. 12 - 2026", "hoja 12-2026", "12-2026": an optional
# "Nº" prefix (NFKC turns "º" into "o"), up to 9 digits, a dash (or a slash, or a phone keyboard's long dash)
# and the year.
_SHEET_NUMBER_RE = re.compile(
    r"(?:hoja\s*)?(?:n\s*\.?\s*(?:o|°|ro|um|úm|umero|úmero)?\s*\.?\s*:?\s*)?(\d{1,9})\s*[-/\u2010-\u2015]\s*(\d{4})",
    re.IGNORECASE,
)


def sheet_number_parse(value: str) -> tuple[int, int] | None:
    """(number, year) from a hoja number as a consumer may type it, or None when it is not one."""
    text = unicodedata.normalize("NFKC", value).strip()
    match = _SHEET_NUMBER_RE.fullmatch(text)
    if not match or int(match[1]) == 0:
        return None
    return int(match[1]), int(match[2])


class ComplaintLookupForm(forms.Form):
    """Find a hoja by its number and the consumer's document number (the view answers the same way
    whether a hoja exists or not)."""

    sheet_number = forms.CharField(
        label="Número de hoja",
        max_length=40,
        help_text="Está en tu hoja y en el correo que te enviamos. Por ejemplo: 000000012-2026.",
        error_messages={"required": MSG_LOOKUP_NUMBER_REQUIRED, "max_length": MSG_LOOKUP_NUMBER},
    )
    doc_number = forms.CharField(
        label="Número de documento",
        max_length=20,
        help_text="El DNI, carné de extranjería, pasaporte o RUC que escribiste en la hoja.",
        error_messages={"required": MSG_LOOKUP_DOC_REQUIRED, "max_length": _max_length_message(20)},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet_number"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "placeholder": "000000012-2026"}
        )
        self.fields["doc_number"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        )

    def clean_sheet_number(self) -> tuple[int, int]:
        parsed = sheet_number_parse(self.cleaned_data["sheet_number"])
        if parsed is None:
            raise forms.ValidationError(MSG_LOOKUP_NUMBER)
        return parsed

    def clean_doc_number(self) -> str:
        value = doc_number_normalize(self.cleaned_data["doc_number"])
        if not value:
            raise forms.ValidationError(MSG_LOOKUP_DOC_REQUIRED)
        return value


MSG_SURVEY_SOLVED = "Cuéntanos si se solucionó tu problema: elige Sí o No."

MSG_SURVEY_CSAT = "Elige qué tan satisfecho estás, del 1 al 5."

MSG_SURVEY_NPS = "Elige un número del 0 al 10."

SURVEY_COMMENT_MAX = 2000

SURVEY_SOLVED_CHOICES = [("si", "Sí"), ("no", "No")]

SURVEY_CSAT_CHOICES = [
    (1, "Muy insatisfecho"),
    (2, "Insatisfecho"),
    (3, "Ni satisfecho ni insatisfecho"),
    (4, "Satisfecho"),
    (5, "Muy satisfecho"),
]

SURVEY_NPS_CHOICES = [(n, str(n)) for n in range(11)]


def _survey_choice(label: str, choices, coerce, message: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=coerce,
        widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
    )


MSG_SURVEY_CSAT_SETTLED = "¿Qué tan satisfecho estás con la solución que acordamos?"


class SurveyForm(forms.Form):
    """The one-time satisfaction survey after the answer or the accepted agreement (handling.services.survey_answer
    does the rest)."""

    solved = _survey_choice("¿Se solucionó tu problema?", SURVEY_SOLVED_CHOICES, lambda v: v == "si", MSG_SURVEY_SOLVED)
    csat = _survey_choice("¿Qué tan satisfecho estás con nuestra respuesta?", SURVEY_CSAT_CHOICES, int, MSG_SURVEY_CSAT)
    nps = _survey_choice("¿Qué tan probable es que nos recomiendes?", SURVEY_NPS_CHOICES, int, MSG_SURVEY_NPS)
    comment = _text("¿Quieres contarnos algo más? (opcional)", SURVEY_COMMENT_MAX, textarea_rows=3)

    def __init__(self, *args, settled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if settled:  # the outcome was the agreement the consumer accepted, not a written answer
            self.fields["csat"].label = MSG_SURVEY_CSAT_SETTLED

    def service_kwargs(self) -> dict:
        """The cleaned data as keyword arguments of handling.services.survey_answer."""
        data = self.cleaned_data
        return {"solved": data["solved"], "csat": data["csat"], "nps": data["nps"], "comment": data["comment"]}
