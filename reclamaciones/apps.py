"""The one Django app of the portal; its contexts are subpackages (see docs/architecture.md)."""

from __future__ import annotations

import ast
import logging
import os
import struct
import tempfile
from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings

logger = logging.getLogger(__name__)

# The project's Spanish catalogue (locale/, source only) is compiled into settings.LOCALE_PATHS (under RUN_DIR)
# when a process starts: nothing generated is committed, and no gettext tools are needed on any machine.
CATALOGUE_SOURCE = Path(settings.BASE_DIR) / "locale"


class ReclamacionesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reclamaciones"
    verbose_name = "Libro de Reclamaciones"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)

        if apps.is_installed("axes"):
            _axes_in_spanish()
        catalogues_compile()


def _axes_in_spanish() -> None:
    """django-axes names its app "Axes" and prints its records in English ("Access Log for ana @ …"), outside
    gettext: the admin shows them in Spanish (labels only; the catalogue in locale/ covers its translatable
    strings)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone

    def moment(value) -> str:
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else "—"

    apps.get_app_config("axes").verbose_name = "Bloqueos de ingreso"
    AccessAttempt.__str__ = lambda a: f"Intento de {a.username or '—'} el {moment(a.attempt_time)}"  # type: ignore[method-assign]
    AccessLog.__str__ = lambda a: f"Ingreso de {a.username or '—'} el {moment(a.attempt_time)}"  # type: ignore[method-assign]
    AccessFailureLog.__str__ = lambda a: (  # type: ignore[method-assign]
        f"Intento fallido de {a.username or '—'} el {moment(a.attempt_time)} desde {a.ip_address or '—'}"
        + (" (bloqueado)" if a.locked_out else "")
    )


def catalogues_compile(source: Path = CATALOGUE_SOURCE) -> None:
    """Compile every locale/<lang>/LC_MESSAGES/*.po into the first of LOCALE_PATHS, where its .mo differs
    (compared by content: a checkout or a clock never leaves an old catalogue in place)."""
    if not settings.LOCALE_PATHS:
        return
    target_root = Path(settings.LOCALE_PATHS[0])
    written = False
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target_root / po.relative_to(source).with_suffix(".mo")
        try:
            compiled = mo_bytes(po_read(po.read_text(encoding="utf-8")))
            if mo.exists() and mo.read_bytes() == compiled:
                continue
            mo.parent.mkdir(parents=True, exist_ok=True)
            # Another process may compile the same file at the same moment: each writes its own temporary
            # file and renames it into place, so a reader never sees half a catalogue.
            with tempfile.NamedTemporaryFile(dir=mo.parent, suffix=".tmp", delete=False) as tmp:
                tmp.write(compiled)
            os.replace(tmp.name, mo)
            written = True
        except OSError as exc:  # a read-only disk: Django's own wording is shown instead
            logger.warning("Could not compile %s into %s: %s", po, mo, exc)
    if written:
        # A catalogue loaded before this (by another app's ready()) would not see the new file.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None


def po_read(text: str) -> dict[str, str]:
    """The messages of a .po file: msgid -> msgstr; a plural entry as "id\\0plural" -> "form0\\0form1…"."""
    messages: dict[str, str] = {}
    entry: dict[str, list[str]] = {}
    key = ""

    def flush():
        if "msgid" in entry:
            msgid = "".join(entry["msgid"])
            if "msgid_plural" in entry:
                msgid += "\0" + "".join(entry["msgid_plural"])
                forms = sorted(k for k in entry if k.startswith("msgstr["))
                msgstr = "\0".join("".join(entry[k]) for k in forms)
            else:
                msgstr = "".join(entry.get("msgstr", []))
            if msgstr.replace("\0", ""):  # untranslated entries fall back to the next catalogue
                messages[msgid] = msgstr
        entry.clear()

    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            entry[key].append(ast.literal_eval(line))
            continue
        key, _, value = line.partition(" ")
        if key == "msgid":
            flush()
        entry[key] = [ast.literal_eval(value)]
    flush()
    return messages


def mo_bytes(messages: dict[str, str]) -> bytes:
    """A GNU .mo file (little-endian, no hash table) of the messages, as msgfmt writes it."""
    keys = sorted(messages)
    ids = [k.encode() for k in keys]
    strs = [messages[k].encode() for k in keys]
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + len(keys) * 8
    data_start = strs_table + len(keys) * 8
    offsets, data = [], b""
    for chunk in ids + strs:
        offsets.append((len(chunk), data_start + len(data)))
        data += chunk + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), ids_table, strs_table, 0, data_start)
    table = b"".join(struct.pack("<2I", length, offset) for length, offset in offsets)
    return header + table + data
