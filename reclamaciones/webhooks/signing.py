"""How a delivery is signed. PURE (no ORM, no clock): the receiver's check in docs/webhooks.md is the mirror
of `signature_header`, and the tests run that documented snippet against real deliveries.

X-Libro-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint's secret>
During a secret rotation's overlap a second v1= (signed with the previous secret) follows the first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets as _secrets
from collections.abc import Iterable

SIGNATURE_HEADER = "X-Libro-Signature"
EVENT_HEADER = "X-Libro-Event"
DELIVERY_HEADER = "X-Libro-Delivery"
ATTEMPT_HEADER = "X-Libro-Attempt"

SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)


def secret_new() -> str:
    """A new signing secret: 256 random bits, prefixed so that a leaked one is recognisable in logs and scans."""
    return SECRET_PREFIX + _secrets.token_urlsafe(32)


def body_encode(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact, sorted JSON in UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(*, secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(secret=s, timestamp=timestamp, body=body)}" for s in secrets)])
