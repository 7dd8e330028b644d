"""Who may see and do what: one module every read and write is narrowed by.

Staff roles are Django groups (created by migration 0003). `Scope.of(user)` is the user's establishments (all
of them for a superuser or a profile marked "todos"; none for a user without a staff role or profile: no
default widens it). `Scope.everything()` is for beat jobs and commands that act for the whole book, and is
named so that it is never the result of a forgotten argument. The admin's mixin and the back office's base
view apply the same scope.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.mixins import AccessMixin
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from .book.models import Complaint, Establishment
from .handling.models import StaffProfile

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.admin import ModelAdmin
    from django.db.models import ForeignKey, ManyToManyField
    from django.forms import ModelChoiceField, ModelMultipleChoiceField
    from django.views import View

    _AdminBase = ModelAdmin[Any]
    _ViewBase = View
else:
    _AdminBase = _ViewBase = object


class Role(enum.StrEnum):
    """The Django group names of the staff roles."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    COUNCIL = "council"
    AUDITOR = "auditor"
    COMPLIANCE = "compliance"


ALL_ROLES = tuple(Role)
COUNCIL_READERS = frozenset({Role.COUNCIL, Role.SUPERVISOR, Role.AUDITOR, Role.COMPLIANCE})  # who reads /consejo/
ACTING_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})  # who acts on hojas; council and auditors only read
# The compliance desk (/gestion/cumplimiento/): the compliance role runs its tools (SIREC, INDECOPI requests,
# posters, retention); auditors read what was done. Both read every hoja in their scope, like the council.
COMPLIANCE_RUNNERS = frozenset({Role.COMPLIANCE})
COMPLIANCE_READERS = frozenset({Role.COMPLIANCE, Role.AUDITOR})
# Who types a paper backup-book sheet into the virtual book (Reglamento art. 4-A): whoever staffs the counter.
TRANSCRIBERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE})
STAFF_ROLES = frozenset(ALL_ROLES)

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class Scope:
    """Which establishments' hojas someone may see, whether they may act on them, and who they are (for the
    audit trail). Every selector, service, view, export, PDF and admin queryset takes one explicitly."""

    establishment_ids: frozenset[int] | None  # None: every establishment
    can_act: bool  # agents and supervisors act; council members and auditors only read
    user: Any = field(default=None, compare=False)  # who acts, recorded on events; None for the system
    roles: frozenset[str] = field(default=frozenset(), compare=False)  # the user's staff roles

    @classmethod
    def everything(cls) -> Scope:
        """The whole book, acting as the system: beat jobs and management commands."""
        return cls(None, can_act=True, roles=frozenset(ALL_ROLES))

    @classmethod
    def of(cls, user: Any) -> Scope:
        """`user`'s establishments (cached on the user object: one query per request). A user without a staff
        role or profile sees nothing."""
        ids = staff_establishment_ids(user)
        return cls(
            None if ids is None else frozenset(ids),
            can_act=bool(staff_roles(user) & ACTING_ROLES),
            user=user,
            roles=frozenset(staff_roles(user)),
        )

    @property
    def is_everything(self) -> bool:
        return self.establishment_ids is None

    def allows(self, establishment_id: int | None) -> bool:
        """May see what belongs to `establishment_id`."""
        return self.establishment_ids is None or establishment_id in self.establishment_ids

    def sees_all(self, establishment_ids: Iterable[int]) -> bool:
        """Sees every one of `establishment_ids`: the rule for changing what reaches them all (an API client),
        so that nobody hands out access to hojas they may not read themselves."""
        return self.establishment_ids is None or self.establishment_ids.issuperset(establishment_ids)

    def acts_on(self, establishment_id: int | None) -> bool:
        """May act on the hojas of `establishment_id`."""
        return self.can_act and self.allows(establishment_id)

    @property
    def supervises(self) -> bool:
        """Holds the supervisor role (decisions beyond an agent's: the old-regime extension)."""
        return Role.SUPERVISOR in self.roles

    @property
    def runs_compliance(self) -> bool:
        """May run the compliance desk's tools (SIREC, INDECOPI bundles, posters, retention)."""
        return bool(self.roles & COMPLIANCE_RUNNERS)

    @property
    def reads_compliance(self) -> bool:
        """May read the compliance desk: what was exported, requested, anonymised, and the personal-data log."""
        return bool(self.roles & COMPLIANCE_READERS)

    @property
    def transcribes(self) -> bool:
        """May type a paper backup-book sheet into the virtual book."""
        return bool(self.roles & TRANSCRIBERS)

    def filter(self, queryset: QuerySet[_M], *, path: str, unbound: bool = False) -> QuerySet[_M]:
        """`queryset` narrowed to the scope through `path`, the lookup of the establishment's id ("establishment",
        "complaint__establishment", "pk" for establishments themselves). `unbound=True` keeps rows without an
        establishment (an action item for every establishment concerns everyone)."""
        if self.establishment_ids is None:
            return queryset
        condition = Q(**{f"{path}__in": self.establishment_ids})
        if unbound:
            condition |= Q(**{f"{path}__isnull": True})
        return queryset.filter(condition)


def staff_roles(user: Any) -> set[str]:
    """The staff roles of `user` (read once per user object, i.e. once per request)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if not hasattr(user, "_staff_roles"):
        user._staff_roles = (
            set(STAFF_ROLES)
            if user.is_superuser
            else set(user.groups.filter(name__in=STAFF_ROLES).values_list("name", flat=True))
        )
    roles: set[str] = user._staff_roles
    return roles


def staff_establishment_ids(user: Any) -> set[int] | None:
    """The establishments `user` works for; None means all of them. Empty for non-staff. Cached per user
    object like staff_roles."""
    if not staff_roles(user):
        return set()
    if user.is_superuser:
        return None
    if not hasattr(user, "_staff_scope"):
        profile = StaffProfile.objects.filter(user=user).first()
        if profile is None:
            user._staff_scope = set()
        elif profile.all_establishments:
            user._staff_scope = None
        else:
            user._staff_scope = set(profile.establishments.values_list("pk", flat=True))
    ids: set[int] | None = user._staff_scope
    return ids


def _in_scope(model: Any, request: HttpRequest) -> QuerySet[Any] | None:
    """The choices a form field for `model` may offer this user (None: not an establishment-bound model)."""
    scope = Scope.of(request.user)
    if model is Establishment:
        return scope.filter(Establishment.objects.all(), path="pk")
    if model is Complaint:
        return scope.filter(Complaint.objects.all(), path="establishment")
    return None


class ScopedAdminMixin(_AdminBase):
    """Only what the user's establishments hold, as in /gestion/: the list, its search and filters, the change
    page (another establishment's row does not exist), actions, and the autocomplete (Django asks the related
    model's admin for its queryset). Fields that choose an establishment or a hoja offer only those in scope."""

    scope_path = "establishment"  # the lookup of the row's establishment id
    scope_unbound = False  # also rows that belong to no establishment (an action item for all of them)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return Scope.of(request.user).filter(queryset, path=self.scope_path, unbound=self.scope_unbound)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        choices = _in_scope(db_field.related_model, request)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        choices = _in_scope(db_field.related_model, request)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


ROLE_LABELS = {
    Role.AGENT: "Agente",
    Role.SUPERVISOR: "Supervisión",
    Role.COUNCIL: "Consejo de mejora",
    Role.AUDITOR: "Auditoría",
    Role.COMPLIANCE: "Cumplimiento",
}


class StaffRequiredMixin(AccessMixin, _ViewBase):
    """Logged in (else the login page) and holding a staff role (else a 403 page in Spanish)."""

    roles: set[str]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.roles = staff_roles(request.user)
        if not self.roles:
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def scope(self) -> Scope:
        """The user's scope, read when a page first needs it (pages without hojas never query it)."""
        return Scope.of(self.request.user)

    def render(self, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
        context.setdefault("tracker", None)
        context["role_label"] = _role_label(self.request.user, self.roles)
        context["can_see_council"] = self.request.user.is_superuser or bool(self.roles & COUNCIL_READERS)
        context["can_see_team"] = Role.SUPERVISOR in self.roles  # superusers hold every role
        context["can_see_compliance"] = self.request.user.is_superuser or bool(self.roles & COMPLIANCE_READERS)
        response = render(self.request, template, context, status=status)
        add_never_cache_headers(response)  # personal data: never kept by a shared cache or the back button
        return response


class AreaRequiredMixin(StaffRequiredMixin):
    """A back-office area for some roles only (superusers hold every role). Anonymous: the login page; no staff
    role: the 403 without a role; another role: the 403 naming the area and the roles that may enter it."""

    area_roles: frozenset[str] = frozenset()
    area_name = ""  # "la vista de equipo", as in "Tu rol (…) no incluye la vista de equipo"
    area_roles_words = ""  # "supervisión", as in "Pueden entrar quienes tienen el rol de supervisión"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            user_roles = staff_roles(request.user)
            if user_roles and not user_roles & self.area_roles:
                self.roles = user_roles
                context = {
                    "case": "area",
                    "area_name": self.area_name,
                    "area_roles": self.area_roles_words,
                    "home_url_name": landing_url_name(request.user),
                }
                return self.render("reclamaciones/staff/forbidden.html", context, status=403)
        return super().dispatch(request, *args, **kwargs)


def _role_label(user: Any, user_roles: set[str]) -> str:
    if user.is_superuser:
        return "Administración"
    return " · ".join(ROLE_LABELS[r] for r in ALL_ROLES if r in user_roles)


def landing_url_name(user: Any) -> str:
    """Where `user` starts after logging in: the page their roles are for. Only the council role: /consejo/;
    only the compliance role: the compliance desk; anyone else (agents, supervisors, auditors, several roles,
    superusers): the queue."""
    user_roles = staff_roles(user)
    if user.is_superuser or not user_roles:
        return "staff:queue"
    if user_roles <= {Role.COUNCIL}:
        return "council:dashboard"
    if user_roles <= {Role.COMPLIANCE}:
        return "compliance:desk"
    return "staff:queue"


# The areas with a role list of their own, by URL namespace: who may enter, said to someone who may not.
_AREAS = {
    "council": ("el consejo de mejora", "consejo de mejora, supervisión, auditoría o cumplimiento", COUNCIL_READERS),
    "compliance": ("el escritorio de cumplimiento", "cumplimiento o auditoría", COMPLIANCE_READERS),
}


def forbidden(request: HttpRequest, *, read_only: bool = False) -> HttpResponse:
    """The 403 page, saying which case this is: no staff role at all; a role without access to this area
    (/consejo/, /gestion/cumplimiento/); or a role that reads this but may not do it (`read_only`)."""
    user = request.user
    user_roles = staff_roles(user)
    match = getattr(request, "resolver_match", None)
    area = _AREAS.get(match.namespace if match else "")
    case = "no_role"
    context: dict[str, Any] = {}
    if user_roles:
        context["role_label"] = _role_label(user, user_roles)
        if area and not (user.is_superuser or user_roles & area[2]):
            case = "area"
            context["area_name"], context["area_roles"] = area[0], area[1]
        elif area and area[2] is COMPLIANCE_READERS:
            case = "compliance_read_only"  # an auditor asked to run one of the desk's tools
        else:
            case = "read_only"  # sees the hojas, may not act on them (council, auditors) or not on this one
        context["home_url_name"] = landing_url_name(user)
    context["case"] = case
    return render(request, "reclamaciones/staff/forbidden.html", context, status=403)
