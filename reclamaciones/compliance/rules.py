"""SIREC's bulk-upload line (Manual de Usuario "Controla tus Reclamos" v4.1 §H; Directiva 004-2014/DIR-COD-
INDECOPI), as pure functions: the 18 fields in the manual's order, their limits, and what makes a hoja
unreportable. SIREC rejects a whole file for one bad row, so every problem is found before a byte is written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

SEPARATOR = "|"
NOT_GIVEN = "NO INDICA"  # the manual's filler for an empty mandatory field
# Ley 30381: the currency was "nuevo sol" until 15/12/2015, "sol" since; the amount is a free text field.
SOL_RENAMED_ON = date(2015, 12, 15)


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # how the manual names it, for the messages
    limit: int
    mandatory: bool


# The manual's order. Limits and mandatory flags from its table (legal-peru.md §4).
FIELDS = (
    Field("sede", "código de sede", 6, True),
    Field("number", "nro de reclamo", 9, True),
    Field("year", "año", 4, True),
    Field("date", "fecha", 10, True),
    Field("name", "nombres o razón social", 150, True),
    Field("address", "dirección", 150, True),
    Field("document", "nro documento", 11, True),
    Field("phone", "teléfono", 50, False),
    Field("email", "email", 80, False),
    Field("guardian", "padre o madre", 150, False),
    Field("good_type", "tipo del bien", 2, True),
    Field("amount", "monto reclamado", 100, True),
    Field("description", "descripción", 4000, True),
    Field("kind", "tipo de reclamo", 1, True),
    Field("detail", "detalle", 4000, True),
    Field("request", "pedido", 4000, True),
    Field("answer_date", "fecha de respuesta", 10, False),
    Field("answer", "descripción de la respuesta", 4000, False),
)
# Fields that are codes: "NO INDICA" cannot stand in for them (it is no valid code), so a hoja without one is
# listed instead of written.
CODED = {"sede", "number", "year", "date", "document", "good_type", "kind"}
GOOD_TYPES = {"producto": "P", "servicio": "S", "ambos": "PS"}
KINDS = {"reclamo": "R", "queja": "Q"}
_BREAKS = re.compile(r"\s*[\r\n\t\x00-\x1f\x7f\u2028\u2029|]+\s*")


def clean(value: str) -> str:
    """Text on one line: line breaks, tabs, control characters and the separator, with the spaces around them,
    become one space (a pipe inside a consumer's text would shift every later field)."""
    return _BREAKS.sub(" ", value).strip()


def amount_text(amount: Decimal | None, currency: str, filed_on: date) -> str:
    """The amount claimed as the manual's free text ("5000 nuevos soles"): no decimals when whole, the
    currency's name as it was on the filing date."""
    if amount is None:
        return ""
    number = f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"
    if currency == "USD":
        return f"{number} dólares"
    return f"{number} {'nuevos soles' if filed_on < SOL_RENAMED_ON else 'soles'}"


def sirec_fields(hoja: Mapping) -> dict[str, str]:
    """The 18 fields of one hoja, from a mapping of its values (see compliance.selectors.SIREC_VALUES)."""
    filed_on: date = hoja["filed_on"]
    answered_on: date | None = hoja["answered_on"]
    return {
        "sede": (hoja["sirec_code"] or "").zfill(6) if hoja["sirec_code"] else "",
        "number": f"{hoja['number']:09d}",
        "year": f"{hoja['year']:04d}",
        "date": filed_on.isoformat(),
        "name": clean(hoja["consumer_name"]),
        "address": clean(hoja["consumer_address"]),
        "document": clean(hoja["doc_number"]),
        "phone": clean(hoja["consumer_phone"]),
        "email": clean(hoja["consumer_email"]),
        "guardian": clean(hoja["guardian_name"]),
        # The consumer's answer; when they left it empty, what staff classified (SIREC needs P, S or PS).
        "good_type": GOOD_TYPES.get(hoja["good_type"] or hoja["good_type_classified"], ""),
        "amount": amount_text(hoja["amount_claimed"], hoja["currency"], filed_on),
        "description": clean(hoja["good_description"]),
        "kind": KINDS.get(hoja["kind"], ""),
        "detail": clean(hoja["detail"]),
        "request": clean(hoja["request"]),
        "answer_date": answered_on.isoformat() if answered_on else "",
        "answer": clean(hoja["answer_text"] or ""),
    }


def sirec_problems(fields: Mapping[str, str], *, encoding: str) -> list[str]:
    """Why SIREC would reject this line, in Spanish; empty when it can be written."""
    problems = []
    for field in FIELDS:
        value = fields[field.key]
        if not value and field.mandatory and field.key in CODED:
            problems.append(f"falta {field.label}")
        elif len(value) > field.limit:
            problems.append(f"{field.label} tiene {len(value)} caracteres (máximo {field.limit})")
        else:
            try:
                value.encode(encoding)
            except UnicodeEncodeError:
                problems.append(f"{field.label} tiene caracteres que {encoding} no admite")
    return problems


def sirec_line(fields: Mapping[str, str]) -> str:
    """One line of the TXT (without its line ending): every pipe kept for empty optional fields, "NO INDICA"
    for an empty mandatory text field."""
    return SEPARATOR.join(fields[f.key] or (NOT_GIVEN if f.mandatory and f.key not in CODED else "") for f in FIELDS)
