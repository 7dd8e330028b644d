"""Fixtures of the compliance desk's tests: one user per role, all working for `establishment` only (the
superuser sees everything), and logging in as one of them."""

from __future__ import annotations

import pytest

from reclamaciones.access import Role

from ..factories import staff_user

DESK_ROLES = ["anonymous", "no-role", "agent", "supervisor", "council", "auditor", "compliance", "superuser"]


@pytest.fixture
def people(establishment):
    return {
        "anonymous": None,
        "no-role": staff_user("nadie", None, profile=False),
        "agent": staff_user("ana", Role.AGENT, establishments=[establishment]),
        "supervisor": staff_user("sofia", Role.SUPERVISOR, establishments=[establishment]),
        "council": staff_user("carlos", Role.COUNCIL, establishments=[establishment]),
        "auditor": staff_user("aurora", Role.AUDITOR, establishments=[establishment]),
        "compliance": staff_user("carmen", Role.COMPLIANCE, establishments=[establishment]),
        "superuser": staff_user("root", None, is_superuser=True, profile=False),
    }


def login_as(client, user):
    """`client` logged in as `user` (left anonymous for None)."""
    if user is not None:
        client.force_login(user)
    return client
