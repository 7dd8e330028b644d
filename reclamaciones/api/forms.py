"""The filing request of the API: the public form's own fields and rules (book.forms.ComplaintForm), fed from
JSON. This module only checks JSON types and names, and derives the published request schema from the form's
fields, so that the API and the web form can never accept different hojas."""

from __future__ import annotations

from django import forms

from ..book.forms import ComplaintForm

# The form's fields that are not the consumer's typed content: the honeypot (a platform's server is not a bot to be
# caught) and, by their widgets, hidden fields (the double-submit key: the API has Idempotency-Key; the signed
# reference to documents staged by an earlier post of the web form) and file inputs (JSON carries no files: the
# API files hojas without attachments).
FORM_ONLY = frozenset({"referencia_interna"})


def _api_field(name: str, field: forms.Field) -> bool:
    return name not in FORM_ONLY and not isinstance(field.widget, forms.HiddenInput | forms.FileInput)


ESTABLISHMENT_FIELD = "establishment"
BUYER_REFERENCE_FIELD = "buyer_reference"
CONFIRMED_FIELD = "consumer_confirmed"
BUYER_REFERENCE_MAX = 100

MSG_UNKNOWN = "Este campo no existe en la API. Revisa su nombre en /api/v1/docs/."
MSG_TEXT = "Debe ser texto."
MSG_BOOLEAN = "Debe ser true o false."
MSG_AMOUNT_TYPE = "Debe ser un número (150.50) o un texto con el monto."
MSG_ESTABLISHMENT_REQUIRED = "Indica el código del establecimiento (lo ves en GET /api/v1/establecimientos/)."
MSG_BUYER_REFERENCE = f"La referencia del comprador es un texto de hasta {BUYER_REFERENCE_MAX} caracteres visibles."
MSG_CONFIRMATION_REQUIRED = (
    "Antes de registrar la hoja, muéstrale al comprador su hoja completa para que la revise y la confirme "
    "(reglas 2026, art. 5-A del proyecto), y envía consumer_confirmed: true."
)

# JSON numbers are welcome where the form takes a figure typed as text.
NUMERIC_TEXT = frozenset({"amount_claimed"})

UNKNOWN_LISTED = 20  # a body full of unknown names gets a bounded answer


def filing_fields() -> dict[str, forms.Field]:
    """The form's fields as the consumer fills them (an instance: labels and help texts are set on it)."""
    return {name: f for name, f in ComplaintForm().fields.items() if _api_field(name, f)}


def _required(field: forms.Field) -> bool:
    """Required of the API's caller: a field the web form requires and does not preselect."""
    return field.required and field.initial is None


def _field_schema(name: str, field: forms.Field) -> dict:
    if isinstance(field, forms.BooleanField):
        schema: dict = {"type": "boolean"}
    elif isinstance(field, forms.ChoiceField):
        schema = {"type": "string", "enum": [value for value, _label in field.choices if value != ""]}
    else:
        schema = {"type": ["string", "number"] if name in NUMERIC_TEXT else "string"}
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
        if isinstance(field, forms.EmailField):
            schema["format"] = "email"
    if field.initial is not None and not isinstance(field, forms.BooleanField):
        schema["default"] = str(field.initial)  # what the web form preselects
    description = str(field.label)
    if field.help_text:
        description += f". {field.help_text}"
    schema["description"] = description
    if not _required(field) and schema.get("type") != "boolean":
        schema["type"] = [*([schema["type"]] if isinstance(schema["type"], str) else schema["type"]), "null"]
    return schema


def filing_request_schema() -> dict:
    """The JSON schema of POST /api/v1/hojas/: the form's fields, plus the establishment and the buyer's
    reference."""
    fields = filing_fields()
    properties = {
        ESTABLISHMENT_FIELD: {
            "type": "string",
            "description": "Código de identificación del establecimiento (GET /api/v1/establecimientos/).",
        },
        **{name: _field_schema(name, field) for name, field in fields.items()},
        CONFIRMED_FIELD: {
            "type": ["boolean", "null"],
            "description": "true: el comprador revisó su hoja completa (y los avisos de datos faltantes) y la "
            "confirmó en tu plataforma. Obligatorio mientras rijan las reglas 2026 (RECLAMACIONES_RULES_2026, art. "
            "5-A del proyecto): queda en el historial de la hoja.",
        },
        BUYER_REFERENCE_FIELD: {
            "type": ["string", "null"],
            "maxLength": BUYER_REFERENCE_MAX,
            "description": "Opcional: el identificador del comprador o del pedido en tu plataforma. Queda en el "
            "historial de la hoja y vuelve en cada lectura.",
        },
    }
    required = [ESTABLISHMENT_FIELD, *(name for name, field in fields.items() if _required(field))]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def filing_form_data(payload: dict) -> tuple[dict, dict[str, list[str]]]:
    """The JSON body as the form's data (strings, as a browser sends them), and the errors of JSON types and
    unknown names (field -> messages)."""
    fields = filing_fields()
    data: dict = {}
    errors: dict[str, list[str]] = {}
    extra = (ESTABLISHMENT_FIELD, BUYER_REFERENCE_FIELD, CONFIRMED_FIELD)
    unknown = [name for name in payload if name not in fields and name not in extra]
    for name in unknown[:UNKNOWN_LISTED]:
        errors[name[:50]] = [MSG_UNKNOWN]
    for name, field in fields.items():
        value = payload.get(name)
        if value is None and field.initial is not None and not isinstance(field, forms.BooleanField):
            value = str(field.initial)  # left out: what the web form preselects (DNI, soles)
        if value is None:
            continue
        if isinstance(field, forms.BooleanField):
            if not isinstance(value, bool):
                errors[name] = [MSG_BOOLEAN]
            elif value:
                data[name] = "on"
        elif name in NUMERIC_TEXT and isinstance(value, int | float) and not isinstance(value, bool):
            data[name] = str(value)
        elif isinstance(value, str):
            data[name] = value
        else:
            errors[name] = [MSG_AMOUNT_TYPE if name in NUMERIC_TEXT else MSG_TEXT]
    return data, errors


def buyer_reference_clean(value) -> str:
    """The buyer's reference: optional, short, one line of visible text (raises ValueError otherwise)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(MSG_BUYER_REFERENCE)
    value = value.strip()
    if len(value) > BUYER_REFERENCE_MAX or not value.isprintable():
        raise ValueError(MSG_BUYER_REFERENCE)
    return value
