"""Answer templates with placeholders, per kind and per cause (issue 13): {nombre}, {numero}, ... are filled from
the hoja when a template is inserted (by the script or by the no-JS merge), as plain text and in one pass; an
unknown or unfillable {x} stays for the agent to see and the preview warns about it; the picker lists the templates
for the hoja's cause and kind first; the admin refuses a placeholder it does not know."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from reclamaciones.access import Scope
from reclamaciones.book.models import Complaint
from reclamaciones.handling.admin import ResponseTemplateForm
from reclamaciones.handling.models import ResponseTemplate
from reclamaciones.handling.selectors import response_templates_for
from reclamaciones.handling.services import complaint_classify
from reclamaciones.handling.templates_fill import (
    PLACEHOLDERS,
    amount_text,
    placeholder_values,
    placeholders_unknown,
    template_fill,
)
from reclamaciones.management.commands.load_demo_data import DEMO_TEMPLATE_CAUSES, DEMO_TEMPLATES

from ..factories import EstablishmentFactory, cause_get, staff_user
from .settlement_support import DUE

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
TODAY = date(2026, 10, 5)
EVERY = " | ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def _fill(complaint, body: str) -> str:
    return template_fill(body, placeholder_values(complaint, today=TODAY))


def _unsaved(**fields) -> Complaint:
    """A hoja in memory (the fill reads only its fields): what the edge cases need, without a filing."""
    base = dict(
        establishment=EstablishmentFactory.build(name="Tienda Miraflores"),
        number=12,
        year=2026,
        filed_at=datetime(2026, 10, 1, 10, tzinfo=LIMA),
        consumer_name="Rosa Díaz",
        kind="queja",
        due_date=date(2026, 10, 31),
        amount_claimed=None,
        good_description="",
    )
    return Complaint(**{**base, **fields})


# The fill ---------------------------------------------------------------------------------------------------------


def test_every_placeholder_is_filled_from_the_hoja(reclamo):
    filled = _fill(reclamo, EVERY)

    assert filled == " | ".join(
        [
            "María Núñez Ñahui",
            reclamo.display_number,
            "reclamo",
            "01/10/2026",
            DUE.strftime("%d/%m/%Y"),
            "05/10/2026",
            "Laptop Toshiba, boleta B001-4521",
            "S/ 1,250.50",  # as section 2 of the sheet prints it
            reclamo.establishment.name,
        ]
    )
    assert "{" not in filled


def test_dates_are_the_lima_day_in_dd_mm_aaaa():
    # 22:30 in Lima on 1 October is already 2 October in UTC: the consumer filed on the 1st
    late = _unsaved(filed_at=datetime(2026, 10, 2, 3, 30, tzinfo=ZoneInfo("UTC")), due_date=date(2026, 1, 9))
    assert _fill(late, "{fecha_presentacion} → {fecha_limite}") == "01/10/2026 → 09/01/2026"


@pytest.mark.parametrize(
    ("amount", "currency", "printed"),
    [
        (Decimal("1250.5"), "PEN", "S/ 1,250.50"),
        (Decimal("80"), "USD", "US$ 80.00"),
        (Decimal("0.99"), "PEN", "S/ 0.99"),
        (Decimal("1234567.89"), "PEN", "S/ 1,234,567.89"),
    ],
)
def test_the_amount_carries_its_currency(amount, currency, printed):
    assert amount_text(amount, currency) == printed
    assert _fill(_unsaved(amount_claimed=amount, currency=currency), "{monto}") == printed


def test_what_the_hoja_lacks_stays_in_braces_for_the_agent():
    bare = _unsaved(amount_claimed=None, good_description="  ", kind="", kind_filed="")
    assert _fill(bare, "Por {producto} ({monto}), tu {tipo} Nº {numero}.") == (
        "Por {producto} ({monto}), tu {tipo} Nº 000000012-2026."
    )


def test_an_unclassified_hoja_uses_the_kind_the_consumer_marked():
    assert _fill(_unsaved(kind="", kind_filed="reclamo"), "tu {tipo}") == "tu reclamo"


def test_an_unknown_placeholder_is_kept_as_written_and_spacing_or_case_do_not_matter():
    body = "{apellido}, {Nombre} y { numero }; {} y {{nombre}} y [motivo]"
    assert _fill(_unsaved(), body) == "{apellido}, Rosa Díaz y 000000012-2026; {} y {Rosa Díaz} y [motivo]"
    assert placeholders_unknown(body + " {apellido} {dni}") == ["{apellido}", "{dni}"]
    assert placeholders_unknown(EVERY) == []


def test_consumer_text_is_inserted_as_typed_never_expanded_again():
    hostile = _unsaved(
        consumer_name="<script>alert(1)</script> {numero}",
        good_description="Mi {nombre} & {monto}",
        establishment=EstablishmentFactory.build(name="Tienda {tipo}"),
    )
    filled = _fill(hostile, "{nombre} / {producto} / {establecimiento}")
    assert filled == "<script>alert(1)</script> {numero} / Mi {nombre} & {monto} / Tienda {tipo}"


# The answer page ------------------------------------------------------------------------------------------------


def _bodies(html: str) -> dict[str, str]:
    found = re.search(r'<script id="template-bodies" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page carries no template bodies for the script"
    return json.loads(found.group(1))


def test_the_page_carries_each_template_already_filled_for_the_script(client, agent, hoja):
    template = ResponseTemplate.objects.create(name="Procedente", body="Tu {tipo} Nº {numero}: {monto}. {dni}")
    client.force_login(agent)

    html = client.get(reverse("staff:answer", args=[hoja.pk])).content.decode()

    assert _bodies(html) == {str(template.pk): f"Tu reclamo Nº {hoja.display_number}: S/ 1,250.50. {{dni}}"}


def test_the_no_js_merge_inserts_the_filled_text_below_the_draft(client, agent, hoja):
    template = ResponseTemplate.objects.create(name="Procedente", body="Te devolvemos {monto} por {producto}.")
    client.force_login(agent)

    response = client.post(
        reverse("staff:answer", args=[hoja.pk]),
        {"accion": "plantilla", "plantilla": template.pk, "text": "Hola {nombre}, ya revisé.", "channel": "email"},
    )

    # the draft is the agent's: left exactly as typed; only the template is filled
    assert response.context["form"]["text"].value() == (
        "Hola {nombre}, ya revisé.\n\nTe devolvemos S/ 1,250.50 por Laptop Toshiba, boleta B001-4521."
    )


def test_the_prefill_link_inserts_the_filled_text(client, agent, hoja):
    template = ResponseTemplate.objects.create(name="Procedente", body="Hoja Nº {numero}.")
    client.force_login(agent)
    response = client.get(reverse("staff:answer", args=[hoja.pk]), {"plantilla": template.pk})
    assert response.context["form"]["text"].value() == f"Hoja Nº {hoja.display_number}."


def test_consumer_markup_reaches_the_page_as_text_only(client, agent, file_complaint):
    hoja = file_complaint(consumer_name="<script>alert(1)</script>", good_description="<b>{nombre}</b>")
    template = ResponseTemplate.objects.create(name="Procedente", body="{nombre}: {producto}")
    client.force_login(agent)

    html = client.get(reverse("staff:answer", args=[hoja.pk]), {"plantilla": template.pk}).content.decode()

    assert "<script>alert(1)" not in html
    assert "<b>{nombre}" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: &lt;b&gt;{nombre}&lt;/b&gt;" in html  # in the textarea
    assert _bodies(html) == {str(template.pk): "<script>alert(1)</script>: <b>{nombre}</b>"}  # JSON, escaped


def test_the_preview_warns_about_braces_and_brackets_left(client, agent, file_complaint):
    hoja = file_complaint(amount_claimed=None)
    template = ResponseTemplate.objects.create(name="Procedente", body="Te devolvemos {monto} por [motivo].")
    client.force_login(agent)
    inserted = (
        client.post(
            reverse("staff:answer", args=[hoja.pk]),
            {"accion": "plantilla", "plantilla": template.pk, "text": "", "channel": "email"},
        )
        .context["form"]["text"]
        .value()
    )
    assert inserted == "Te devolvemos {monto} por [motivo]."  # the hoja has no amount: left for the agent

    preview = client.post(reverse("staff:answer", args=[hoja.pk]), {"text": inserted, "channel": "email"})

    assert preview.context["preview"]["warning"] == (
        "El texto aún tiene partes por completar: [motivo], {monto}. Entre llaves quedan los datos que esta hoja no "
        "tiene o que no conocemos: escríbelos tú."
    )
    bracket_only = client.post(reverse("staff:answer", args=[hoja.pk]), {"text": "Por [motivo].", "channel": "email"})
    assert bracket_only.context["preview"]["warning"] == "El texto aún tiene partes por completar: [motivo]."
    clean = client.post(reverse("staff:answer", args=[hoja.pk]), {"text": "Todo listo.", "channel": "email"})
    assert clean.context["preview"]["warning"] == ""


# Per kind and per cause -----------------------------------------------------------------------------------------


@pytest.fixture
def per_cause():
    cause, other = cause_get("TST-01"), cause_get("TST-02")
    made = {}
    for name, kind, causes in [
        ("A genérica", "", []),
        ("B solo reclamos", "reclamo", []),
        ("C solo quejas", "queja", []),
        ("D reclamos de esta causa", "reclamo", [cause]),
        ("E su categoría", "", [cause.parent]),
        ("F otra causa", "", [other]),
        ("G inactiva", "", []),
    ]:
        made[name[0]] = ResponseTemplate.objects.create(name=name, kind=kind, body=name, is_active=name[0] != "G")
        made[name[0]].causes.set(causes)
    return cause, made


def _names(complaint) -> list[str]:
    return [t.name[0] for t in response_templates_for(Complaint.objects.get(pk=complaint.pk))]


def test_the_templates_for_the_hojas_cause_and_kind_come_first_then_the_generic_ones(hoja, per_cause):
    cause, _ = per_cause
    assert _names(hoja) == ["B", "A", "D", "E", "F"]  # no cause yet: those for causes come last, all of them

    complaint_classify(complaint_id=hoja.pk, cause=cause, scope=Scope.everything())

    assert _names(hoja) == ["D", "E", "B", "A"]  # the other kind and the other cause are left out


def test_an_unclassified_hoja_lists_the_generic_templates_before_those_for_a_kind(file_complaint, per_cause):
    assert _names(file_complaint(kind="")) == ["A", "B", "C", "E", "F", "D"]


def test_the_picker_names_what_a_template_is_for_and_refuses_one_for_another_cause(client, agent, hoja, per_cause):
    cause, made = per_cause
    complaint_classify(complaint_id=hoja.pk, cause=cause, scope=Scope.everything())
    client.force_login(agent)

    html = client.get(reverse("staff:answer", args=[hoja.pk])).content.decode()
    assert f'<option value="{made["D"].pk}">D reclamos de esta causa (reclamo · TST-01)</option>' in html
    assert f'<option value="{made["E"].pk}">E su categoría (TST)</option>' in html
    assert "F otra causa" not in html

    response = client.post(
        reverse("staff:answer", args=[hoja.pk]),
        {"accion": "plantilla", "plantilla": made["F"].pk, "text": "Mi borrador.", "channel": "email"},
    )
    assert response.context["form"]["text"].value() == "Mi borrador."
    assert [str(m) for m in response.context["messages"]] == ["Elige una plantilla de la lista."]


# The admin ------------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(staff_user("administradora", is_superuser=True, profile=False))
    return client


def test_the_admin_refuses_an_unknown_placeholder_and_lists_the_known_ones(admin_client):
    response = admin_client.post(
        reverse("admin:reclamaciones_responsetemplate_add"),
        {"name": "Devolución", "kind": "", "body": "Te devolvemos {importe} el {fecha}.", "is_active": "on"},
    )

    assert response.status_code == 200
    assert not ResponseTemplate.objects.exists()
    errors = response.context["adminform"].form.errors["body"]
    assert errors == [
        "No conocemos {importe}, {fecha}: escribe solo datos de la lista, tal cual ({nombre}, {numero}, {tipo}, "
        "{fecha_presentacion}, {fecha_limite}, {fecha_hoy}, {producto}, {monto}, {establecimiento}). Para una parte "
        "que completa quien responde, usa corchetes, p. ej. [motivo]."
    ]


def test_the_admin_saves_known_placeholders_with_causes_and_documents_them(admin_client):
    cause = cause_get("TST-01")
    add = reverse("admin:reclamaciones_responsetemplate_add")
    assert (
        "{fecha_presentacion}: fecha en que se presentó la hoja (dd/mm/aaaa)" in admin_client.get(add).content.decode()
    )

    response = admin_client.post(
        add,
        {"name": "Devolución", "kind": "reclamo", "causes": [cause.pk], "body": EVERY + " [motivo]", "is_active": "on"},
    )

    assert response.status_code == 302
    template = ResponseTemplate.objects.get()
    assert list(template.causes.all()) == [cause]
    assert admin_client.get(reverse("admin:reclamaciones_responsetemplate_changelist")).status_code == 200


def test_the_admin_form_alone_refuses_an_unknown_placeholder():
    form = ResponseTemplateForm(data={"name": "X", "kind": "", "body": "Hola {nombres}", "is_active": True})
    assert not form.is_valid()
    assert form.errors["body"][0].startswith("No conocemos {nombres}:")


# The demo data --------------------------------------------------------------------------------------------------


def test_the_demo_templates_use_only_known_placeholders_and_existing_names():
    bodies = {name: body for name, _kind, body in DEMO_TEMPLATES}
    assert all(placeholders_unknown(body) == [] for body in bodies.values())
    assert any("{" in body for body in bodies.values())
    assert set(DEMO_TEMPLATE_CAUSES) <= set(bodies)
