"""What a scoped employee types is escaped in the answer preview and never breaks the XLSX export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from reclamaciones.access import Role

from ..factories import staff_user
from .staff_support import _body

pytestmark = pytest.mark.django_db


XSS_NAME = "<script>alert(1)</script>Ana"
PASSWORD = "clave-de-prueba-2026"


@pytest.fixture
def agent_client(client, establishment):
    client.force_login(staff_user("ana", Role.AGENT, establishments=[establishment], password=PASSWORD))
    return client


# 1. The answer preview ---------------------------------------------------------------------------------------


def test_the_answer_preview_escapes_what_the_consumer_and_the_agent_typed(agent_client, file_complaint):
    complaint = file_complaint(consumer_name=XSS_NAME)
    url = reverse("staff:answer", args=[complaint.pk])

    response = agent_client.post(url, {"text": "Hola <img src=x onerror=alert(2)>", "channel": "email"})

    html = response.content.decode()
    assert response.status_code == 200
    preview = html[html.index('class="email-preview') :]
    preview = preview[: preview.index("</pre>")]
    assert "<script>" not in preview
    assert "<img" not in preview
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Ana" in preview
    assert "&lt;img src=x onerror=alert(2)&gt;" in preview


# 5. The export -----------------------------------------------------------------------------------------------


def test_a_control_character_in_a_filed_field_never_breaks_the_xlsx_export(agent_client, file_complaint):
    from openpyxl import load_workbook

    complaint = file_complaint(consumer_name="Ana\x0bMaría\x1f Núñez")

    response = agent_client.get(reverse("staff:export-xlsx"))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(response))).active
    assert [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Ana María  Núñez"]
    complaint.refresh_from_db()
    assert complaint.consumer_name == "Ana\x0bMaría\x1f Núñez"  # the hoja stays as filed
    csv = _body(agent_client.get(reverse("staff:export-csv"))).decode("utf-8-sig")
    assert "Ana María  Núñez" in csv
