"""The consumer's settlement page (/seguimiento/<token>/propuesta/): the offer, the two buttons, the answer."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reclamaciones.book.models import Complaint, Status
from reclamaciones.handling.models import SettlementOffer
from reclamaciones.handling.policy import MSG_OFFER_CLOSED
from reclamaciones.handling.settlement import ACCEPTANCE_PHRASE, settlement_offer_accept, settlement_offer_reject

from .settlement_support import MSG_CHOOSE, _offer, _state

pytestmark = pytest.mark.django_db


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[dict] = []
        self.inputs: list[dict] = []
        self.links: list[dict] = []
        self._button: dict | None = None
        self._link: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "button":
            self._button = {**attrs, "text": ""}
        elif tag == "a":
            self._link = {**attrs, "text": ""}
        elif tag == "input":
            self.inputs.append(attrs)

    def handle_data(self, data):
        for element in (self._button, self._link):
            if element is not None:
                element["text"] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self._button["text"] = " ".join(self._button["text"].split())
            self.buttons.append(self._button)
            self._button = None
        elif tag == "a" and self._link is not None:
            self._link["text"] = " ".join(self._link["text"].split())
            self.links.append(self._link)
            self._link = None


def _parse(response) -> _PageParser:
    parser = _PageParser()
    parser.feed(response.content.decode())
    return parser


def _answer_buttons(response) -> dict[str, str]:
    return {b["value"]: b["text"] for b in _parse(response).buttons if b.get("name") == "respuesta"}


@pytest.fixture
def live_offer(file_complaint):
    now = timezone.now()
    complaint = file_complaint(filed_at=now)
    return complaint, _offer(complaint, now)


def _url(complaint: Complaint) -> str:
    return reverse("reclamaciones:settlement", args=[complaint.tracking_token])


def _assert_private(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_page_shows_the_offer_both_buttons_and_the_respond_by_date(client, live_offer):
    complaint, offer = live_offer

    response = client.get(_url(complaint))

    assert response.status_code == 200
    _assert_private(response)
    html = response.content.decode()
    assert "Te cambiamos la laptop por una nueva &lt;Toshiba&gt;.<br>La recoges en tienda desde el lunes." in html
    assert "<Toshiba>" not in html
    assert offer.respond_by.strftime("%d/%m/%Y") in html
    assert complaint.display_number in html
    assert _answer_buttons(response) == {"aceptar": ACCEPTANCE_PHRASE, "rechazar": "No acepto la propuesta"}


def test_post_accept_redirects_and_the_page_confirms_the_settlement(client, live_offer):
    complaint, offer = live_offer
    url = _url(complaint)

    response = client.post(url, {"respuesta": "aceptar"})

    assert response.status_code == 302
    assert response["Location"] == url
    complaint.refresh_from_db()
    assert complaint.status == Status.SETTLED
    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.ACCEPTED
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Aceptaste la propuesta: «{ACCEPTANCE_PHRASE}»." in html
    assert "solucionado por acuerdo" in html
    assert "Te enviamos la confirmación, con tu hoja de reclamación actualizada" in html  # issue 13
    assert _answer_buttons(page) == {}


def test_post_reject_shows_the_due_date_after_resumption(client, live_offer):
    complaint, offer = live_offer
    url = _url(complaint)

    response = client.post(url, {"respuesta": "rechazar"})

    assert response.status_code == 302
    assert response["Location"] == url
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.REJECTED
    page = client.get(url)
    html = page.content.decode()
    assert "Rechazaste la propuesta." in html
    assert f"a más tardar el <strong>{complaint.due_date:%d/%m/%Y}</strong>" in html
    assert _answer_buttons(page) == {}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="missing"),
        pytest.param({"respuesta": ""}, id="empty"),
        pytest.param({"respuesta": "ACEPTAR"}, id="wrong-case"),
        pytest.param({"respuesta": ACCEPTANCE_PHRASE}, id="button-text-instead-of-value"),
        pytest.param({"respuesta": "si"}, id="unknown"),
    ],
)
def test_post_without_a_valid_answer_is_400_and_changes_nothing(client, live_offer, data):
    complaint, _ = live_offer
    before = _state(complaint)

    response = client.post(_url(complaint), data)

    assert response.status_code == 400
    _assert_private(response)
    assert MSG_CHOOSE in response.content.decode()
    assert _state(complaint) == before
    assert set(_answer_buttons(response)) == {"aceptar", "rechazar"}  # the consumer can still answer


@pytest.mark.parametrize("answer", [pytest.param("aceptar", id="accept"), pytest.param("rechazar", id="reject")])
@pytest.mark.parametrize(
    "first",
    [
        pytest.param(settlement_offer_accept, id="after-acceptance"),
        pytest.param(settlement_offer_reject, id="after-rejection"),
    ],
)
def test_post_after_the_offer_was_answered_is_409(client, live_offer, first, answer):
    complaint, offer = live_offer
    first(offer_id=offer.pk, now=timezone.now())
    before = _state(complaint)

    response = client.post(_url(complaint), {"respuesta": answer})

    assert response.status_code == 409
    _assert_private(response)
    assert MSG_OFFER_CLOSED in response.content.decode()
    assert _state(complaint) == before
    assert _answer_buttons(response) == {}


def test_offer_past_respond_by_shows_no_buttons_and_refuses_answers(client, file_complaint):
    now = timezone.now()
    complaint = file_complaint(filed_at=now - timedelta(days=30))
    offer = _offer(complaint, now - timedelta(days=20))  # respond_by is well in the past
    assert offer.respond_by < timezone.localdate(now)

    page = client.get(_url(complaint))
    assert page.status_code == 200
    assert "El plazo para aceptar esta propuesta venció" in page.content.decode()
    assert _answer_buttons(page) == {}

    before = _state(complaint)
    response = client.post(_url(complaint), {"respuesta": "aceptar"})
    assert response.status_code == 409
    assert MSG_OFFER_CLOSED in response.content.decode()
    assert _state(complaint) == before


def test_no_offer_is_404(client, file_complaint):
    complaint = file_complaint()

    assert client.get(_url(complaint)).status_code == 404
    assert client.post(_url(complaint), {"respuesta": "aceptar"}).status_code == 404


def test_unknown_token_is_404(client, live_offer):
    url = reverse("reclamaciones:settlement", args=["no-existe-este-token"])

    assert client.get(url).status_code == 404
    assert client.post(url, {"respuesta": "aceptar"}).status_code == 404


def test_tracking_page_links_to_the_pending_offer(client, live_offer):
    complaint, _ = live_offer
    track = reverse("reclamaciones:track", args=[complaint.tracking_token])

    response = client.get(track)

    assert response.status_code == 200
    assert "Con propuesta de solución" in response.content.decode()
    links = [link for link in _parse(response).links if link["text"] == "Ver la propuesta"]
    assert [link["href"] for link in links] == [_url(complaint)]

    client.post(_url(complaint), {"respuesta": "aceptar"})
    response = client.get(track)
    html = response.content.decode()
    assert "Ver la propuesta" not in html
    assert "Cerrada por acuerdo" in html


def test_csrf_token_is_in_the_form_and_required(live_offer):
    complaint, _ = live_offer
    csrf_client = Client(enforce_csrf_checks=True)
    url = _url(complaint)

    page = csrf_client.get(url)
    [token_input] = [i for i in _parse(page).inputs if i.get("name") == "csrfmiddlewaretoken"]
    assert token_input["value"]
    cookie = csrf_client.cookies[settings.CSRF_COOKIE_NAME].value

    before = _state(complaint)
    refused = csrf_client.post(url, {"respuesta": "aceptar"})
    assert refused.status_code == 403
    assert _state(complaint) == before

    response = csrf_client.post(url, {"respuesta": "aceptar", "csrfmiddlewaretoken": cookie})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.SETTLED


def test_csrf_token_from_the_form_is_accepted(live_offer):
    complaint, _ = live_offer
    csrf_client = Client(enforce_csrf_checks=True)
    url = _url(complaint)
    [token_input] = [i for i in _parse(csrf_client.get(url)).inputs if i.get("name") == "csrfmiddlewaretoken"]

    response = csrf_client.post(url, {"respuesta": "rechazar", "csrfmiddlewaretoken": token_input["value"]})

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
