"""An absurd council period is a 400 with a Spanish message; two years are accepted."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from reclamaciones.access import Role

from ..factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def council_client(client, establishment):
    client.force_login(staff_user("carla", Role.COUNCIL, establishments=[establishment]))
    return client


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"desde": "0001-01-01", "hasta": "2026-01-31"}, "Elige una fecha entre el 01/01/2010"),
        ({"desde": "2026-01-01", "hasta": "9999-12-31"}, "Elige una fecha entre el 01/01/2010"),
        ({"desde": "2020-01-01", "hasta": "2026-01-01"}, "como máximo 2 años"),
        ({"desde": "2026-01-01", "hasta": "nunca"}, "Introduzca una fecha válida"),
    ],
)
def test_an_absurd_council_period_is_a_400_with_a_spanish_message(council_client, query, message):
    response = council_client.get(reverse("council:dashboard"), query)

    assert response.status_code == 400
    assert message in unescape(response.content.decode())


def test_a_two_year_period_is_accepted(council_client):
    response = council_client.get(reverse("council:dashboard"), {"desde": "2025-01-01", "hasta": "2026-12-31"})

    assert response.status_code == 200
