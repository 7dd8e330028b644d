"""Helpers of the embedded book's and the branding's tests: a store's origin, a cookieless client, the form token
as a browser would post it, and logos (kept in a per-test folder through the storage API)."""

from __future__ import annotations

import io
import re
from html import unescape

from django.core.files.storage import FileSystemStorage
from django.test import Client
from django.urls import reverse
from PIL import Image

from reclamaciones.book import branding
from reclamaciones.book.embed import TOKEN_FIELD
from reclamaciones.book.models import Provider

STORE = "https://tienda.example.pe"
PORTAL = "https://reclamos.example.pe"  # PORTAL_BASE_URL in config.settings.test


def embed_url(establishment) -> str:
    return reverse("reclamaciones:embed", args=[establishment.slug])


def cookieless() -> Client:
    """What a cross-site iframe gets: no session, no CSRF cookie, and Django's CSRF check enforced."""
    return Client(enforce_csrf_checks=True)


def form_token(html: str, form_id: str = "hoja-form") -> str:
    """The token a browser submits with the form `form_id` (hidden input bound by the form attribute)."""
    found = re.findall(rf'<input type="hidden" form="{form_id}" name="{TOKEN_FIELD}" value="([^"]*)"', html)
    assert len(found) == 1, f"one token for #{form_id}, found {len(found)}"
    return unescape(found[0])


def csp(response) -> dict[str, str]:
    return {
        d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2]
        for d in response["Content-Security-Policy"].split(";")
        if d.strip()
    }


def image_bytes(fmt: str = "PNG", size=(1600, 400), mode: str = "RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 60) if mode == "RGB" else (200, 30, 60, 128)).save(out, format=fmt, **save)
    return out.getvalue()


def logo_storage_use(tmp_path, monkeypatch) -> FileSystemStorage:
    """Logos written through the storage API into this test's own folder (for a `logo_storage` fixture)."""
    storage = FileSystemStorage(location=tmp_path / "branding")
    monkeypatch.setattr(Provider._meta.get_field("brand_logo"), "storage", storage)
    branding._logo_data_uri.cache_clear()  # its key does not name the storage this swaps
    return storage
