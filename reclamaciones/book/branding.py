"""A provider's branding on its public pages, its embedded book and the sheet's PDF header: a logo and two
colours. Branding only dresses the page around the book: the Anexo I labels, the legal notes and their meaning
are never restyled (the templates keep them outside the branded elements).

The colours carry white text (buttons, the header band, the chosen options) and are also used for links on white,
so each one must reach WCAG AA contrast (4.5:1) with white. The logo is re-encoded to PNG by Pillow (no SVG:
it can carry scripts), which drops whatever metadata the upload carried, and is kept through Django's storage.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.urls import reverse

from ..images import ImageBroken, ImageTooLarge, image_decode

logger = logging.getLogger(__name__)

TEXT_ON_BRAND = "#FFFFFF"  # the text drawn on the brand colours, as site.css draws it on its own blue
MIN_CONTRAST = 4.5  # WCAG 2.x AA, normal text
LOGO_FORMATS = {"PNG", "JPEG"}
LOGO_MAX_SIDE = (800, 200)  # the stored logo fits in this box (width, height): a header never needs more

_HEX = re.compile(r"#[0-9A-Fa-f]{6}")

MSG_COLOR_FORMAT = "Escribe el color como #RRGGBB, por ejemplo #0B5CAD."
MSG_COLOR_CONTRAST = (
    "El texto blanco sobre {color} tiene un contraste de {ratio}:1 y debe ser al menos 4,5:1 (WCAG AA) para "
    "que todos puedan leerlo. Elige un tono más oscuro."
)
MSG_LOGO_TYPE = "El logo debe ser una imagen PNG o JPEG (no se aceptan SVG ni otros formatos)."
MSG_LOGO_TOO_BIG = "El logo pesa más de {limit}. Súbelo en un tamaño menor."
MSG_LOGO_TOO_MANY_PIXELS = "El logo tiene demasiados píxeles. Súbelo en un tamaño menor (por ejemplo, 800×200)."


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of a #RRGGBB colour."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def validate_brand_color(value: str) -> None:
    if not _HEX.fullmatch(value or ""):
        raise ValidationError(MSG_COLOR_FORMAT, code="format")
    ratio = contrast_ratio(value, TEXT_ON_BRAND)
    if ratio < MIN_CONTRAST:
        # Truncate, never round up: 4.47 must not read "4.5:1" next to "must be at least 4.5:1".
        shown = f"{int(ratio * 100) / 100:.2f}".replace(".", ",")
        raise ValidationError(MSG_COLOR_CONTRAST.format(color=value.upper(), ratio=shown), code="contrast")


def _size_phrase(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def logo_reencode(upload) -> ContentFile:
    """The uploaded logo as a fresh PNG that fits LOGO_MAX_SIDE, named by its content's SHA-256 (the name is the
    public URL's version). Raises ValidationError, in Spanish, for anything but a sane PNG or JPEG: an SVG, a
    renamed file, a truncated one, a decompression bomb or one too heavy."""
    limit = settings.RECLAMACIONES_BRAND_LOGO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(MSG_LOGO_TOO_BIG.format(limit=_size_phrase(limit)), code="too_big")
    upload.seek(0)
    data = upload.read(limit + 1)
    max_pixels = settings.RECLAMACIONES_BRAND_LOGO_MAX_PIXELS
    try:
        picture = image_decode(data, formats=sorted(LOGO_FORMATS), max_pixels=max_pixels).convert("RGBA")
    except ImageTooLarge as exc:
        raise ValidationError(MSG_LOGO_TOO_MANY_PIXELS, code="too_many_pixels") from exc
    except ImageBroken as exc:
        raise ValidationError(MSG_LOGO_TYPE, code="type") from exc
    picture.thumbnail(LOGO_MAX_SIDE)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)  # a new file: no EXIF, no text chunks, no ICC profile
    png = out.getvalue()
    return ContentFile(png, name=f"{hashlib.sha256(png).hexdigest()[:20]}.png")


def brand_logo_path(instance, filename: str) -> str:
    return f"marcas/{filename}"


def brand_storage():
    """The logos' storage (settings.RECLAMACIONES_BRAND_STORAGE): outside any web root by default; logos are
    served by the brand-logo view, which reads them through the storage API."""
    return storages.create_storage(settings.RECLAMACIONES_BRAND_STORAGE)


@dataclass(frozen=True)
class Brand:
    """What a page needs to dress itself in a provider's colours."""

    name: str
    primary: str
    accent: str
    logo_url: str  # "" without a logo

    @property
    def primary_rgb(self) -> str:
        return ", ".join(str(int(self.primary[i : i + 2], 16)) for i in (1, 3, 5)) if self.primary else ""


def brand_of(provider) -> Brand | None:
    """The provider's brand, or None when it set none (the portal's own look). Without colours, a logo alone
    keeps the portal's colours. No query: everything is on the provider's row."""
    if provider is None:
        return None
    # Validated on save; checked again because they are written into a <style> element.
    colors = [c if _HEX.fullmatch(c or "") else "" for c in (provider.brand_primary, provider.brand_accent)]
    if not (colors[0] or colors[1] or provider.brand_logo):
        return None
    primary = colors[0] or colors[1]
    accent = colors[1] or primary
    return Brand(name=provider.display_name, primary=primary, accent=accent, logo_url=brand_logo_url(provider))


def brand_logo_url(provider) -> str:
    """The logo's public URL, versioned by its content hash so that browsers may keep it for a year."""
    if not provider.brand_logo:
        return ""
    version = provider.brand_logo.name.rsplit("/", 1)[-1].split(".", 1)[0]
    return f"{reverse('reclamaciones:brand-logo', args=[provider.pk])}?v={version}"


def _logo_storage():
    # The field's own storage (tests swap it): the model module imports this one, so it is looked up, not imported.
    return apps.get_model("reclamaciones", "Provider")._meta.get_field("brand_logo").storage


def _logo_read(name: str) -> bytes:
    with _logo_storage().open(name, "rb") as stored:
        return stored.read()


def brand_logo_bytes(provider) -> bytes | None:
    """The stored logo (a PNG written by logo_reencode), or None when there is none or the file is gone."""
    if not provider.brand_logo:
        return None
    try:
        return _logo_read(provider.brand_logo.name)
    except OSError:
        return None


# An evidence bundle renders one PDF per hoja, most of them of the same provider. The name changes whenever the
# logo does (it is the content's hash), so an entry never goes stale; a few providers' logos (at most ~850 KB
# each, encoded) are all a worker needs to keep. A missing file raises and is therefore not cached.
@lru_cache(maxsize=16)
def _logo_data_uri(provider_pk: int, name: str) -> str:
    return "data:image/png;base64," + base64.b64encode(_logo_read(name)).decode("ascii")


def brand_logo_data_uri(provider) -> str:
    """The logo inline, for the PDF (WeasyPrint never fetches: book.pdf); "" without one or when its file is gone
    (the PDF is still made: the logo is decoration)."""
    if not provider.brand_logo:
        return ""
    try:
        return _logo_data_uri(provider.pk, provider.brand_logo.name)
    except OSError:
        logger.warning("Logo %s of provider %s unreadable: PDF without it", provider.brand_logo.name, provider.pk)
        return ""


def brand_logo_discard(*, name: str) -> None:
    """Once the current transaction commits, delete the logo file `name` that a provider stopped using, unless a
    provider still uses it: names are content hashes, so providers with the same logo (or one uploading it again,
    on a storage that overwrites) share one file. On rollback nothing is deleted."""
    if not name:
        return

    def discard() -> None:
        if apps.get_model("reclamaciones", "Provider").objects.filter(brand_logo=name).exists():
            return
        try:
            _logo_storage().delete(name)
        except OSError:  # the provider's change is saved; an orphan file only costs space
            logger.warning("Old logo %s could not be deleted", name, exc_info=True)

    transaction.on_commit(discard)
