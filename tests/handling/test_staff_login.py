"""Back office access: the Spanish login and logout, lockout, password reset and the 403 without a role."""

from __future__ import annotations

import re

import pytest
from axes.utils import reset as axes_reset
from django.urls import reverse

from reclamaciones.access import Role

from ..factories import staff_user
from .staff_support import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_the_spanish_login_page(client):
    response = client.get(reverse("staff:queue"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff:login')}?next=/gestion/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Ingresa a la gestión de reclamos" in page.content.decode()
    assert '<html lang="es-PE">' in page.content.decode()


@pytest.mark.usefixtures("_axes_clean")
def test_login_then_logout(client, agent):
    response = client.post(reverse("staff:login"), {"username": "ana", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue")
    assert client.get(reverse("staff:queue")).status_code == 200

    assert client.get(reverse("staff:logout")).status_code == 405  # logout is a POST (CSRF-safe)
    response = client.post(reverse("staff:logout"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff:login')}?sesion=cerrada"
    assert "Cerraste sesión" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("staff:queue")).status_code == 302


@pytest.mark.usefixtures("_axes_clean")
def test_wrong_password_says_so_in_spanish(client, agent):
    response = client.post(reverse("staff:login"), {"username": "ana", "password": "no-es"})

    assert response.status_code == 200
    assert "Usuario o contraseña incorrectos" in response.content.decode()


@pytest.mark.usefixtures("_axes_clean")
def test_lockout_after_repeated_failures(client, agent):
    responses = [client.post(reverse("staff:login"), {"username": "ana", "password": f"mala-{n}"}) for n in range(6)]

    assert [r.status_code for r in responses[:4]] == [200] * 4
    locked = responses[-1]
    assert locked.status_code == 429
    assert "Acceso bloqueado por seguridad" in locked.content.decode()
    assert "1 hora" in locked.content.decode()
    # Even the right password is refused while locked...
    assert client.post(reverse("staff:login"), {"username": "ana", "password": PASSWORD}).status_code == 429
    # ...and only that username from that address is locked.
    staff_user("otra", Role.AGENT, password=PASSWORD, first_name="Otra")
    assert client.post(reverse("staff:login"), {"username": "otra", "password": PASSWORD}).status_code == 302

    axes_reset(username="ana")
    assert client.post(reverse("staff:login"), {"username": "ana", "password": PASSWORD}).status_code == 302


@pytest.mark.usefixtures("_axes_clean")
def test_password_reset_by_email_in_spanish(client, agent, mailoutbox):
    response = client.post(reverse("staff:password_reset"), {"email": agent.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:password_reset_done")
    assert "Revisa tu correo" in client.get(response["Location"]).content.decode()
    [message] = mailoutbox
    assert message.to == [agent.email]
    assert message.subject == "Restablece tu contraseña de la gestión de reclamos"
    assert "Recibimos un pedido para restablecer la contraseña" in message.body
    assert message.alternatives
    assert "Crear una nueva contraseña" in message.alternatives[0][0]
    link = re.search(r"https://reclamos\.example\.pe(/gestion/clave/\S+/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Crea tu nueva contraseña" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Otra-clave-larga-77", "new_password2": "Otra-clave-larga-77"},
    )
    assert done["Location"] == reverse("staff:password_reset_complete")
    assert "Listo: tu contraseña cambió" in client.get(done["Location"]).content.decode()
    response = client.post(reverse("staff:login"), {"username": "ana", "password": "Otra-clave-larga-77"})
    assert response.status_code == 302


def test_password_reset_page_for_unknown_email_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("staff:password_reset"), {"email": "nadie@example.pe"})

    assert response.status_code == 302
    assert mailoutbox == []


def test_a_user_without_a_staff_role_gets_a_spanish_403(client, users):
    client.force_login(users["no-role"])

    response = client.get(reverse("staff:queue"))

    assert response.status_code == 403
    assert "no tiene un rol en la gestión de reclamos" in response.content.decode()
