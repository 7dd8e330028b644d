"""Placeholders in answer templates: a small fixed vocabulary ({nombre}, {numero}, ...) filled from the hoja when
an agent inserts a template. Pure functions: the values are plain text and the fill is a single pass, so whatever
the consumer wrote (even "{nombre}" or "<script>") lands as typed and is never expanded again nor read as markup."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")

# name → what it becomes (shown in the admin's help text and in its error for an unknown name)
PLACEHOLDERS: dict[str, str] = {
    "nombre": "nombre del consumidor",
    "numero": "número de la hoja (p. ej. 000012-2026)",
    "tipo": "reclamo o queja",
    "fecha_presentacion": "fecha en que se presentó la hoja (dd/mm/aaaa)",
    "fecha_limite": "fecha límite para responder (dd/mm/aaaa)",
    "fecha_hoy": "fecha de hoy (dd/mm/aaaa)",
    "producto": "bien contratado, como lo describió el consumidor",
    "monto": "monto reclamado con su moneda, como en la hoja (p. ej. S/ 1,250.50)",
    "establecimiento": "nombre del establecimiento",
}

# {anything short on one line}: known names are filled, anything else is left for the agent to see
PLACEHOLDER = re.compile(r"\{([^{}\n]{1,40})\}")

CURRENCY_SIGNS = {"USD": "US$"}  # anything else is soles, as the sheet prints it


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def amount_text(amount, currency: str) -> str:
    """The amount as section 2 of the sheet prints it: "S/ 1,250.50" or "US$ 80.00" (es-PE: comma thousands)."""
    return f"{CURRENCY_SIGNS.get(currency, 'S/')} {amount:,.2f}"


def placeholder_values(complaint, *, today: date) -> dict[str, str]:
    """What each placeholder becomes for this hoja. A value the hoja lacks (no amount, no product, not yet
    classified) is left out, so its placeholder stays in the text and the answer page's warning names it."""
    kind = complaint.kind or complaint.kind_filed
    values = {
        "nombre": complaint.consumer_name.strip(),
        "numero": complaint.display_number,
        "tipo": kind,
        "fecha_presentacion": _day(complaint.filed_at.astimezone(LIMA)),
        "fecha_limite": _day(complaint.due_date) if complaint.due_date else "",
        "fecha_hoy": _day(today),
        "producto": (complaint.good_description or "").strip(),
        "monto": (
            amount_text(complaint.amount_claimed, complaint.currency) if complaint.amount_claimed is not None else ""
        ),
        "establecimiento": complaint.establishment.name.strip(),
    }
    return {name: value for name, value in values.items() if value}


def _key(raw: str) -> str:
    return raw.strip().lower()


def template_fill(body: str, values: Mapping[str, str]) -> str:
    """The body with each known placeholder replaced by its value, in one pass (a value is never scanned again);
    an unknown placeholder or one without a value is kept exactly as written."""
    return PLACEHOLDER.sub(lambda m: values.get(_key(m.group(1)), m.group(0)), body)


def placeholders_unknown(body: str) -> list[str]:
    """The {…} in a template body that are not in the vocabulary, as written, in order, once each."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(body):
        if _key(match.group(1)) not in PLACEHOLDERS:
            seen.setdefault(match.group(0), None)
    return list(seen)


def placeholders_help() -> str:
    """The vocabulary in one line, for the admin's help text and its error."""
    return "; ".join(f"{{{name}}}: {meaning}" for name, meaning in PLACEHOLDERS.items())
