"""Idempotency keys of webhook deliveries. PURE. A key names the event and the hoja (and, for an overdue hoja,
the due date it missed: a hoja whose deadline moves and is missed again is news again), so an emission repeated
by a retried request or a second sweep finds the row already written."""

from __future__ import annotations

import uuid
from datetime import date

# Fixed forever: event ids derived from it must stay the same across releases.
EVENT_NAMESPACE = uuid.UUID("5b0c1a3e-4d52-4f55-9b0e-2a4c8a6f7d10")


def event_key(*, event: str, complaint_id: int, due_date: date | None = None) -> str:
    """The event itself, the same for every endpoint told about it."""
    suffix = f":{due_date.isoformat()}" if due_date is not None else ""
    return f"{event}:{complaint_id}{suffix}"


def event_id(*, key: str) -> str:
    """The public id of an event key (the payload's "event_id") or of a delivery key (the payload's "id", what
    receivers deduplicate on: signed, unlike the X-Libro-Delivery header). Stable: derived, never random."""
    return str(uuid.uuid5(EVENT_NAMESPACE, key))


def delivery_key(*, key: str, endpoint_id: int) -> str:
    """One delivery per event and endpoint."""
    return f"{key}@{endpoint_id}"
