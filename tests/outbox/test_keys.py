"""Outbox keys: one module builds them all, and their shapes stay what the previous releases wrote (a changed
shape would send every message of its kind again)."""

from __future__ import annotations

import ast
import pathlib
from datetime import date

import reclamaciones
from reclamaciones.outbox import keys


def test_key_shapes_are_stable():
    day = date(2026, 12, 7)  # a Monday: ISO week 50
    assert keys.sheet_copy_key(complaint_id=7, recipient="Ana@Example.PE") == "sheet_copy:7:ana@example.pe"
    assert keys.response_key(complaint_id=7) == "response:7"
    assert keys.settlement_offer_key(offer_id=3) == "settlement_offer:3"
    assert keys.extension_notice_key(complaint_id=7) == "extension_notice:7"
    assert keys.reminder_key(complaint_id=7, threshold=3, recipient="A@x.pe") == "reminder:7:3:a@x.pe"
    assert keys.overdue_key(recipient="A@x.pe", today=day, complaint_ids=[9, 7]) == keys.overdue_key(
        recipient="a@x.pe", today=day, complaint_ids=[7, 9]
    )
    assert keys.overdue_key(recipient="a@x.pe", today=day, complaint_ids=[7]).startswith("overdue:2026-12-07:a@x.pe:")
    assert keys.daily_digest_key(today=day, recipient="A@x.pe") == "digest:2026-12-07:a@x.pe"
    assert keys.action_reminder_key(action_id=2, due_date=day, step="3") == "action:2:due:2026-12-07:3"
    assert keys.action_verdict_key(action_id=2, recipient="A@x.pe") == "action:2:verdict:a@x.pe"
    assert keys.council_digest_key(today=day, recipient="A@x.pe") == "council-digest:2026-W50:a@x.pe"
    assert keys.delivery_failed_alarm_key(message_id=5, recipient="A@x.pe") == "alarm:delivery:5:a@x.pe"
    assert keys.integrity_alarm_key(today=day, recipient="A@x.pe") == "alarm:integrity:2026-12-07:a@x.pe"


def test_no_module_builds_a_key_inline():
    """Every idempotency_key= passed in the code is a call to a keys function or a name holding one."""
    inline = []
    root = pathlib.Path(reclamaciones.__file__).parent
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or path.name == "keys.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "idempotency_key"
                and isinstance(node.value, ast.JoinedStr)
            ):
                inline.append(f"{path.relative_to(root)}:{node.value.lineno}")
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.JoinedStr):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(n in {"key", "idempotency_key"} for n in names):
                    inline.append(f"{path.relative_to(root)}:{node.lineno}")
    assert inline == []
