"""Who is asking: the client's address behind the configured proxies, and the rate limits counted on it.

Behind a reverse proxy REMOTE_ADDR is the proxy: keyed on it, every consumer in Peru would share one bucket and
the book would go dark for all of them. Only the entries the trusted proxies appended to X-Forwarded-For are
believed; anything a client wrote there itself sits further left and is ignored.
"""

from __future__ import annotations

import ipaddress
import logging
import math

from django.conf import settings
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's IP address: REMOTE_ADDR, or with DJANGO_TRUSTED_PROXY_COUNT = N the Nth address from the
    right of X-Forwarded-For. A header shorter than the proxy chain (a request that did not come through every
    proxy) or a malformed entry falls back to REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a unix socket gives no address)
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return _valid_ip(forwarded[-count]) or remote


def rate_limit_wait(request, *, group: str, rate: str, account: str | None = None) -> int | None:
    """Count this request against `rate` (django-ratelimit syntax, e.g. "20/h") in the shared cache, per
    client address, or per `account` (a normalised e-mail) when given. Returns the seconds until the limit
    resets when the request is over it, else None. A cache failure lets the request through: an outage must
    never become an obstacle to filing."""
    key = "ip" if account is None else (lambda _group, _request: account)
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    except Exception:
        logger.warning("rate limit %s not counted: the cache failed", group, exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def wait_phrase(seconds: int) -> str:
    """How long to wait, in plain Spanish: "menos de un minuto", "1 minuto", "37 minutos", "1 hora"."""
    if seconds < 60:
        return "menos de un minuto"
    minutes = math.ceil(seconds / 60)
    if minutes >= 60:
        hours = math.ceil(minutes / 60)
        return "1 hora" if hours == 1 else f"{hours} horas"
    return "1 minuto" if minutes == 1 else f"{minutes} minutos"
