"""Only administrators manage people: a scoped user who could edit a staff profile could widen their own scope."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from reclamaciones.access import Role

from ..factories import EstablishmentFactory, staff_user

pytestmark = pytest.mark.django_db


def test_a_scoped_user_with_the_change_user_permission_still_cannot_change_people(client, establishment):
    supervisor = staff_user("sup", Role.SUPERVISOR, establishments=[establishment])
    supervisor.user_permissions.add(*Permission.objects.filter(codename__in=["change_user", "view_user"]))
    client.force_login(supervisor)

    page = client.get(f"/admin/auth/user/{supervisor.pk}/change/")
    assert page.status_code == 200  # read-only view (the owner autocomplete of causes needs it)
    assert b'name="_save"' not in page.content
    response = client.post(f"/admin/auth/user/{supervisor.pk}/change/", {"username": "sup", "is_superuser": "on"})
    assert response.status_code == 403
    supervisor.refresh_from_db()
    assert not supervisor.is_superuser
    assert b"/admin/auth/" not in client.get("/admin/").content


def test_an_administrator_gives_people_their_establishments(admin_client):
    other = EstablishmentFactory()
    person = staff_user("nueva", Role.AGENT, establishments=[])
    page = admin_client.get(f"/admin/auth/user/{person.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' in page.content
    assert other.name.encode() in page.content
