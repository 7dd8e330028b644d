"""Answer templates never discard what the agent typed (issue 13): the picker posts the draft with it, so
without JavaScript the template is added below the draft; with it, the script inserts at the cursor. And the
templates speak to the consumer like every e-mail the consumer gets: "tú"."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from reclamaciones.handling.forms import template_merge
from reclamaciones.handling.models import Response, ResponseTemplate
from reclamaciones.management.commands.load_demo_data import DEMO_ANSWER, DEMO_TEMPLATES
from reclamaciones.outbox.models import OutboundMessage

pytestmark = pytest.mark.django_db

DRAFT = "Hola de nuevo:\r\nya revisé tu boleta <b>B001</b>."


@pytest.fixture
def template():
    return ResponseTemplate.objects.create(name="Procedente", kind="reclamo", body="Revisamos tu reclamo.")


def _insert(client, hoja, **data):
    return client.post(reverse("staff:answer", args=[hoja.pk]), {"accion": "plantilla", **data})


def test_choosing_a_template_keeps_the_draft_and_adds_the_template_below(client, agent, hoja, template):
    client.force_login(agent)
    when = "2026-12-01T10:30"

    response = _insert(
        client, hoja, text=DRAFT, plantilla=template.pk, channel="letter", communicated_at=when
    )  # fmt: skip

    assert response.status_code == 200
    form = response.context["form"]
    assert form["text"].value() == "Hola de nuevo:\nya revisé tu boleta <b>B001</b>.\n\nRevisamos tu reclamo."
    assert (form["channel"].value(), form["communicated_at"].value()) == ("letter", when)  # as they were
    assert not form.errors  # nothing is validated yet: no error on a half-written answer
    assert response.context["preview"] is None
    assert [str(m) for m in response.context["messages"]] == [
        "Plantilla «Procedente» añadida al final de tu texto: adáptala a este caso."
    ]
    html = response.content.decode()
    assert "&lt;b&gt;B001&lt;/b&gt;" in html  # the draft comes back escaped in the textarea
    assert f'<option value="{template.pk}" selected>' in html
    assert not Response.objects.exists()
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.RESPONSE).exists()


def test_an_empty_draft_becomes_the_template(client, agent, hoja, template):
    client.force_login(agent)
    response = _insert(client, hoja, text="   ", plantilla=template.pk, channel="email")
    assert response.context["form"]["text"].value() == "Revisamos tu reclamo."
    assert [str(m) for m in response.context["messages"]] == [
        "Plantilla «Procedente» copiada en la respuesta: adáptala a este caso."
    ]


@pytest.mark.parametrize("chosen", ["", "999999", "no-es-un-numero"])
def test_no_template_or_an_unknown_one_keeps_the_draft_and_says_to_pick_one(client, agent, hoja, template, chosen):
    client.force_login(agent)
    response = _insert(client, hoja, text=DRAFT, plantilla=chosen, channel="email")
    assert response.status_code == 200
    assert response.context["form"]["text"].value() == DRAFT
    assert [str(m) for m in response.context["messages"]] == ["Elige una plantilla de la lista."]


def test_a_template_for_the_other_kind_is_not_inserted(client, agent, hoja):
    queja_only = ResponseTemplate.objects.create(name="Solo quejas", kind="queja", body="Gracias por contarnos.")
    client.force_login(agent)
    response = _insert(client, hoja, text=DRAFT, plantilla=queja_only.pk, channel="email")
    assert response.context["form"]["text"].value() == DRAFT


def test_another_establishments_agent_cannot_use_the_picker(client, agent_b, hoja, template):
    client.force_login(agent_b)
    assert _insert(client, hoja, text=DRAFT, plantilla=template.pk).status_code == 404


class _FormButtons(HTMLParser):
    """The submit buttons of #answer-form, in document order, and where the picker is."""

    def __init__(self):
        super().__init__()
        self.inside, self.buttons, self.picker_inside = False, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "answer-form"
        elif self.inside and tag == "button" and attrs.get("type") == "submit":
            self.buttons.append((attrs.get("name"), attrs.get("value"), attrs.get("formaction")))
        elif self.inside and tag == "select" and attrs.get("name") == "plantilla":
            self.picker_inside = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def test_the_picker_is_part_of_the_answer_form_and_enter_still_previews(client, agent, hoja, template):
    client.force_login(agent)
    parser = _FormButtons()
    parser.feed(client.get(reverse("staff:answer", args=[hoja.pk])).content.decode())

    assert parser.picker_inside  # choosing a template posts the draft with it
    # Enter in a field presses the form's first submit button: the preview, never the template or the send.
    assert parser.buttons[0] == ("accion", "vista-previa", None)
    assert ("accion", "plantilla", None) in parser.buttons


@pytest.mark.parametrize(
    ("draft", "merged"),
    [
        ("", "Plantilla."),
        ("  \n ", "Plantilla."),
        ("Texto mío.", "Texto mío.\n\nPlantilla."),
        ("Texto mío.\n\n\n", "Texto mío.\n\nPlantilla."),
        ("Línea 1\r\nLínea 2", "Línea 1\nLínea 2\n\nPlantilla."),
        ("Plantilla.", "Plantilla.\n\nPlantilla."),  # asked twice, added twice: never silently dropped
    ],
)
def test_template_merge_never_drops_typed_text(draft, merged):
    assert template_merge(draft, "Plantilla.") == merged


def test_the_demo_templates_speak_to_the_consumer_with_tu_and_do_not_greet_twice():
    usted = re.compile(r"\b(usted|su|sus|le|lo prefiere|tiene|puede)\b", re.IGNORECASE)
    for _name, _kind, body in DEMO_TEMPLATES:
        assert not usted.search(body), body
        assert not body.startswith(("Estimad", "Hola")), body  # the e-mail already says "Hola, <nombre>:"
    assert not usted.search(DEMO_ANSWER)
