"""The Anexo II poster of each establishment (issue 12): the official text verbatim with the book's nature, an
A4 page, letters measured on the printed page, a QR that holds the establishment's form URL; and who may print
it (the compliance role and auditors, only establishments in their scope, only active ones)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
import segno
from django.urls import reverse
from PIL import Image

from reclamaciones.access import Role, Scope
from reclamaciones.compliance.notices import poster_pdf

from ..factories import EstablishmentFactory, ProviderFactory, staff_user
from .conftest import DESK_ROLES, login_as

pytestmark = pytest.mark.django_db

BASE = "https://reclamos.example.pe"  # PORTAL_BASE_URL of config/settings/test.py

# Anexo II (DS 006-2014-PCM), legal-peru.md §2.2, typed here again rather than imported: the test must fail if
# the module's copy drifts from the rule.
NOTICE = (
    "Conforme a lo establecido en el Código de Protección y Defensa del Consumidor este establecimiento cuenta "
    "con un Libro de Reclamaciones ({nature}*) a tu disposición. Solicítalo para registrar una queja o reclamo"
)
REFUSAL = "En caso de negativa de entrega del libro escribe a libroreclamaciones@indecopi.gob.pe"
FOOTNOTE = (
    "* El proveedor deberá indicar si el Libro de Reclamaciones del establecimiento es de naturaleza física o virtual."
)

DPI = 300
MM_PER_PX = 25.4 / DPI
PX_PER_PT = DPI / 72


@pytest.fixture
def poppler():
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.fail("pdftotext/pdftoppm (Debian package poppler-utils) are needed to read the poster")


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return " ".join(out.split())


def _layout(pdf: bytes, tmp_path: Path) -> tuple[tuple[float, float], list[dict]]:
    """(page width and height in pt, the words with their boxes in pt from the top left) of a one-page PDF."""
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    assert len(pages) == 1, f"the poster is one page, got {len(pages)}"
    words = [
        {"x0": float(a), "y0": float(b), "x1": float(c), "y1": float(d), "text": unescape(t)}
        for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html
        )
    ]
    return (float(pages[0][0]), float(pages[0][1])), words


def _raster(pdf: bytes, tmp_path: Path) -> Image.Image:
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(DPI), "-singlefile", "-png", str(path), str(tmp_path / "page")],
        check=True,
    )
    return Image.open(tmp_path / "page.png").convert("L")


def _components(image: Image.Image, box: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1, inclusive, in px) of the connected dark shapes inside `box`."""
    crop = image.crop(box)
    width, height = crop.size
    dark = bytearray(1 if v < 128 else 0 for v in crop.tobytes())
    found = []
    for start in range(width * height):
        if not dark[start]:
            continue
        dark[start] = 0
        stack = [start]
        x0, y0, x1, y1 = width, height, -1, -1
        while stack:
            i = stack.pop()
            y, x = divmod(i, width)
            x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
            for j in (i - 1 if x else -1, i + 1 if x + 1 < width else -1, i - width, i + width):
                if 0 <= j < width * height and dark[j]:
                    dark[j] = 0
                    stack.append(j)
        found.append((x0, y0, x1, y1))
    return found


# DejaVu Sans (every width and weight the poster uses): ascent 1901 and descent 483 of 2048 units. pdftotext's
# word box spans ascent + descent, so the baseline sits 1901/2384 of the way down it.
ASCENT_SHARE = 1901 / (1901 + 483)


def _letter_heights_mm(image: Image.Image, word: dict) -> list[float]:
    """The printed height of each letter of `word`, measured on the page raster: each connected shape of ink in
    the word's box that stands on the baseline (a letter rests on it or, like "q", crosses it), so the dots of
    i and j, accents, and the edges of the lines above and below are left out. "o" counts with its x-height,
    "L" with its cap height, "d" with its ascender: the smallest value is the smallest letter of the word as a
    person would measure it with a ruler."""
    pad = 6
    top, bottom = word["y0"] * PX_PER_PT, word["y1"] * PX_PER_PT
    box = (int(word["x0"] * PX_PER_PT) - pad, int(top) - pad, int(word["x1"] * PX_PER_PT) + pad, int(bottom) + pad)
    em = (bottom - top) * 2048 / (1901 + 483)  # the font size in px, from the box's height
    baseline = top + (bottom - top) * ASCENT_SHARE - box[1]
    letters = [
        s
        for s in _components(image, box)
        if s[3] >= baseline - 0.05 * em and s[1] < baseline - 0.3 * em  # reaches down to the baseline, from above
    ]
    return [(y1 - y0 + 1) * MM_PER_PX for _, y0, _, y1 in letters]


@pytest.fixture
def physical(establishment):
    establishment.name = "Tienda Miraflores"
    establishment.kind = "physical"
    establishment.save()
    return establishment


@pytest.fixture
def physical_pdf(physical):
    return poster_pdf(physical)


def test_the_anexo_ii_text_is_printed_verbatim_with_virtual_in_the_blank(physical_pdf, poppler, tmp_path):
    """A shop's book is this virtual book (its paper one is the art. 4-A backup): the blank says VIRTUAL."""
    text = _text(physical_pdf, tmp_path)

    assert NOTICE.format(nature="VIRTUAL") in text
    assert REFUSAL in text
    assert FOOTNOTE in text
    assert "FÍSICO*" not in text


def test_an_online_store_says_virtual_too(poppler, tmp_path):
    virtual = EstablishmentFactory(kind="virtual", name="Tienda virtual")

    text = _text(poster_pdf(virtual), tmp_path)

    assert NOTICE.format(nature="VIRTUAL") in text
    assert "FÍSICO*" not in text


def test_the_poster_names_provider_establishment_book_code_and_form_url(physical, physical_pdf, poppler, tmp_path):
    text = _text(physical_pdf, tmp_path)
    provider = physical.provider

    assert f"{provider.legal_name} · RUC {provider.ruc}" in text
    assert f"{physical.name} · {physical.address}" in text
    assert f"Código de identificación del libro: {physical.code}" in text
    assert f"{BASE}/libro/{physical.slug}/" in text


def test_the_poster_is_one_a4_page(physical_pdf, poppler, tmp_path):
    (width, height), _ = _layout(physical_pdf, tmp_path)

    # A4 = 210 x 297 mm = 595.28 x 841.89 pt (the rule's minimum size).
    assert width == pytest.approx(595.28, abs=0.5)
    assert height == pytest.approx(841.89, abs=0.5)


def test_the_longest_names_still_fit_on_the_one_page(poppler, tmp_path):
    provider = ProviderFactory(legal_name=("Comercialización Internacional de Productos Ñandú y Asociados " * 3)[:150])
    longest = EstablishmentFactory(
        provider=provider,
        name=("Tienda Mega Plaza Independencia Norte Segundo Nivel " * 3)[:150],
        address=("Av. Alfredo Mendiola 3698, Independencia, Lima, interior 204 " * 3)[:150],
        code="LR-" + "9" * 17,
        slug="s" * 60,
    )

    (_, _), words = _layout(poster_pdf(longest), tmp_path)  # asserts one page

    joined = "".join(w["text"] for w in words)  # the URL and long names wrap across lines
    assert f"{BASE}/libro/{'s' * 60}/" in joined
    assert f"libro:{longest.code}" in joined


def test_letters_measured_on_the_page_meet_the_anexo_ii_minimums(physical_pdf, poppler, tmp_path):
    """Anexo II: "Libro de Reclamaciones" in letters of at least 1 x 1 cm, the rest at least 0.5 x 0.5 cm. We
    measure the ink of each printed letter at 300 dpi (±0.09 mm) and hold the *smallest* letter to the
    minimum: lower-case letters without ascenders (x-height), so the capitals, which are what "letter size"
    usually means, are larger still. Width is not held to 1 cm: an "i" is never 1 cm wide in any type; the
    rule's "1 x 1 cm" is read as the letters' height."""
    _, words = _layout(physical_pdf, tmp_path)
    image = _raster(physical_pdf, tmp_path)
    start = next(i for i, w in enumerate(words) if w["text"] == "Conforme")
    end = next(i for i, w in enumerate(words) if w["text"] == "virtual." and i > start)
    anexo = words[start : end + 1]
    assert " ".join(w["text"] for w in anexo) == " ".join(
        f"{NOTICE.format(nature='VIRTUAL')} {REFUSAL} {FOOTNOTE}".split()
    ), "nothing but the Anexo II text between its first and last word"
    # The book phrase is the occurrence in the notice (the footnote repeats the words at the smaller size).
    book_at = next(
        i for i in range(len(anexo) - 2) if [w["text"] for w in anexo[i : i + 3]] == ["Libro", "de", "Reclamaciones"]
    )
    book = anexo[book_at : book_at + 3]
    rest = anexo[:book_at] + anexo[book_at + 3 :]

    book_letters = [h for w in book for h in _letter_heights_mm(image, w)]
    measured = [w for w in rest if w["text"].isalpha()]  # words with punctuation hold a comma or an "@"
    rest_letters = [h for w in measured for h in _letter_heights_mm(image, w)]

    assert len(book_letters) == len("LibrodeReclamaciones")
    assert min(book_letters) >= 10.0, sorted(book_letters)[:5]
    capital_l = _letter_heights_mm(image, book[0])[0]
    assert capital_l >= 10.0 + 3.0  # cap height, with the lower-case letters already over 10 mm
    assert len(measured) >= 45
    assert min(rest_letters) >= 5.0, sorted(rest_letters)[:5]


def test_the_printed_qr_is_the_symbol_of_the_establishments_form_url(physical, physical_pdf, poppler, tmp_path):
    """segno cannot read a QR back, so the test reads the printed one module by module and compares it with
    the symbol segno makes for the expected URL (same minimum error correction as the poster)."""
    expected = segno.make(f"{BASE}/libro/{physical.slug}/", error="m", micro=False)
    modules = expected.symbol_size(border=0)[0]
    _, words = _layout(physical_pdf, tmp_path)
    image = _raster(physical_pdf, tmp_path)
    # The QR stands left of its caption ("Registra tu reclamo o queja desde tu celular:"), inside the frame.
    caption = next(w for w in words if w["text"] == "Registra")
    region = (
        int(13 / MM_PER_PX),  # right of the frame's left border (10 to 11.6 mm)
        int(caption["y0"] * PX_PER_PT - 2 / MM_PER_PX),  # below the rule over the QR's row
        int(caption["x0"] * PX_PER_PT - 1 / MM_PER_PX),
        image.height,
    )
    crop = image.crop(region)
    pixels = crop.load()
    # The frame's bottom border runs across the whole region; the QR's rows start in its white quiet zone.
    rows = [y for y in range(crop.height) if pixels[0, y] >= 128]
    dark = [(x, y) for y in rows for x in range(crop.width) if pixels[x, y] < 128]
    x0, y0 = min(x for x, _ in dark), min(y for _, y in dark)
    x1, y1 = max(x for x, _ in dark), max(y for _, y in dark)
    side = x1 - x0 + 1
    assert abs((y1 - y0 + 1) - side) <= 2, "the symbol is square"
    assert side * MM_PER_PX >= 40, "at least 4 cm across: scannable from a step away"
    step = side / modules

    printed = [
        [pixels[int(x0 + (c + 0.5) * step), int(y0 + (r + 0.5) * step)] < 128 for c in range(modules)]
        for r in range(modules)
    ]

    assert printed == [[bool(v) for v in row] for row in expected.matrix]


# ----------------------------------------------------------------------------------------------------
# The desk's pages: who prints which poster
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", DESK_ROLES)
@pytest.mark.parametrize("page", ["posters", "poster"])
def test_posters_are_for_the_compliance_role_and_auditors(client, people, establishment, role, page):
    url = reverse("compliance:posters") if page == "posters" else reverse("compliance:poster", args=[establishment.pk])

    response = login_as(client, people[role]).get(url)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))
    elif role in {"auditor", "compliance", "superuser"}:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_the_list_shows_each_active_establishment_in_scope_with_its_poster(client, establishment):
    virtual = EstablishmentFactory(provider=establishment.provider, kind="virtual", name="Tienda virtual Ñandú")
    closed = EstablishmentFactory(provider=establishment.provider, name="Tienda cerrada", is_active=False)
    elsewhere = EstablishmentFactory(name="Tienda de otra región")
    user = staff_user("carmen", Role.COMPLIANCE, establishments=[establishment, virtual, closed])

    response = login_as(client, user).get(reverse("compliance:posters"))

    html = response.content.decode()
    assert response.status_code == 200
    for shown in (establishment, virtual):
        assert reverse("compliance:poster", args=[shown.pk]) in html
        assert f"{BASE}/libro/{shown.slug}/" in html
    assert "Libro VIRTUAL" in html
    assert "Libro FÍSICO" not in html
    for hidden in (closed, elsewhere):
        assert reverse("compliance:poster", args=[hidden.pk]) not in html
        assert hidden.name not in html
    assert reverse("compliance:posters") in html  # the desk's tab


def test_a_poster_pdf_downloads_inline_with_a_safe_name(client, establishment):
    user = staff_user("aurora", Role.AUDITOR, establishments=[establishment])

    response = login_as(client, user).get(reverse("compliance:poster", args=[establishment.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="aviso-libro-de-reclamaciones-{establishment.slug}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize("which", ["other-scope", "inactive", "unknown"])
def test_a_poster_outside_the_scope_or_inactive_does_not_exist(client, establishment, which):
    other = {
        "other-scope": lambda: EstablishmentFactory(),
        "inactive": lambda: EstablishmentFactory(provider=establishment.provider, is_active=False),
        "unknown": lambda: None,
    }[which]()
    scope_of = [establishment] + ([other] if which == "inactive" else [])
    user = staff_user("carmen", Role.COMPLIANCE, establishments=scope_of)
    pk = other.pk if other is not None else establishment.pk + 1000

    response = login_as(client, user).get(reverse("compliance:poster", args=[pk]))

    assert response.status_code == 404


def test_the_selectors_keep_to_the_scope(establishment):
    from reclamaciones.compliance.notices import poster_establishment_list

    other = EstablishmentFactory()
    user = staff_user("carmen", Role.COMPLIANCE, establishments=[establishment])

    assert list(poster_establishment_list(scope=Scope.of(user))) == [establishment]
    assert set(poster_establishment_list(scope=Scope.everything())) == {establishment, other}


HOSTILE_NAME = '<script>alert("x")</script> Tienda\x07 "Ñandú" & Cía'


def test_a_hostile_establishment_name_is_text_on_the_page_and_in_the_pdf(client, establishment, poppler, tmp_path):
    establishment.name = HOSTILE_NAME
    establishment.address = "<img src=x onerror=alert(1)> Av. Larco 1232"
    establishment.code = "<b>LR</b>"
    establishment.save()
    establishment.provider.legal_name = "</title><script>x()</script> S.A.C."
    establishment.provider.save()
    user = staff_user("carmen", Role.COMPLIANCE, establishments=[establishment])
    client = login_as(client, user)

    page = client.get(reverse("compliance:posters"))
    pdf = client.get(reverse("compliance:poster", args=[establishment.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>" not in html.split("</head>", 1)[1]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert pdf.status_code == 200
    text = _text(pdf.content, tmp_path)
    assert '<script>alert("x")</script> Tienda' in text  # shown as the characters typed, not run as markup
    assert "<img src=x onerror=alert(1)> Av. Larco 1232" in text
    assert "Código de identificación del libro: <b>LR</b>" in text
    assert "</title><script>x()</script> S.A.C." in text
