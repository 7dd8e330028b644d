"""manage.py check --deploy with and without the production settings, HSTS and the HTTPS redirect."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _form_url(establishment) -> str:
    return reverse("reclamaciones:file", args=[establishment.slug])


PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_BOOK_INTEGRITY_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "reclamos.example.pe",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://reclamos.example.pe",
    "DJANGO_TRUSTED_PROXY_COUNT": "1",
    "DJANGO_SECURE_COOKIES": "true",
    "DJANGO_SSL_REDIRECT": "true",
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_HSTS_PRELOAD": "true",
}


def _check_deploy(extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", **extra})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


def test_check_deploy_with_production_settings_prints_no_warning():
    output = _check_deploy(PRODUCTION)

    assert "System check identified no issues (0 silenced)." in output, output


def test_check_deploy_without_them_lists_what_is_missing():
    output = _check_deploy({})

    for check in ("security.W004", "security.W008", "security.W012", "security.W016", "reclamaciones.W001"):
        assert check in output, check


def test_hsts_and_the_https_redirect_follow_the_settings(client, settings, establishment):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = client.get(_form_url(establishment))
    secure = client.get(_form_url(establishment), HTTP_X_FORWARDED_PROTO="https")
    health = client.get("/healthz")

    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert health.status_code in {200, 503}  # monitors probe over plain HTTP: never redirected
