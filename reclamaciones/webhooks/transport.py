"""Outbound HTTP for webhooks, with the standard library: https only (http when WEBHOOKS_ALLOW_HTTP), never to a
private, loopback, link-local or otherwise non-public address, nor to an IPv6 form that carries an IPv4 one
(NAT64, 6to4, Teredo, IPv4-compatible), unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS; short timeouts, no redirect
followed, the response body read only up to a limit.

The address is checked twice: when an endpoint is saved (a clear message to whoever typed it) and at every send,
where the connection goes to the very IP address that was checked (a DNS answer that changes between the check
and the connect, "DNS rebinding", cannot smuggle the request to an internal host). TLS still verifies the
certificate against the host name.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MSG_URL_INVALID = "Escribe una URL completa, por ejemplo https://tutienda.pe/webhooks/libro."
MSG_URL_SCHEME = "La URL debe empezar con https://."
MSG_URL_CREDENTIALS = "La URL no puede llevar usuario ni contraseña: la firma ya autentica cada envío."
MSG_URL_UNRESOLVED = "No encontramos el dominio {host}. Revisa que esté bien escrito."
MSG_URL_PRIVATE = "La URL apunta a una dirección interna ({address}); usa una dirección pública de internet."


class TransportRefused(Exception):
    """The URL may not be called (scheme, address); the message is in Spanish, for the delivery log."""


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: str  # the beginning of the response body, decoded leniently


def _allowed_schemes() -> set[str]:
    return {"https", "http"} if settings.WEBHOOKS_ALLOW_HTTP else {"https"}


# IPv6 prefixes that Python 3.11's is_global lets through although a packet to them can end up on an internal
# host: they embed an IPv4 address that a translator or relay on the way delivers to (NAT64 64:ff9b::a9fe:a9fe
# is 169.254.169.254), or they are deprecated local ranges. Refused whole, whatever IPv4 they carry: a store's
# receiver has a native IPv6 or IPv4 address, and checking the embedded address would trust a translator we
# know nothing about.
_TRANSLATED_V6 = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in (
        "64:ff9b::/96",  # NAT64, well-known prefix (RFC 6052)
        "64:ff9b:1::/48",  # NAT64, local-use prefix (RFC 8215)
        "2002::/16",  # 6to4 (RFC 3056): the IPv4 relay is bits 16-48
        "2001::/32",  # Teredo (RFC 4380)
        "::/96",  # IPv4-compatible (RFC 4291, deprecated): ::127.0.0.1
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT, RFC 2765)
        "fec0::/10",  # site-local (RFC 3879, deprecated): a private network
    )
)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope id ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback; ::ffff:93.184.215.14 is that public IPv4
        elif any(ip in network for network in _TRANSLATED_V6):
            return False
    return ip.is_global and not ip.is_multicast


def _target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of `url`, or TransportRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TransportRefused(MSG_URL_INVALID) from exc
    if "\x00" in url or any(ord(c) < 32 for c in url):
        raise TransportRefused(MSG_URL_INVALID)
    if parts.scheme not in _allowed_schemes():
        raise TransportRefused(MSG_URL_SCHEME)
    if not parts.hostname:
        raise TransportRefused(MSG_URL_INVALID)
    if parts.username or parts.password:
        raise TransportRefused(MSG_URL_CREDENTIALS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def address_checked(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be public (one private answer
    is enough to refuse: which one a client picks is not ours to know)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransportRefused(MSG_URL_UNRESOLVED.format(host=host)) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TransportRefused(MSG_URL_UNRESOLVED.format(host=host))
    if not settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        for address in addresses:
            if not _public(address):
                raise TransportRefused(MSG_URL_PRIVATE.format(address=address))
    return addresses[0]


def url_refusal(url: str) -> str | None:
    """Why `url` may not be an endpoint (a Spanish message), or None."""
    try:
        _scheme, host, port, _path = _target(url)
        address_checked(host, port)
    except TransportRefused as exc:
        return str(exc)
    return None


def post(*, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST `body` to `url`, connecting to the address just checked. Redirects are answers, not followed.
    Raises TransportRefused (address not allowed) or OSError / http.client.HTTPException (network)."""
    scheme, host, port, path = _target(url)
    address = address_checked(host, port)
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    if scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def connect_checked(_address, *args, **kwargs):
        return socket.create_connection((address, port), *args, **kwargs)

    # http.client connects through this attribute: the Host header and the TLS name stay `host`, the TCP
    # connection goes to the checked address.
    connection._create_connection = connect_checked  # type: ignore[attr-defined]
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        snippet = response.read(settings.WEBHOOKS_RESPONSE_LOG_BYTES)
        return HttpResult(status=response.status, body=snippet.decode("utf-8", errors="replace"))
    finally:
        connection.close()
