"""Reminder thresholds, idempotency keys and the effective due date (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from reclamaciones.deadlines.notices import OVERDUE, REMINDER, Notice, notice_for
from reclamaciones.deadlines.rules import BusinessCalendar, effective_due_date
from reclamaciones.outbox.keys import overdue_key, reminder_key

from .tracking_support import DEFAULT_THRESHOLDS, FILED_ON

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# notice_for (pure)
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        pytest.param(7, None, id="7-left-nothing-yet"),
        pytest.param(6, None, id="6-left-nothing-yet"),
        pytest.param(5, Notice(REMINDER, 5, 5), id="5-left-first-reminder"),
        pytest.param(4, Notice(REMINDER, 4, 5), id="4-left-still-threshold-5"),
        pytest.param(3, Notice(REMINDER, 3, 5), id="3-left-still-threshold-5"),
        pytest.param(2, Notice(REMINDER, 2, 2), id="2-left-threshold-2"),
        pytest.param(1, Notice(REMINDER, 1, 1), id="1-left-threshold-1"),
        pytest.param(0, Notice(REMINDER, 0, 0), id="0-left-due-today"),
        pytest.param(-1, Notice(OVERDUE, -1, None), id="1-overdue-escalation"),
        pytest.param(-5, Notice(OVERDUE, -5, None), id="5-overdue-escalation"),
    ],
)
def test_notice_for_default_thresholds(days_left: int, expected: Notice | None) -> None:
    assert notice_for(days_left, DEFAULT_THRESHOLDS) == expected
    # The order the setting lists them in does not matter.
    assert notice_for(days_left, (0, 5, 1, 2)) == expected


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        pytest.param(11, None, id="11-left-nothing-yet"),
        pytest.param(10, Notice(REMINDER, 10, 10), id="10-left-threshold-10"),
        pytest.param(7, Notice(REMINDER, 7, 10), id="7-left-threshold-10"),
        pytest.param(6, Notice(REMINDER, 6, 10), id="6-left-threshold-10"),
        pytest.param(5, Notice(REMINDER, 5, 10), id="5-left-threshold-10"),
        pytest.param(4, Notice(REMINDER, 4, 10), id="4-left-threshold-10"),
        pytest.param(3, Notice(REMINDER, 3, 3), id="3-left-threshold-3"),
        pytest.param(2, Notice(REMINDER, 2, 3), id="2-left-threshold-3"),
        pytest.param(1, Notice(REMINDER, 1, 3), id="1-left-threshold-3"),
        pytest.param(0, Notice(REMINDER, 0, 3), id="0-left-threshold-3"),
        pytest.param(-1, Notice(OVERDUE, -1, None), id="1-overdue-escalation"),
        pytest.param(-5, Notice(OVERDUE, -5, None), id="5-overdue-escalation"),
    ],
)
def test_notice_for_custom_thresholds(days_left: int, expected: Notice | None) -> None:
    assert notice_for(days_left, [10, 3]) == expected


@pytest.mark.parametrize(
    ("notice", "recipient", "today", "expected"),
    [
        pytest.param(
            Notice(REMINDER, 5, 5),
            "Ana.Agente@Nandu.Example.PE",
            date(2026, 10, 20),
            "reminder:42:5:ana.agente@nandu.example.pe",
            id="reminder-key-names-threshold-recipient-lowercased",
        ),
        pytest.param(
            Notice(REMINDER, 4, 5),
            "ana.agente@nandu.example.pe",
            date(2026, 10, 21),
            "reminder:42:5:ana.agente@nandu.example.pe",
            id="reminder-key-same-threshold-next-day-is-the-same-key",
        ),
        pytest.param(
            Notice(REMINDER, 0, 0),
            "ana.agente@nandu.example.pe",
            date(2026, 10, 27),
            "reminder:42:0:ana.agente@nandu.example.pe",
            id="reminder-key-threshold-0",
        ),
    ],
)
def test_idempotency_keys(notice: Notice, recipient: str, today: date, expected: str) -> None:
    assert reminder_key(complaint_id=42, threshold=notice.threshold, recipient=recipient) == expected


def test_reminder_keys_differ_per_threshold_hoja_and_recipient() -> None:
    keys = {
        reminder_key(complaint_id=complaint_id, threshold=Notice(REMINDER, t, t).threshold, recipient=recipient)
        for t in DEFAULT_THRESHOLDS
        for complaint_id in (1, 2)
        for recipient in ("ana@nandu.example.pe", "beto@nandu.example.pe")
    }
    assert len(keys) == len(DEFAULT_THRESHOLDS) * 2 * 2


def test_overdue_key_names_the_day_the_recipient_and_the_hojas() -> None:
    day = date(2026, 10, 28)
    key = overdue_key(recipient="SARA@nandu.example.pe", today=day, complaint_ids=[7, 3])

    assert key.startswith("overdue:2026-10-28:sara@nandu.example.pe:")
    assert key == overdue_key(
        recipient="sara@nandu.example.pe", today=day, complaint_ids=[3, 7]
    )  # order does not matter
    assert key != overdue_key(
        recipient="sara@nandu.example.pe", today=date(2026, 10, 29), complaint_ids=[3, 7]
    )  # a new day, a new e-mail
    assert key != overdue_key(
        recipient="sara@nandu.example.pe", today=day, complaint_ids=[3, 7, 9]
    )  # hojas overdue later that day
    assert key != overdue_key(recipient="sonia@nandu.example.pe", today=day, complaint_ids=[3, 7])


# ----------------------------------------------------------------------------------------------------
# effective_due_date (pure)
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed_on", "expected"),
    [
        pytest.param(date(2026, 10, 5), date(2026, 10, 27), id="ley-31435-across-angamos"),
        pytest.param(date(2026, 9, 14), date(2026, 10, 5), id="ley-31435-september"),
        pytest.param(date(2021, 3, 1), date(2021, 3, 31), id="ds-006-2014-30-calendar-days"),
        pytest.param(date(2021, 3, 2), date(2021, 4, 5), id="ds-006-2014-lands-on-holy-week-moves-to-monday"),
    ],
)
def test_effective_due_date_without_events_is_the_due_date(filed_on: date, expected: date) -> None:
    from reclamaciones.deadlines.rules import due_date

    assert effective_due_date(filed_on) == due_date(filed_on) == expected


@pytest.mark.parametrize(
    ("filed_on", "suspended", "calendar", "expected"),
    [
        # Filed 2026-09-14, due 2026-10-05; then 10-06, 10-07, (10-08 holiday), 10-09, 10-12, 10-13.
        pytest.param(date(2026, 9, 14), 0, None, date(2026, 10, 5), id="no-suspension"),
        pytest.param(date(2026, 9, 14), 1, None, date(2026, 10, 6), id="1-day"),
        pytest.param(date(2026, 9, 14), 3, None, date(2026, 10, 9), id="3-days-skip-angamos"),
        pytest.param(date(2026, 9, 14), 5, None, date(2026, 10, 13), id="5-days-skip-angamos-and-weekend"),
        pytest.param(
            date(2026, 9, 14),
            3,
            BusinessCalendar([date(2026, 10, 9)]),
            date(2026, 10, 12),
            id="3-days-skip-holiday-and-a-non-working-day",
        ),
        # DS 006-2014: base date 2021-03-31 (Wed), then business days 04-05 (after Holy Week), 04-06.
        pytest.param(date(2021, 3, 1), 2, None, date(2021, 4, 6), id="ds-006-2014-suspension-skips-holy-week"),
    ],
)
def test_effective_due_date_suspended_days_move_by_business_days(
    filed_on: date, suspended: int, calendar: BusinessCalendar | None, expected: date
) -> None:
    assert effective_due_date(filed_on, calendar, suspended_business_days=suspended) == expected


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        pytest.param(0, date(2021, 3, 31), id="no-extension"),
        pytest.param(1, date(2021, 4, 5), id="plus-1-lands-on-jueves-santo-moves-to-monday"),
        pytest.param(10, date(2021, 4, 12), id="plus-10-lands-on-saturday-moves-to-monday"),
        pytest.param(30, date(2021, 4, 30), id="plus-30-friday"),
    ],
)
def test_effective_due_date_extension_on_ds_006_2014(extension: int, expected: date) -> None:
    assert effective_due_date(date(2021, 3, 1), extension_days=extension) == expected


@pytest.mark.parametrize("extension", [pytest.param(1, id="1-day"), pytest.param(30, id="30-days")])
def test_effective_due_date_refuses_extension_on_ley_31435(extension: int) -> None:
    with pytest.raises(ValueError, match="improrrogable"):
        effective_due_date(FILED_ON, extension_days=extension)
