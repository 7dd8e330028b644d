"""Issue 14 §5, the copy-paste code in the back office (/gestion/insertar/): per establishment in the user's
scope, the "Libro de Reclamaciones" button with the official icon (also fixed in a corner: Ley 32495, a link
"permanentemente" visible), the iframe, a live preview and the code in a readonly textarea. Plain HTML with inline
CSS, no script, everything it interpolates escaped."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from reclamaciones.access import Role
from reclamaciones.book import embed

from ..factories import EstablishmentFactory, ProviderFactory, staff_user
from .embed_support import PORTAL, STORE

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture
def shop(db):
    return EstablishmentFactory(name="Tienda en línea", embed_origins=STORE, kind="virtual")


def _textareas(html: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in re.findall(r'<textarea[^>]*id="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)}


def test_a_supervisor_lists_only_the_establishments_in_scope(client, shop):
    other = EstablishmentFactory(name="Sede ajena")
    client.force_login(staff_user("sara", Role.SUPERVISOR, establishments=[shop]))

    html = client.get(reverse("staff:embed-list")).content.decode()

    assert "Tienda en línea" in html
    assert "Sede ajena" not in html
    assert reverse("staff:embed-detail", args=[shop.pk]) in html
    assert reverse("staff:embed-detail", args=[other.pk]) not in html
    assert 'href="/gestion/insertar/"' in html  # the nav link


def test_another_establishments_snippet_page_is_a_404(client, shop):
    other = EstablishmentFactory()
    client.force_login(staff_user("sara", Role.COMPLIANCE, establishments=[shop]))

    assert client.get(reverse("staff:embed-detail", args=[shop.pk])).status_code == 200
    assert client.get(reverse("staff:embed-detail", args=[other.pk])).status_code == 404
    assert client.get("/gestion/insertar/999999/").status_code == 404


def test_agents_are_told_it_is_not_their_page_and_strangers_must_log_in(client, shop):
    client.force_login(staff_user("ana", Role.AGENT, establishments=[shop]))
    agent = client.get(reverse("staff:embed-list"))
    client.logout()
    anonymous = client.get(reverse("staff:embed-detail", args=[shop.pk]))

    assert agent.status_code == 403
    assert "Libro en tu web" not in agent.content.decode()
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("staff:login"))


def test_the_snippets_are_plain_html_linking_to_the_hosted_book(client, shop):
    client.force_login(staff_user("sara", Role.SUPERVISOR, establishments=[shop]))

    response = client.get(reverse("staff:embed-detail", args=[shop.pk]))

    codes = _textareas(response.content.decode())
    hosted = PORTAL + reverse("reclamaciones:embed", args=[shop.slug])
    assert set(codes) == {"codigo-boton", "codigo-fijo", "codigo-iframe"}
    assert f'href="{hosted}"' in codes["codigo-boton"]
    assert f'src="{PORTAL}/libro/icono.svg"' in codes["codigo-boton"]
    assert "Libro de Reclamaciones</a>" in codes["codigo-boton"]
    assert "position:fixed" in codes["codigo-fijo"]
    assert "position:fixed" not in codes["codigo-boton"]
    assert f'<iframe src="{hosted}"' in codes["codigo-iframe"]
    for code in codes.values():
        assert "<script" not in code.lower()
    assert response["X-Frame-Options"] == "DENY"  # the back office itself is never framed


def test_the_page_has_a_live_preview_and_a_copy_button_that_needs_no_javascript(client, shop):
    client.force_login(staff_user("sara", Role.SUPERVISOR, establishments=[shop]))

    html = client.get(reverse("staff:embed-detail", args=[shop.pk])).content.decode()

    preview = reverse("reclamaciones:embed", args=[shop.slug])
    assert f'<iframe src="{preview}"' in html  # relative: this page's CSP allows only 'self'
    assert html.count("readonly") >= 3
    assert 'data-copy="codigo-boton" hidden' in html  # shown by embed-copy.js; without it, the textarea
    assert STORE in html


def test_a_missing_origin_is_explained(client):
    shop = EstablishmentFactory(embed_origins="")
    client.force_login(staff_user("sara", Role.SUPERVISOR, establishments=[shop]))

    html = client.get(reverse("staff:embed-detail", args=[shop.pk])).content.decode()

    assert "Todavía no hay sitios autorizados" in html


def test_everything_interpolated_is_escaped(client):
    provider = ProviderFactory(trade_name=HOSTILE_NAME)
    shop = EstablishmentFactory(provider=provider, name=HOSTILE_NAME)
    client.force_login(staff_user("sara", Role.SUPERVISOR, establishments=[shop]))

    html = client.get(reverse("staff:embed-detail", args=[shop.pk])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    codes = _textareas(html)
    assert "<script>" not in codes["codigo-iframe"]
    assert 'title="Libro de Reclamaciones de &quot;&gt;&lt;script&gt;' in codes["codigo-iframe"]
    button = embed.snippet_button(shop, base=PORTAL)
    assert "<script>" not in button
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in button


def test_the_button_uses_the_brand_colour_or_the_portals_blue(shop):
    assert "background:#0B5CAD" in embed.snippet_button(shop, base=PORTAL)

    shop.provider.brand_accent = "#1F5F3A"
    assert "background:#1F5F3A" in embed.snippet_button(shop, base=PORTAL)


# The icon at a stable URL ------------------------------------------------------------------------------------------


def test_the_pasted_icon_url_does_not_depend_on_the_static_files_hashes(shop, settings):
    """Pasted code is never updated: with the production static storage (names carry a content hash, so a new icon
    is a new name) the snippet still names the stable /libro/icono.svg."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    for code in (embed.snippet_button(shop, base=PORTAL), embed.snippet_button(shop, base=PORTAL, fixed=True)):
        assert f'<img src="{PORTAL}/libro/icono.svg"' in code
        assert "/static/" not in code


def test_the_icon_is_served_at_its_stable_url_with_long_public_caching(client):
    response = client.get("/libro/icono.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["X-Content-Type-Options"] == "nosniff"
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "public" in cache
    assert "max-age=604800" in cache
    assert "immutable" not in cache  # the URL stays when the icon changes
    with open(finders.find("img/libro-icon.svg"), "rb") as icon:
        assert b"".join(response) == icon.read()
    assert "Set-Cookie" not in response
    assert reverse("reclamaciones:book-icon") == "/libro/icono.svg"


def test_the_icon_answers_a_revalidation_and_nothing_but_reads(client):
    etag = client.get("/libro/icono.svg")["ETag"]

    assert client.get("/libro/icono.svg", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.head("/libro/icono.svg").status_code == 200
    assert client.post("/libro/icono.svg").status_code == 405
