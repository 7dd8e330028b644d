"""Issue 14 §1: every document is checked by its declared type, its extension and its bytes; images are re-encoded
(no EXIF, no GPS, nothing appended); PDFs must be a PDF from the first byte to the last. Hostile files (polyglots,
bombs, lies about their type, active content) get a Spanish message naming the file."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from reclamaciones.book.attachments import (
    JPEG,
    PDF,
    PNG,
    ZIP_END,
    attachment_prepare,
    name_clean,
)

from .attachment_support import (
    GPS_IFD,
    MAKE,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    png_header_only,
    upload,
    zip_bytes,
)


def _refused(file) -> str:
    with pytest.raises(ValidationError) as caught:
        attachment_prepare(file)
    (message,) = caught.value.messages
    return message


# Accepted, and cleaned -----------------------------------------------------------------------------------------


def test_a_pdf_is_kept_byte_for_byte():
    data = pdf_bytes()

    prepared = attachment_prepare(upload("Boleta B001-4521.pdf", data, "application/pdf"))

    assert (prepared.name, prepared.content_type, prepared.data) == ("Boleta B001-4521.pdf", PDF, data)


def test_a_photo_loses_its_exif_and_gps_but_keeps_its_pixels():
    original = jpeg_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(MAKE) == "CamaraEspia"  # the test file has them

    prepared = attachment_prepare(upload("foto.JPG", original, "image/jpeg"))

    image = Image.open(io.BytesIO(prepared.data))
    assert prepared.content_type == JPEG
    assert image.format == "JPEG"
    assert image.size == (64, 48)
    assert dict(image.getexif()) == {}
    assert GPS_IFD not in image.getexif()
    assert b"CamaraEspia" not in prepared.data
    assert image.getpixel((5, 5))[2] > 150  # still blue on the left: the picture itself is kept


def test_a_photo_taken_sideways_is_stored_upright():
    prepared = attachment_prepare(upload("foto.jpg", jpeg_bytes(orientation=6), "image/jpeg"))  # rotate 90° CW

    image = Image.open(io.BytesIO(prepared.data))
    assert image.size == (48, 64)
    assert dict(image.getexif()) == {}


def test_a_screenshot_loses_its_text_chunks_and_exif():
    prepared = attachment_prepare(upload("captura.png", png_bytes(metadata=True), "image/png"))

    image = Image.open(io.BytesIO(prepared.data))
    assert prepared.content_type == PNG
    assert image.text == {}
    assert dict(image.getexif()) == {}
    assert b"casa de Mar" not in prepared.data


def test_older_browsers_declared_types_are_accepted():
    assert attachment_prepare(upload("foto.jpeg", jpeg_bytes(), "image/pjpeg")).content_type == JPEG
    assert attachment_prepare(upload("c.png", png_bytes(), "image/x-png")).content_type == PNG


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/boleta.pdf", "boleta.pdf"),
        ("C:\\Users\\maria\\Desktop\\boleta.pdf", "boleta.pdf"),
        ("  boleta   de   venta.pdf ", "boleta de venta.pdf"),
        ("ｂｏｌｅｔａ.pdf", "boleta.pdf"),  # full-width letters from a phone keyboard
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_the_shown_name_is_cleaned(raw, shown):
    assert name_clean(raw) == shown


@pytest.mark.parametrize(
    "raw",
    [
        "boleta\x00.pdf",
        "bol\x1b[31meta.pdf",
        "factura\u202efdp.exe",
        "",
        "...",
        # Invisible format characters and a lone surrogate (attack review F5)
        "a\u200f.pdf",  # right-to-left mark
        "fac\u200btura.pdf",  # zero-width space
        "x\u061cgpj.pdf",  # Arabic letter mark
        "\ufeffa.pdf",  # byte order mark
        "a.pdf\u200b",
        "x\udcff.pdf",
    ],
)
def test_a_name_with_control_or_direction_characters_is_refused(raw):
    with pytest.raises(ValidationError) as caught:
        name_clean(raw)
    assert caught.value.messages == [
        "El nombre del archivo tiene caracteres no permitidos. Cámbiale el nombre y vuelve a elegirlo."
    ]


# Refused: types, extensions and declared types -----------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert _refused(upload("boleta.pdf", b"", "application/pdf")) == "«boleta.pdf» está vacío. Elige otro archivo."


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES = 1000
    data = pdf_bytes() + b"%" * 2000

    assert _refused(upload("boleta.pdf", data, "application/pdf")).startswith("«boleta.pdf» pesa ")
    assert "el máximo es 1 KB por archivo" in _refused(upload("boleta.pdf", data, "application/pdf"))


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        ("documento.docx", zip_bytes(name="word/document.xml"), "application/vnd.openxmlformats"),
        ("bomba.zip", zip_bytes(member_size=50_000_000), "application/zip"),  # 50 MB of zeros in ~50 KB
        ("bomba.pdf", zip_bytes(member_size=50_000_000), "application/pdf"),  # a zip bomb calling itself a PDF
        ("pagina.pdf", b"<!doctype html><script>alert(1)</script>", "application/pdf"),
        ("dibujo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/png"),
        ("animacion.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png"),
        ("programa.pdf", b"MZ\x90\x00" + b"\0" * 100, "application/pdf"),
    ],
)
def test_what_is_not_a_pdf_jpg_or_png_is_refused_whatever_it_says(name, data, declared):
    assert _refused(upload(name, data, declared)) == (
        f"«{name}» no es un PDF, JPG ni PNG. Solo aceptamos esos tipos de archivo."
    )


def test_a_wrong_extension_is_refused():
    message = _refused(upload("boleta.png", pdf_bytes(), "application/pdf"))

    assert message == (
        "«boleta.png» no tiene la extensión de su tipo de archivo (.pdf). Revisa el archivo y vuelve a elegirlo."
    )
    assert "(.jpeg o .jpg)" in _refused(upload("foto.php", jpeg_bytes(), "image/jpeg"))


def test_a_declared_type_that_does_not_match_the_bytes_is_refused():
    assert _refused(upload("foto.jpg", jpeg_bytes(), "text/html")) == (
        "«foto.jpg» no es del tipo que dice ser. Solo aceptamos PDF, JPG y PNG."
    )
    assert "no es del tipo" in _refused(upload("boleta.pdf", pdf_bytes(), "image/png"))


# Refused: polyglots ---------------------------------------------------------------------------------------------

MSG_POLYGLOT_START = "«{name}» contiene además otro tipo de contenido"


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        # A PDF that unzips (a ZIP's end record in its last 64 KiB): both a PDF and a ZIP.
        ("boleta.pdf", pdf_bytes() + zip_bytes(), "application/pdf"),
        # A PDF a browser would sniff as HTML: markup right after the header.
        ("boleta.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n" + pdf_bytes()[9:], "application/pdf"),
        # A PDF with another file after its end-of-file marker.
        ("boleta.pdf", pdf_bytes() + b"\n<html><body>hola</body></html>\n", "application/pdf"),
        ("boleta.pdf", pdf_bytes() + b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "application/pdf"),
    ],
)
def test_a_polyglot_is_refused(name, data, declared):
    assert _refused(upload(name, data, declared)).startswith(MSG_POLYGLOT_START.format(name=name))


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        # A ZIP after an image's end (the "PNG+ZIP" polyglot), or markup in a JPEG's comment: re-encoding stores
        # only the pixels, so the image is accepted and nothing of the rest survives (never a false refusal).
        ("captura.png", png_bytes() + zip_bytes(), "image/png"),
        ("foto.jpg", jpeg_bytes() + zip_bytes(), "image/jpeg"),
        ("foto.jpg", jpeg_bytes(comment=b"<script>alert(document.cookie)</script>"), "image/jpeg"),
        # A photo whose comment happens to start like a tag (a camera's or an editor's note).
        ("foto.jpg", jpeg_bytes(comment=b"<title>Cumpleanos</title>"), "image/jpeg"),
    ],
)
def test_an_image_with_something_hidden_is_accepted_and_stored_clean(name, data, declared):
    prepared = attachment_prepare(upload(name, data, declared))

    assert ZIP_END not in prepared.data
    assert b"<script" not in prepared.data
    assert b"<title" not in prepared.data
    assert Image.open(io.BytesIO(prepared.data)).size == Image.open(io.BytesIO(data)).size


def test_a_truncated_screenshot_is_refused_although_weasyprint_pads_truncated_images():
    import weasyprint  # noqa: F401 (it sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process, as in the web)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    data = png_bytes()

    # Cut inside the pixel data, as an interrupted upload leaves it: load() alone would fill the rest with grey.
    assert _refused(upload("captura.png", data[:-40], "image/png")) == (
        "No pudimos leer la imagen «captura.png»: puede estar dañada. Prueba con otra foto o captura."
    )


def test_a_truncated_pdf_is_refused():
    data = pdf_bytes()
    cut = data[: data.rindex(b"startxref")]

    assert _refused(upload("boleta.pdf", cut, "application/pdf")) == (
        "«boleta.pdf» no es un PDF completo o está dañado. Guárdalo de nuevo como PDF y vuelve a adjuntarlo."
    )


@pytest.mark.parametrize(
    "action",
    [b"/S /JavaScript /JS (app.alert(1))", b"/JS (app.alert(1))", b"/S /Launch /F (cmd.exe)", b"/Type /EmbeddedFile"],
)
def test_a_pdf_with_active_content_is_refused(action):
    # Even as an object no cross-reference table lists (test_attachments_pdf.py has the rest).
    data = pdf_bytes()
    head, tail = data.split(b"\n", 1)
    data = head + b"\n9 0 obj << " + action + b" >> endobj\n" + tail

    assert "tiene contenido activo" in _refused(upload("boleta.pdf", data, "application/pdf"))


# Refused: images that would exhaust the server ------------------------------------------------------------------


# 25 M (just over our default of 24 M, twice a phone's camera), 49 M, 144 M and 3.6 G pixels (Pillow's limits)
@pytest.mark.parametrize("side", [5_000, 7_000, 12_000, 60_000])
def test_a_decompression_bomb_is_refused_from_its_header(side):
    bomb = png_header_only(side, side)  # under 100 bytes

    message = _refused(upload("plano.png", bomb, "image/png"))

    assert message.startswith("La imagen «plano.png» es demasiado grande")
    assert message.endswith("Envíala en un tamaño menor.")


def test_the_pixel_limit_comes_from_the_settings(settings):
    settings.RECLAMACIONES_ATTACHMENTS_MAX_PIXELS = 1000

    message = _refused(upload("foto.jpg", jpeg_bytes(size=(64, 48)), "image/jpeg"))

    assert "(64 × 48 píxeles; el máximo es 0,001 millones de píxeles)" in message


def test_a_big_jpeg_is_decoded_and_stored_at_half_its_size():
    # Over 12 MP the JPEG decoder scales it down itself (draft mode): a quarter of the memory and time.
    prepared = attachment_prepare(upload("foto.jpg", jpeg_bytes(size=(4400, 3000), gps=False), "image/jpeg"))

    assert Image.open(io.BytesIO(prepared.data)).size == (2200, 1500)


def test_a_broken_image_is_refused():
    data = png_bytes()
    broken = data[:60] + b"\xff" * 200

    assert _refused(upload("captura.png", broken, "image/png")) == (
        "No pudimos leer la imagen «captura.png»: puede estar dañada. Prueba con otra foto o captura."
    )
