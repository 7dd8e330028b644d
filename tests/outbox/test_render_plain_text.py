"""Plain-text e-mail bodies are plain strings (no HTML escaping of what consumers typed)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_plain_text_e_mail_bodies_are_plain_strings():
    """What renders a text template for a page must not hand it over marked safe (the root of item 1)."""
    from django.utils.safestring import SafeData

    from reclamaciones.outbox.render import text_render

    body = text_render("reclamaciones/emails/overdue_subject.txt", {"rows": [], "first": None})

    assert not isinstance(body, SafeData)
