"""The consumer's history on the hoja (issue 13 §2): their other hojas by document or e-mail, only in the
viewer's scope; and a warning when someone else has the same hoja open."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reclamaciones.access import Role
from reclamaciones.handling.presence import WINDOW_SECONDS, hoja_viewers_touch

from ..factories import EstablishmentFactory, staff_user

pytestmark = pytest.mark.django_db


def _detail(client, user, hoja) -> str:
    client.force_login(user)
    return client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()


def test_the_other_hojas_of_the_same_document_or_email(client, agent, file_complaint):
    hoja = file_complaint(doc_number="45805689", consumer_email="maria@example.pe")
    same_doc = file_complaint(doc_number="45805689", consumer_email="")
    same_mail = file_complaint(doc_number="11112222", consumer_email="MARIA@example.pe")
    stranger = file_complaint(doc_number="99998888", consumer_email="otra@example.pe")

    html = _detail(client, agent, hoja)

    for other in (same_doc, same_mail):
        assert reverse("staff:detail", args=[other.pk]) in html
    assert reverse("staff:detail", args=[stranger.pk]) not in html
    assert "Otras hojas de este consumidor" in html


def test_hojas_of_other_establishments_are_not_shown(client, agent, file_complaint):
    hoja = file_complaint(doc_number="45805689")
    elsewhere = file_complaint(doc_number="45805689", establishment=EstablishmentFactory())

    html = _detail(client, agent, hoja)

    assert reverse("staff:detail", args=[elsewhere.pk]) not in html
    assert "Ninguna otra con el mismo documento o correo" in html


def test_a_long_history_shows_the_latest_and_the_total(client, agent, file_complaint):
    hojas = [file_complaint(doc_number="45805689") for _ in range(12)]

    html = _detail(client, agent, hojas[0])

    assert "las 10 más recientes de 11" in html
    assert reverse("staff:detail", args=[hojas[-1].pk]) in html


def test_someone_else_with_the_hoja_open_is_a_warning(client, agent, establishment, file_complaint):
    hoja = file_complaint()
    other = staff_user("beto", Role.AGENT, establishments=[establishment], first_name="Beto", last_name="Ríos")

    assert "aviso-otros" not in _detail(client, agent, hoja)
    assert "aviso-otros" not in _detail(client, agent, hoja)  # yourself again: no warning
    html = _detail(client, other, hoja)

    assert "aviso-otros" in html
    assert "Ana" in html
    assert "abrió esta hoja hace menos de un minuto" in html


def test_views_older_than_the_window_no_longer_count(agent, establishment, file_complaint):
    hoja = file_complaint()
    other = staff_user("beto", Role.AGENT, establishments=[establishment], first_name="Beto")

    hoja_viewers_touch(complaint_id=hoja.pk, user=agent, now=1_000_000.0)

    assert hoja_viewers_touch(complaint_id=hoja.pk, user=other, now=1_000_000.0 + 120) == [
        {"name": "Ana", "minutes_ago": 2}
    ]
    assert hoja_viewers_touch(complaint_id=hoja.pk, user=other, now=1_000_000.0 + WINDOW_SECONDS + 1) == []
