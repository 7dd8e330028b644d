"""The agent's flow in the back office (/gestion/): saved personal queue views (list, save, rename, delete) and
where an action on a hoja lands ("Guardar y siguiente"). Thin views over handling.agent_flow."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View

from ..access import Scope, StaffRequiredMixin
from ..book.models import Complaint, Establishment
from .agent_flow import (
    SAVED_VIEWS_MAX,
    SavedViewError,
    flow_of,
    queue_query_clean,
    queue_query_describe,
    saved_view_create,
    saved_view_delete,
    saved_view_get,
    saved_view_list,
    saved_view_rename,
)
from .forms import StaffForm
from .models import SavedQueueView

MSG_SAVED = "Vista «{name}» guardada: la tienes arriba de la bandeja."

MSG_RENAMED = "La vista ahora se llama «{name}»."

MSG_DELETED = "Vista «{name}» eliminada."

MSG_END_OF_VIEW = "Llegaste al final de esta vista: no quedan más hojas después de la Nº {number}. ¡Buen trabajo!"

MSG_CHECK_NAME = "Revisa el nombre de la vista."

VIEWS_TEMPLATE = "reclamaciones/staff/saved_views.html"


class SavedViewRenameForm(StaffForm):
    """A view's name (CharField: a NUL character is refused with Django's own Spanish message)."""

    name = forms.CharField(
        label="Nombre de la vista",
        max_length=SavedQueueView._meta.get_field("name").max_length,
        error_messages={"required": "Escribe un nombre para la vista.", "max_length": "Usa 60 caracteres o menos."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "p. ej. Mis vencidas"}),
    )


class SavedViewForm(SavedViewRenameForm):
    consulta = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


def _queue_url(query: str) -> str:
    return reverse("staff:queue") + (f"?{query}" if query else "")


def _queue_href(view: SavedQueueView) -> str:
    return _queue_url(view.query)


def queue_flow_context(*, scope: Scope, params) -> dict:
    """What the queue shows for the agent's flow: the user's saved views (one query), the current filters'
    canonical query string (`current_query`: the view being looked at, `desde` on the detail links) and which
    saved view it is."""
    current = queue_query_clean(params, scope=scope)
    views = saved_view_list(scope=scope)
    return {
        "saved_views": [{"view": v, "href": _queue_href(v), "active": v.query == current} for v in views],
        "current_query": current,
        "current_is_saved": any(v.query == current for v in views),
        "can_save_view": len(views) < SAVED_VIEWS_MAX,
        "desde_param": urlencode({"desde": current}),
        "save_view_form": SavedViewForm(initial={"consulta": current}, prefix="vista"),
    }


def detail_flow_context(request, *, scope: Scope, complaint: Complaint) -> dict:
    """The detail page's flow (None when the agent did not come from the queue): the view's query, the next hoja
    (one query) and the links back."""
    params = request.POST if request.method == "POST" else request.GET
    flow = flow_of(params, scope=scope, complaint=complaint, today=timezone.localdate(), with_next=True)
    if flow is None:
        return {"flow": None}
    return {
        "flow": flow,
        "flow_queue_url": _queue_url(flow.desde),
        "flow_next_url": (
            reverse("staff:detail", args=[flow.next.pk]) + "?" + flow.params if flow.next is not None else ""
        ),
    }


def answer_flow_context(request, *, scope: Scope, complaint: Complaint) -> dict:
    """The answer page keeps the queue view the agent came from (no query: the next hoja is looked up once the
    answer is sent and the agent is back on the hoja)."""
    params = request.POST if request.method == "POST" else request.GET
    flow = flow_of(params, scope=scope, complaint=complaint, today=timezone.localdate(), with_next=False)
    return {"flow": flow, "flow_detail_url": _detail_url(complaint, flow)}


def _detail_url(complaint: Complaint, flow) -> str:
    url = reverse("staff:detail", args=[complaint.pk])
    return f"{url}?{flow.params_here}" if flow is not None else url


def flow_redirect(
    request, *, scope: Scope, complaint: Complaint, advance: bool = True, anchor: str = ""
) -> HttpResponse:
    """Where an action on the hoja lands: back on it (keeping the queue view it came from; at `anchor`, a part of
    the page, when given), or, after "Guardar y siguiente", on the view's next hoja; at the end of the view, on
    the queue with a word of it. `advance=False` (the action was refused): back on the hoja whatever the button."""
    params = request.POST
    wants_next = advance and params.get("siguiente") == "1"
    flow = flow_of(params, scope=scope, complaint=complaint, today=timezone.localdate(), with_next=wants_next)
    fragment = f"#{anchor}" if anchor else ""
    if flow is None:
        return redirect(reverse("staff:detail", args=[complaint.pk]) + fragment)
    if not wants_next:
        return redirect(_detail_url(complaint, flow) + fragment)
    if flow.next is None:
        messages.info(request, MSG_END_OF_VIEW.format(number=complaint.display_number))
        return redirect(_queue_url(flow.desde))
    return redirect(reverse("staff:detail", args=[flow.next.pk]) + "?" + flow.params)


class SavedViewsView(StaffRequiredMixin, View):
    """GET: the user's saved views, each with its filters in words, to open, rename or delete. POST: save the
    queue's current filters (`vista-consulta`) under a name; on an error, this page with the error next to the
    name."""

    def page(self, *, create_form: SavedViewForm | None = None, rename_errors: dict | None = None, status=200):
        views = saved_view_list(scope=self.scope)
        names = dict(self.scope.filter(Establishment.objects.all(), path="pk").values_list("pk", "name"))
        rows = [
            {
                "view": v,
                "href": _queue_href(v),
                "describe": queue_query_describe(v.query, scope=self.scope, establishment_names=names),
                "error": (rename_errors or {}).get(v.pk, ""),
            }
            for v in views
        ]
        context = {"rows": rows, "create_form": create_form, "limit": SAVED_VIEWS_MAX}
        if create_form is not None:
            query = create_form.data.get("vista-consulta", "")
            context["create_describe"] = queue_query_describe(
                queue_query_clean(query, scope=self.scope), scope=self.scope, establishment_names=names
            )
        return self.render(VIEWS_TEMPLATE, context, status=status)

    def get(self, request):
        return self.page()

    def post(self, request):
        form = SavedViewForm(request.POST, prefix="vista")
        if form.is_valid():
            try:
                view = saved_view_create(
                    scope=self.scope, name=form.cleaned_data["name"], query=form.cleaned_data["consulta"]
                )
            except SavedViewError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(request, MSG_SAVED.format(name=view.name))
                return redirect(_queue_href(view))
        messages.error(request, MSG_CHECK_NAME)
        return self.page(create_form=form, status=400)


class SavedViewActionView(SavedViewsView):
    """POST only, on one of the user's views (anyone else's: 404, as if it did not exist)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        try:
            saved_view_get(scope=self.scope, view_id=pk)
        except SavedQueueView.DoesNotExist:
            raise Http404("Vista no encontrada") from None
        return self.perform(request, pk)


class SavedViewRenameView(SavedViewActionView):
    def perform(self, request, pk: int):
        form = SavedViewRenameForm(request.POST)
        try:
            if not form.is_valid():  # empty, too long, a NUL character: the form's own Spanish message
                raise SavedViewError(form.errors["name"][0], field="name")
            view = saved_view_rename(scope=self.scope, view_id=pk, name=form.cleaned_data["name"])
        except SavedViewError as exc:
            messages.error(request, MSG_CHECK_NAME)
            return self.page(rename_errors={pk: str(exc)}, status=400)
        messages.success(request, MSG_RENAMED.format(name=view.name))
        return redirect("staff:saved-views")


class SavedViewDeleteView(SavedViewActionView):
    def perform(self, request, pk: int):
        name = saved_view_delete(scope=self.scope, view_id=pk)
        messages.success(request, MSG_DELETED.format(name=name))
        return redirect("staff:saved-views")
