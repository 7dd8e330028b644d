"""Issue 14 §5: the book inside an online store's page, in a real browser. The store is a tiny page served on
another origin (another port and host name: a cross-site iframe, where our cookies are third-party); the consumer
files through the iframe on a phone-sized screen, with and without the review step, after every cookie was
dropped. Screenshots go to /tmp/embed-screens (look at them)."""

from __future__ import annotations

import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from reclamaciones.book import embed
from reclamaciones.book.branding import logo_reencode
from reclamaciones.book.models import Complaint

from ..book.embed_support import image_bytes, logo_storage_use
from ..factories import EstablishmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENS = Path(tempfile.gettempdir()) / "embed-screens"  # never in the repository


@pytest.fixture
def store_page():
    """A store's page on 127.0.0.1:<port> holding `html` (set by the test)."""
    page_html = {"body": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page_html["body"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", page_html
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _logos(tmp_path, monkeypatch):
    logo_storage_use(tmp_path, monkeypatch)


def _store(live_server, settings, store_page, *, origins: bool = True):
    settings.PORTAL_BASE_URL = live_server.url
    store_origin, page_html = store_page
    shop = EstablishmentFactory(
        name="Tienda online", slug="tienda-online", embed_origins=store_origin if origins else ""
    )
    shop.provider.brand_primary, shop.provider.brand_accent = "#7A1F3D", "#1F5F3A"
    shop.provider.brand_logo = logo_reencode(SimpleUploadedFile("logo.png", image_bytes("PNG", size=(480, 120))))
    shop.provider.save()
    page_html["body"] = (
        "<!doctype html><html lang='es'><head><meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Mi tienda</title></head><body style='margin:0;font-family:sans-serif'>"
        "<h1 style='font-size:18px;padding:8px'>Mi tienda: ayuda</h1>"
        + embed.snippet_iframe(shop, base=live_server.url)
        + embed.snippet_button(shop, base=live_server.url, fixed=True)
        + "</body></html>"
    )
    return store_origin, shop


def _fill(frame) -> None:
    frame.get_by_label("Nombre completo").fill("María Núñez Ñahui")
    frame.get_by_label("Número de documento").fill("45805689")
    frame.get_by_label("Correo electrónico", exact=True).fill("maria@example.pe")
    frame.get_by_label("RECLAMO").check()
    frame.get_by_label("Detalle").fill("El pedido llegó incompleto y nadie me respondió.")
    frame.get_by_label("Pedido").fill("Que me envíen lo que falta.")


@pytest.mark.parametrize("review_step", [False, True], ids=["files-at-once", "review-step"])
def test_a_consumer_files_inside_the_stores_iframe_without_cookies(
    page, live_server, settings, store_page, review_step
):
    settings.RECLAMACIONES_RULES_2026 = review_step
    store_origin, shop = _store(live_server, settings, store_page)
    SCREENS.mkdir(exist_ok=True)
    page.set_viewport_size(PHONE)
    page.goto(store_origin)
    frame = page.frame_locator("iframe")
    expect(frame.get_by_text("1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE")).to_be_visible()
    page.screenshot(path=SCREENS / f"store-{review_step}.png")

    _fill(frame)
    page.context.clear_cookies()  # whatever the browser kept, the flow must not need it
    if review_step:
        frame.get_by_role("button", name="Revisar mi hoja").click()
        expect(frame.get_by_role("heading", name="Revisa y confirma tu hoja")).to_be_visible()
        page.context.clear_cookies()
        frame.get_by_role("button", name="Confirmar y enviar mi hoja").click()
    else:
        frame.get_by_role("button", name="Enviar hoja de reclamación").click()

    # Filing renders and e-mails the PDF copy in the request (eager Celery in tests): a loaded machine is slow.
    expect(frame.get_by_role("heading", name="Registramos tu reclamo")).to_be_visible(timeout=30_000)
    complaint = Complaint.objects.get()
    assert complaint.establishment == shop
    expect(frame.locator("body")).to_contain_text(f"Nº {complaint.display_number}")
    assert page.url.rstrip("/") == store_origin  # the store's page never navigated away
    page.screenshot(path=SCREENS / f"filed-{review_step}.png")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_browser_refuses_to_show_the_book_in_an_undeclared_site(page, live_server, settings, store_page):
    store_origin, _ = _store(live_server, settings, store_page, origins=False)

    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.goto(store_origin)

    assert "IDENTIFICACIÓN DEL CONSUMIDOR" not in page.frames[1].content()


def test_the_fixed_button_opens_the_book_from_any_page(page, live_server, settings, store_page):
    store_origin, shop = _store(live_server, settings, store_page)
    page.set_viewport_size(PHONE)
    page.goto(store_origin)

    button = page.get_by_role("link", name="Libro de Reclamaciones")
    expect(button.locator("img")).to_have_attribute("src", live_server.url + "/libro/icono.svg")
    assert button.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")  # loaded cross-site
    box = button.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"]  # in the corner of the screen, without scrolling
    with page.context.expect_page() as opened:
        button.click()
    book = opened.value
    book.wait_for_load_state()
    assert book.url == live_server.url + reverse("reclamaciones:embed", args=[shop.slug])


def test_the_snippet_page_previews_the_book_and_copies_the_code(page, live_server, settings, store_page):
    from django.conf import settings as django_settings
    from django.test import Client

    from reclamaciones.access import Role

    from ..factories import staff_user

    _, shop = _store(live_server, settings, store_page)
    client = Client()
    client.force_login(staff_user("sara", Role.SUPERVISOR, establishments=[shop]))
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    page.goto(live_server.url + reverse("staff:embed-detail", args=[shop.pk]))

    preview = page.frame_locator(".embed-preview-frame iframe")
    expect(preview.get_by_text("1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE")).to_be_visible()  # framed by 'self'
    page.get_by_role("button", name="Copiar código").first.click()
    expect(page.locator('[data-copy-status="codigo-boton"]')).to_have_text("Copiado.")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#codigo-boton").input_value()
    page.screenshot(path=SCREENS / "snippet-page.png", full_page=True)


def test_the_branded_public_form_on_a_desktop(page, live_server, settings, store_page):
    _, shop = _store(live_server, settings, store_page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(live_server.url + reverse("reclamaciones:file", args=[shop.slug]))

    expect(page.locator("header img.brand-logo")).to_be_visible()
    assert page.evaluate("document.querySelector('header img.brand-logo').naturalWidth") == 480
    assert page.evaluate("getComputedStyle(document.querySelector('#enviar')).backgroundColor") == "rgb(122, 31, 61)"
    page.screenshot(path=SCREENS / "branded-form.png")
