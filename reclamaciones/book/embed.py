"""The embeddable book: an establishment's filing flow inside an online store's own page (Ley 32495: the link
permanently visible on every e-commerce platform).

Inside a cross-site iframe the browser sends neither our session nor our CSRF cookie, so the embedded flow
depends on no cookie. Its POSTs are exempt from Django's CSRF check and protected instead by:
  - a signed, time-limited form token bound to the establishment (the embed page hands it out with the form);
  - the request's Origin (or, without it, its Referer) being the portal itself (the form inside the iframe is
    our document, so that is what a browser sends) or one of the origins the establishment declared.
The pages may be framed only by the declared origins (CSP frame-ancestors), and by the portal itself for the
back office's preview; every other page of the portal stays unframeable.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

if TYPE_CHECKING:  # models name this module's validator: no import at runtime
    from .models import Establishment

TOKEN_FIELD = "libro_token"  # noqa: S105 (a form field name, not a secret)
_SIGNER_SALT = "reclamaciones.book.embed.form-token"
# Each origin becomes a source of the embedded pages' CSP header: a store needs a handful (with and without www,
# a staging site), and a long header is cut or refused by proxies on its way to the browser.
EMBED_ORIGINS_MAX = 20
# A DNS name as CSP's host-source accepts it (letters, digits, inner hyphens; internationalised names in their
# punycode form, which is what browsers send in Origin).
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")

MSG_ORIGIN_FORMAT = (
    "«{origin}» no es un origen válido. Escribe uno por línea, solo esquema y dominio, por ejemplo "
    "https://tienda.example.pe (sin rutas ni comodines; http solo para localhost)."
)
MSG_ORIGINS_TOO_MANY = "Declara como máximo {limit} sitios, uno por línea (ahora hay {count})."
MSG_FORM_INVALID = (
    "No pudimos validar este formulario. Vuelve a abrir el Libro de Reclamaciones desde la tienda e inténtalo de nuevo."
)
MSG_FORM_EXPIRED = (
    "Por seguridad, el formulario caducó mientras lo llenabas. Tus datos siguen aquí: revísalos y envía de nuevo."
)
MSG_FOREIGN_ORIGIN = (
    "Este formulario solo puede enviarse desde el Libro de Reclamaciones de la tienda. Ábrelo desde su página "
    "e inténtalo de nuevo."
)


def origin_normalize(value: str) -> str | None:
    """`value` as a web origin (scheme://host[:port], lower case, an internationalised name in punycode), or None
    when it is not exactly one: a path, a query, credentials, a wildcard, a control character or anything a host
    name cannot hold (it would be read as more CSP than one source) make it no origin. Plain http only for local
    development hosts."""
    value = value.strip()
    if not value or any(ord(ch) < 33 or ord(ch) == 127 for ch in value) or "*" in value:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = _host_normalize(parts.hostname or "")
    if parts.scheme not in {"https", "http"} or not host or parts.username or parts.password:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment or value.endswith("#") or value.endswith("?"):
        return None
    if port == 0 or (parts.scheme == "http" and host not in {"localhost", "127.0.0.1", "[::1]"}):
        return None
    default = port == {"https": 443, "http": 80}[parts.scheme]  # browsers leave it out of Origin
    return f"{parts.scheme}://{host}" + (f":{port}" if port and not default else "")


def _host_normalize(host: str) -> str | None:
    """A host as an origin writes it (an IPv6 address in brackets), or None for what is no host name."""
    if ":" in host:
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            return None
        return None if address.scope_id else f"[{address.compressed}]"
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:  # not a name IDNA can write (an empty or over-long label, a forbidden character)
        return None
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in host.split(".")):
        return None
    return host


def validate_embed_origins(value: str) -> None:
    lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
    if len(lines) > EMBED_ORIGINS_MAX:
        raise ValidationError(
            MSG_ORIGINS_TOO_MANY.format(limit=EMBED_ORIGINS_MAX, count=len(lines)), code="too_many_origins"
        )
    for line in lines:
        if origin_normalize(line) is None:
            raise ValidationError(MSG_ORIGIN_FORMAT.format(origin=line[:100]), code="origin")


def origins_of(establishment: Establishment) -> list[str]:
    """The origins the establishment declared (validated on save), normalised, without duplicates; at most
    EMBED_ORIGINS_MAX, however many a row written around the validation holds."""
    found: dict[str, None] = {}
    for line in establishment.embed_origins.splitlines():
        origin = origin_normalize(line)
        if origin:
            found[origin] = None
            if len(found) == EMBED_ORIGINS_MAX:
                break
    return list(found)


def frame_ancestors(establishment: Establishment) -> list[str]:
    # 'self': the back office's live preview frames the page from the portal itself.
    return ["'self'", *origins_of(establishment)]


def token_new(*, establishment: Establishment) -> str:
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(establishment.pk))


class TokenError(Exception):
    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def token_check(token: str, *, establishment: Establishment) -> None:
    """Raises TokenError unless `token` was made for `establishment` less than the allowed time ago. An expired
    token is said apart from a forged one: the consumer who took long to write keeps what they wrote."""
    signer = signing.TimestampSigner(salt=_SIGNER_SALT)
    try:
        value = signer.unsign(token or "", max_age=settings.RECLAMACIONES_EMBED_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        try:
            value = signer.unsign(token)
        except signing.BadSignature:
            raise TokenError(MSG_FORM_INVALID) from None
        if value == str(establishment.pk):
            raise TokenError(MSG_FORM_EXPIRED, expired=True) from None
        raise TokenError(MSG_FORM_INVALID) from None
    except signing.BadSignature:
        raise TokenError(MSG_FORM_INVALID) from None
    if value != str(establishment.pk):
        raise TokenError(MSG_FORM_INVALID)


def _portal_origins(request) -> set[str]:
    own = {origin_normalize(settings.PORTAL_BASE_URL), origin_normalize(f"{request.scheme}://{request.get_host()}")}
    return {o for o in own if o}


def origin_allowed(request, *, establishment: Establishment) -> bool:
    """Whether the POST comes from the portal's own page (the form in the iframe) or a declared origin. Without
    an Origin header, the Referer's origin stands in for it; with neither (or "null"), it is refused."""
    sent = request.headers.get("Origin") or ""
    if not sent or sent == "null":
        sent = _referer_origin(request.headers.get("Referer") or "")
    origin = origin_normalize(sent) if sent else None
    if origin is None:
        return False
    return origin in _portal_origins(request) or origin in origins_of(establishment)


def _referer_origin(referer: str) -> str:
    try:
        parts = urlsplit(referer)
    except ValueError:  # "http://[" and the like: a browser never sends it, a script may
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@dataclass(frozen=True)
class EmbedMark:
    """Set on the request as `request.embed` by the embed views: the public templates then draw the compact
    layout and hand the form token to the form."""

    establishment: Establishment
    token: str
    field: str = TOKEN_FIELD


# The snippet a store pastes: plain HTML with inline CSS, no script, every interpolated value escaped.

_BUTTON_STYLE = (
    "display:inline-flex;align-items:center;gap:8px;padding:10px 16px;border-radius:6px;"
    "background:{bg};color:#ffffff;font:600 15px/1.2 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;"
    "text-decoration:none;border:2px solid #ffffff;box-shadow:0 1px 3px rgba(0,0,0,.25)"
)
_FIXED_STYLE = "position:fixed;right:16px;bottom:16px;z-index:2147483000;"
DEFAULT_BUTTON_COLOR = "#0B5CAD"  # the portal's own blue (site.css), 6.7:1 with white


def embed_url(establishment: Establishment, *, base: str) -> str:
    return base + reverse("reclamaciones:embed", args=[establishment.slug])


def snippet_button(establishment: Establishment, *, base: str, fixed: bool = False) -> str:
    """The "Libro de Reclamaciones" link with the official icon, opening the hosted book in a new tab; `fixed`
    keeps it in the corner of every page (art. 151: "permanentemente … en un lugar visible")."""
    provider = establishment.provider
    color = provider.brand_accent or provider.brand_primary or DEFAULT_BUTTON_COLOR
    style = (_FIXED_STYLE if fixed else "") + _BUTTON_STYLE.format(bg=color)
    return format_html(
        '<a href="{}" target="_blank" rel="noopener" style="{}" title="{}">'
        '<img src="{}" alt="" width="28" height="28" style="display:block;background:#ffffff;border-radius:4px">'
        "Libro de Reclamaciones</a>",
        embed_url(establishment, base=base),
        style,
        f"Libro de Reclamaciones de {provider.display_name}",
        # Not static(): its name carries the file's hash, and pasted code outlives any icon change.
        base + reverse("reclamaciones:book-icon"),
    )


def snippet_iframe(establishment: Establishment, *, base: str) -> str:
    """The whole book inside the store's page. The height is fixed (no script may resize it): the book scrolls
    inside the frame on small screens."""
    return format_html(
        '<iframe src="{}" title="{}" loading="lazy" referrerpolicy="strict-origin-when-cross-origin" '
        'style="display:block;box-sizing:border-box;width:100%;max-width:880px;height:1200px;'
        'border:1px solid #c9d3de;border-radius:6px">'
        "</iframe>",
        embed_url(establishment, base=base),
        f"Libro de Reclamaciones de {establishment.provider.display_name}",
    )
