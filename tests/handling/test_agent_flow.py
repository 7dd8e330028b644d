"""The agent's flow (issue 13, capability 5): saved personal queue views, the next hoja of the view the agent
came from ("Siguiente hoja", "Guardar y siguiente"), and the queue's search over what the consumer wrote."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.handling.agent_flow import (
    MSG_NAME_REQUIRED,
    SAVED_VIEWS_MAX,
    SavedViewError,
    queue_query_clean,
    queue_query_describe,
    queue_query_filters,
    saved_view_create,
    saved_view_list,
    saved_view_rename,
)
from reclamaciones.handling.approval_models import ApprovalRequest
from reclamaciones.handling.approvals import settlement_offer_propose
from reclamaciones.handling.followup_models import RemedyRecord
from reclamaciones.handling.forms import QueueFilterForm
from reclamaciones.handling.models import SavedQueueView
from reclamaciones.handling.selectors import QueueCursor, complaint_queue_next
from reclamaciones.handling.services import complaint_classify

from ..factories import cause_get, hoja_answered, staff_user
from .settlement_support import lima
from .staff_support import ANSWER, PASSWORD, _filed_with_days_left

pytestmark = pytest.mark.django_db


def _detail(pk: int, desde: str = "") -> str:
    return reverse("staff:detail", args=[pk]) + "?" + urlencode({"desde": desde})


def _back_on(response, pk: int, desde: str) -> str:
    """Assert `response` lands back on hoja `pk` in the view `desde`, keeping its place; return that place."""
    where = urlsplit(response["Location"])
    params = parse_qs(where.query, keep_blank_values=True)
    assert (where.path, params["desde"]) == (reverse("staff:detail", args=[pk]), [desde])
    assert QueueCursor.decode(params["tras"][0]).pk == pk
    return params["tras"][0]


# -- the query string of a view --------------------------------------------------------------------------------


def test_a_view_keeps_only_the_queue_filters_that_validate_in_the_forms_order(
    agent, establishment, other_establishment
):
    scope = Scope.of(agent)
    query = (
        f"q=+cobro+&vencidas=on&estado=abiertas&cursor=s.o.2026-01-01.1.1&page=3&foo=bar&tipo=nada"
        f"&establecimiento={other_establishment.pk}&responsable=-4&mias=on"
    )
    # the cursor, the page, unknown parameters, an unknown kind, a negative person and an establishment out
    # of scope are dropped
    assert queue_query_clean(query, scope=scope) == "q=cobro&estado=abiertas&mias=on&vencidas=on"
    assert queue_query_clean(f"establecimiento={establishment.pk}", scope=scope) == (
        f"establecimiento={establishment.pk}"
    )
    assert queue_query_clean("", scope=scope) == ""


# -- saved views: rules ----------------------------------------------------------------------------------------


def test_saved_views_are_personal_named_once_per_person_and_limited(agent, agent_b):
    ana, berta = Scope.of(agent), Scope.of(agent_b)
    saved_view_create(scope=ana, name="  Mis   vencidas ", query="vencidas=on&mias=on&cursor=x")
    saved_view_create(scope=berta, name="Mis vencidas", query="vencidas=on")  # the same name, another person

    [view] = saved_view_list(scope=ana)
    assert (view.name, view.query, view.owner) == ("Mis vencidas", "mias=on&vencidas=on", agent)
    with pytest.raises(SavedViewError, match="Ya tienes una vista llamada «MIS VENCIDAS»") as taken:
        saved_view_create(scope=ana, name="MIS VENCIDAS", query="")
    assert taken.value.field == "name"
    with pytest.raises(SavedViewError, match="Escribe un nombre"):
        saved_view_create(scope=ana, name="   ", query="")

    for i in range(SAVED_VIEWS_MAX - 1):
        saved_view_create(scope=ana, name=f"Vista {i}", query=f"q=v{i}")
    with pytest.raises(SavedViewError, match=f"Ya tienes {SAVED_VIEWS_MAX} vistas"):
        saved_view_create(scope=ana, name="Una más", query="")
    assert len(saved_view_list(scope=berta)) == 1


def test_saving_the_current_view_from_the_queue_and_opening_it(client, agent, file_complaint):
    file_complaint(consumer_name="Rosa Ñahui")
    file_complaint(consumer_name="Luis Torres")
    client.force_login(agent)
    queue = client.get(reverse("staff:queue"), {"q": "nahui", "estado": "abiertas"})
    html = queue.content.decode()
    assert "Guardar esta vista" in html
    assert queue.context["current_query"] == "q=nahui&estado=abiertas"

    response = client.post(
        reverse("staff:saved-views"), {"vista-name": "Ñahui abiertas", "vista-consulta": "q=nahui&estado=abiertas"}
    )

    view = SavedQueueView.objects.get(owner=agent)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue") + "?q=nahui&estado=abiertas"
    opened = client.get(response["Location"])
    assert [r.complaint.consumer_name for r in opened.context["rows"]] == ["Rosa Ñahui"]
    page = opened.content.decode()
    assert "Vista «Ñahui abiertas» guardada" in page
    assert f'href="/gestion/?q=nahui&amp;estado=abiertas" aria-current="true">{view.name}</a>' in page
    assert "Guardar esta vista" not in page  # it is saved already


def test_a_saved_view_never_shows_other_establishments_hojas(client, agent, agent_b, file_complaint, hoja_b):
    mine = file_complaint(consumer_name="Rosa Quispe")
    # A view stored with the other establishment's id and a search that matches its hoja (Pedro Quispe Mamani):
    # the queue applies Ana's scope when it is opened.
    view = SavedQueueView.objects.create(
        owner=agent, name="Todo", query=f"establecimiento={hoja_b.establishment_id}&q=quispe"
    )
    client.force_login(agent)

    rows = client.get(reverse("staff:queue") + "?" + view.query).context["rows"]

    assert [r.complaint for r in rows] == [mine]
    # saved from the queue, the establishment out of scope is not even stored
    saved = saved_view_create(scope=Scope.of(agent), name="Otra", query=view.query)
    assert saved.query == "q=quispe"


def test_another_persons_view_is_a_404_and_the_list_is_only_mine(client, agent, agent_b):
    hers = saved_view_create(scope=Scope.of(agent_b), name="De Berta", query="vencidas=on")
    mine = saved_view_create(scope=Scope.of(agent), name="De Ana", query="mias=on")
    client.force_login(agent)

    assert client.post(reverse("staff:saved-view-rename", args=[hers.pk]), {"name": "Mía"}).status_code == 404
    assert client.post(reverse("staff:saved-view-delete", args=[hers.pk])).status_code == 404
    page = client.get(reverse("staff:saved-views")).content.decode()
    assert "De Ana" in page
    assert "De Berta" not in page
    assert "Asignadas a mí" in page  # the filters in words
    assert SavedQueueView.objects.get(pk=hers.pk).name == "De Berta"

    renamed = client.post(reverse("staff:saved-view-rename", args=[mine.pk]), {"name": "Las mías"})
    assert renamed.status_code == 302
    assert SavedQueueView.objects.get(pk=mine.pk).name == "Las mías"
    deleted = client.post(reverse("staff:saved-view-delete", args=[mine.pk]))
    assert deleted.status_code == 302
    assert not SavedQueueView.objects.filter(pk=mine.pk).exists()


def test_bad_names_get_a_message_next_to_the_field_not_a_500(client, agent):
    saved_view_create(scope=Scope.of(agent), name="Vencidas", query="vencidas=on")
    other = saved_view_create(scope=Scope.of(agent), name="Otra", query="mias=on")
    client.force_login(agent)

    empty = client.post(reverse("staff:saved-views"), {"vista-name": "", "vista-consulta": "vencidas=on"})
    assert empty.status_code == 400
    assert 'id="vista-name-error"' in empty.content.decode()
    taken = client.post(reverse("staff:saved-views"), {"vista-name": "vencidas", "vista-consulta": "semana=on"})
    assert taken.status_code == 400
    assert "Ya tienes una vista llamada «vencidas»" in taken.content.decode()
    clash = client.post(reverse("staff:saved-view-rename", args=[other.pk]), {"name": "VENCIDAS"})
    assert clash.status_code == 400
    assert f'id="nombre-{other.pk}-error"' in clash.content.decode()
    assert SavedQueueView.objects.filter(owner=agent).count() == 2


def test_the_queue_reads_the_saved_views_in_one_query(client, agent, file_complaint):
    file_complaint()
    client.force_login(agent)
    with CaptureQueriesContext(connection) as none_saved:
        client.get(reverse("staff:queue"))
    for i in range(6):
        saved_view_create(scope=Scope.of(agent), name=f"Vista {i}", query=f"q=cliente{i}")
    with CaptureQueriesContext(connection) as six_saved:
        response = client.get(reverse("staff:queue"))
    assert len(response.context["saved_views"]) == 6
    assert len(six_saved) == len(none_saved)
    assert sum("reclamaciones_savedqueueview" in q["sql"] for q in six_saved.captured_queries) == 1


# -- the next hoja ---------------------------------------------------------------------------------------------


@pytest.fixture
def three_open(file_complaint):
    """Three open hojas in queue order (the most urgent first) and an answered one after them."""
    late = _filed_with_days_left(file_complaint, -2, consumer_name="Primera Vencida", detail="Me cobraron dos veces.")
    soon = _filed_with_days_left(file_complaint, 1, consumer_name="Segunda Urgente")
    relaxed = _filed_with_days_left(file_complaint, 9, consumer_name="Tercera Holgada")
    return [late, soon, relaxed]


def test_the_next_hoja_follows_the_queue_order_keyset_and_ends(agent, file_complaint, three_open):
    done = _filed_with_days_left(file_complaint, 3, consumer_name="Cuarta Respondida")
    done = hoja_answered(done, by=agent, text="Respuesta.")
    scope, today = Scope.of(agent), timezone.localdate()
    late, soon, relaxed = three_open

    def after(c):
        return QueueCursor.of(c, forward=True, position=1)

    assert complaint_queue_next(scope=scope, today=today, after=after(late)) == soon
    assert complaint_queue_next(scope=scope, today=today, after=after(soon)) == relaxed
    assert complaint_queue_next(scope=scope, today=today, after=after(relaxed)) == done  # then the closed ones
    assert complaint_queue_next(scope=scope, today=today, after=after(done)) is None
    # in a view of the open hojas only, the last open one is the end
    assert complaint_queue_next(scope=scope, today=today, after=after(relaxed), status="abiertas") is None
    # a filter: the next one that matches
    assert complaint_queue_next(scope=scope, today=today, after=after(late), query="holgada") == relaxed


def test_the_queue_links_carry_the_view_and_the_detail_offers_the_next_hoja(client, agent, three_open):
    late, soon, _relaxed = three_open
    client.force_login(agent)
    queue = client.get(reverse("staff:queue"), {"estado": "abiertas"}).content.decode()
    assert f'href="{reverse("staff:detail", args=[late.pk])}?desde=estado%3Dabiertas"' in queue

    page = client.get(_detail(late.pk, "estado=abiertas"))

    html = page.content.decode()
    assert page.context["flow"].next == soon
    assert f'href="{_detail(soon.pk, "estado=abiertas").replace("&", "&amp;")}" rel="next"' in html
    assert 'href="/gestion/?estado=abiertas">Volver a la vista' in html
    assert html.count("Guardar y siguiente") == 3  # responsable, causa, nota


def test_the_last_hoja_of_a_view_says_so(client, agent, three_open):
    client.force_login(agent)
    html = client.get(_detail(three_open[2].pk, "estado=abiertas")).content.decode()
    assert "Última hoja de la vista" in html
    assert 'data-shortcut="next"' not in html
    assert "Guardar y volver a la vista" in html


def test_save_and_next_saves_then_lands_on_the_next_hoja(client, agent, three_open):
    late, soon, relaxed = three_open
    client.force_login(agent)
    form = {"desde": "estado=abiertas", "siguiente": "1"}

    response = client.post(reverse("staff:note", args=[late.pk]), {"note-text": "Llamé al cliente.", **form})

    assert response.status_code == 302
    assert response["Location"] == _detail(soon.pk, "estado=abiertas")
    assert late.events.filter(type="note").exists()
    cause = cause_get()
    response = client.post(reverse("staff:classify", args=[soon.pk]), {"classify-cause": cause.pk, **form})
    assert response["Location"] == _detail(relaxed.pk, "estado=abiertas")
    soon.refresh_from_db()
    assert soon.cause == cause
    response = client.post(reverse("staff:assign", args=[relaxed.pk]), {"assign-assignee": agent.pk, **form})
    assert response["Location"] == "/gestion/?estado=abiertas"  # the end of the view: back to it, with a word
    assert "Llegaste al final de esta vista" in client.get(response["Location"]).content.decode()


def test_save_without_next_stays_on_the_hoja_and_keeps_the_view(client, agent, three_open):
    late = three_open[0]
    client.force_login(agent)
    response = client.post(reverse("staff:note", args=[late.pk]), {"note-text": "Nota.", "desde": "vencidas=on"})
    _back_on(response, late.pk, "vencidas=on")
    response = client.post(reverse("staff:note", args=[late.pk]), {"note-text": "Nota."})
    assert response["Location"] == reverse("staff:detail", args=[late.pk])


def test_a_refused_save_and_next_stays_on_the_hoja_in_its_view(client, agent, agent_b, three_open):
    late = three_open[0]
    client.force_login(agent)
    response = client.post(
        reverse("staff:assign", args=[late.pk]),
        {"assign-assignee": agent_b.pk, "desde": "estado=abiertas", "siguiente": "1"},  # Berta works elsewhere
    )
    _back_on(response, late.pk, "estado=abiertas")
    late.refresh_from_db()
    assert late.assignee is None


def test_the_place_seen_on_the_page_survives_an_action_that_moves_the_hoja(client, agent, three_open):
    """The hoja was open when the agent opened it from the default view; answered meanwhile (closed segment), the
    next one is still the next open hoja, not the newest closed one."""
    late, soon, _relaxed = three_open
    seen = QueueCursor.of(late, forward=True, position=1).encode()
    hoja_answered(late, by=agent, text="Respuesta.")
    client.force_login(agent)
    response = client.post(
        reverse("staff:note", args=[late.pk]), {"note-text": "Nota.", "desde": "", "tras": seen, "siguiente": "1"}
    )
    assert response["Location"] == _detail(soon.pk, "")


def test_answering_keeps_the_view_and_its_next_hoja_is_the_next_open_one(client, agent, three_open):
    """From the hoja's page to the answer page and back: once answered the hoja sorts among the closed ones, and
    its "Siguiente hoja" must still be the view's next open hoja."""
    late, soon, _relaxed = three_open
    client.force_login(agent)
    detail = client.get(_detail(late.pk, "")).content.decode()
    answer_path = reverse("staff:answer", args=[late.pk])
    answer_link = re.search(rf'href="({answer_path}\?[^"]+)" data-shortcut="answer"', detail)
    answer_url = answer_link.group(1).replace("&amp;", "&")
    answer_page = client.get(answer_url).content.decode()
    tras = parse_qs(urlsplit(answer_url).query)["tras"][0]
    assert f'name="tras" value="{tras}"' in answer_page
    assert 'name="desde" value=""' in answer_page

    response = client.post(reverse("staff:answer-send", args=[late.pk]), {**ANSWER, "desde": "", "tras": tras})

    assert _back_on(response, late.pk, "") == tras
    late.refresh_from_db()
    assert late.status == "answered"
    assert client.get(response["Location"]).context["flow"].next == soon


def test_a_tampered_desde_never_widens_the_scope(client, agent, file_complaint, hoja_b, other_establishment):
    mine = _filed_with_days_left(file_complaint, 5, consumer_name="Rosa Quispe")
    client.force_login(agent)
    desde = f"establecimiento={other_establishment.pk}&q=quispe&cursor=zzz&x=<script>"
    page = client.get(_detail(mine.pk, desde))
    assert page.status_code == 200
    assert page.context["flow"].desde == "q=quispe"
    assert page.context["flow"].next is None  # Pedro Quispe (hoja_b) is out of Ana's scope
    response = client.post(reverse("staff:note", args=[mine.pk]), {"note-text": "x", "desde": desde, "siguiente": "1"})
    assert response["Location"] == "/gestion/?q=quispe"


def test_the_next_hoja_costs_one_query_on_the_detail_page(client, agent, three_open):
    client.force_login(agent)
    with CaptureQueriesContext(connection) as without:
        client.get(reverse("staff:detail", args=[three_open[0].pk]))
    with CaptureQueriesContext(connection) as with_view:
        client.get(_detail(three_open[0].pk, "estado=abiertas&q=segunda"))
    assert len(with_view) == len(without) + 1


def test_a_reader_sees_the_next_link_but_no_save_buttons(client, establishment, three_open):
    council = staff_user("carla", Role.COUNCIL, establishments=[establishment], password=PASSWORD)
    client.force_login(council)
    html = client.get(_detail(three_open[0].pk, "")).content.decode()
    assert 'data-shortcut="next"' in html
    assert "Guardar y siguiente" not in html


# -- search over what the consumer wrote -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("cobro", {"cobro"}),  # "Cobró", accent- and case-insensitive
        ("COBRÓ", {"cobro"}),
        ("nahui", {"nahui"}),  # "Ñahui" in the detail
        ("ñahui", {"nahui"}),
        ("dos veces", {"cobro"}),  # every word, in any order
        ("veces dos", {"cobro"}),
        ("reembolso", {"pedido"}),  # a word of the request (pedido)
        ("PED-77", {"pedido"}),
        ("pantalla", set()),
        ("cobro pantalla", set()),
    ],
)
def test_the_search_finds_words_of_the_detail_and_the_request(client, agent, file_complaint, query, found):
    hojas = {
        "cobro": file_complaint(consumer_name="Luis Torres", detail="Me Cobró dos veces el mismo producto."),
        "nahui": file_complaint(consumer_name="Ana Ríos", detail="Atendió la señora ÑAHUI en caja."),
        "pedido": file_complaint(
            consumer_name="José Díaz", detail="No llegó el pedido PED-7781.", request="Pido el reembolso."
        ),
    }
    client.force_login(agent)
    rows = client.get(reverse("staff:queue"), {"q": query}).context["rows"]
    assert {key for key, hoja in hojas.items() if hoja in [r.complaint for r in rows]} == found


def test_the_search_still_finds_names_and_documents(client, agent, file_complaint):
    rosa = file_complaint(consumer_name="Rosa Ñahui Quispe", doc_number="41234567")
    client.force_login(agent)
    for query in ("nahui", "41234567", "ÑAHUI QUI"):
        rows = client.get(reverse("staff:queue"), {"q": query}).context["rows"]
        assert [r.complaint for r in rows] == [rosa], query


def test_a_detail_search_of_another_establishment_finds_nothing(client, agent, file_complaint, other_establishment):
    file_complaint(establishment=other_establishment, detail="Me cobraron de más en la tienda de Arequipa.")
    client.force_login(agent)
    assert client.get(reverse("staff:queue"), {"q": "arequipa"}).context["rows"] == []


def test_the_detail_links_round_trip_the_view(client, agent, three_open):
    client.force_login(agent)
    html = client.get(reverse("staff:queue"), {"q": "urgente", "semana": "on", "page": "2"}).content.decode()
    start = html.index(reverse("staff:detail", args=[three_open[1].pk]) + "?desde=")
    href = html[start : html.index('"', start)].replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query)["desde"] == ["q=urgente&semana=on"]


def test_a_view_name_is_text_never_markup(client, agent):
    saved_view_create(scope=Scope.of(agent), name='<img src=x onerror="alert(1)">', query="q=<b>hola</b>")
    client.force_login(agent)
    for url in (reverse("staff:queue"), reverse("staff:saved-views")):
        html = client.get(url).content.decode()
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
        assert "<b>hola</b>" not in html


# -- every action of the hoja keeps the view -------------------------------------------------------------------

_FORM = re.compile(r'<form\b[^>]*\baction="(/gestion/hojas/\d+/[^"]*)"[^>]*>(.*?)</form>', re.S)

REMEDY = {
    "remedy-outcome": "done",
    "remedy-what_done": "Te devolvimos S/ 120.00 a tu tarjeta.",
    "remedy-evidence_reference": "NC B001-000123",
    "remedy-evidence_notes": "",
}


@pytest.fixture
def supervisor(establishment):
    return staff_user("sofia", Role.SUPERVISOR, establishments=[establishment], password=PASSWORD, first_name="Sofía")


@pytest.fixture
def strict(establishment):
    """Agents' offers wait for a supervisor's approval."""
    establishment.offers_need_approval = True
    establishment.save(update_fields=["offers_need_approval"])
    return establishment


def _classified(complaint, agent):
    complaint_classify(complaint_id=complaint.pk, cause=cause_get(), scope=Scope.of(agent))
    return complaint


def _in_view(complaint, desde: str) -> dict:
    """The hidden fields of the hoja's forms when it was opened from the view `desde`."""
    return {"desde": desde, "tras": QueueCursor.of(complaint, forward=True, position=1).encode()}


def _remedy(complaint) -> dict:
    return {**REMEDY, "remedy-done_on": timezone.localdate().isoformat()}


def test_every_action_form_of_the_hoja_carries_the_view(client, strict, agent, supervisor, file_complaint):
    waiting = _classified(file_complaint(good_type=""), agent)
    settlement_offer_propose(complaint_id=waiting.pk, text="Te cambiamos el equipo.", scope=Scope.of(agent))
    offerable = _classified(file_complaint(consumer_name="Luis Torres"), agent)
    answered = hoja_answered(_classified(file_complaint(consumer_name="Rosa Quispe"), agent), by=agent)
    client.force_login(supervisor)

    seen = set()
    for complaint in (waiting, offerable, answered):
        html = client.get(_detail(complaint.pk, "vencidas=on")).content.decode()
        for action, body in _FORM.findall(html):
            name = resolve(action).url_name
            assert 'name="desde" value="vencidas=on"' in body, name
            assert f'name="tras" value="{QueueCursor.of(complaint, forward=True, position=1).encode()}"' in body, name
            seen.add(name)
            if name == "remedy":  # a «Solución pendiente de cumplir» view is worked through from here
                assert "Guardar y siguiente" in body or "Guardar y volver a la vista" in body

    expected = {"assign", "note", "classify", "good-type", "reclassify", "offer", "close", "remedy"}
    assert expected | {"approval-grant", "approval-refuse"} <= seen


def test_each_action_of_the_hoja_lands_back_on_it_in_its_view(client, agent, file_complaint):
    client.force_login(agent)
    desde = "q=torres&estado=abiertas"

    def post(name, complaint, data):
        fields = _in_view(complaint, desde)
        response = client.post(reverse(f"staff:{name}", args=[complaint.pk]), {**data, **fields})
        assert response.status_code == 302, name
        assert _back_on(response, complaint.pk, desde) == fields["tras"], name
        return response

    hoja = file_complaint(good_type="", kind="reclamo", consumer_name="Luis Torres")
    post("good-type", hoja, {"good_type-good_type": "ambos"})
    post("reclassify", hoja, {"reclassify-kind": "queja", "reclassify-reason": "Es por la atención."})
    post("reclassify", hoja, {"reclassify-kind": "reclamo", "reclassify-reason": "Era el producto."})
    post("classify", hoja, {"classify-cause": cause_get().pk})
    post("offer", hoja, {"offer-text": "Te devolvemos el dinero."})
    hoja.refresh_from_db()
    assert (hoja.good_type_classified, hoja.status) == ("ambos", "settlement_offered")

    answered = hoja_answered(_classified(file_complaint(consumer_name="Rosa Torres"), agent), by=agent)
    landed = post("remedy", answered, _remedy(answered))
    assert urlsplit(landed["Location"]).fragment == "cumplimiento"
    assert RemedyRecord.objects.filter(complaint=answered).exists()
    post("close", answered, {})
    answered.refresh_from_db()
    assert answered.status == "closed"
    # refused (the hoja is closed): back on it all the same, even with «Guardar y siguiente»
    post("offer", answered, {"offer-text": "Otra.", "siguiente": "1"})


def test_the_approval_decisions_land_back_on_the_hoja_in_its_view(client, strict, agent, supervisor, file_complaint):
    first = _classified(file_complaint(consumer_name="Luis Torres"), agent)
    second = _classified(file_complaint(consumer_name="Rosa Torres"), agent)
    granted = settlement_offer_propose(complaint_id=first.pk, text="Te cambiamos el equipo.", scope=Scope.of(agent))
    returned = settlement_offer_propose(complaint_id=second.pk, text="Te damos un vale.", scope=Scope.of(agent))
    client.force_login(supervisor)
    desde = "por_aprobar=on"

    grant = client.post(
        reverse("staff:approval-grant", args=[first.pk]), {"solicitud": granted.pk, **_in_view(first, desde)}
    )
    back = client.post(
        reverse("staff:approval-refuse", args=[second.pk]),
        {"solicitud": returned.pk, "motivo": "Ofrece el cambio.", **_in_view(second, desde)},
    )
    # refused (already decided), with «Guardar y siguiente»: back on the hoja, in its view
    again = client.post(
        reverse("staff:approval-grant", args=[first.pk]),
        {"solicitud": granted.pk, "siguiente": "1", **_in_view(first, desde)},
    )
    bad = client.post(reverse("staff:approval-grant", args=[first.pk]), {"solicitud": "x", **_in_view(first, desde)})

    _back_on(grant, first.pk, desde)
    _back_on(back, second.pk, desde)
    _back_on(again, first.pk, desde)
    _back_on(bad, first.pk, desde)
    statuses = dict(ApprovalRequest.objects.values_list("pk", "status"))
    assert (statuses[granted.pk], statuses[returned.pk]) == ("approved", "returned")


def test_save_and_next_works_through_a_pending_remedy_view(client, agent, file_complaint):
    for name in ("Ana Uno", "Beto Dos", "Carla Tres"):
        hoja_answered(file_complaint(consumer_name=name), by=agent)
    client.force_login(agent)
    desde = "estado=por-cumplir"
    queue = client.get(reverse("staff:queue") + "?" + desde)
    first, second, third = [row.complaint for row in queue.context["rows"]]

    step = client.post(
        reverse("staff:remedy", args=[first.pk]), {**_remedy(first), **_in_view(first, desde), "siguiente": "1"}
    )
    assert step["Location"] == _detail(second.pk, desde)
    page = client.get(step["Location"])
    assert page.context["flow"].next == third
    assert "Guardar y siguiente" in page.content.decode()
    step = client.post(
        reverse("staff:remedy", args=[second.pk]), {**_remedy(second), **_in_view(second, desde), "siguiente": "1"}
    )
    assert step["Location"] == _detail(third.pk, desde)
    step = client.post(
        reverse("staff:remedy", args=[third.pk]), {**_remedy(third), **_in_view(third, desde), "siguiente": "1"}
    )
    assert step["Location"] == "/gestion/?estado=por-cumplir"
    assert [r.complaint for r in client.get(step["Location"]).context["rows"]] == []


def test_a_refused_remedy_stays_on_the_hoja_in_its_view(client, agent, three_open):
    late = three_open[0]  # open: nothing to follow through yet
    client.force_login(agent)
    response = client.post(
        reverse("staff:remedy", args=[late.pk]), {**_remedy(late), **_in_view(late, "vencidas=on"), "siguiente": "1"}
    )
    _back_on(response, late.pk, "vencidas=on")


def test_extending_the_deadline_keeps_the_view(client, monkeypatch, file_complaint, supervisor):
    monkeypatch.setattr(timezone, "now", lambda: lima(2021, 3, 20, 12))
    old = file_complaint(filed_at=lima(2021, 3, 1))
    client.force_login(supervisor)
    html = client.get(_detail(old.pk, "")).content.decode()
    [(action, body)] = [(a, b) for a, b in _FORM.findall(html) if resolve(a).url_name == "extend"]
    assert 'name="desde" value=""' in body

    response = client.post(action, {"extend-days": 30, "extend-reason": "Informe del fabricante.", **_in_view(old, "")})

    _back_on(response, old.pk, "")
    old.refresh_from_db()
    assert old.due_date.isoformat() == "2021-04-30"


def test_an_answer_page_refused_goes_back_to_the_hoja_in_its_view(client, agent, file_complaint):
    answered = hoja_answered(file_complaint(), by=agent)
    client.force_login(agent)
    fields = _in_view(answered, "mias=on")
    response = client.get(reverse("staff:answer", args=[answered.pk]) + "?" + urlencode(fields))
    assert _back_on(response, answered.pk, "mias=on") == fields["tras"]


# -- saved views: names, the limit, the description ---------------------------------------------------------------


def test_a_name_with_a_nul_byte_is_a_400_next_to_the_field_never_a_500(client, agent):
    view = saved_view_create(scope=Scope.of(agent), name="Vencidas", query="vencidas=on")
    client.force_login(agent)

    response = client.post(reverse("staff:saved-view-rename", args=[view.pk]), {"name": "Mis\x00vencidas"})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="nombre-{view.pk}-error"' in html
    assert "Los caracteres nulos no están permitidos" in html
    assert SavedQueueView.objects.get(pk=view.pk).name == "Vencidas"
    created = client.post(reverse("staff:saved-views"), {"vista-name": "a\x00b", "vista-consulta": "semana=on"})
    assert created.status_code == 400
    assert SavedQueueView.objects.filter(owner=agent).count() == 1


def test_the_services_drop_control_characters_and_refuse_a_name_left_empty(agent):
    scope = Scope.of(agent)
    view = saved_view_create(scope=scope, name="Mis\x00venci\x07das\x1b", query="vencidas=on")
    assert view.name == "Mis venci das"
    assert saved_view_rename(scope=scope, view_id=view.pk, name="\tLas\x00mías\n").name == "Las mías"
    for name in ("\x00", "\x00\x01\x7f", " \u2028 "):
        with pytest.raises(SavedViewError, match=MSG_NAME_REQUIRED):
            saved_view_create(scope=scope, name=name, query="")
        with pytest.raises(SavedViewError, match=MSG_NAME_REQUIRED):
            saved_view_rename(scope=scope, view_id=view.pk, name=name)


@pytest.mark.django_db(transaction=True)
def test_racing_saves_cannot_beat_the_limit(agent, monkeypatch):
    """Two saves of the last allowed view at the same moment: the owner's row is locked before counting, so the
    second one waits, counts the first one's view and is refused."""
    import contextlib
    import threading

    from django.db import connection as conn

    from reclamaciones.handling import agent_flow

    scope = Scope.of(agent)
    for i in range(SAVED_VIEWS_MAX - 1):
        saved_view_create(scope=scope, name=f"Vista {i}", query=f"q=v{i}")
    both_counted = threading.Barrier(2, timeout=2)  # without the lock both would get here having counted 19
    name_taken = agent_flow._name_taken

    def slow_name_taken(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):  # the lock held the other one back
            both_counted.wait()
        return name_taken(**kwargs)

    monkeypatch.setattr(agent_flow, "_name_taken", slow_name_taken)
    outcomes = []

    def save(name):
        try:
            saved_view_create(scope=scope, name=name, query="")
            outcomes.append("saved")
        except SavedViewError as exc:
            outcomes.append(str(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=save, args=(f"Carrera {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == sorted(
        ["saved", f"Ya tienes {SAVED_VIEWS_MAX} vistas guardadas: elimina alguna antes de guardar otra."]
    )
    assert SavedQueueView.objects.filter(owner=agent).count() == SAVED_VIEWS_MAX


def test_every_queue_filter_is_described(agent, establishment):
    scope = Scope.of(agent)

    def describe(query):
        return queue_query_describe(query, scope=scope, establishment_names={establishment.pk: establishment.name})

    assert describe("por_aprobar=on") == "Por aprobar"
    assert describe("estado=por-cumplir") == "Solución pendiente de cumplir"
    assert describe("") == "Todas las hojas"
    # every parameter the queue's form accepts says something (a new filter is never «Todas las hojas»)
    samples = {"q": "cobro", "estado": "abiertas", "establecimiento": str(establishment.pk), "tipo": "queja"}
    for name in QueueFilterForm(establishments=[]).fields:
        value = samples.get(name, str(agent.pk) if name == "responsable" else "on")
        query = queue_query_clean(urlencode({name: value}), scope=scope)
        assert query, name
        assert queue_query_filters(query, scope=scope), name
        assert describe(query) != "Todas las hojas", name
