"""The privacy notice per provider (Ley 29733 art. 18; legal-peru.md §5): /privacidad/<RUC>/ tells who is
responsible, for what, who receives the data, the data bank, what is mandatory, how long it is kept, the ARCO
rights and the authority; /privacidad/ is that page with one provider and the list with several; the form
links to its provider's page. Information only: nothing to accept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reclamaciones.book.views import years_phrase

from ..factories import EstablishmentFactory, ProviderFactory
from .public_support import _between, _form_url, _html, _links, _text

pytestmark = pytest.mark.django_db


def _policy_url(provider) -> str:
    return reverse("reclamaciones:privacy-provider", args=[provider.ruc])


def _main(response) -> str:
    return _between(_html(response), "<main", "</main>")


def test_the_provider_page_tells_everything_article_18_asks_for(client, establishment):
    provider = establishment.provider
    provider.trade_name = "Ñandú Market"
    provider.save()
    second = EstablishmentFactory(provider=provider, name="Tienda Arequipa", address="Calle Mercaderes 120, Arequipa")

    response = client.get(_policy_url(provider))

    assert response.status_code == 200
    text = _text(response)
    # Controller: identity and address, and the data bank it holds.
    assert f"{provider.legal_name} (Ñandú Market), RUC {provider.ruc}, con domicilio en {provider.address}" in text
    assert f"banco de datos personales «{provider.data_bank_name}»" in text
    # Purpose, recipients, mandatory data and the consequence of leaving it out.
    assert "Registrar tu reclamo o queja" in text
    assert "El INDECOPI, cuando lo solicite" in text
    assert "que solo actúan por encargo nuestro" in text
    assert "Sin ellos la hoja se considera no presentada (artículo 5" in text
    assert "Los demás datos son opcionales" in text
    # Retention in words and figures, never below the Reglamento's two years.
    assert "Guardamos tu hoja y sus datos dos (2) años desde su presentación" in text
    assert "artículo 12 del Reglamento" in text
    # ARCO rights: by e-mail and at every active establishment; and the authority.
    assert "derechos ARCO" in text
    assert f"escribiendo a {provider.contact_email}" in text
    assert ("mailto:" + provider.contact_email, provider.contact_email) in _links(_main(response))
    for place in (establishment, second):
        assert f"{place.name}: {place.address}" in text
    assert "Autoridad Nacional de Protección de Datos Personales" in text
    # Nothing to accept.
    assert "No necesitas aceptar nada ni crear una cuenta" in text
    assert "<input" not in _main(response)
    assert "<form" not in _main(response)


def test_without_a_contact_email_the_rights_are_exercised_at_the_establishments(client, establishment):
    provider = establishment.provider
    provider.contact_email = ""
    provider.save()

    text = _text(client.get(_policy_url(provider)))

    assert "derechos ARCO) en cualquiera de nuestros establecimientos:" in text
    assert "escribiendo a" not in text


@pytest.mark.parametrize(("years", "said"), [(2, "dos (2) años"), (5, "cinco (5) años"), (1, "dos (2) años")])
def test_the_retention_follows_the_setting_but_never_below_two_years(client, establishment, settings, years, said):
    settings.RECLAMACIONES_RETENTION_YEARS = years

    text = _text(client.get(_policy_url(establishment.provider)))

    assert f"Guardamos tu hoja y sus datos {said} desde su presentación" in text


@pytest.mark.parametrize(
    ("years", "phrase"),
    [
        (1, "un (1) año"),
        (2, "dos (2) años"),
        (10, "diez (10) años"),
        (16, "dieciséis (16) años"),
        (21, "veintiún (21) años"),
        (30, "treinta (30) años"),
        (31, "treinta y un (31) años"),
        (45, "cuarenta y cinco (45) años"),
        (99, "noventa y nueve (99) años"),
        (120, "120 años"),
    ],
)
def test_years_phrase_words_and_figures(years, phrase):
    assert years_phrase(years) == phrase


def test_with_one_provider_the_privacy_page_is_its_policy(client, establishment):
    EstablishmentFactory(provider=establishment.provider)  # two books, one provider

    response = client.get(reverse("reclamaciones:privacy"))

    assert response.status_code == 200
    assert f'<link rel="canonical" href="{_policy_url(establishment.provider)}">' in _html(response)
    assert "Guardamos tu hoja y sus datos dos (2) años" in _text(response)


def test_with_several_providers_the_privacy_page_lists_each_policy(client, establishment):
    other = EstablishmentFactory(provider=ProviderFactory(legal_name="Otra Empresa S.A."))
    EstablishmentFactory(
        provider=ProviderFactory(
            legal_name="Con Política Propia S.A.C.", privacy_policy_url="https://propia.example.pe/p"
        )
    )
    closed = EstablishmentFactory(provider=ProviderFactory(legal_name="Cerrada S.A."), is_active=False)

    response = client.get(reverse("reclamaciones:privacy"))

    links = _links(_main(response))
    assert response.status_code == 200
    assert (_policy_url(establishment.provider), establishment.provider.legal_name) in links
    assert (_policy_url(other.provider), "Otra Empresa S.A.") in links
    assert ("https://propia.example.pe/p", "Con Política Propia S.A.C.") in links
    assert closed.provider.legal_name not in _text(response)
    assert "Guardamos tu hoja" not in _text(response)  # a list, not one provider's policy


def test_a_provider_with_its_own_policy_url_sends_the_reader_there(client):
    establishment = EstablishmentFactory(provider=ProviderFactory(privacy_policy_url="https://propia.example.pe/p"))

    response = client.get(_policy_url(establishment.provider))

    assert response.status_code == 302
    assert response["Location"] == "https://propia.example.pe/p"


@pytest.mark.parametrize("key", ["20999999999", "closed"])
def test_an_unknown_provider_or_one_without_an_active_book_is_a_404(client, establishment, key):
    if key == "closed":
        key = EstablishmentFactory(is_active=False).provider.ruc

    response = client.get(reverse("reclamaciones:privacy-provider", args=[key]))

    assert response.status_code == 404
    assert "No encontramos esta página" in _text(response)


@pytest.mark.parametrize("path", ["abc", "2060000000", "206000000011", "%3Cscript%3E", "20600000001%00"])
def test_a_key_that_is_not_a_ruc_is_a_404(client, establishment, path):
    response = client.get(f"/privacidad/{path}/")

    assert response.status_code == 404


def test_hostile_provider_fields_are_shown_as_text(client):
    provider = ProviderFactory(
        legal_name='<script>alert("r")</script> S.A.C.',
        trade_name="<b>Ñandú</b>",
        address='"><img src=x onerror=alert(1)> Av. Larco',
        data_bank_name="</p><script>x()</script>",
        contact_email='a"onmouseover="alert(1)@example.pe',
    )
    establishment = EstablishmentFactory(provider=provider, name="<i>Tienda</i>", address="<u>Calle</u> 1")

    response = client.get(_policy_url(provider))

    main = _main(response)
    assert response.status_code == 200
    for raw in ("<script>", "<img", "<b>", "<i>", "<u>", 'onmouseover="'):
        assert raw not in main
    text = _text(response)
    assert '<script>alert("r")</script> S.A.C. (<b>Ñandú</b>)' in text
    assert "«</p><script>x()</script>»" in text
    assert f"{establishment.name}: {establishment.address}" in text


def test_the_form_links_to_its_providers_policy(client, establishment):
    EstablishmentFactory()  # another provider: the link must be to this one's page, not the list

    response = client.get(_form_url(establishment))

    notice = _between(_html(response), 'class="privacy-notice', "</section>")
    assert (_policy_url(establishment.provider), "política de privacidad") in _links(notice)
    assert "<input" not in notice


def test_the_form_links_to_the_providers_own_policy_when_it_has_one(client):
    establishment = EstablishmentFactory(provider=ProviderFactory(privacy_policy_url="https://propia.example.pe/p"))

    response = client.get(_form_url(establishment))

    notice = _between(_html(response), 'class="privacy-notice', "</section>")
    assert ("https://propia.example.pe/p", "política de privacidad") in _links(notice)
