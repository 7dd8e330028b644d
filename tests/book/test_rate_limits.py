"""Rate limits behind the reverse proxy: keyed on the consumer's address (not the proxy's), counted in the shared
cache, explained to the consumer with the time to wait and the other ways to file; password reset limited per
address and per account; the limits' system checks visible."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from html import unescape

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.book.views import FILING_GROUP, MSG_LOOKUP_RATE_LIMITED, MSG_RATE_LIMITED
from reclamaciones.clientip import client_ip, rate_limit_wait, wait_phrase
from reclamaciones.handling.views import MSG_RESET_RATE_LIMITED

from ..factories import VALID_FILING, EstablishmentFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"  # the reverse proxy, as every request from it arrives


def _text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _file(client, establishment, **extra):
    data = {**VALID_FILING, "submission_key": str(uuid.uuid4())}
    return client.post(reverse("reclamaciones:file", args=[establishment.slug]), data, **extra)


# The client's address -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "", "203.0.113.9"),
        (0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no proxy configured: the header is not believed
        (1, PROXY, "198.51.100.1", "198.51.100.1"),
        (1, PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # what the client wrote itself is ignored
        (2, PROXY, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, PROXY, "198.51.100.1", PROXY),  # shorter than the proxy chain: it did not come through both
        (1, PROXY, "not-an-ip", PROXY),
        (1, PROXY, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip_is_taken_from_the_trusted_proxies_only(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_behind_the_proxy_each_consumer_has_their_own_filing_limit(client, settings, establishment):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RECLAMACIONES_FILING_RATE = "2/h"
    ana = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    luis = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.2"}

    assert [_file(client, establishment, **ana).status_code for _ in range(3)] == [302, 302, 429]
    # Before, the proxy's address was the key: Luis shared Ana's bucket and could not file at all.
    assert _file(client, establishment, **luis).status_code == 302
    # Writing another address in the header does not buy Ana a new bucket.
    spoofed = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.1"}
    assert _file(client, establishment, **spoofed).status_code == 429


def test_the_filed_event_records_the_consumers_address_not_the_proxys(client, settings, establishment):
    settings.TRUSTED_PROXY_COUNT = 1

    _file(client, establishment, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.77")

    event = ComplaintEvent.objects.get(complaint=Complaint.objects.get(), type=ComplaintEvent.Type.FILED)
    assert event.data["ip"] == "198.51.100.77"


# What the consumer reads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [(1, "menos de un minuto"), (59, "menos de un minuto"), (60, "1 minuto"), (61, "2 minutos")],
)
def test_wait_phrase(seconds, phrase):
    assert wait_phrase(seconds) == phrase


def test_wait_phrase_up_to_an_hour_says_minutes_or_the_hour():
    assert wait_phrase(59 * 60) == "59 minutos"
    assert wait_phrase(3600) == "1 hora"


def test_the_429_page_says_how_long_to_wait_and_the_other_ways_to_file(client, settings):
    settings.RECLAMACIONES_FILING_RATE = "1/h"
    store = EstablishmentFactory(phone="(01) 615-0000", address="Av. Larco 345, Miraflores")
    _file(client, store)

    response = _file(client, store)

    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    text = _text(response)
    assert MSG_RATE_LIMITED.format(wait=wait_phrase(wait)) in text
    assert "unos minutos" not in text
    assert "Pide el Libro de Reclamaciones en el establecimiento, Av. Larco 345, Miraflores" in text
    assert 'href="tel:(01)615-0000"' in response.content.decode()
    assert store.provider.contact_email in text


def test_an_online_store_without_a_phone_offers_its_e_mail(client, settings):
    settings.RECLAMACIONES_FILING_RATE = "1/h"
    shop = EstablishmentFactory(kind="virtual", phone="")
    _file(client, shop)

    text = _text(_file(client, shop))

    assert "Pide el Libro de Reclamaciones en el establecimiento" not in text
    assert f"Escríbenos a {shop.provider.contact_email}" in text


def test_the_lookup_limit_is_the_documented_ten_per_hour(client, establishment):
    assert settings.RECLAMACIONES_LOOKUP_RATE == "10/h"  # README: hoja look-ups per client IP
    url = reverse("reclamaciones:lookup")
    data = {"sheet_number": "99-2026", "doc_number": "45805689"}

    statuses = [client.post(url, data).status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]
    response = client.post(url, data)
    assert MSG_LOOKUP_RATE_LIMITED.format(wait=wait_phrase(int(response["Retry-After"]))) in _text(response)


def test_a_cache_outage_never_blocks_a_filing(client, settings, establishment):
    # Redis down for hours: nothing is counted, and the book stays open.
    settings.RECLAMACIONES_FILING_RATE = "1/h"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        }
    }
    # (changing CACHES rebuilds Django's cache handler)

    assert [_file(client, establishment).status_code for _ in range(3)] == [302, 302, 302]


# Shared counting --------------------------------------------------------------------------------------------


@pytest.mark.redis
def test_limits_are_counted_in_redis_shared_by_every_process(client, settings, establishment):
    """Two gunicorn workers (here: this process and a second Python process) see one count."""
    settings.RECLAMACIONES_FILING_RATE = "2/h"
    assert _file(client, establishment).status_code == 302

    probe = (
        "import django; django.setup();"
        "from django.test import RequestFactory;"
        "from reclamaciones.clientip import rate_limit_wait;"
        "r = RequestFactory().post('/', REMOTE_ADDR='127.0.0.1');"
        f"print(rate_limit_wait(r, group={FILING_GROUP!r}, rate='2/h'))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"  # the other process counted the second filing of the hour

    # ...so this process now sees both and refuses the third.
    assert _file(client, establishment).status_code == 429


def test_base_settings_count_in_redis_and_the_checks_are_not_silenced():
    from importlib import import_module

    base = import_module("config.settings.base")
    assert base.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert not getattr(base, "SILENCED_SYSTEM_CHECKS", [])
    assert "django_ratelimit" in base.INSTALLED_APPS  # its checks only run when the app is installed


def test_rate_limit_checks_pass_with_the_default_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--tag", "caches"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_a_request_over_the_limit_gets_the_seconds_to_wait(settings):
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.44")

    assert rate_limit_wait(request, group="probe", rate="1/h") is None
    wait = rate_limit_wait(request, group="probe", rate="1/h")

    assert wait is not None
    assert 0 < wait <= 3600


# Password reset ---------------------------------------------------------------------------------------------


@pytest.fixture
def staff_member(db):
    return User.objects.create_user("rosa", "rosa@andina.example.pe", "clave-de-prueba-2026")


def _reset(client, email, **extra):
    return client.post(reverse("staff:password_reset"), {"email": email}, **extra)


def test_password_reset_is_limited_per_account_whatever_the_address(client, settings, staff_member):
    settings.RECLAMACIONES_PASSWORD_RESET_ACCOUNT_RATE = "2/h"

    responses = [_reset(client, "Rosa@Andina.example.pe", REMOTE_ADDR=f"198.51.100.{n}") for n in range(5)]

    # The page is the usual "we sent it" one each time (nothing tells whether the account exists)...
    assert [r.status_code for r in responses] == [302] * 5
    assert {r["Location"] for r in responses} == {reverse("staff:password_reset_done")}
    # ...but the mailbox gets two e-mails, not five.
    assert len(mail.outbox) == 2


def test_password_reset_is_limited_per_address(client, settings, staff_member):
    settings.RECLAMACIONES_PASSWORD_RESET_RATE = "3/h"

    statuses = [_reset(client, f"nadie{n}@example.pe").status_code for n in range(3)]
    response = _reset(client, "rosa@andina.example.pe")

    assert statuses == [302, 302, 302]
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert MSG_RESET_RATE_LIMITED.format(wait=wait_phrase(wait)) in _text(response)
    assert 'value="rosa@andina.example.pe"' in response.content.decode()  # what they typed stays
    assert mail.outbox == []
