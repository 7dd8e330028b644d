"""The printed notice of each establishment (Anexo II of the Reglamento, as replaced by DS 006-2014-PCM): an A4
poster with the official text verbatim, the book's nature in the blank, and a QR code to the establishment's
virtual form. Reads the establishments in scope and builds the PDF; writes nothing.

Letter sizes (Anexo II: "Libro de Reclamaciones" at least 1 x 1 cm, the rest at least 0.5 x 0.5 cm) are set in
templates/reclamaciones/pdf/poster.html and measured on the rendered page by tests/compliance/test_notices.py."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from ..access import Scope
from ..book.models import Establishment
from ..book.pdf import _pdf

# Anexo II, verbatim (legal-peru.md §2.2). The blank "(_______*)" is filled with the book's nature; the asterisk
# stays because the footnote it points to is printed too.
ANEXO_II_BEFORE = (
    "Conforme a lo establecido en el Código de Protección y Defensa del Consumidor este establecimiento cuenta con un"
)
ANEXO_II_BOOK = "Libro de Reclamaciones"
ANEXO_II_AFTER = "a tu disposición. Solicítalo para registrar una queja o reclamo"
ANEXO_II_REFUSAL = "En caso de negativa de entrega del libro escribe a"
INDECOPI_EMAIL = "libroreclamaciones@indecopi.gob.pe"
ANEXO_II_FOOTNOTE = (
    "* El proveedor deberá indicar si el Libro de Reclamaciones del establecimiento es de naturaleza física o virtual."
)

# What fills the blank: the nature of the BOOK the establishment offers (footnote of Anexo II), not of the
# store. Every establishment of this portal keeps its book here, so a shop's poster says VIRTUAL too; its paper
# book is only the art. 4-A backup for when the virtual one is down (UNCONFIRMED reading; in capitals, as the
# annex's blank is usually filled).
BOOK_NATURE = "VIRTUAL"

QR_SIDE_MM = 52  # printed side of the symbol, quiet zone included: scans from about half a metre
QR_BORDER = 4  # modules of quiet zone (ISO/IEC 18004 asks for 4)


@dataclass(frozen=True)
class Poster:
    establishment: Establishment
    nature: str  # what fills the blank: the nature of the book (BOOK_NATURE)
    form_url: str  # absolute URL of the establishment's virtual form, encoded in the QR and printed under it
    qr: segno.QRCode

    @property
    def qr_svg(self) -> SafeString:
        """The QR symbol as inline SVG (WeasyPrint draws it as vectors: nothing is fetched). Built by segno from
        the URL only: no user text reaches the markup."""
        size = self.qr.symbol_size(border=QR_BORDER)[0]
        svg = self.qr.svg_inline(
            scale=QR_SIDE_MM / size, unit="mm", border=QR_BORDER, dark="#000", light="#fff", svgclass="qr"
        )
        return mark_safe(svg)  # noqa: S308 (segno's own markup from a URL we built)


def poster_establishment_list(*, scope: Scope) -> QuerySet[Establishment]:
    """The active establishments in `scope`, with their provider: the ones that need a poster."""
    establishments = Establishment.objects.filter(is_active=True).select_related("provider")
    return scope.filter(establishments, path="pk").order_by("provider__legal_name", "name", "pk")


def poster_establishment_get(*, scope: Scope, pk: int) -> Establishment:
    """One active establishment in `scope` (raises Establishment.DoesNotExist otherwise)."""
    return poster_establishment_list(scope=scope).get(pk=pk)


def form_url(establishment: Establishment) -> str:
    """The absolute URL of the establishment's public form (/libro/<slug>/)."""
    return settings.PORTAL_BASE_URL + reverse("reclamaciones:file", args=[establishment.slug])


def poster_build(establishment: Establishment) -> Poster:
    url = form_url(establishment)
    # Error correction at least M (15 %): a poster gets scuffed; segno raises it further when the size allows.
    return Poster(
        establishment=establishment,
        nature=BOOK_NATURE,
        form_url=url,
        qr=segno.make(url, error="m", micro=False),
    )


def poster_filename(establishment: Establishment) -> str:
    """aviso-libro-de-reclamaciones-<slug>.pdf (the slug is validated; names and codes are free text)."""
    return f"aviso-libro-de-reclamaciones-{establishment.slug}.pdf"


def poster_pdf(establishment: Establishment) -> bytes:
    """The A4 poster of `establishment` as PDF bytes."""
    poster = poster_build(establishment)
    context = {
        "poster": poster,
        "establishment": establishment,
        "provider": establishment.provider,
        "before": ANEXO_II_BEFORE,
        "book": ANEXO_II_BOOK,
        "after": ANEXO_II_AFTER,
        "refusal": ANEXO_II_REFUSAL,
        "indecopi_email": INDECOPI_EMAIL,
        "footnote": ANEXO_II_FOOTNOTE,
        "qr_side_mm": QR_SIDE_MM,
    }
    return _pdf("reclamaciones/pdf/poster.html", context)
