"""The Django admin speaks Spanish to staff (issue 13: "Establishments", "COMPLAINT", "Por establishment", groups
agent/supervisor/council, "El reunión", "El acción", the history as raw JSON).

Every registered admin page (list, add form where adding is allowed, one record) is read as a person reads it:
the text without markup, scripts or styles, searched for English leftovers."""

from __future__ import annotations

import gettext
import html
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation

from reclamaciones.access import ROLE_LABELS, Role, Scope
from reclamaciones.api.services import api_client_create, api_token_issue
from reclamaciones.apps import CATALOGUE_SOURCE, catalogues_compile, mo_bytes, po_read
from reclamaciones.audit import What, personal_data_access_record
from reclamaciones.book.models import ComplaintEvent
from reclamaciones.compliance.models import Anonymisation, RetentionRun, SirecExport
from reclamaciones.council.models import ActionItem, CouncilMeeting
from reclamaciones.council.services import meeting_agenda_generate
from reclamaciones.deadlines.models import NonWorkingDay, TrackerHeartbeat
from reclamaciones.handling.followup import remedy_record
from reclamaciones.handling.models import ResponseTemplate
from reclamaciones.handling.services import survey_answer
from reclamaciones.handling.trail import event_summary
from reclamaciones.webhooks.models import WebhookEndpoint

from ..factories import (
    EstablishmentFactory,
    action_item,
    cause_get,
    hoja_answered,
    hoja_filed,
    hoja_offered,
    staff_user,
)

pytestmark = pytest.mark.django_db

# What the admin showed in English, and what gives English away on any page.
TELLTALES = [
    "Establishment",
    "Complaint",
    "COMPLAINT",
    "Provider",
    " by ",
    "Select",
    "Add ",
    "Can ",
    "object (",
    "Access ",
    "Username",
    "User Agent",
    "Meta Data",
    "Axes",
    "Failed",
    "Attempt",
]
ROLE_NAMES = re.compile(r"\b(agent|council|compliance)\b")  # "supervisor" and "auditor" are Spanish words too
WRONG_ARTICLE = re.compile(r"\b[Ee]l (reunión|acción|hoja|causa|plantilla|respuesta|encuesta|exportación)\b")


def page_text(response) -> str:
    """The page as read: no scripts, styles, tags or attribute values."""
    body = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", response.content.decode())
    body = re.sub(r"</?(a|strong|em|b|i|span|code)\b[^>]*>", "", body)  # inline: part of the sentence
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "\n", body)).split())


def english_in(text: str) -> list[str]:
    found = [word for word in TELLTALES if word in text]
    found += ROLE_NAMES.findall(text) + [m.group(0) for m in WRONG_ARTICLE.finditer(text)]
    return found


def form_data(response) -> dict:
    """The values a browser would post from the page's main form (inputs, selected options, text areas)."""
    body = response.content.decode()
    form = body[body.index('<form enctype="multipart/form-data"') :] if "multipart/form-data" in body else body
    data: dict = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, kind = re.search(r'name="([^"]+)"', tag), re.search(r'type="([^"]+)"', tag)
        if not name or (kind and kind.group(1) in {"submit", "checkbox", "button", "file"}):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.findall(r'<option value="([^"]*)"[^>]*selected', options)
        if selected:
            data[name] = selected if "multiple" in name or len(selected) > 1 else selected[0]
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = html.unescape(value.strip())
    return data


@pytest.fixture
def records(db):
    """At least one record of every model the admin shows, made the way the portal makes them."""
    store = EstablishmentFactory(name="Tienda Miraflores")
    boss = staff_user("jefa", Role.SUPERVISOR, all_establishments=True, first_name="Jorge", last_name="Salazar")
    WebhookEndpoint.objects.create(provider=store.provider, url="https://hooks.example.pe/libro", secret="whsec_x")
    hoja = hoja_answered(hoja_filed(store, consumer_email="ana@example.pe"), by=boss, text="Le devolvemos el pago.")
    survey_answer(complaint=hoja, solved=True, csat=5, nps=9, comment="Gracias.")
    remedy_record(  # the follow-through (issue 13)
        complaint_id=hoja.pk, outcome="done", done_on=timezone.localdate(), what_done="Devolución hecha.",
        evidence_reference="NC 001", scope=Scope.of(boss),
    )  # fmt: skip
    hoja_offered(hoja_filed(store, consumer_email="luis@example.pe"), by=boss)
    hoja_filed(EstablishmentFactory(name="Tienda Arequipa"))  # two stores: the establishment filter shows
    action = action_item("Capacitar al personal de caja", establishment=store, causes=[cause_get()])
    meeting = CouncilMeeting.objects.create(held_on=timezone.localdate())
    meeting_agenda_generate(meeting=meeting, scope=Scope.everything())
    now = timezone.now()
    SirecExport.objects.create(
        establishment=store, date_from=now.date(), date_to=now.date(), created_at=now, lines=1, sha256="0" * 64,
        encoding="utf-8",
    )  # fmt: skip
    run = RetentionRun.objects.create(ran_at=now, retention_years=2, filed_before=now)
    Anonymisation.objects.create(
        complaint=hoja, run=run, anonymised_at=now, fields=[], reason="Prueba.", content_sha256="0" * 64
    )
    personal_data_access_record(scope=Scope.of(boss), what=What.DETAIL, complaint=hoja)
    NonWorkingDay.objects.create(date=now.date() + timedelta(days=40), description="Feriado", legal_source="DS 1")
    TrackerHeartbeat.objects.create(name="deadlines", last_run_at=now)
    ResponseTemplate.objects.create(name="Devolución", body="Te devolvemos el pago.")
    api_client, _secret = api_client_create(name="Tienda online", provider_id=store.provider_id)
    api_token_issue(client=api_client, label="producción")
    agent = dict(username="rosa", ip_address="127.0.0.1", user_agent="Mozilla/5.0", http_accept="text/html")
    AccessAttempt.objects.create(**agent, path_info="/admin/login/", get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**agent, path_info="/admin/login/", locked_out=False)
    AccessLog.objects.create(**agent, path_info="/admin/login/")
    return {"hoja": hoja, "action": action, "meeting": meeting}


@pytest.fixture
def superuser(client, db):
    user = staff_user("administradora", is_superuser=True, first_name="Ana", last_name="Díaz", profile=False)
    client.force_login(user)
    return client


def admin_urls() -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:app_list", args=["reclamaciones"])]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(_superuser_request()):
            urls.append(reverse(f"{name}_add"))
        record = model._default_manager.order_by("pk").first()
        assert record is not None, f"the fixture makes no {opts.label}: its pages would go unchecked"
        urls.append(reverse(f"{name}_change", args=[record.pk]))
    return urls


def _superuser_request():
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="administradora")
    return request


def test_every_admin_page_is_in_spanish(superuser, records):
    leftovers = {}
    for url in admin_urls():
        response = superuser.get(url)
        assert response.status_code == 200, url
        found = english_in(page_text(response))
        if found:
            leftovers[url] = sorted(set(found))
    assert leftovers == {}


def test_list_filters_are_titled_in_spanish(superuser, records):
    text = page_text(superuser.get(reverse("admin:reclamaciones_complaint_changelist")))

    assert "Por establecimiento" in text
    assert "Establecimiento" in text  # the column, by the field's Spanish name


def test_adding_a_council_meeting_says_so_without_a_wrong_article(superuser, records):
    add = reverse("admin:reclamaciones_councilmeeting_add")
    data = form_data(superuser.get(add)) | {"held_on": "15/12/2026", "_save": "Guardar"}

    response = superuser.post(add, data, follow=True)

    text = page_text(response)
    assert CouncilMeeting.objects.filter(held_on="2026-12-15").exists()
    assert "Se agregó «Reunión del 15/12/2026» (reunión del consejo)." in text
    assert not english_in(text)


def test_adding_an_action_item_says_so_without_a_wrong_article(superuser, records):
    owner = staff_user("consejera", Role.COUNCIL, all_establishments=True, first_name="Lucía", last_name="Paredes")
    add = reverse("admin:reclamaciones_actionitem_add")
    data = form_data(superuser.get(add)) | {
        "title": "Revisar los tiempos de entrega",
        "causes": [cause_get().pk],
        "owner": owner.pk,
        "due_date": "31/12/2026",
        "target_reduction_pct": "30",
        "verification_weeks": "8",
        "status": "proposed",
        "_save": "Guardar",
    }

    response = superuser.post(add, data, follow=True)

    text = page_text(response)
    assert ActionItem.objects.filter(title="Revisar los tiempos de entrega").exists(), text[:3000]
    assert "Se agregó «Revisar los tiempos de entrega» (acción de mejora)." in text
    assert not english_in(text)


def test_changing_a_record_says_so_in_spanish(superuser, records):
    meeting = records["meeting"]
    change = reverse("admin:reclamaciones_councilmeeting_change", args=[meeting.pk])
    data = form_data(superuser.get(change)) | {"minutes": "Se revisó la agenda.", "_continue": "Guardar"}

    text = page_text(superuser.post(change, data, follow=True))

    assert f"Se guardaron los cambios de «{meeting}» (reunión del consejo). Puedes seguir editando abajo." in text


def test_deleting_asks_without_a_wrong_article(superuser, records):
    meeting = records["meeting"]
    one = page_text(superuser.get(reverse("admin:reclamaciones_councilmeeting_delete", args=[meeting.pk])))
    several = page_text(
        superuser.post(
            reverse("admin:reclamaciones_councilmeeting_changelist"),
            {"action": "delete_selected", "_selected_action": [meeting.pk]},
        )
    )

    assert f"¿Seguro que quieres eliminar «{meeting}» (reunión del consejo)?" in one
    assert "¿Seguro que quieres eliminar lo marcado (reunión del consejo)?" in several
    assert not english_in(one + several)


def test_the_roles_show_by_their_spanish_names_and_keep_their_code_names(superuser, records):
    member = staff_user("rosa.quispe", Role.AGENT, establishments=[records["hoja"].establishment])
    Group.objects.get_or_create(name=Role.COUNCIL)

    user_page = page_text(superuser.get(reverse("admin:auth_user_change", args=[member.pk])))
    users = page_text(superuser.get(reverse("admin:auth_user_changelist")))
    groups = page_text(superuser.get(reverse("admin:auth_group_changelist")))
    council = Group.objects.get(name=Role.COUNCIL)
    group_page = superuser.get(reverse("admin:auth_group_change", args=[council.pk]))

    for text in (user_page, users, groups):
        assert ROLE_LABELS[Role.AGENT] in text
        assert ROLE_LABELS[Role.COUNCIL] in text
        assert not ROLE_NAMES.findall(text)
    assert "Por grupos" in users
    assert "Por acceso a la administración" in users
    assert "Roles" in users
    assert "Consejo de mejora" in page_text(group_page)
    assert b'name="name"' not in group_page.content  # the code relies on the name: it is not editable
    assert Group.objects.filter(name="council").exists()
    assert superuser.get(reverse("admin:auth_group_delete", args=[council.pk])).status_code == 403


def test_a_group_of_ones_own_keeps_its_name_and_can_be_renamed(superuser, records):
    group = Group.objects.create(name="Atención en tienda")

    page = superuser.get(reverse("admin:auth_group_change", args=[group.pk]))

    assert b'name="name"' in page.content
    assert "Atención en tienda" in page_text(page)


def test_the_two_list_picker_agrees_with_any_noun(superuser):
    script = superuser.get(reverse("admin:jsi18n")).content.decode()

    assert "%s para elegir" in script
    assert "%s en la selecci" in script  # the catalogue escapes non-ASCII letters
    assert "elegidos" not in script
    assert "Seleccionar todos" not in script


def test_permissions_are_offered_in_spanish(superuser, records):
    text = page_text(superuser.get(reverse("admin:auth_group_add")))

    assert "Puede ver: hoja de reclamación (Libro de Reclamaciones)" in text
    assert "Puede agregar: grupo (Autenticación y autorización)" in text
    assert "Can view" not in text


def test_the_hojas_history_is_told_in_words(superuser, records):
    hoja = records["hoja"]
    responded = ComplaintEvent.objects.get(complaint=hoja, type=ComplaintEvent.Type.RESPONDED)

    page = page_text(superuser.get(reverse("admin:reclamaciones_complaint_change", args=[hoja.pk])))
    events = page_text(superuser.get(reverse("admin:reclamaciones_complaintevent_changelist")))

    assert event_summary(responded).startswith("Por correo electrónico, comunicada el")
    for text in (page, events):
        assert event_summary(responded) in text
        assert "Jorge Salazar" in text  # who answered, by name
        assert '{"' not in text
        assert '"on_time"' not in text


def test_an_action_items_history_is_told_in_words(superuser, records):
    action = records["action"]

    text = page_text(superuser.get(reverse("admin:reclamaciones_actionitem_change", args=[action.pk])))

    assert "Línea base:" in text
    assert "Sistema" in text  # created by the service with nobody named: not an empty cell
    assert "hojas por semana" in text
    assert '{"' not in text


def test_the_catalogue_compiles_to_what_gettext_reads_and_english_stays_english(tmp_path):
    catalogue = tmp_path / "django.mo"
    po = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "The {name} “{obj}” was added successfully."\nmsgstr "Se agregó «{obj}» ({name})."\n\n'
        'msgid "%(count)s item"\nmsgid_plural "%(count)s items"\nmsgstr[0] "%(count)s registro"\n'
        'msgstr[1] "%(count)s registros"\n\nmsgid "Untranslated"\nmsgstr ""\n'
    )
    catalogue.write_bytes(mo_bytes(po_read(po)))

    read = gettext.GNUTranslations(catalogue.open("rb"))

    assert read.gettext("The {name} “{obj}” was added successfully.") == "Se agregó «{obj}» ({name})."
    assert read.ngettext("%(count)s item", "%(count)s items", 2) == "%(count)s registros"
    assert read.gettext("Untranslated") == "Untranslated"
    with translation.override("en"):
        assert translation.gettext("The {name} “{obj}” was added successfully.").startswith("The {name}")
    with translation.override("es-pe"):
        assert translation.gettext("The {name} “{obj}” was added successfully.") == "Se agregó «{obj}» ({name})."


def test_the_catalogue_is_compiled_where_django_reads_it_and_only_when_it_changed(tmp_path, settings):
    source, target = tmp_path / "locale", tmp_path / "run"
    (source / "es" / "LC_MESSAGES").mkdir(parents=True)
    po = source / "es" / "LC_MESSAGES" / "django.po"
    po.write_text('msgid "Save"\nmsgstr "Guardar ya"\n', encoding="utf-8")
    settings.LOCALE_PATHS = [target]
    mo = target / "es" / "LC_MESSAGES" / "django.mo"

    catalogues_compile(source)
    first = mo.stat().st_mtime_ns
    catalogues_compile(source)

    assert gettext.GNUTranslations(mo.open("rb")).gettext("Save") == "Guardar ya"
    assert mo.stat().st_mtime_ns == first  # unchanged: not written again
    po.write_text('msgid "Save"\nmsgstr "Guardar"\n', encoding="utf-8")
    catalogues_compile(source)
    assert gettext.GNUTranslations(mo.open("rb")).gettext("Save") == "Guardar"


def test_every_message_the_project_translates_is_one_django_or_axes_uses():
    """A msgid with a typo would silently translate nothing: each must be in the catalogues it overrides."""
    from pathlib import Path

    import axes
    import django

    known = set()
    for domain in ("django", "djangojs"):
        for app in ("admin", "auth"):
            path = Path(django.__file__).parent / "contrib" / app / "locale" / "es" / "LC_MESSAGES" / f"{domain}.mo"
            if path.exists():
                catalogue = gettext.GNUTranslations(path.open("rb"))._catalog
                known |= {key if isinstance(key, str) else key[0] for key in catalogue}
    axes_source = "".join(p.read_text() for p in Path(axes.__file__).parent.glob("*.py"))

    for po in CATALOGUE_SOURCE.glob("es/LC_MESSAGES/*.po"):
        for msgid in po_read(po.read_text(encoding="utf-8")):
            singular = msgid.split("\0")[0]
            assert singular == "" or singular in known or f'_("{singular}")' in axes_source, (po.name, singular)
