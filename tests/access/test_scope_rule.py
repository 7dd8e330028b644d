"""One access policy: every read and write that can narrow by establishment takes a Scope, explicitly. No
parameter defaults to "everything" and no selector takes a user that, forgotten, would widen what is seen."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import reclamaciones
from reclamaciones.access import Role, Scope

from ..factories import EstablishmentFactory, staff_user

CONTEXT_MODULES = [
    m.name
    for m in pkgutil.walk_packages(reclamaciones.__path__, "reclamaciones.")
    if m.name.rsplit(".", 1)[-1] in {"selectors", "services", "settlement", "clock"}
]


def _functions():
    for name in CONTEXT_MODULES:
        module = importlib.import_module(name)
        for function_name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == name and not function_name.startswith("_"):
                yield f"{name}.{function_name}", inspect.signature(function)


def test_the_contexts_have_selectors_and_services():
    assert {
        "reclamaciones.book.selectors",
        "reclamaciones.handling.selectors",
        "reclamaciones.council.selectors",
    } <= set(CONTEXT_MODULES)


def test_no_scope_parameter_has_a_default_and_no_function_takes_a_user_to_scope_by():
    widening = []
    for where, signature in _functions():
        for parameter in signature.parameters.values():
            if parameter.name == "scope" and parameter.default is not inspect.Parameter.empty:
                widening.append(f"{where}: scope defaults to {parameter.default!r}")
            if parameter.name == "user":
                widening.append(f"{where}: takes a user instead of a scope")
    assert widening == []


def test_the_beat_jobs_and_the_hoja_reads_take_a_scope():
    takes_scope = {where for where, signature in _functions() if "scope" in signature.parameters}
    for required in (
        "reclamaciones.handling.selectors.complaint_list",
        "reclamaciones.handling.selectors.complaint_queue",
        "reclamaciones.deadlines.selectors.complaint_deadline_candidates",
        "reclamaciones.deadlines.services.deadlines_sweep",
        "reclamaciones.deadlines.services.digest_queue",
        "reclamaciones.handling.settlement.settlement_expire_due",
        "reclamaciones.council.selectors.survey_low_scores",
        "reclamaciones.council.selectors.council_snapshot",
        "reclamaciones.council.services.actions_daily",
        "reclamaciones.council.services.council_digest_queue",
        "reclamaciones.book.services.book_verify_daily",
    ):
        assert required in takes_scope, required


@pytest.mark.django_db
def test_scope_of_a_user_and_everything():
    here, there = EstablishmentFactory(), EstablishmentFactory()
    agent = staff_user("ana", Role.AGENT, establishments=[here])
    auditor = staff_user("audi", Role.AUDITOR, establishments=[here])
    nobody = staff_user("nadie", None, establishments=[here])

    assert Scope.of(agent).acts_on(here.pk)
    assert not Scope.of(agent).allows(there.pk)
    assert Scope.of(auditor).allows(here.pk)
    assert not Scope.of(auditor).acts_on(here.pk)
    assert not Scope.of(nobody).allows(here.pk)
    assert Scope.of(agent).user == agent
    assert Scope.everything().user is None
    assert Scope.everything().acts_on(there.pk)
