"""Which establishments someone may see: one value every read and write is narrowed by.

`Scope.of(user)` is the user's establishments (all of them for a superuser or a profile marked "todos"; none for
a user without a staff role or profile: no default widens it). `Scope.everything()` is for beat jobs and
commands that act for the whole book, and is named so that it is never the result of a forgotten argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class Scope:
    establishment_ids: frozenset[int] | None  # None: every establishment

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, user) -> Scope:
        from .selectors import staff_establishment_ids  # cached on the user object, one query per request

        ids = staff_establishment_ids(user)
        return cls(None if ids is None else frozenset(ids))

    @property
    def is_everything(self) -> bool:
        return self.establishment_ids is None

    def allows(self, establishment_id: int | None) -> bool:
        return self.establishment_ids is None or establishment_id in self.establishment_ids

    def filter(self, queryset: QuerySet, *, path: str, unbound: bool = False) -> QuerySet:
        """`queryset` narrowed to the scope through `path`, the lookup of the establishment's id ("establishment",
        "complaint__establishment", "pk" for establishments themselves). `unbound=True` keeps rows without an
        establishment (an action item for every establishment concerns everyone)."""
        if self.establishment_ids is None:
            return queryset
        condition = Q(**{f"{path}__in": self.establishment_ids})
        if unbound:
            condition |= Q(**{f"{path}__isnull": True})
        return queryset.filter(condition)
