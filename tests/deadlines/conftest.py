"""Fixtures of the deadline tests: running the sweep and the digest at a given moment, a hoja due 2026-10-27."""

from __future__ import annotations

from datetime import datetime

import pytest

from reclamaciones.access import Scope
from reclamaciones.deadlines.services import deadlines_sweep, digest_queue

from .tracking_support import DUE_ON, FILED_ON, at


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep at `now` and let the e-mails it dispatches on commit actually be sent."""

    def _sweep(now: datetime):
        with django_capture_on_commit_callbacks(execute=True):
            return deadlines_sweep(now=now, scope=Scope.everything())

    return _sweep


@pytest.fixture
def digest(django_capture_on_commit_callbacks):
    def _digest(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return digest_queue(now=now, scope=Scope.everything())

    return _digest


@pytest.fixture
def hoja(file_complaint):
    """A reclamo filed on Monday 2026-10-05 at 10:30 Lima, due 2026-10-27."""
    complaint = file_complaint(filed_at=at(FILED_ON, 10, 30))
    assert complaint.due_date == DUE_ON
    return complaint
