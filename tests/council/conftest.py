"""Fixtures of the council tests: a classified book, answered and surveyed hojas, actions, council members."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.book.models import Complaint
from reclamaciones.council.models import ActionStatus

from ..factories import cause_get, staff_user
from .pages_support import FILED, LIMA, _action, _answer, _file, _survey


@pytest.fixture
def book(file_complaint):
    a, b, c = cause_get("TST-01"), cause_get("TST-02"), cause_get("TST-03")
    for cause in [a, a, a, b, b, c, None]:
        _file(file_complaint, cause)
    _file(file_complaint, a, filed_at=datetime(2026, 9, 30, 23, 0, tzinfo=LIMA))  # before the period
    return a, b, c


@pytest.fixture
def answered_book(book, file_complaint, establishment):
    """The `book` with two hojas of the period answered on time (1 and 2 business days) and surveyed."""
    a, b, _ = book
    staff = staff_user("rosa", Role.AGENT, establishments=[establishment])
    first = Complaint.objects.filter(cause=a, filed_at=FILED).first()
    second = Complaint.objects.filter(cause=b, filed_at=FILED).first()
    _answer(first, datetime(2026, 10, 6, 12, 0, tzinfo=LIMA), staff)  # Tuesday: 1 business day
    _answer(second, datetime(2026, 10, 7, 12, 0, tzinfo=LIMA), staff)  # Wednesday: 2 business days
    _survey(first, csat=5, nps=10, solved=True, when=datetime(2026, 10, 8, 9, 0, tzinfo=LIMA))
    _survey(second, csat=2, nps=3, solved=False, when=datetime(2026, 10, 9, 9, 0, tzinfo=LIMA))
    return book


@pytest.fixture
def actions(establishment):
    """One action in each state that matters: overdue, due for verification, verified, and two on track."""
    today = timezone.localdate()
    owner = staff_user("pedro", Role.COUNCIL, is_staff=False, profile=False, first_name="Pedro", last_name="Huamán")
    a, b = cause_get("TST-01"), cause_get("TST-02")
    return {
        "overdue": _action("Capacitar al equipo de caja", owner, a, due_date=today - timedelta(days=3)),
        "on_track": _action(
            "Revisar el stock publicado", owner, b, status=ActionStatus.IN_PROGRESS, due_date=today + timedelta(10)
        ),
        "to_verify": _action(
            "Nuevo proceso de devoluciones",
            owner,
            a,
            b,
            status=ActionStatus.IMPLEMENTED,
            due_date=today - timedelta(weeks=10),
            implemented_on=today - timedelta(weeks=9),
            verification_weeks=8,
            baseline_rate=Decimal("2.50"),
        ),
        "verified": _action(
            "Confirmar entregas por SMS",
            owner,
            b,
            status=ActionStatus.EFFECTIVE,
            due_date=today - timedelta(weeks=12),
            implemented_on=today - timedelta(weeks=10),
            baseline_rate=Decimal("4.00"),
            measured_rate=Decimal("1.25"),
            verified_at=timezone.now() - timedelta(days=2),
        ),
        "failed": _action(
            "Cartel de horarios",
            owner,
            a,
            status=ActionStatus.NOT_EFFECTIVE,
            due_date=today - timedelta(weeks=30),
            implemented_on=today - timedelta(weeks=28),
            baseline_rate=Decimal("1.00"),
            measured_rate=Decimal("1.10"),
            verified_at=timezone.now() - timedelta(weeks=20),  # before the default 90-day period
        ),
    }


@pytest.fixture
def council_members():
    return [
        staff_user("consejo1", Role.COUNCIL, is_staff=False, profile=False, first_name="Julia"),
        staff_user("consejo2", Role.COUNCIL, is_staff=False, profile=False, first_name="Marco"),
        staff_user("jubilado", Role.COUNCIL, is_staff=False, profile=False, is_active=False),
        staff_user("sincorreo", Role.COUNCIL, is_staff=False, profile=False, email=""),
    ]
