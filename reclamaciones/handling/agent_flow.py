"""The agent's flow through the queue (issue 13, capability 5): saved personal views of the queue and the "next
hoja" of the view an agent came from.

A queue view is its query string, reduced to the queue's own filter parameters that validate
(`queue_query_clean`: through QueueFilterForm, unknown parameters dropped, in the form's order), so that the same
filters always read the same. A view never carries a scope: the queue and `complaint_queue_next` apply the
reader's scope when it is used, so neither a saved view nor a tampered `desde` widens what anyone sees.

Saved views are personal: every read and write here goes through `scope.user` as the owner, so another person's
view is simply not found (a 404 in the views).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.http import QueryDict

from ..access import Scope
from ..book.models import Complaint
from ..book.pdf import printable
from .forms import QueueFilterForm
from .models import SavedQueueView
from .selectors import QueueCursor, complaint_queue_next

SAVED_VIEWS_MAX = 20  # per person: more than fit above the queue as links

DESDE_MAX = 1000  # characters of a `desde` query string read at all

MSG_NAME_REQUIRED = "Escribe un nombre para la vista."

MSG_NAME_TAKEN = "Ya tienes una vista llamada «{name}». Elige otro nombre."

MSG_TOO_MANY = f"Ya tienes {SAVED_VIEWS_MAX} vistas guardadas: elimina alguna antes de guardar otra."

MSG_NO_OWNER = "Inicia sesión para guardar vistas."


class SavedViewError(Exception):
    """A saved view that cannot be stored as asked; `field` names the form field it concerns."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# -- the queue's query string, validated -------------------------------------------------------------------


def _in_scope(scope: Scope):
    def check(value):
        if value is not None and not scope.allows(value):
            raise ValidationError("Fuera de tu alcance.")

    return check


def queue_filter_form(params, *, scope: Scope) -> QueueFilterForm:
    """The queue's filter form over `params`, the establishment checked against `scope` (no query: the queue
    itself offers the establishments by name; here only their ids matter)."""
    form = QueueFilterForm(params, establishments=[])
    form.fields["establecimiento"] = forms.IntegerField(required=False, min_value=1, validators=[_in_scope(scope)])
    return form


def queue_query_clean(params, *, scope: Scope) -> str:
    """`params` (a QueryDict or a query string) as the canonical query string of the queue's filters: only the
    form's own parameters that validate, non-empty, in the form's order. "" for the whole queue."""
    if isinstance(params, str):
        params = QueryDict(params[:DESDE_MAX])
    form = queue_filter_form(params, scope=scope)
    form.is_valid()
    pairs = []
    for name in form.fields:
        value = form.cleaned_data.get(name)
        if value in (None, "", False):
            continue
        value = "on" if value is True else str(value).strip()
        if value:
            pairs.append((name, value))
    return urlencode(pairs)


def queue_query_filters(query: str, *, scope: Scope) -> dict:
    """The selectors' filters of a canonical query string (queue_query_clean)."""
    form = queue_filter_form(QueryDict(query), scope=scope)
    return form.filters()


def queue_query_describe(query: str, *, scope: Scope, establishment_names: dict[int, str]) -> str:
    """A short Spanish description of a view's filters ("En trámite · Reclamo · «cobro»"), for the list of views:
    every filter the queue's form accepts, in its order (the search last), so a new filter is never left out."""
    form = queue_filter_form(QueryDict(query), scope=scope)
    form.is_valid()
    data, parts = form.cleaned_data, []
    for name, field in form.fields.items():
        value = data.get(name)
        if value in (None, "", False) or name == "q":
            continue
        if name == "establecimiento":
            parts.append(establishment_names.get(value, "un establecimiento"))
        elif name == "responsable":
            parts.append("de una persona")
        elif isinstance(field, forms.BooleanField):
            parts.append(str(field.label))
        elif isinstance(field, forms.ChoiceField):
            parts.append(str(dict(field.choices).get(value, value)))
        else:
            parts.append(f"{field.label}: {value}")
    if data.get("q"):
        parts.append(f"búsqueda «{data['q']}»")
    text = " · ".join(parts) or "Todas las hojas"
    return text[:1].upper() + text[1:]


# -- saved views: selectors ---------------------------------------------------------------------------------


def saved_view_list(*, scope: Scope) -> list[SavedQueueView]:
    """The scope's user's saved views, by name (one query)."""
    if scope.user is None or not scope.user.is_authenticated:
        return []
    return list(SavedQueueView.objects.filter(owner=scope.user).order_by(Lower("name"), "pk"))


def saved_view_get(*, scope: Scope, view_id: int) -> SavedQueueView:
    """The scope's user's view `view_id` (SavedQueueView.DoesNotExist for anyone else's)."""
    if scope.user is None:
        raise SavedQueueView.DoesNotExist
    return SavedQueueView.objects.get(pk=view_id, owner=scope.user)


# -- saved views: services ----------------------------------------------------------------------------------


def _name_clean(name: str) -> str:
    """The name as stored: control characters dropped (a NUL never reaches PostgreSQL), spaces collapsed; a name
    with nothing else left is refused."""
    name = " ".join(printable(name or "").split())
    name = name[: SavedQueueView._meta.get_field("name").max_length].strip()
    if not name:
        raise SavedViewError(MSG_NAME_REQUIRED, field="name")
    return name


def _name_taken(*, scope: Scope, name: str, exclude_id: int | None = None) -> bool:
    others = SavedQueueView.objects.filter(owner=scope.user).annotate(lower=Lower("name")).filter(lower=name.lower())
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    return others.exists()


def saved_view_create(*, scope: Scope, name: str, query: str) -> SavedQueueView:
    """Save the queue filters `query` (any query string: cleaned here) as the scope's user's view `name`."""
    if scope.user is None:
        raise SavedViewError(MSG_NO_OWNER)
    name = _name_clean(name)
    query = queue_query_clean(query, scope=scope)
    try:
        with transaction.atomic():
            # The owner's row, locked: two saves at once (two tabs, a double click) take turns, so the second
            # one counts the first one's view and the limit holds.
            list(get_user_model().objects.select_for_update().filter(pk=scope.user.pk).values_list("pk"))
            if SavedQueueView.objects.filter(owner=scope.user).count() >= SAVED_VIEWS_MAX:
                raise SavedViewError(MSG_TOO_MANY)
            if _name_taken(scope=scope, name=name):
                raise SavedViewError(MSG_NAME_TAKEN.format(name=name), field="name")
            return SavedQueueView.objects.create(owner=scope.user, name=name, query=query)
    except IntegrityError:  # the same name saved at the same moment from another tab
        raise SavedViewError(MSG_NAME_TAKEN.format(name=name), field="name") from None


def saved_view_rename(*, scope: Scope, view_id: int, name: str) -> SavedQueueView:
    view = saved_view_get(scope=scope, view_id=view_id)
    name = _name_clean(name)
    if _name_taken(scope=scope, name=name, exclude_id=view.pk):
        raise SavedViewError(MSG_NAME_TAKEN.format(name=name), field="name")
    view.name = name
    try:
        with transaction.atomic():
            view.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise SavedViewError(MSG_NAME_TAKEN.format(name=name), field="name") from None
    return view


def saved_view_delete(*, scope: Scope, view_id: int) -> str:
    """Delete the view; returns its name (for the message)."""
    view = saved_view_get(scope=scope, view_id=view_id)
    name = view.name
    view.delete()
    return name


# -- the next hoja of a view ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """Where an agent is in a queue view: its canonical query string (`desde`), this hoja's place in it
    (`after`, a QueueCursor as text) and, when computed, the next hoja."""

    desde: str
    after: str
    next: Complaint | None = None
    at_end: bool = False

    @property
    def params(self) -> str:
        """The query string to carry to another hoja of the same view."""
        return urlencode({"desde": self.desde})

    @property
    def params_here(self) -> str:
        """The query string to come back to this same hoja (the answer page, a refused or plain save) keeping
        its place in the view: once answered it sorts elsewhere, and its next hoja must still be the view's."""
        return urlencode({"desde": self.desde, "tras": self.after})


def flow_cursor(complaint: Complaint, text: str = "") -> QueueCursor:
    """This hoja's place in the queue: the cursor it was seen at (`text`, carried by the detail page's forms, so
    that an action that moves it to the other segment does not skip the rest of the view) when it is this
    hoja's, else where its state puts it now."""
    cursor = QueueCursor.decode(text)
    if cursor is not None and cursor.pk == complaint.pk:
        return cursor
    return QueueCursor.of(complaint, forward=True, position=1)


def flow_of(params, *, scope: Scope, complaint: Complaint, today: date, with_next: bool) -> Flow | None:
    """The flow of a detail page or an action (`params`: its GET or POST, with `desde` and `tras`); None when
    the agent did not come from the queue."""
    if "desde" not in params:
        return None
    desde = queue_query_clean(params.get("desde", ""), scope=scope)
    cursor = flow_cursor(complaint, params.get("tras", ""))
    nxt = None
    if with_next:
        nxt = complaint_queue_next(scope=scope, today=today, after=cursor, **queue_query_filters(desde, scope=scope))
    return Flow(desde=desde, after=cursor.encode(), next=nxt, at_end=with_next and nxt is None)
