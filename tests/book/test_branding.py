"""Issue 14 §5, the provider's branding: colours refused below WCAG AA contrast with the white text drawn on them,
the logo re-encoded by Pillow (PNG/JPEG only, size-limited, metadata dropped) and kept through the storage API;
shown on the public pages of the provider's establishments and on the sheet's PDF header, never in place of the
legal texts; edited in the admin within the user's scope."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from PIL import Image

from reclamaciones.access import Role
from reclamaciones.book import branding, pdf
from reclamaciones.book.models import Complaint, Provider
from reclamaciones.templatetags.branding import pdf_logo

from ..conftest import _missing
from ..factories import EstablishmentFactory, ProviderFactory, hoja_answered, hoja_filed, hoja_offered, staff_user
from .embed_support import cookieless, embed_url, image_bytes, logo_storage_use
from .public_support import FOOTNOTE_DEADLINE, FOOTNOTE_NOT_PRIOR_STEP, _filing_data, _post
from .test_query_counts import TRACKING_QUERIES

pytestmark = pytest.mark.django_db

BRAND_PRIMARY, BRAND_ACCENT = "#7A1F3D", "#1F5F3A"


@pytest.fixture
def logo_storage(tmp_path, monkeypatch):
    return logo_storage_use(tmp_path, monkeypatch)


# Colours ---------------------------------------------------------------------------------------------------------


def test_contrast_follows_wcag():
    assert branding.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)
    assert branding.contrast_ratio("#0B5CAD", "#FFFFFF") == pytest.approx(6.7, abs=0.05)  # the portal's blue


@pytest.mark.parametrize("color", ["#767676", "#0B5CAD", "#000000", BRAND_PRIMARY, "#7a1f3d"])
def test_colours_with_enough_contrast_are_accepted(color):
    branding.validate_brand_color(color)


@pytest.mark.parametrize(
    ("color", "ratio"), [("#777777", "4,47"), ("#FFFF00", "1,07"), ("#FFFFFF", "1,00"), ("#2E9BFF", "2,89")]
)
def test_colours_below_aa_are_refused_saying_why(color, ratio):
    with pytest.raises(ValidationError) as exc:
        branding.validate_brand_color(color)

    message = exc.value.messages[0]
    assert f"contraste de {ratio}:1" in message
    assert "al menos 4,5:1 (WCAG AA)" in message


@pytest.mark.parametrize("value", ["red", "#12345", "#1234567", "#GGGGGG", "0B5CAD", "</style><script>", "#0B5CAD\n"])
def test_what_is_not_a_hex_colour_is_refused(value):
    with pytest.raises(ValidationError) as exc:
        branding.validate_brand_color(value)

    assert exc.value.messages == [branding.MSG_COLOR_FORMAT]


def _provider_post(client, provider, **changes):
    data = {k: v for k, v in model_to_dict(provider).items() if v is not None and k != "brand_logo"}
    data.update({"establishments-TOTAL_FORMS": "0", "establishments-INITIAL_FORMS": "0", **changes})
    return client.post(reverse("admin:reclamaciones_provider_change", args=[provider.pk]), data)


def test_the_admin_form_says_in_spanish_why_a_colour_is_refused(admin_client, establishment):
    provider = establishment.provider

    response = _provider_post(admin_client, provider, brand_primary="#FFFF00", brand_accent=BRAND_ACCENT)

    assert response.status_code == 200
    assert "El texto blanco sobre #FFFF00 tiene un contraste de 1,07:1" in response.content.decode()
    provider.refresh_from_db()
    assert (provider.brand_primary, provider.brand_accent) == ("", "")


# Logo ------------------------------------------------------------------------------------------------------------


def _upload(data: bytes, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camara Secreta"  # Make
    exif[0x8825] = {2: (12.0, 3.0, 0.0)}  # GPS
    return image_bytes("JPEG", exif=exif.tobytes())


def test_a_jpeg_becomes_a_small_png_without_its_metadata():
    original = _jpeg_with_exif()
    assert b"Camara Secreta" in original

    logo = branding.logo_reencode(_upload(original, "logo.jpg", "image/jpeg"))

    data = logo.read()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == (800, 200)  # 1600×400 fitted in 800×200
        assert not image.getexif()
        assert not image.info.get("exif")
    assert b"Camara Secreta" not in data
    assert re.fullmatch(r"[0-9a-f]{20}\.png", logo.name)


def test_png_text_chunks_do_not_survive():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    logo = branding.logo_reencode(_upload(image_bytes("PNG", size=(300, 100), mode="RGBA", pnginfo=info)))

    data = logo.read()
    assert b"<script>" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (300, 100)
        assert image.mode == "RGBA"


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing width×height, with a tiny compressed body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="10" height="10"/></svg>'


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (SVG, "logo.svg", branding.MSG_LOGO_TYPE),
        (SVG, "logo.png", branding.MSG_LOGO_TYPE),  # renamed
        (b"GIF89a" + b"\x00" * 100, "logo.png", branding.MSG_LOGO_TYPE),
        (b"%PDF-1.4\n" + image_bytes("PNG", size=(10, 10)), "logo.png", branding.MSG_LOGO_TYPE),  # polyglot
        (image_bytes("PNG", size=(400, 100))[:200], "logo.png", branding.MSG_LOGO_TYPE),  # truncated
        (image_bytes("GIF", size=(40, 10)), "logo.gif", branding.MSG_LOGO_TYPE),
        (b"", "logo.png", branding.MSG_LOGO_TYPE),
        (_bomb_png(50_000, 50_000), "logo.png", branding.MSG_LOGO_TOO_MANY_PIXELS),
        (_bomb_png(5_000, 4_000), "logo.png", branding.MSG_LOGO_TOO_MANY_PIXELS),  # above the setting only
    ],
    ids=["svg", "renamed-svg", "fake-gif", "pdf-polyglot", "truncated", "gif", "empty", "bomb", "too-many-pixels"],
)
def test_hostile_logos_are_refused_in_spanish(data, name, message):
    with pytest.raises(ValidationError) as exc:
        branding.logo_reencode(_upload(data, name))

    assert exc.value.messages[0].startswith(message)


def test_a_heavy_logo_is_refused_before_it_is_decoded(settings):
    settings.RECLAMACIONES_BRAND_LOGO_MAX_BYTES = 2048

    with pytest.raises(ValidationError) as exc:
        branding.logo_reencode(_upload(b"\x89PNG" + b"\x00" * 4096))

    assert exc.value.messages == ["El logo pesa más de 2 KB. Súbelo en un tamaño menor."]


def test_the_admin_stores_the_reencoded_logo_and_the_colours(admin_client, establishment, logo_storage):
    provider = establishment.provider

    response = _provider_post(
        admin_client,
        provider,
        brand_primary=BRAND_PRIMARY,
        brand_accent=BRAND_ACCENT,
        brand_logo=_upload(_jpeg_with_exif(), "logo.jpg", "image/jpeg"),
    )

    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.brand_primary, provider.brand_accent) == (BRAND_PRIMARY, BRAND_ACCENT)
    assert provider.brand_logo.name.startswith("marcas/")
    assert provider.brand_logo.name.endswith(".png")
    page = admin_client.get(reverse("admin:reclamaciones_provider_change", args=[provider.pk])).content.decode()
    assert f'href="{branding.brand_logo_url(provider)}"' in page  # the current logo, through the public view
    stored = logo_storage.open(provider.brand_logo.name).read()
    assert stored.startswith(b"\x89PNG")
    assert b"Camara Secreta" not in stored


def test_the_admin_refuses_an_svg_logo_in_spanish(admin_client, establishment, logo_storage):
    response = _provider_post(admin_client, establishment.provider, brand_logo=_upload(SVG, "logo.svg", "image/svg"))

    assert response.status_code == 200
    assert "El logo debe ser una imagen PNG o JPEG (no se aceptan SVG" in response.content.decode()
    establishment.provider.refresh_from_db()
    assert not establishment.provider.brand_logo


def _branded(provider, storage=None) -> Provider:
    provider.brand_primary, provider.brand_accent = BRAND_PRIMARY, BRAND_ACCENT
    if storage is not None:
        provider.brand_logo = branding.logo_reencode(_upload(image_bytes("PNG", size=(400, 100))))
    provider.save()
    return provider


def test_the_logo_is_served_through_the_storage_api(client, establishment, logo_storage):
    provider = _branded(establishment.provider, logo_storage)
    url = branding.brand_logo_url(provider)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response["Cache-Control"]
    assert b"".join(response).startswith(b"\x89PNG")
    assert client.get(reverse("reclamaciones:brand-logo", args=[ProviderFactory().pk])).status_code == 404
    assert client.get("/marca/999999/logo.png").status_code == 404


# On the public pages ---------------------------------------------------------------------------------------------


def _assert_branded(html: str, provider) -> None:
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style
    assert f"--bs-primary: {BRAND_PRIMARY}" in style.group(1)
    assert f"--lr-accent: {BRAND_ACCENT}" in html
    assert f'src="{branding.brand_logo_url(provider)}"' in html


@pytest.fixture
def branded(establishment, logo_storage):
    _branded(establishment.provider, logo_storage)
    return establishment


def test_the_form_and_the_filed_sheet_wear_the_brand_and_keep_the_legal_texts(client, branded):
    form = client.get(reverse("reclamaciones:file", args=[branded.slug])).content.decode()
    _assert_branded(form, branded.provider)
    for text in (FOOTNOTE_NOT_PRIOR_STEP, FOOTNOTE_DEADLINE, "1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE"):
        assert text in form

    filed = _post(client, branded, _filing_data(), follow=True).content.decode()
    _assert_branded(filed, branded.provider)
    assert FOOTNOTE_DEADLINE in filed


def test_the_review_step_wears_the_brand(client, branded, settings):
    settings.RECLAMACIONES_RULES_2026 = True

    html = _post(client, branded, _filing_data()).content.decode()

    assert "Revisa y confirma tu hoja" in html
    _assert_branded(html, branded.provider)


def test_tracking_settlement_and_survey_wear_the_brand(client, branded):
    offered = hoja_offered(establishment=branded)
    answered = hoja_answered(establishment=branded)

    tracking = client.get(reverse("reclamaciones:track", args=[offered.tracking_token])).content.decode()
    settlement = client.get(reverse("reclamaciones:settlement", args=[offered.tracking_token])).content.decode()
    survey = client.get(reverse("reclamaciones:track", args=[answered.tracking_token])).content.decode()

    for html in (tracking, settlement, survey):
        _assert_branded(html, branded.provider)
    assert 'id="encuesta"' in survey


def test_the_embedded_book_wears_the_brand(branded):
    html = cookieless().get(embed_url(branded)).content.decode()

    _assert_branded(html, branded.provider)
    assert "brand-band" in html


def test_another_providers_pages_keep_the_portals_look(client, branded):
    plain = EstablishmentFactory()

    html = client.get(reverse("reclamaciones:file", args=[plain.slug])).content.decode()

    assert BRAND_PRIMARY not in html
    assert "/marca/" not in html
    assert "Atención al consumidor" in html


def test_branding_costs_the_tracking_page_no_query(client, branded, django_assert_num_queries):
    hoja = hoja_filed(branded)

    with django_assert_num_queries(TRACKING_QUERIES):
        html = client.get(reverse("reclamaciones:track", args=[hoja.tracking_token])).content.decode()

    _assert_branded(html, branded.provider)


def test_a_colour_written_around_the_validation_never_reaches_the_style(client, establishment):
    Provider.objects.filter(pk=establishment.provider_id).update(brand_primary="</style")

    html = client.get(reverse("reclamaciones:file", args=[establishment.slug])).content.decode()

    assert "--bs-primary" not in html
    assert html.count("</style") == html.count("<style")


# On the PDF ------------------------------------------------------------------------------------------------------


def _pdf_images(data: bytes, tmp_path) -> list[str]:
    tool = shutil.which("pdfimages")
    if not tool:
        _missing("pdfimages (Debian package poppler-utils) is not installed")
    path = tmp_path / "hoja.pdf"
    path.write_bytes(data)
    out = subprocess.run([tool, "-list", str(path)], capture_output=True, check=True).stdout.decode()
    return [line for line in out.splitlines()[2:] if line.split()[2] == "image"]  # not the logo's alpha mask


def test_the_pdf_header_carries_the_logo_and_the_anexo_i_stays(branded, pdftotext, tmp_path):
    hoja = hoja_filed(branded)

    data = pdf.complaint_sheet_pdf(hoja)

    images = _pdf_images(data, tmp_path)
    assert len(images) == 1
    assert images[0].split()[3:5] == ["400", "100"]
    text = subprocess.run([pdftotext, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "LIBRO DE RECLAMACIONES" in text
    assert "HOJA DE RECLAMACIÓN" in text
    assert hoja.display_number in text


def test_the_pdf_of_an_unbranded_provider_has_no_image(establishment, tmp_path):
    assert _pdf_images(pdf.complaint_sheet_pdf(hoja_filed(establishment)), tmp_path) == []


def _count_opens(storage, monkeypatch) -> list[str]:
    opened: list[str] = []
    real_open = storage.open

    def counting_open(name, mode="rb"):
        opened.append(name)
        return real_open(name, mode)

    monkeypatch.setattr(storage, "open", counting_open)
    return opened


def test_the_pdfs_of_one_provider_read_its_logo_from_storage_once(branded, logo_storage, monkeypatch):
    """An evidence bundle renders one PDF per hoja: the logo is read and encoded once, not per PDF."""
    first, second = hoja_filed(branded), hoja_filed(branded)
    opened = _count_opens(logo_storage, monkeypatch)

    pdf.complaint_sheet_pdf(first)
    pdf.complaint_sheet_pdf(second)

    assert opened == [branded.provider.brand_logo.name]


def test_a_new_logo_is_read_again_for_the_pdf(branded, logo_storage, monkeypatch):
    hoja = hoja_filed(branded)
    before = pdf_logo(hoja)
    provider = branded.provider
    provider.brand_logo = branding.logo_reencode(_upload(image_bytes("PNG", size=(200, 100))))
    provider.save()
    opened = _count_opens(logo_storage, monkeypatch)

    after = pdf_logo(Complaint.objects.select_related("establishment__provider").get(pk=hoja.pk))

    assert after.startswith("data:image/png;base64,")
    assert after != before
    assert opened == [provider.brand_logo.name]


def test_the_pdf_logo_costs_no_query_when_the_provider_is_loaded(branded, django_assert_num_queries):
    hoja = Complaint.objects.select_related("establishment__provider").get(pk=hoja_filed(branded).pk)

    with django_assert_num_queries(0):
        logo = pdf_logo(hoja)

    assert logo.startswith("data:image/png;base64,")


def test_a_logo_missing_from_storage_is_left_out_and_read_again_later(branded, logo_storage):
    hoja = hoja_filed(branded)
    name = branded.provider.brand_logo.name
    data = logo_storage.open(name).read()
    logo_storage.delete(name)

    assert pdf_logo(hoja) == ""  # decoration only: the PDF is still made

    logo_storage.save(name, io.BytesIO(data))
    assert pdf_logo(hoja).startswith("data:image/png;base64,")  # the failure was not cached


# Scope -------------------------------------------------------------------------------------------------------


def test_a_scoped_staff_member_cannot_edit_another_providers_branding(client, establishment, logo_storage):
    other = EstablishmentFactory(provider=ProviderFactory(legal_name="Proveedor Ajeno S.A.C."))
    supervisor = staff_user(
        "sara", Role.SUPERVISOR, establishments=[establishment], perms=["change_provider", "view_provider"]
    )
    client.force_login(supervisor)

    own = client.get(reverse("admin:reclamaciones_provider_change", args=[establishment.provider_id]))
    foreign = client.get(reverse("admin:reclamaciones_provider_change", args=[other.provider_id]))
    posted = _provider_post(
        client, other.provider, brand_primary=BRAND_PRIMARY, brand_logo=_upload(image_bytes("PNG", size=(40, 10)))
    )
    listed = client.get(reverse("admin:reclamaciones_provider_changelist")).content.decode()

    assert own.status_code == 200
    assert foreign.status_code == 302
    assert posted.status_code == 302
    other.provider.refresh_from_db()
    assert other.provider.brand_primary == ""
    assert not other.provider.brand_logo
    assert not logo_storage.exists("marcas") or logo_storage.listdir("marcas") == ([], [])
    assert other.provider.legal_name not in listed
    # The same POST on the supervisor's own provider is saved: the refusal above is the scope's, not a missing
    # permission's.
    assert _provider_post(client, establishment.provider, brand_primary=BRAND_PRIMARY).status_code == 302
    establishment.provider.refresh_from_db()
    assert establishment.provider.brand_primary == BRAND_PRIMARY


def test_the_admin_removes_the_logo(admin_client, establishment, logo_storage):
    provider = _branded(establishment.provider, logo_storage)

    response = _provider_post(admin_client, provider, **{"brand_logo-clear": "on"})

    assert response.status_code == 302
    provider.refresh_from_db()
    assert not provider.brand_logo
    assert branding.brand_of(provider).logo_url == ""


# The old logo's file ------------------------------------------------------------------------------------------


def _logo_file(storage, name: str) -> bool:
    return storage.exists(name)


def test_replacing_the_logo_deletes_the_old_file_once_committed(
    admin_client, establishment, logo_storage, django_capture_on_commit_callbacks
):
    provider = _branded(establishment.provider, logo_storage)
    old = provider.brand_logo.name

    with django_capture_on_commit_callbacks() as callbacks:
        response = _provider_post(admin_client, provider, brand_logo=_upload(image_bytes("PNG", size=(300, 60))))
        assert response.status_code == 302
        assert _logo_file(logo_storage, old)  # not before the new one is committed
    for callback in callbacks:
        callback()

    provider.refresh_from_db()
    assert provider.brand_logo.name != old
    assert not _logo_file(logo_storage, old)
    assert _logo_file(logo_storage, provider.brand_logo.name)


def test_clearing_the_logo_deletes_its_file(
    admin_client, establishment, logo_storage, django_capture_on_commit_callbacks
):
    provider = _branded(establishment.provider, logo_storage)
    old = provider.brand_logo.name

    with django_capture_on_commit_callbacks(execute=True):
        response = _provider_post(admin_client, provider, **{"brand_logo-clear": "on"})

    assert response.status_code == 302
    assert not _logo_file(logo_storage, old)


def test_a_logo_file_another_provider_uses_is_kept(
    admin_client, establishment, logo_storage, django_capture_on_commit_callbacks
):
    provider = _branded(establishment.provider, logo_storage)
    shared = provider.brand_logo.name
    ProviderFactory(brand_logo=shared)  # the same content hash: one file for both

    with django_capture_on_commit_callbacks(execute=True):
        _provider_post(admin_client, provider, **{"brand_logo-clear": "on"})

    assert _logo_file(logo_storage, shared)


def test_the_same_logo_uploaded_again_over_an_overwriting_storage_is_kept(
    admin_client, establishment, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """On a storage that overwrites (an S3 bucket by default), the same logo keeps its name: it is still in use."""
    storage = FileSystemStorage(location=tmp_path / "overwriting", allow_overwrite=True)
    monkeypatch.setattr(Provider._meta.get_field("brand_logo"), "storage", storage)
    logo = image_bytes("PNG", size=(400, 100))
    provider = establishment.provider
    provider.brand_logo = branding.logo_reencode(_upload(logo))
    provider.save()
    name = provider.brand_logo.name

    with django_capture_on_commit_callbacks(execute=True):
        _provider_post(admin_client, provider, brand_logo=_upload(logo))

    provider.refresh_from_db()
    assert provider.brand_logo.name == name
    assert storage.exists(name)


def test_a_refused_logo_deletes_nothing(admin_client, establishment, logo_storage, django_capture_on_commit_callbacks):
    provider = _branded(establishment.provider, logo_storage)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _provider_post(admin_client, provider, brand_logo=_upload(SVG, "logo.svg", "image/svg"))

    assert response.status_code == 200
    assert callbacks == []
    assert _logo_file(logo_storage, provider.brand_logo.name)


# Hostile input in the admin: a Spanish form error, never a 500 ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_bomb_png(50_000, 50_000), branding.MSG_LOGO_TOO_MANY_PIXELS),
        (_bomb_png(5_000, 4_000), branding.MSG_LOGO_TOO_MANY_PIXELS),
        (image_bytes("PNG", size=(400, 100))[:300], branding.MSG_LOGO_TYPE),
    ],
    ids=["bomb", "too-many-pixels", "truncated"],
)
def test_the_admin_refuses_a_hostile_logo_in_spanish(admin_client, establishment, logo_storage, data, message):
    response = _provider_post(admin_client, establishment.provider, brand_logo=_upload(data))

    assert response.status_code == 200
    assert message in response.content.decode()
    establishment.provider.refresh_from_db()
    assert not establishment.provider.brand_logo


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("#" + "0B5CAD" * 20_000, "menos de 7 caracteres"),
        ("#0B5\x00CA", "caracteres nulos"),
        ("<style>", branding.MSG_COLOR_FORMAT),
    ],
    ids=["huge", "nul", "markup"],
)
def test_the_admin_refuses_a_hostile_colour_in_spanish(admin_client, establishment, value, message):
    response = _provider_post(admin_client, establishment.provider, brand_primary=value)

    assert response.status_code == 200
    assert message in response.content.decode()
    establishment.provider.refresh_from_db()
    assert establishment.provider.brand_primary == ""
