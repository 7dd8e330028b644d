"""The Django admin is scoped like /gestion/: a staff member limited to one store sees, searches, autocompletes and
edits only that store's records (issue 10: "a hoja outside your establishments is a 404 everywhere").

The matrix: every establishment-bound model admin x the roles that can reach the admin (council through its
group's rights; a supervisor and an agent an administrator granted rights to) x a record in and out of scope.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.api.models import ApiClient, ApiToken
from reclamaciones.api.services import api_client_create, api_token_issue
from reclamaciones.audit import PersonalDataAccess, What, personal_data_access_record
from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.compliance.models import Anonymisation, RetentionRun, SirecExport
from reclamaciones.council.models import ActionItem
from reclamaciones.handling.followup import remedy_record
from reclamaciones.handling.followup_models import RemedyRecord
from reclamaciones.handling.models import Response, SettlementOffer, SurveyAnswer
from reclamaciones.handling.services import survey_answer
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.webhooks.models import WebhookDelivery, WebhookEndpoint

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

# model admin -> how to find its record of a store's hoja
RECORDS = {
    "complaint": lambda hoja: hoja,
    "complaintevent": lambda hoja: ComplaintEvent.objects.filter(complaint=hoja).first(),
    "outboundmessage": lambda hoja: OutboundMessage.objects.filter(complaint=hoja).first(),
    "response": lambda hoja: Response.objects.get(complaint=hoja),
    "establishment": lambda hoja: hoja.establishment,
    "provider": lambda hoja: hoja.establishment.provider,
    "settlementoffer": lambda hoja: SettlementOffer.objects.get(complaint__establishment=hoja.establishment),
    "surveyanswer": lambda hoja: SurveyAnswer.objects.get(complaint=hoja),
    "remedyrecord": lambda hoja: RemedyRecord.objects.get(complaint=hoja),
    "actionitem": lambda hoja: ActionItem.objects.get(establishment=hoja.establishment),
    "sirecexport": lambda hoja: SirecExport.objects.get(establishment=hoja.establishment),
    "anonymisation": lambda hoja: Anonymisation.objects.get(complaint=hoja),
    "personaldataaccess": lambda hoja: PersonalDataAccess.objects.get(complaint=hoja),
    "apiclient": lambda hoja: ApiClient.objects.get(provider=hoja.establishment.provider),
    "apitoken": lambda hoja: ApiToken.objects.get(client__provider=hoja.establishment.provider),
    "webhookendpoint": lambda hoja: WebhookEndpoint.objects.get(provider=hoja.establishment.provider),
    "webhookdelivery": lambda hoja: WebhookDelivery.objects.filter(complaint=hoja).first(),
}

# Model admins whose rows belong to no establishment (configuration, the calendar, the council's meetings, the
# jobs' heartbeats and retention runs, people and login records): not scoped, by design. Every other admin must be.
UNBOUND = {
    "auth.Group",
    "auth.User",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "reclamaciones.Cause",
    "reclamaciones.ResponseTemplate",
    "reclamaciones.NonWorkingDay",
    "reclamaciones.TrackerHeartbeat",
    "reclamaciones.CouncilMeeting",
    "reclamaciones.RetentionRun",  # when anonymise_expired ran and its counts; the hojas it touched are scoped
}


def test_every_model_admin_is_scoped_or_holds_no_establishments_rows():
    from django.contrib import admin

    from reclamaciones.access import ScopedAdminMixin

    registered = {model._meta.label: model_admin for model, model_admin in admin.site._registry.items()}
    scoped_admins = {label for label, model_admin in registered.items() if isinstance(model_admin, ScopedAdminMixin)}
    assert set(registered) - scoped_admins == UNBOUND
    assert {label.split(".")[1].lower() for label in scoped_admins} == set(RECORDS)


@pytest.fixture
def stores(db):
    mine, theirs = EstablishmentFactory(name="Tienda Miraflores"), EstablishmentFactory(name="Tienda Arequipa")
    answerer = staff_user("jefa", Role.SUPERVISOR, all_establishments=True)
    hojas = {}
    for store, name in ((mine, "Ana Mía Quispe"), (theirs, "Zoila Ajena Mamani")):
        WebhookEndpoint.objects.create(provider=store.provider, url="https://hooks.example.pe/libro", secret="whsec_x")
        hoja = hoja_filed(store, consumer_name=name, consumer_email="x@example.pe")
        hojas[store.name] = hoja_answered(hoja, by=answerer, text="Respuesta.")
        survey_answer(complaint=hoja, solved=True, csat=4, nps=9, comment=f"Encuesta de {name}")
        remedy_record(
            complaint_id=hoja.pk,
            outcome="done",
            done_on=timezone.localdate(),
            what_done=f"Devolución a {name}.",
            evidence_reference="NC 001",
            scope=Scope.of(answerer),
        )
        hoja_offered(hoja_filed(store, consumer_name=name, consumer_email="y@example.pe"), by=answerer)
        action_item(f"Acción de {store.name}", establishment=store, causes=[cause_get()])
        _compliance_records(hoja, answerer)
        api_client, _secret = api_client_create(name=f"Tienda online de {store.name}", provider_id=store.provider_id)
        api_token_issue(client=api_client)
    return {"mine": hojas["Tienda Miraflores"], "theirs": hojas["Tienda Arequipa"]}


def _compliance_records(hoja, user) -> None:
    """What the compliance desk writes about a store's hoja: a SIREC export, an anonymisation, an access."""
    from django.utils import timezone

    now = timezone.now()
    SirecExport.objects.create(
        establishment=hoja.establishment,
        date_from=now.date(),
        date_to=now.date(),
        created_at=now,
        lines=1,
        sha256="0" * 64,
        encoding="utf-8",
    )
    run = RetentionRun.objects.create(ran_at=now, retention_years=2, filed_before=now)
    Anonymisation.objects.create(
        complaint=hoja, run=run, anonymised_at=now, fields=[], reason="Prueba.", content_sha256="0" * 64
    )
    personal_data_access_record(scope=Scope.of(user), what=What.DETAIL, complaint=hoja)


def _with_rights(user, *actions):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reclamaciones", codename__regex=rf"^({'|'.join(actions)})_")
    )
    return user


@pytest.fixture(params=["council", "supervisor", "agent"])
def scoped(request, stores, client):
    """A user limited to "Tienda Miraflores" whom an administrator gave the admin's view and change rights (the
    council's group has its own; transactional tests may have flushed them)."""
    store = stores["mine"].establishment
    user = staff_user(f"scoped-{request.param}", request.param, establishments=[store])
    _with_rights(user, "view", "change")
    client.force_login(user)
    return client


def _change_url(model: str, obj) -> str:
    return reverse(f"admin:reclamaciones_{model}_change", args=[obj.pk])


@pytest.mark.parametrize("model", sorted(RECORDS))
def test_the_changelist_shows_only_the_records_in_scope(scoped, stores, model):
    mine, theirs = RECORDS[model](stores["mine"]), RECORDS[model](stores["theirs"])

    page = scoped.get(reverse(f"admin:reclamaciones_{model}_changelist"))

    assert page.status_code == 200
    html = page.content.decode()
    assert _change_url(model, mine) in html
    assert _change_url(model, theirs) not in html


@pytest.mark.parametrize("model", sorted(RECORDS))
def test_a_record_out_of_scope_does_not_exist_on_its_change_page(scoped, stores, model):
    mine, theirs = RECORDS[model](stores["mine"]), RECORDS[model](stores["theirs"])

    assert scoped.get(_change_url(model, mine)).status_code == 200
    response = scoped.get(_change_url(model, theirs), follow=True)

    assert response.redirect_chain  # Django's admin: "does not exist. Perhaps it was deleted?" and back home
    assert stores["theirs"].consumer_name not in response.content.decode()


def test_a_scoped_supervisor_cannot_edit_another_stores_establishment(scoped, stores):
    theirs = stores["theirs"].establishment
    url = _change_url("establishment", theirs)

    scoped.post(url, {"name": "Renombrada", "provider": theirs.provider_id, "address": "x", "code": "X", "slug": "x"})

    theirs.refresh_from_db()
    assert theirs.name == "Tienda Arequipa"


def test_search_finds_nothing_out_of_scope(scoped, stores):
    html = scoped.get(reverse("admin:reclamaciones_complaint_changelist"), {"q": "Zoila"}).content.decode()

    assert "0 resultados (" in html  # of the hojas in scope
    assert _change_url("complaint", stores["theirs"]) not in html


def test_the_establishment_filter_lists_only_the_stores_in_scope(scoped):
    html = scoped.get(reverse("admin:reclamaciones_complaint_changelist")).content.decode()

    assert "Tienda Miraflores" in html
    assert "Tienda Arequipa" not in html


def test_the_hoja_autocomplete_offers_only_the_hojas_in_scope(client, stores):
    user = staff_user("consejera", Role.COUNCIL, establishments=[stores["mine"].establishment])
    _with_rights(user, "view", "add", "change")
    client.force_login(user)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "reclamaciones", "model_name": "actionitem_complaints", "field_name": "complaint", "term": ""},
    )

    assert response.status_code == 200
    ids = {int(result["id"]) for result in json.loads(response.content)["results"]}
    assert stores["mine"].pk in ids
    assert ids == set(Complaint.objects.filter(establishment=stores["mine"].establishment).values_list("pk", flat=True))


def test_the_action_item_form_offers_only_the_establishments_in_scope(client, stores):
    user = staff_user("consejera", Role.COUNCIL, establishments=[stores["mine"].establishment])
    _with_rights(user, "view", "add", "change")
    client.force_login(user)

    html = client.get(reverse("admin:reclamaciones_actionitem_add")).content.decode()
    select = html[html.index('name="establishment"') :].split("</select>")[0]

    assert "Tienda Miraflores" in select
    assert "Tienda Arequipa" not in select


def test_action_items_of_other_stores_are_hidden_and_those_for_all_are_shown(client, stores):
    owner = staff_user("duena", Role.COUNCIL, all_establishments=True)
    common = {"owner": owner, "due_in_days": 30, "causes": [cause_get()]}
    everyone = action_item("Para todas las tiendas", **common)
    theirs = action_item("Solo Arequipa", establishment=stores["theirs"].establishment, **common)
    user = staff_user("consejera", Role.COUNCIL, establishments=[stores["mine"].establishment])
    _with_rights(user, "view")
    client.force_login(user)

    html = client.get(reverse("admin:reclamaciones_actionitem_changelist")).content.decode()

    assert _change_url("actionitem", everyone) in html
    assert _change_url("actionitem", theirs) not in html


def test_whoever_works_for_every_store_and_the_superuser_see_both(client, stores, admin_user):
    everywhere = _with_rights(staff_user("todo", Role.SUPERVISOR, all_establishments=True), "view")
    for user in (everywhere, admin_user):
        client.force_login(user)
        html = client.get(reverse("admin:reclamaciones_complaint_changelist")).content.decode()
        assert _change_url("complaint", stores["mine"]) in html
        assert _change_url("complaint", stores["theirs"]) in html


def test_messages_about_no_hoja_are_only_for_whoever_sees_everything(scoped, stores):
    from reclamaciones.outbox.services import outbox_enqueue

    digest = outbox_enqueue(
        kind=OutboundMessage.Kind.DAILY_DIGEST,
        recipient="otra@andina.example.pe",
        idempotency_key="digest:test",
        context={"date": "2026-12-01", "complaint_ids": [stores["theirs"].pk]},
    )

    html = scoped.get(reverse("admin:reclamaciones_outboundmessage_changelist")).content.decode()

    assert _change_url("outboundmessage", digest) not in html


def test_a_user_without_a_staff_role_sees_nothing(client, stores):
    nobody = _with_rights(staff_user("nadie", None, profile=False), "view")
    client.force_login(nobody)

    assert Scope.of(nobody).establishment_ids == frozenset()
    html = client.get(reverse("admin:reclamaciones_complaint_changelist")).content.decode()
    assert _change_url("complaint", stores["mine"]) not in html
    assert _change_url("complaint", stores["theirs"]) not in html
