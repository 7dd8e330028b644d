"""Fixtures of the handling tests: staff of two establishments, their hojas, a reclamo, a mixed queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.utils import reset as axes_reset
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.book.models import Complaint

from ..factories import EstablishmentFactory, hoja_answered, hoja_assigned, staff_user
from .settlement_support import DUE, FILED
from .staff_support import PASSWORD, _filed_with_days_left


@pytest.fixture
def reclamo(file_complaint) -> Complaint:
    complaint = file_complaint(filed_at=FILED)
    assert complaint.regime == "ley-31435"
    assert complaint.due_date == DUE
    return complaint


@pytest.fixture
def other_establishment():
    return EstablishmentFactory(name="Tienda Arequipa")


@pytest.fixture
def agent(establishment):
    return staff_user("ana", Role.AGENT, establishments=[establishment], password=PASSWORD, first_name="Ana")


@pytest.fixture
def agent_b(other_establishment):
    return staff_user("berta", Role.AGENT, establishments=[other_establishment], password=PASSWORD, first_name="Berta")


@pytest.fixture
def users(establishment, agent):
    """One user per role, all working for `establishment` only (the superuser sees everything)."""
    return {
        "anonymous": None,
        "no-role": staff_user("nadie", None, profile=False, password=PASSWORD, first_name="Nadie"),
        "agent": agent,
        "supervisor": staff_user(
            "sofia", Role.SUPERVISOR, establishments=[establishment], password=PASSWORD, first_name="Sofia"
        ),
        "council": staff_user(
            "carlos", Role.COUNCIL, establishments=[establishment], password=PASSWORD, first_name="Carlos"
        ),
        "auditor": staff_user(
            "aurora", Role.AUDITOR, establishments=[establishment], password=PASSWORD, first_name="Aurora"
        ),
        "compliance": staff_user(
            "celia", Role.COMPLIANCE, establishments=[establishment], password=PASSWORD, first_name="Celia"
        ),
        "superuser": staff_user("root", None, is_superuser=True, profile=False, password=PASSWORD, first_name="Root"),
    }


@pytest.fixture
def hoja(file_complaint):
    return file_complaint(filed_at=timezone.now() - timedelta(days=1))


@pytest.fixture
def hoja_b(file_complaint, other_establishment):
    return file_complaint(
        establishment=other_establishment,
        consumer_name="Pedro Quispe Mamani",
        doc_number="40112233",
        filed_at=timezone.now() - timedelta(days=1),
    )


# Login, logout, lockout, password reset ------------------------------------------------------------------------


@pytest.fixture
def _axes_clean():
    axes_reset()
    yield
    axes_reset()


@pytest.fixture
def mixed(file_complaint, establishment, other_establishment):
    """A small book: name -> hoja, with varied kind, assignee, status and deadline."""
    supervisor = staff_user(
        "sofia",
        Role.SUPERVISOR,
        establishments=[establishment, other_establishment],
        password=PASSWORD,
        first_name="Sofia",
    )
    hojas = {
        "mine": _filed_with_days_left(file_complaint, 8, consumer_name="Lucía Ramos", doc_number="41111111"),
        "late": _filed_with_days_left(file_complaint, -2, consumer_name="Jorge Salas", doc_number="42222222"),
        "queja": _filed_with_days_left(
            file_complaint, 12, consumer_name="Rosa Díaz", doc_number="43333333", kind="queja"
        ),
        "other": _filed_with_days_left(
            file_complaint,
            0,
            consumer_name="Pedro Quispe",
            doc_number="CE0012345",
            doc_type="ce",
            establishment=other_establishment,
        ),
        "answered": _filed_with_days_left(file_complaint, 4, consumer_name="Elena Soto", doc_number="45555555"),
    }
    hoja_assigned(hojas["mine"], to=supervisor)
    hoja_answered(hojas["answered"], by=supervisor, text="Hecho.")
    return supervisor, hojas
