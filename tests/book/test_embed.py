"""Issue 14 §5, the embedded book (/libro/<slug>/insertado/): the public filing flow inside a store's iframe.
It may be framed only by the establishment's declared origins; it files without any cookie (a cross-site iframe
gets none), protected by a signed, time-limited form token bound to the establishment and an Origin check; every
other page stays unframeable."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import reverse

from reclamaciones.book import embed
from reclamaciones.book.models import Complaint, ComplaintEvent

from ..factories import EstablishmentFactory, hoja_filed
from .embed_support import PORTAL, STORE, cookieless, csp, embed_url, form_token
from .public_support import _assert_nothing_filed, _filing_data

pytestmark = pytest.mark.django_db

OTHER_STORE = "https://otra-tienda.example.com"


@pytest.fixture
def store(db):
    return EstablishmentFactory(embed_origins=f"{STORE}\nhttp://localhost:8081\n")


@pytest.fixture
def rules_2026(settings):
    settings.RECLAMACIONES_RULES_2026 = True


def _open(store) -> str:
    """The embedded form's page, as the iframe loads it (no cookie)."""
    response = cookieless().get(embed_url(store))
    assert response.status_code == 200
    return response.content.decode()


def _send(store, data: dict, *, origin: str | None = PORTAL, **extra):
    """POST from a fresh client: no cookie of any kind, CSRF enforced."""
    if origin is not None:
        extra["HTTP_ORIGIN"] = origin
    client = cookieless()
    response = client.post(embed_url(store), data, **extra)
    assert not client.cookies.get("sessionid")
    return response


# Framing -------------------------------------------------------------------------------------------------------


def test_the_embedded_book_may_be_framed_only_by_the_declared_origins(store):
    response = cookieless().get(embed_url(store))

    assert "X-Frame-Options" not in response
    assert csp(response)["frame-ancestors"] == f"'self' {STORE} http://localhost:8081"


def test_without_declared_origins_only_the_portal_itself_may_frame_it(establishment):
    response = cookieless().get(embed_url(establishment))

    assert csp(response)["frame-ancestors"] == "'self'"


@pytest.mark.parametrize("name", ["file", "lookup", "book-index", "home"])
def test_every_other_public_page_stays_unframeable(client, store, name):
    url = reverse(f"reclamaciones:{name}", args=[store.slug] if name == "file" else [])

    response = client.get(url, follow=name == "book-index")

    assert response["X-Frame-Options"] == "DENY"
    assert csp(response)["frame-ancestors"] == "'none'"


def test_the_tracking_page_of_an_embedded_filing_stays_unframeable(client, store):
    hoja = hoja_filed(store)

    response = client.get(reverse("reclamaciones:track", args=[hoja.tracking_token]))

    assert response["X-Frame-Options"] == "DENY"
    assert csp(response)["frame-ancestors"] == "'none'"


def test_the_embedded_page_is_the_compact_public_form(store):
    html = _open(store)

    assert 'id="hoja-form"' in html
    assert "1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE" in html
    assert "embed-header" in html
    assert "Atención al consumidor" not in html
    assert form_token(html) == form_token(html, "confirmar-form")  # the review step's form gets it too


# Filing without cookies -----------------------------------------------------------------------------------------


def test_the_portal_form_refuses_a_cookieless_post_but_the_embed_files_it(store, mailoutbox):
    refused = cookieless().post(reverse("reclamaciones:file", args=[store.slug]), _filing_data(), HTTP_ORIGIN=PORTAL)
    assert refused.status_code == 403  # Django's CSRF check: the cookie is missing
    assert Complaint.objects.count() == 0

    token = form_token(_open(store))
    response = _send(store, {**_filing_data(), embed.TOKEN_FIELD: token})

    hoja = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reclamaciones:embed-filed", args=[store.slug, hoja.tracking_token])
    assert hoja.establishment == store
    assert csp(response)["frame-ancestors"] == f"'self' {STORE} http://localhost:8081"


def test_the_filed_sheet_is_shown_inside_the_frame(store):
    token = form_token(_open(store))
    location = _send(store, {**_filing_data(), embed.TOKEN_FIELD: token})["Location"]

    response = cookieless().get(location)

    hoja = Complaint.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert csp(response)["frame-ancestors"] == f"'self' {STORE} http://localhost:8081"
    assert hoja.display_number in html
    assert "Registramos tu reclamo" in html
    assert "embed-header" in html


def test_with_the_review_step_the_embed_reviews_then_files(store, rules_2026):
    token = form_token(_open(store))
    data = {**_filing_data(detail="Me cobraron dos veces <script>alert(1)</script>"), embed.TOKEN_FIELD: token}

    review = _send(store, data)

    html = review.content.decode()
    assert review.status_code == 200
    assert "Revisa y confirma tu hoja" in html
    assert "<script>alert(1)</script>" not in html
    assert Complaint.objects.count() == 0
    confirm_token = form_token(html, "confirmar-form")

    filed = _send(store, {**data, "accion": "confirmar", embed.TOKEN_FIELD: confirm_token})

    assert filed.status_code == 302
    hoja = Complaint.objects.get()
    assert ComplaintEvent.objects.get(complaint=hoja, type="filed").data["confirmation"]["confirmed"] is True


def test_a_declared_origin_and_the_portals_referer_are_accepted(store):
    token = form_token(_open(store))

    from_store = _send(store, {**_filing_data(), embed.TOKEN_FIELD: token}, origin=STORE)
    referer_only = _send(
        store, {**_filing_data(), embed.TOKEN_FIELD: token}, origin=None, HTTP_REFERER=PORTAL + embed_url(store)
    )

    assert (from_store.status_code, referer_only.status_code) == (302, 302)
    assert Complaint.objects.count() == 2


# Refusals: clear Spanish 4xx, nothing filed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": OTHER_STORE},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "https://tienda.example.pe.evil.example"},
        {"HTTP_REFERER": OTHER_STORE + "/pagina"},
        {},
    ],
    ids=["foreign", "null", "lookalike", "foreign-referer", "none"],
)
def test_a_post_from_a_foreign_origin_is_refused(store, mailoutbox, headers):
    token = form_token(_open(store))

    response = _send(store, {**_filing_data(), embed.TOKEN_FIELD: token}, origin=None, **headers)

    assert response.status_code == 403
    assert embed.MSG_FOREIGN_ORIGIN in response.content.decode()
    _assert_nothing_filed(mailoutbox)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, other: "",
        lambda token, other: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token, other: embed.token_new(establishment=other),
        lambda token, other: signing.TimestampSigner(salt="otra-cosa").sign(str(other.pk)),
        lambda token, other: "x\x00<script>" * 5000,
    ],
    ids=["missing", "tampered", "other-establishment", "other-salt", "hostile"],
)
def test_a_missing_tampered_or_foreign_token_is_refused(store, mailoutbox, forge):
    token = form_token(_open(store))
    other = EstablishmentFactory()

    response = _send(store, {**_filing_data(), embed.TOKEN_FIELD: forge(token, other)})

    html = response.content.decode()
    assert response.status_code == 403
    assert embed.MSG_FORM_INVALID in html
    assert "<script>" not in html.split("</head>")[1].replace("<script src=", "")
    _assert_nothing_filed(mailoutbox)


def test_an_expired_token_sends_the_form_back_with_what_was_written(store, settings, mailoutbox):
    token = form_token(_open(store))
    settings.RECLAMACIONES_EMBED_TOKEN_MAX_AGE = -1  # every token is now past its age
    data = {**_filing_data(detail="Pedí una devolución hace un mes."), embed.TOKEN_FIELD: token}

    response = _send(store, data)

    html = response.content.decode()
    assert response.status_code == 403
    assert embed.MSG_FORM_EXPIRED in html
    assert "Pedí una devolución hace un mes." in html
    _assert_nothing_filed(mailoutbox)

    settings.RECLAMACIONES_EMBED_TOKEN_MAX_AGE = 3600
    again = _send(store, {**data, embed.TOKEN_FIELD: form_token(html)})
    assert again.status_code == 302
    assert Complaint.objects.count() == 1


def test_an_unknown_or_inactive_establishment_is_a_404(store):
    store.is_active = False
    store.save()

    assert cookieless().get(embed_url(store)).status_code == 404
    assert cookieless().get("/libro/no-existe/insertado/").status_code == 404


def test_the_filed_page_of_another_establishments_hoja_is_a_404(store):
    other = hoja_filed(EstablishmentFactory())

    response = cookieless().get(reverse("reclamaciones:embed-filed", args=[store.slug, other.tracking_token]))

    assert response.status_code == 404


# Declared origins ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://Tienda.example.pe", "https://tienda.example.pe"),
        ("https://tienda.example.pe/", "https://tienda.example.pe"),
        ("https://tienda.example.pe:8443", "https://tienda.example.pe:8443"),
        ("https://tienda.example.pe:443", "https://tienda.example.pe"),  # as browsers send it
        ("http://localhost:8081", "http://localhost:8081"),
        ("http://tienda.example.pe", None),  # plain http only for local development
        ("https://tienda.example.pe/libro", None),
        ("https://*.example.pe", None),
        ("https://user:clave@tienda.example.pe", None),
        ("javascript:alert(1)", None),
        ("https://tienda.example.pe?x=1", None),
        ("https://tienda.example.pe\x00", None),
        ("'none'", None),
        ("https://tienda.example.pe; script-src *", None),
        # What would end up in the CSP header as something else than one host: a directive, a second source,
        # characters no host has, a header that is not Latin-1.
        ("https://tienda.example.pe;script-src", None),
        ("https://tienda.example.pe,https://otra.example.pe", None),
        ("https://tienda'self'.example.pe", None),
        ('https://tienda".example.pe', None),
        ("https://tienda_online.example.pe", None),
        ("https://%74ienda.example.pe", None),
        ("https://tienda.example.pe\\x", None),
        ("https://-tienda.example.pe", None),
        ("https://tienda..example.pe", None),
        ("https://[fe80::1%25eth0]", None),
        ("https://tienda\u2028.example.pe", None),
        ("https://tienda\u00a0.example.pe", None),
        ("https://tienda.example.pe:0", None),
        ("https://" + "a" * 64 + ".example.pe", None),
        ("https://" + "a" * 3000 + ".pe", None),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("http://[::1]:8081", "http://[::1]:8081"),
        ("https://ñandú.example.pe", "https://xn--and-6ma2c.example.pe"),  # as browsers send it
    ],
)
def test_declared_origins_are_exact_origins(value, expected):
    assert embed.origin_normalize(value) == expected


def test_the_admin_refuses_an_origin_that_is_not_one(admin_client, store):
    url = reverse("admin:reclamaciones_establishment_change", args=[store.pk])
    page = admin_client.get(url)
    assert page.status_code == 200

    from django.forms.models import model_to_dict

    data = {k: v for k, v in model_to_dict(store).items() if v is not None}
    data.update(provider=store.provider_id, embed_origins="https://tienda.example.pe/checkout")
    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "«https://tienda.example.pe/checkout» no es un origen válido" in response.content.decode()
    store.refresh_from_db()
    assert store.embed_origins.startswith(STORE + "\n")


def _establishment_post(client, store, **changes):
    from django.forms.models import model_to_dict

    url = reverse("admin:reclamaciones_establishment_change", args=[store.pk])
    data = {k: v for k, v in model_to_dict(store).items() if v is not None}
    data.update(provider=store.provider_id, **changes)
    return client.post(url, data)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"{STORE}\n\x00https://x.example.pe", "Los caracteres nulos no están permitidos."),
        ("\n".join(f"https://t{i}.example.pe" for i in range(10_000)), "Declara como máximo 20 sitios"),
        ("\n" * 10_000 + "https://" + "a" * 20_000 + ".pe", "no es un origen válido"),
        (f"{STORE};script-src", f"«{STORE};script-src» no es un origen válido"),
    ],
    ids=["nul", "10000-lines", "huge", "csp-injection"],
)
def test_the_admin_refuses_hostile_origins_in_spanish(admin_client, store, value, message):
    response = _establishment_post(admin_client, store, embed_origins=value)

    assert response.status_code == 200
    assert message in response.content.decode()
    store.refresh_from_db()
    assert store.embed_origins.startswith(STORE + "\n")


def test_twenty_origins_are_accepted(admin_client, store):
    value = "\n".join(f"https://t{i}.example.pe" for i in range(embed.EMBED_ORIGINS_MAX))

    response = _establishment_post(admin_client, store, embed_origins=value)

    assert response.status_code == 302
    store.refresh_from_db()
    assert len(embed.origins_of(store)) == embed.EMBED_ORIGINS_MAX


def test_origins_written_around_the_validation_never_break_the_page(store):
    """Rows written without the admin (a script, a data fix): the header stays one bounded, valid directive."""
    hostile = "\n".join([f"https://t{i}.example.pe" for i in range(10_000)] + ["https://a.pe;script-src *"])
    type(store).objects.filter(pk=store.pk).update(embed_origins=hostile)

    response = cookieless().get(embed_url(store))

    assert response.status_code == 200
    ancestors = csp(response)["frame-ancestors"].split()
    assert ancestors[0] == "'self'"
    assert len(ancestors) == 1 + embed.EMBED_ORIGINS_MAX
    assert "script-src" not in response["Content-Security-Policy"].replace("script-src 'self'", "")


@pytest.mark.parametrize(
    "referer",
    ["http://[::1", "https://[fe80::1%zz]/", "\x00", "https://" + "a" * 10_000],
    ids=["bad-ipv6", "zone", "nul", "long"],
)
def test_a_hostile_referer_is_refused_not_a_500(store, mailoutbox, referer):
    token = form_token(_open(store))

    response = _send(store, {**_filing_data(), embed.TOKEN_FIELD: token}, origin=None, HTTP_REFERER=referer)

    assert response.status_code == 403
    assert embed.MSG_FOREIGN_ORIGIN in response.content.decode()
    _assert_nothing_filed(mailoutbox)


def test_a_logo_of_an_impossible_provider_is_a_404(client):
    assert client.get("/marca/99999999999999999999999/logo.png").status_code == 404
