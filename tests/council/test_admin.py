"""The improvement council in the admin: action items (status rule, baseline, events), meetings (agenda generated
and regenerated, decisions inline with their baseline) and the hojas' bulk action, used by a council member."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint
from reclamaciones.book.services import complaint_file
from reclamaciones.council.models import ActionItem, ActionItemEvent, ActionStatus, CouncilMeeting
from reclamaciones.council.services import (
    MSG_IMPLEMENTED_DATE,
    MSG_NO_CAUSE,
    MSG_VERDICT_BY_DATA,
    meeting_agenda_generate,
)

from ..factories import EstablishmentFactory, action_item, cause_get, council_rights, filing_kwargs, staff_user

pytestmark = pytest.mark.django_db

council_permissions = importlib.import_module("reclamaciones.migrations.0007_council_permissions")


def _url(model: str, action: str, *args) -> str:
    return reverse(f"admin:reclamaciones_{model}_{action}", args=args)


@pytest.fixture
def council(client):
    user = staff_user(
        "consejo",
        Role.COUNCIL,
        all_establishments=True,
        first_name="Consejo",
        last_name="Paredes",
        perms=council_rights(),
    )
    client.force_login(user)
    return user


@pytest.fixture
def owner():
    return staff_user("jefe", Role.SUPERVISOR, all_establishments=True, first_name="Jefe", last_name="Paredes")


def _classified(file_complaint, cause, days_ago: int = 10) -> Complaint:
    complaint = file_complaint(filed_at=timezone.now() - timedelta(days=days_ago))
    Complaint.objects.filter(pk=complaint.pk).update(cause=cause)  # staff-side field
    return complaint


def _form_data(response) -> dict:
    """The POST data of an admin change form as rendered (main form, inline management forms and forms)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is True:
                data[bound.html_name] = "on"
            elif value is not None and value is not False:  # 0 (INITIAL_FORMS) is data
                data[bound.html_name] = value
    return data


def _prefix(response, model) -> str:
    return next(i.formset.prefix for i in response.context["inline_admin_formsets"] if i.formset.model is model)


def _errors(response) -> dict:
    errors = dict(response.context["adminform"].form.errors)
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.total_error_count():
            errors[inline.formset.prefix] = [inline.formset.non_form_errors(), inline.formset.errors]
    return errors


# Pages ------------------------------------------------------------------------------------------------------


def test_council_member_sees_the_council_admin_in_spanish(client, council):
    index = client.get(reverse("admin:index")).content.decode()

    assert "Acciones de mejora" in index
    assert "Reuniones del consejo" in index
    assert "Hojas de reclamación" in index
    for model in ("actionitem", "councilmeeting", "complaint", "cause"):
        response = client.get(_url(model, "changelist"))
        assert response.status_code == 200, model
    add = client.get(_url("actionitem", "add")).content.decode()
    assert "Añadir acción de mejora" in add or "Agregar acción de mejora" in add
    assert "Guardar" in add
    assert "Hojas vinculadas" in add
    assert "Se mide al guardar" in add
    meeting_add = client.get(_url("councilmeeting", "add")).content.decode()
    assert "Acuerdos: acciones de mejora" in meeting_add
    assert "Se genera con los datos del día al guardar la reunión." in meeting_add


def test_hojas_stay_read_only_for_the_council(client, council, file_complaint):
    complaint = file_complaint()

    response = client.get(_url("complaint", "change", complaint.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert complaint.consumer_name in html
    assert 'name="detail"' not in html
    assert 'name="cause"' not in html
    assert 'name="_save"' not in html
    assert response.context["has_change_permission"] is False
    assert client.get(_url("complaint", "add")).status_code == 403


def test_migration_grants_the_council_its_admin_rights():
    group, _ = Group.objects.get_or_create(name=Role.COUNCIL)
    group.permissions.clear()

    council_permissions.grant(django_apps, None)

    granted = set(group.permissions.values_list("codename", flat=True))
    assert granted == set(council_permissions.CODENAMES)
    assert "delete_actionitem" not in granted
    assert "change_complaint" not in granted
    # the project's app registry is left as it was (post_migrate skips apps without a models module)
    assert django_apps.get_app_config("reclamaciones").models_module is not None


# Bulk action on hojas ---------------------------------------------------------------------------------------


def _bulk(client, complaints, **form):
    data = {"action": "create_action_item", "_selected_action": [c.pk for c in complaints], **form}
    return client.post(_url("complaint", "changelist"), data)


def test_bulk_action_page_preselects_the_causes_of_the_selected_hojas(client, council, file_complaint):
    a, b, other = cause_get("TST-01"), cause_get("TST-02"), cause_get("TST-03")
    hojas = [_classified(file_complaint, a), _classified(file_complaint, b), file_complaint()]

    response = _bulk(client, hojas, index=0)

    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "admin/reclamaciones/complaint/create_action.html"
    form = response.context["form"]
    assert set(form["causes"].value()) == {a.pk, b.pk}
    html = response.content.decode()
    assert hojas[0].display_number in html
    assert "1 hoja aún sin causa" in html
    assert f'value="{other.pk}"' in html  # every cause can still be chosen
    assert not ActionItem.objects.exists()


def test_bulk_action_creates_the_action_with_the_hojas_causes_and_baseline(
    client, council, owner, file_complaint, establishment
):
    cause = cause_get("TST-01")
    hojas = [_classified(file_complaint, cause, days_ago=d) for d in (5, 20, 40)]
    due = timezone.localdate() + timedelta(days=30)

    response = _bulk(
        client,
        hojas[:2],
        apply="1",
        title="Confirmar la fecha de entrega con el transportista",
        description="Antes de prometerla.",
        causes=[cause.pk],
        owner=owner.pk,
        due_date=due.isoformat(),
        target_reduction_pct=40,
        verification_weeks=6,
        establishment=establishment.pk,
    )

    action = ActionItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("actionitem", "change", action.pk)
    assert set(action.complaints.all()) == set(hojas[:2])
    assert list(action.causes.all()) == [cause]
    assert (action.owner, action.due_date, action.created_by) == (owner, due, council)
    assert (action.target_reduction_pct, action.verification_weeks, action.establishment) == (40, 6, establishment)
    assert action.baseline_rate == Decimal("0.25")  # 3 hojas of its cause in the 12 weeks before today
    created = action.events.get()
    assert (created.type, created.actor) == (ActionItemEvent.Type.CREATED, council)
    page = client.get(response["Location"]).content.decode()
    assert "creada con 2 hoja(s) vinculada(s)" in page
    assert hojas[0].display_number in page  # the linked hojas inline
    assert "Línea base: 0.25 hojas por semana (3 hojas del" in page  # the history, in words
    assert "Jefe Paredes (jefe)" in page
    for complaint in hojas:
        assert Complaint.objects.get(pk=complaint.pk).cause == cause  # the hojas did not change


def test_bulk_action_without_a_cause_explains_it_on_the_form(client, council, owner, file_complaint):
    hojas = [file_complaint(), file_complaint()]

    response = _bulk(
        client,
        hojas,
        apply="1",
        title="Algo",
        owner=owner.pk,
        due_date=(timezone.localdate() + timedelta(days=7)).isoformat(),
        target_reduction_pct=0,
        verification_weeks=8,
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["causes"] == [MSG_NO_CAUSE]
    assert "entre 1 y 100" in errors["target_reduction_pct"][0]
    assert MSG_NO_CAUSE in response.content.decode()
    assert not ActionItem.objects.exists()


def test_bulk_action_is_offered_only_with_the_right_to_add_actions(client, file_complaint):
    file_complaint()
    reader = staff_user(
        "auditora",
        Role.AUDITOR,
        all_establishments=True,
        first_name="Auditora",
        last_name="Paredes",
        perms=["view_complaint"],
    )
    client.force_login(reader)

    html = client.get(_url("complaint", "changelist")).content.decode()

    assert "create_action_item" not in html


# Action items -----------------------------------------------------------------------------------------------


def _post_change(client, action, **changes):
    page = client.get(_url("actionitem", "change", action.pk))
    data = _form_data(page)
    data.update(changes)
    return client.post(_url("actionitem", "change", action.pk), data)


def test_admin_add_stores_creator_baseline_linked_hojas_and_the_creation_event(client, council, owner, file_complaint):
    cause = cause_get("TST-01")
    hoja = _classified(file_complaint, cause, days_ago=3)
    page = client.get(_url("actionitem", "add"))
    data = _form_data(page)
    prefix = _prefix(page, ActionItem.complaints.through)
    data.update(
        {
            "title": "Revisar el cobro con tarjeta",
            "causes": [cause.pk],
            "owner": owner.pk,
            "due_date": (timezone.localdate() + timedelta(days=20)).isoformat(),
            "status": ActionStatus.IN_PROGRESS,
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-complaint": hoja.pk,
        }
    )

    response = client.post(_url("actionitem", "add"), data)

    assert response.status_code == 302, _errors(response)
    action = ActionItem.objects.get()
    assert action.created_by == council
    assert list(action.complaints.all()) == [hoja]
    assert action.baseline_rate == Decimal("0.08")  # 1 hoja in 12 weeks
    assert action.baseline_measured_on == timezone.localdate()
    events = list(action.events.values_list("type", "actor", "data__new"))
    assert events == [
        (ActionItemEvent.Type.CREATED, council.pk, None),
        (ActionItemEvent.Type.STATUS_CHANGED, council.pk, ActionStatus.IN_PROGRESS),
        (ActionItemEvent.Type.COMPLAINTS_LINKED, council.pk, None),
    ]
    assert action.events.last().data == {"added": [hoja.pk], "removed": []}


def test_linked_hojas_are_found_by_number_for_the_council(client, council, file_complaint):
    hoja = file_complaint()
    params = {
        "app_label": "reclamaciones",
        "model_name": ActionItem.complaints.through._meta.model_name,
        "field_name": "complaint",
        "term": str(hoja.number),
    }

    response = client.get(reverse("admin:autocomplete"), params)

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(hoja.pk), "text": str(hoja)}]


def test_linked_hojas_can_be_removed_without_touching_the_hoja(client, council, owner, file_complaint):
    cause = cause_get("TST-01")
    hoja = _classified(file_complaint, cause)
    action = action_item(owner=owner, causes=[cause], complaints=[hoja])
    page = client.get(_url("actionitem", "change", action.pk))
    data = _form_data(page)
    data[f"{_prefix(page, ActionItem.complaints.through)}-0-DELETE"] = "on"

    response = client.post(_url("actionitem", "change", action.pk), data)

    assert response.status_code == 302, _errors(response)
    assert not action.complaints.exists()
    assert Complaint.objects.filter(pk=hoja.pk, cause=cause).exists()


def test_implemented_without_a_date_is_today_and_leaves_an_event(client, council, owner):
    action = action_item(owner=owner, causes=[cause_get()])

    response = _post_change(client, action, status=ActionStatus.IMPLEMENTED, implemented_on="")

    assert response.status_code == 302, _errors(response)
    action.refresh_from_db()
    assert (action.status, action.implemented_on) == (ActionStatus.IMPLEMENTED, timezone.localdate())
    moved = action.events.get(type=ActionItemEvent.Type.STATUS_CHANGED)
    assert (moved.actor, moved.data["old"], moved.data["new"]) == (council, "proposed", "implemented")


def test_a_future_implementation_date_is_refused_next_to_the_field(client, council, owner):
    action = action_item(owner=owner, causes=[cause_get()])

    response = _post_change(
        client,
        action,
        status=ActionStatus.IMPLEMENTED,
        implemented_on=(timezone.localdate() + timedelta(days=3)).isoformat(),
    )

    assert response.status_code == 200
    assert _errors(response)["implemented_on"] == [MSG_IMPLEMENTED_DATE]
    action.refresh_from_db()
    assert action.status == ActionStatus.PROPOSED
    assert not action.events.filter(type=ActionItemEvent.Type.STATUS_CHANGED).exists()


def test_a_move_outside_the_rule_is_refused_in_spanish(client, council, owner):
    action = action_item(owner=owner, causes=[cause_get()])
    ActionItem.objects.filter(pk=action.pk).update(status=ActionStatus.IMPLEMENTED, implemented_on=timezone.localdate())

    response = _post_change(client, action, status=ActionStatus.PROPOSED)

    assert response.status_code == 200
    assert _errors(response)["status"] == ["Una acción en estado «Implementada» no puede pasar a «Propuesta»."]


def test_effective_cannot_be_chosen_by_hand(client, council, owner):
    action = action_item(owner=owner, causes=[cause_get()])
    page = client.get(_url("actionitem", "change", action.pk)).content.decode()
    assert 'value="effective"' not in page
    assert 'value="not_effective"' not in page

    response = _post_change(client, action, status=ActionStatus.EFFECTIVE)

    assert response.status_code == 200
    assert _errors(response)["status"] == [MSG_VERDICT_BY_DATA]
    action.refresh_from_db()
    assert action.status == ActionStatus.PROPOSED


def test_after_the_verdict_the_status_is_read_only(client, council, owner):
    action = action_item(owner=owner, causes=[cause_get()])
    ActionItem.objects.filter(pk=action.pk).update(
        status=ActionStatus.EFFECTIVE, implemented_on=timezone.localdate() - timedelta(weeks=10)
    )

    response = _post_change(client, action, title="Capacitar al personal de caja (turno noche)")

    assert response.status_code == 302, _errors(response)
    action.refresh_from_db()
    assert (action.status, action.title) == (ActionStatus.EFFECTIVE, "Capacitar al personal de caja (turno noche)")
    assert 'name="status"' not in client.get(_url("actionitem", "change", action.pk)).content.decode()


# Meetings ---------------------------------------------------------------------------------------------------


def test_a_new_meeting_gets_its_agenda_and_inline_decisions_their_baseline(client, council, owner, file_complaint):
    cause = cause_get("TST-01")
    for days_ago in (2, 9, 30):
        _classified(file_complaint, cause, days_ago=days_ago)
    page = client.get(_url("councilmeeting", "add"))
    data = _form_data(page)
    prefix = _prefix(page, ActionItem)
    data.update(
        {
            "held_on": timezone.localdate().isoformat(),
            "attendees": [council.pk, owner.pk],
            "guests": "Carla Ríos, logística",
            "minutes": "Se acordó revisar las entregas.",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-title": "Revisar la promesa de entrega",
            f"{prefix}-0-causes": [cause.pk],
            f"{prefix}-0-owner": owner.pk,
            f"{prefix}-0-due_date": (timezone.localdate() + timedelta(days=21)).isoformat(),
            f"{prefix}-0-target_reduction_pct": "30",
            f"{prefix}-0-verification_weeks": "8",
        }
    )

    response = client.post(_url("councilmeeting", "add"), data)

    assert response.status_code == 302, _errors(response)
    meeting = CouncilMeeting.objects.get()
    assert meeting.agenda_generated_at is not None
    assert meeting.agenda["today"] == timezone.localdate().isoformat()
    assert [(r["code"], r["count"]) for r in meeting.agenda["top_causes"]] == [("TST-01", 2)]  # last 4 weeks
    decision = meeting.decisions.get()
    assert (decision.owner, decision.created_by, list(decision.causes.all())) == (owner, council, [cause])
    assert decision.baseline_rate == Decimal("0.25")
    assert decision.events.filter(type=ActionItemEvent.Type.CREATED).count() == 1
    change = client.get(_url("councilmeeting", "change", meeting.pk)).content.decode()
    assert "1. Nuevas alertas de causas recurrentes" in change
    assert "Regenerar agenda con los datos de hoy" in change
    assert reverse("council:meeting_agenda_pdf", args=[meeting.pk]) in change
    assert reverse("council:meeting_minutes_pdf", args=[meeting.pk]) in change


def test_a_decision_without_cause_is_refused_inline(client, council, owner):
    page = client.get(_url("councilmeeting", "add"))
    data = _form_data(page)
    prefix = _prefix(page, ActionItem)
    data.update(
        {
            "held_on": timezone.localdate().isoformat(),
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-title": "Sin causa",
            f"{prefix}-0-owner": owner.pk,
            f"{prefix}-0-due_date": (timezone.localdate() + timedelta(days=21)).isoformat(),
            f"{prefix}-0-target_reduction_pct": "30",
            f"{prefix}-0-verification_weeks": "8",
        }
    )

    response = client.post(_url("councilmeeting", "add"), data)

    assert response.status_code == 200
    assert MSG_NO_CAUSE in response.content.decode()
    assert not CouncilMeeting.objects.exists()


def test_the_button_and_the_admin_action_regenerate_the_agenda(client, council, file_complaint):
    cause = cause_get("TST-01")
    _classified(file_complaint, cause, days_ago=2)
    meeting = meeting_agenda_generate(
        meeting=CouncilMeeting.objects.create(held_on=timezone.localdate()), scope=Scope.everything()
    )
    assert meeting.agenda["total"] == 1
    _classified(file_complaint, cause, days_ago=1)

    assert client.get(_url("councilmeeting", "regenerate_agenda", meeting.pk)).status_code == 405
    response = client.post(_url("councilmeeting", "regenerate_agenda", meeting.pk))

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.agenda["total"] == 2
    _classified(file_complaint, cause, days_ago=1)
    response = client.post(
        _url("councilmeeting", "changelist"),
        {"action": "regenerate_agenda", "_selected_action": [meeting.pk], "index": 0},
        follow=True,
    )
    meeting.refresh_from_db()
    assert meeting.agenda["total"] == 3
    assert "Agenda regenerada con los datos de hoy en 1 reunión(es)." in response.content.decode()


def test_regenerating_needs_the_right_to_change_meetings(client, file_complaint):
    meeting = CouncilMeeting.objects.create(held_on=timezone.localdate())
    reader = staff_user(
        "auditora",
        Role.AUDITOR,
        all_establishments=True,
        first_name="Auditora",
        last_name="Paredes",
        perms=["view_councilmeeting"],
    )
    client.force_login(reader)

    assert client.get(_url("councilmeeting", "change", meeting.pk)).status_code == 200
    assert client.post(_url("councilmeeting", "regenerate_agenda", meeting.pk)).status_code == 403
    meeting.refresh_from_db()
    assert meeting.agenda_generated_at is None


def test_a_scoped_council_member_creates_a_meeting_of_one_of_her_establishments(client, establishment, file_complaint):
    """The admin follows /consejo/reuniones/: a scoped member picks one of her establishments (no "all"), and
    the agenda covers that establishment, not others she cannot see."""
    elsewhere = EstablishmentFactory(name="Tienda Arequipa")
    member = staff_user("consejo.sur", Role.COUNCIL, establishments=[establishment], perms=council_rights())
    client.force_login(member)
    cause = cause_get("TST-01")
    _classified(file_complaint, cause, days_ago=2)
    theirs = complaint_file(**filing_kwargs(establishment=elsewhere, filed_at=timezone.now() - timedelta(days=2)))
    Complaint.objects.filter(pk=theirs.pk).update(cause=cause)

    page = client.get(_url("councilmeeting", "add"))
    field = page.context["adminform"].form.fields["establishment"]
    assert list(field.queryset) == [establishment]
    assert field.required
    data = _form_data(page)
    data.update({"held_on": timezone.localdate().isoformat(), "attendees": [member.pk]})
    data.pop("establishment", None)
    refused = client.post(_url("councilmeeting", "add"), data)
    assert refused.status_code == 200
    assert "establishment" in _errors(refused)
    assert client.post(_url("councilmeeting", "add"), {**data, "establishment": elsewhere.pk}).status_code == 200

    response = client.post(_url("councilmeeting", "add"), {**data, "establishment": establishment.pk})

    assert response.status_code == 302, _errors(response)
    meeting = CouncilMeeting.objects.get()
    assert meeting.establishment == establishment
    assert meeting.agenda["total"] == 1  # Arequipa's hoja is not on it
    assert client.get(reverse("council:meeting", args=[meeting.pk])).status_code == 200
