"""Constants and page helpers of the consumer follow-up tests (tracking page, survey, lookup)."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

LIMA = ZoneInfo("America/Lima")
ANSWER_TEXT = (
    "Revisamos tu caso: cambiaremos la laptop por una nueva. Puedes recogerla en la tienda de Surquillo "
    "desde el lunes; trae tu DNI y la boleta B001-4521."
)
NOTE_TEXT = "NOTA INTERNA: la clienta ya reclamó dos veces, revisar con el jefe de tienda"
SURVEY_FIELDS = ("solved", "csat", "nps", "comment")
VALID_SURVEY = {"solved": "si", "csat": "4", "nps": "9", "comment": "  Me atendieron rápido, gracias.  "}
DOC = "45805689"  # VALID_FILING's doc_number
FILED_2026 = datetime(2026, 3, 2, 10, 30, tzinfo=LIMA)


# ----------------------------------------------------------------------------------------------------
# Helpers and fixtures
# ----------------------------------------------------------------------------------------------------


def _html(response) -> str:
    return response.content.decode()


def _text(response) -> str:
    """The page as a reader sees it: tags removed, entities decoded, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", _html(response))).split())


def _field_error(response, field: str) -> str:
    found = re.findall(rf'<div id="id_{field}_error" class="invalid-feedback[^"]*">(.*?)</div>', _html(response), re.S)
    return " ".join(unescape(" ".join(found)).split())


def _checked(response, name: str) -> list[str]:
    """Values of the checked radios named `name`."""
    radios = re.findall(rf'<input[^>]*name="{name}"[^>]*>', _html(response))
    return [re.search(r'value="([^"]*)"', r)[1] for r in radios if re.search(r"\schecked\b", r)]


def _input_value(response, name: str) -> str:
    tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', _html(response))[0]
    if tag.startswith("<textarea"):
        return unescape(re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', _html(response), re.S)[1])
    return unescape(re.search(r'value="([^"]*)"', tag)[1])


def _timeline_steps(html: str) -> list[tuple[str, str]]:
    """(state, label) of each step of the consumer's timeline."""
    step = r'<li class="track-step track-step-(\w+)"[^>]*>.*?<p class="mb-0 fw-semibold">([^<]+)'
    return re.findall(step, html, re.S)


def _assert_private(response):
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def _has_survey_form(response) -> bool:
    return any(f'name="{name}"' in _html(response) for name in SURVEY_FIELDS)


def _track_url(complaint) -> str:
    return reverse("reclamaciones:track", args=[complaint.tracking_token])


def _survey_url(complaint) -> str:
    return reverse("reclamaciones:survey", args=[complaint.tracking_token])


def _local_date(value) -> str:
    return f"{timezone.localtime(value):%d/%m/%Y}"
