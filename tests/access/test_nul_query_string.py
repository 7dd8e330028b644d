"""A NUL byte in a query string gets the Spanish 400 page on every surface, never a 500 from PostgreSQL (the
admin's list filters passed it straight to a query)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:reclamaciones_complaint_changelist") + "?status=%00",
        reverse("admin:reclamaciones_remedyrecord_changelist") + "?outcome=a%00b",
        reverse("staff:queue") + "?q=%00",
        reverse("staff:queue") + "?x%00=1",
    ],
)
def test_a_nul_byte_in_the_query_string_is_a_400_in_spanish(client, url):
    client.force_login(staff_user("jefa", "supervisor", all_establishments=True, is_superuser=True))

    response = client.get(url)

    assert response.status_code == 400
    assert "No pudimos procesar tu solicitud" in response.content.decode()


def test_an_ordinary_query_string_still_works(client):
    client.force_login(staff_user("jefa", "supervisor", all_establishments=True, is_superuser=True))
    assert client.get(reverse("admin:reclamaciones_complaint_changelist") + "?status=received").status_code == 200
