"""The improvement council's dashboard: the Pareto of causes, from SQL aggregation, scoped like everything else."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reclamaciones import roles
from reclamaciones.models import Complaint, StaffProfile
from reclamaciones.selectors import cause_pareto

from .factories import EstablishmentFactory, cause_get

pytestmark = pytest.mark.django_db
LIMA = ZoneInfo("America/Lima")
FILED = datetime(2026, 10, 5, 10, 0, tzinfo=LIMA)
PERIOD = {"desde": "2026-10-01", "hasta": "2026-10-31"}


def _staff(username: str, role: str, *establishments, everywhere: bool = False) -> User:
    user = User.objects.create_user(username=username, email=f"{username}@andina.example.pe", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    StaffProfile.objects.create(user=user, all_establishments=everywhere).establishments.set(establishments)
    return user


def _file(file_complaint, cause=None, **overrides) -> Complaint:
    complaint = file_complaint(**{"filed_at": FILED, **overrides})
    if cause is not None:
        Complaint.objects.filter(pk=complaint.pk).update(cause=cause)  # staff-side field
    return complaint


@pytest.fixture
def book(file_complaint):
    a, b, c = cause_get("TST-01"), cause_get("TST-02"), cause_get("TST-03")
    for cause in [a, a, a, b, b, c, None]:
        _file(file_complaint, cause)
    _file(file_complaint, a, filed_at=datetime(2026, 9, 30, 23, 0, tzinfo=LIMA))  # before the period
    return a, b, c


def test_pareto_orders_causes_with_share_and_cumulative_share(book, establishment):
    council = _staff("consejo", roles.COUNCIL, establishment)

    pareto = cause_pareto(user=council, start=date(2026, 10, 1), end=date(2026, 10, 31))

    assert (pareto["total"], pareto["unclassified"]) == (7, 1)
    assert [(r["code"], r["count"]) for r in pareto["rows"]] == [("TST-01", 3), ("TST-02", 2), ("TST-03", 1)]
    assert [round(r["share"], 1) for r in pareto["rows"]] == [42.9, 28.6, 14.3]
    assert [round(r["cumulative"], 1) for r in pareto["rows"]] == [42.9, 71.4, 85.7]
    assert pareto["rows"][0]["category"] == "Categoría de prueba"


def test_pareto_is_scoped_to_the_users_establishments(book, establishment, file_complaint):
    other = EstablishmentFactory()
    _file(file_complaint, cause_get("TST-09"), establishment=other)
    here = _staff("sup", roles.SUPERVISOR, establishment)

    codes = [r["code"] for r in cause_pareto(user=here, start=date(2026, 10, 1), end=date(2026, 10, 31))["rows"]]
    everywhere = _staff("aud", roles.AUDITOR, everywhere=True)
    all_codes = [
        r["code"] for r in cause_pareto(user=everywhere, start=date(2026, 10, 1), end=date(2026, 10, 31))["rows"]
    ]

    assert "TST-09" not in codes
    assert "TST-09" in all_codes
    only_other = cause_pareto(
        user=everywhere, start=date(2026, 10, 1), end=date(2026, 10, 31), establishment_id=other.pk
    )
    assert [(r["code"], r["count"]) for r in only_other["rows"]] == [("TST-09", 1)]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param(roles.COUNCIL, 200, id="council"),
        pytest.param(roles.SUPERVISOR, 200, id="supervisor"),
        pytest.param(roles.AUDITOR, 200, id="auditor"),
        pytest.param(roles.AGENT, 403, id="agent"),
    ],
)
def test_dashboard_access_by_role(client, book, establishment, role, status):
    client.force_login(_staff("quien", role, establishment))

    response = client.get(reverse("council:dashboard"), PERIOD)

    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "Principales causas (Pareto)" in html
        assert "Causa TST-01" in html
        assert "7 hojas, 1 aún sin causa" in html
        assert "71.4" in html  # the cumulative share of the second cause


def test_dashboard_needs_login_and_rejects_a_backwards_period(client, establishment):
    assert client.get(reverse("council:dashboard")).status_code == 302
    client.force_login(_staff("consejo", roles.COUNCIL, establishment))
    response = client.get(reverse("council:dashboard"), {"desde": "2026-10-31", "hasta": "2026-10-01"})
    assert response.status_code == 400
    assert "La fecha final no puede ser anterior a la inicial." in response.content.decode()


def test_dashboard_queries_do_not_grow_with_the_number_of_hojas(client, establishment, file_complaint):
    client.force_login(_staff("consejo", roles.COUNCIL, establishment))
    _file(file_complaint, cause_get("TST-01"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("council:dashboard"), PERIOD)
    for n in range(30):
        _file(file_complaint, cause_get(f"TST-{n % 12:02d}"))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("council:dashboard"), PERIOD)
    assert len(few) == len(many)
