"""Issue 14 §1 in a real browser (Chromium at a phone's 390 px): the file input is labelled, states its limits,
is reached with the keyboard, and a refused file's message sits next to it; a valid file is filed with the hoja and
listed on the confirmation page. Screenshots go to /tmp (look at them)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from reclamaciones.book.models import Complaint

from ..conftest import _missing
from ..factories import VALID_FILING, EstablishmentFactory
from .attachment_support import attachments_storage_use, jpeg_bytes

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(tempfile.gettempdir()) / "attachments-screenshots"  # never in the repository

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        _missing("browser tests need Debian's chromium (apt-get install chromium)")
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    flags += ["--disable-sync", "--no-first-run", "--disable-quic"]
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": flags}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "locale": "es-PE"}


@pytest.fixture
def attachments_dir(settings, tmp_path):
    return attachments_storage_use(settings, tmp_path)


def _fill_required(page) -> None:
    page.fill("#id_consumer_name", VALID_FILING["consumer_name"])
    page.fill("#id_doc_number", VALID_FILING["doc_number"])
    page.fill("#id_consumer_email", VALID_FILING["consumer_email"])
    page.fill("#id_detail", VALID_FILING["detail"])


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def test_a_phone_user_attaches_with_the_keyboard_sees_a_refusal_by_the_field_and_files(
    page, live_server, attachments_dir, tmp_path
):
    establishment = EstablishmentFactory()
    photo, fake = tmp_path / "foto.jpg", tmp_path / "boleta.pdf"
    photo.write_bytes(jpeg_bytes())
    fake.write_bytes(b"MZ not a pdf")
    page.goto(live_server.url + reverse("reclamaciones:file", args=[establishment.slug]))

    # The field is labelled, says its limits, and the keyboard reaches it right after "Pedido".
    file_input = page.locator("#id_attachments")
    assert page.locator("label[for=id_attachments]").inner_text().strip() == "Documentos de sustento"
    assert "Hasta 3 archivos PDF, JPG o PNG de 5,0 MB" in page.locator("#id_attachments_helptext").inner_text()
    page.focus("#id_request")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_attachments"
    box = file_input.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390  # fits the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing scrolls sideways

    _fill_required(page)
    file_input.set_input_files([str(fake)])
    page.click("#enviar")
    page.wait_for_load_state()
    error = page.locator("#div_id_attachments .invalid-feedback")
    assert "«boleta.pdf» no es un PDF, JPG ni PNG" in error.inner_text()
    _shot(page, "refused")
    assert not Complaint.objects.exists()

    page.locator("#id_attachments").set_input_files([str(photo)])
    page.click("#enviar")
    page.wait_for_url("**/registrada/")
    assert "DOCUMENTOS ADJUNTOS POR EL CONSUMIDOR" in page.content()
    assert page.locator(".attachment-list a", has_text="foto.jpg").is_visible()
    _shot(page, "filed")
    assert [a.original_name for a in Complaint.objects.get().attachments.all()] == ["foto.jpg"]


def test_with_the_2026_rules_the_review_page_lists_the_documents_and_confirming_files_them(
    page, live_server, attachments_dir, tmp_path, settings
):
    settings.RECLAMACIONES_RULES_2026 = True
    establishment = EstablishmentFactory()
    photo = tmp_path / "captura del pedido.jpg"
    photo.write_bytes(jpeg_bytes())
    page.goto(live_server.url + reverse("reclamaciones:file", args=[establishment.slug]))
    _fill_required(page)
    page.locator("#id_attachments").set_input_files([str(photo)])

    page.click("#enviar")  # "Revisar mi hoja"
    page.wait_for_selector("#confirmar")
    assert page.locator(".attachment-list", has_text="captura del pedido.jpg").is_visible()
    assert page.locator(".attachment-list a").count() == 0  # nothing to download before it is filed
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "review")
    assert not Complaint.objects.exists()

    page.focus("#confirmar")
    page.keyboard.press("Enter")
    page.wait_for_url("**/registrada/")
    assert [a.original_name for a in Complaint.objects.get().attachments.all()] == ["captura del pedido.jpg"]
