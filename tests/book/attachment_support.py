"""Helpers of the attachment tests (issue 14 §1): real files built with Pillow and zipfile (benign ones, with
metadata to strip, and hostile ones: polyglots, bombs, lies about their type), uploads, and a private storage per
test under tmp_path."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from html import unescape

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.PngImagePlugin import PngInfo

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def attachments_storage_use(settings, tmp_path):
    """The "attachments" storage alias, private to this test (outside any web root, as in production); call it
    from a test module's fixture."""
    location = tmp_path / "adjuntos"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "file_permissions_mode": 0o600},
        },
    }
    return location


def _exif(*, gps: bool, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "CamaraEspia"
    if gps:
        exif[GPS_IFD] = {1: "S", 2: (12.0, 2.0, 47.0), 3: "W", 4: (77.0, 1.0, 43.0)}  # Lima
    if orientation:
        exif[ORIENTATION] = orientation
    return exif


def jpeg_bytes(*, size=(64, 48), gps: bool = True, orientation: int | None = None, comment: bytes = b"") -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: an orientation is visible
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=_exif(gps=gps, orientation=orientation), comment=comment)
    return out.getvalue()


def png_bytes(*, size=(40, 30), metadata: bool = True) -> bytes:
    image = Image.new("RGBA", size, (10, 120, 10, 255))
    out = io.BytesIO()
    if metadata:
        info = PngInfo()
        info.add_text("Comment", "GPS -12.0464 -77.0428 casa de María")
        image.save(out, format="PNG", pnginfo=info, exif=_exif(gps=True))
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def pdf_bytes(text_color=(0, 0, 0)) -> bytes:
    """A real one-page PDF (Pillow writes it): header, body, xref, trailer, %%EOF."""
    out = io.BytesIO()
    Image.new("RGB", (60, 80), text_color).save(out, format="PDF")
    return out.getvalue()


def zip_bytes(*, member_size: int = 1024, name: str = "a.txt") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"\0" * member_size)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def pdf_upload(name: str = "boleta.pdf") -> SimpleUploadedFile:
    return upload(name, pdf_bytes(), "application/pdf")


def jpeg_upload(name: str = "foto.jpg", **options) -> SimpleUploadedFile:
    return upload(name, jpeg_bytes(**options), "image/jpeg")


def png_upload(name: str = "captura.png", **options) -> SimpleUploadedFile:
    return upload(name, png_bytes(**options), "image/png")


def review_hidden_fields(html: str) -> dict[str, str]:
    """The review page's form as the browser would post it back (its hidden inputs)."""
    form = html[html.index('id="confirmar-form"') :]
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?', form)
        if name != "csrfmiddlewaretoken"
    }


def form_ref(html: str) -> str:
    """The signed reference of the staged documents a page carries."""
    match = re.search(r'<input type="hidden" name="attachment_ref" value="([^"]*)"', html)
    assert match, "the page carries no attachment reference"
    return unescape(match[1])


PAGE_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]


def pdf_from_objects(objects: list[bytes], *, catalog: bytes = b"", trailer: bytes = b"") -> bytes:
    """A PDF written by hand, object by object (1 0 obj is the catalog, with `catalog` added inside it), with a
    correct cross-reference table: what a hostile PDF looks like to a viewer."""
    objects = [PAGE_OBJECTS[0].replace(b" >>", b" " + catalog + b" >>") if catalog else PAGE_OBJECTS[0], *objects]
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return out


def pdf_with(*objects: bytes, catalog: bytes = b"", trailer: bytes = b"") -> bytes:
    """A one-page PDF with `objects` added after its page tree (they are 4 0 obj, 5 0 obj...)."""
    return pdf_from_objects([*PAGE_OBJECTS[1:], *objects], catalog=catalog, trailer=trailer)


def object_stream(*objects: bytes, first_number: int = 5) -> bytes:
    """An object stream (/Type /ObjStm, FlateDecode) packing `objects` as first_number, first_number + 1..."""
    header, body = b"", b""
    for number, obj in enumerate(objects, first_number):
        header += b"%d %d " % (number, len(body))
        body += obj + b"\n"
    data = zlib.compress(header + body)
    return b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(objects),
        len(header),
        len(data),
        data,
    )
