"""Fixtures of the webhook tests: a real local HTTP receiver and endpoints registered through the service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reclamaciones.access import Scope
from reclamaciones.webhooks.models import WebhookEvent
from reclamaciones.webhooks.services import webhook_endpoint_create

from .receiver import Receiver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@pytest.fixture
def local_hooks(settings):
    """The receiver lives on 127.0.0.1 over plain http: allowed here, as only development and tests do."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    return settings


@pytest.fixture
def receiver(local_hooks):
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint_for(receiver):
    """Register an endpoint of `establishment`'s provider pointing at the receiver (all events by default)."""

    def _create(establishment, *, events=None, establishments=(), path="/hooks/libro", provider=None):
        endpoint, _secret = webhook_endpoint_create(
            scope=Scope.everything(),
            provider=provider or establishment.provider,
            url=receiver.url(path),
            events=list(events or WebhookEvent.values),
            establishment_ids=[e.pk for e in establishments],
            description="Tienda en línea",
        )
        return endpoint

    return _create


@pytest.fixture(scope="session")
def documented_verify():
    """verify_libro_signature exactly as docs/webhooks.md shows it to the stores (its first python block)."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 (our own documentation, under test)
    return namespace["verify_libro_signature"]
