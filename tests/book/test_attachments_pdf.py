"""Issue 14 §1, attack review F1: a PDF is parsed, not grepped. Names written with #xx escapes, objects packed in
compressed object streams and every kind of action other than a jump inside the document are refused; so is a PDF
that cannot be parsed or checked (broken, encrypted, too many objects, too slow). Never a 500."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from reclamaciones.book import attachments
from reclamaciones.book.attachments import PDF, attachment_prepare

from .attachment_support import object_stream, pdf_bytes, pdf_with, upload

ACTIVE = "tiene contenido activo"
UNREADABLE = "No pudimos leer el PDF «boleta.pdf»"


def _verdict(data: bytes) -> str:
    try:
        prepared = attachment_prepare(upload("boleta.pdf", data, "application/pdf"))
    except ValidationError as exc:
        (message,) = exc.messages
        return message
    assert prepared.content_type == PDF
    return "accepted"


OPEN_ACTION = b"/OpenAction 4 0 R"


@pytest.mark.parametrize(
    ("objects", "catalog"),
    [
        pytest.param([b"<< /S /JavaScript /JS (app.alert(1)) >>"], OPEN_ACTION, id="javascript"),
        pytest.param([b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"], OPEN_ACTION, id="javascript-hex-escaped"),
        pytest.param([b"<< /S /L#61unch /F (cmd.exe) >>"], OPEN_ACTION, id="launch-hex-escaped"),
        pytest.param([b"<< /S /URI /URI (https://evil.example/phish) >>"], OPEN_ACTION, id="uri"),
        pytest.param([b"<< /S /SubmitForm /F (https://evil.example/) >>"], OPEN_ACTION, id="submit-form"),
        pytest.param([b"<< /S /GoToR /F (\\\\\\\\evil\\\\share\\\\x.pdf) /D [0 /Fit] >>"], OPEN_ACTION, id="goto-r"),
        pytest.param([b"<< /S /ImportData /F (x.fdf) >>"], OPEN_ACTION, id="import-data"),
        pytest.param([b"<< /Type /Action /S /Named /N /Print >>"], OPEN_ACTION, id="named"),
        pytest.param([b"<< /S 5 0 R /URI (https://evil.example/) >>", b"/URI"], OPEN_ACTION, id="action-type-indirect"),
        pytest.param([b"<< /O << /S /GoTo /D [3 0 R /Fit] >> >>"], b"/AA 4 0 R", id="additional-actions"),
        pytest.param([b"<< /JavaScript << /Names [(a) 5 0 R] >> >>", b"<< /JS (x) >>"], b"/Names 4 0 R", id="js-tree"),
        pytest.param([b"<< /EmbeddedFiles << /Names [] >> >>"], b"/Names 4 0 R", id="embedded-files"),
        pytest.param([b"<< /Type /EmbeddedFile /Length 0 >>"], b"", id="embedded-file"),
        pytest.param([b"<< /Type /Filespec /F (a.exe) /EF << /F 4 0 R >> >>"], b"", id="file-spec-with-file"),
        pytest.param([b"<< /Fields [] >>"], b"/AcroForm 4 0 R", id="acroform"),
        pytest.param([b"<< /Fields [] /XFA 5 0 R >>", b"[]"], b"", id="xfa"),
        pytest.param([b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 1 1] >>"], b"", id="rich-media"),
        pytest.param([b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 1 1] >>"], b"", id="file-annotation"),
        pytest.param([b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /URI /URI (http://x) >> >>"], b"",
                     id="link-to-a-web-page"),
        pytest.param([object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")], OPEN_ACTION, id="in-object-stream"),
        pytest.param([object_stream(b"<< /S /L#61unch /F (cmd.exe) >>")], b"", id="hex-in-object-stream"),
    ],
)  # fmt: skip
def test_active_content_is_refused_however_it_is_written(objects, catalog):
    assert ACTIVE in _verdict(pdf_with(*objects, catalog=catalog))


def test_an_action_added_by_an_incremental_update_is_refused():
    first = pdf_with()
    update = pdf_with(b"<< /S /JavaScript /JS (app.alert(1)) >>", catalog=OPEN_ACTION)
    assert ACTIVE in _verdict(first + update[len(b"%PDF-1.7\n") :])


@pytest.mark.parametrize(
    ("objects", "catalog"),
    [
        pytest.param([], b"", id="plain"),
        pytest.param([b"[3 0 R /Fit]"], OPEN_ACTION, id="open-at-a-page"),
        pytest.param([b"<< /S /GoTo /D [3 0 R /Fit] >>"], OPEN_ACTION, id="open-with-a-goto-action"),
        pytest.param([b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /GoTo /D [3 0 R /Fit] >> >>"], b"",
                     id="internal-link"),
        pytest.param([b"<< /Type /Annot /Subtype /Square /Rect [0 0 1 1] /BS << /S /S /W 1 >> >>"], b"",
                     id="border-style-s"),
        pytest.param([b"<< /Nums [0 << /S /D >>] >>"], b"/PageLabels 4 0 R", id="page-labels"),
        pytest.param([object_stream(b"<< /Producer (Escaner) >>")], b"", id="object-stream"),
    ],
)  # fmt: skip
def test_a_plain_pdf_is_accepted(objects, catalog):
    assert _verdict(pdf_with(*objects, catalog=catalog)) == "accepted"


def test_a_pdf_written_by_a_real_library_is_accepted():
    assert _verdict(pdf_bytes()) == "accepted"


def test_markup_past_the_first_kilobyte_is_inert_and_accepted():
    # Downloads are always attachments with nosniff and a sandbox CSP, and browsers sniff only the first bytes:
    # markup deeper in a PDF is text in a string, as in any PDF that quotes a web page.
    data = pdf_with(b"<< /Pad (" + b"A" * 2000 + b") >>", b"(<html><script>alert(1)</script></html>)")
    assert _verdict(data) == "accepted"


def test_an_encrypted_pdf_is_refused():
    data = pdf_with(
        b"<< /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>", trailer=b"/Encrypt 4 0 R /ID [<00><00>] "
    )
    assert _verdict(data) == (
        "«boleta.pdf» está protegido con contraseña o cifrado y no podemos revisarlo. Adjunta una copia sin contraseña."
    )


BROKEN_OBJECT_STREAM = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 5 >>\nstream\nxxxxx\nendstream"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7\nbasura sin objetos\nstartxref\n0\n%%EOF\n", id="no-objects"),
        pytest.param(pdf_with(b"<< /A [[[[" + b"[" * 5000 + b">>"), id="unbalanced"),
        pytest.param(pdf_with(BROKEN_OBJECT_STREAM), id="broken-object-stream"),
    ],
)  # fmt: skip
def test_a_pdf_that_cannot_be_parsed_is_refused_with_a_message(data):
    assert _verdict(data).startswith(UNREADABLE)


def test_the_parse_is_bounded_in_objects(monkeypatch):
    data = pdf_with(*[b"<< /N %d >>" % n for n in range(30)])
    assert _verdict(data) == "accepted"

    monkeypatch.setattr(attachments, "PDF_MAX_OBJECTS", 20)

    assert _verdict(data).startswith(UNREADABLE)


def test_the_parse_is_bounded_in_time(monkeypatch):
    monkeypatch.setattr(attachments, "PDF_MAX_SECONDS", -1)

    assert _verdict(pdf_with()).startswith(UNREADABLE)
