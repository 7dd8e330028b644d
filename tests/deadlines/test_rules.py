"""Statutory response deadlines (reclamaciones.deadlines): pure date arithmetic, no database.

Every expected date below was counted by hand on a printed calendar, using the Peruvian national holidays
that the `holidays` package (country "PE") reports for the year in question. Ley 31435: day 1 is the first
business day after the filing date and the answer is due on business day 15. DS 006-2014 / DS 011-2011:
filing date + 30 calendar days, moved to the next business day when that day is a weekend or holiday.

Holidays relied on (weekday in brackets):
- 2012: 07-28 [Sat], 07-29 [Sun].
- 2014: 04-17 [Thu] / 04-18 [Fri] Holy Week, 05-01 [Thu].
- 2017: 07-28 [Fri], 07-29 [Sat].
- 2019: 11-01 [Fri], 12-25 [Wed].
- 2020: 06-29 [Mon], 10-08 [Thu], 11-01 [Sun].
- 2021: 06-29 [Tue], 07-28 [Wed], 07-29 [Thu].
- 2022: 06-29 [Wed], 07-28 [Thu], 07-29 [Fri], 08-06 [Sat]; the package has no 06-07 or 07-23 in 2022.
- 2026: 01-01 [Thu], 04-02 [Thu] / 04-03 [Fri] Holy Week, 05-01 [Fri], 06-29 [Mon], 07-23 [Thu], 07-28 [Tue],
  07-29 [Wed], 08-06 [Thu], 10-08 [Thu], 12-08 [Tue], 12-09 [Wed], 12-25 [Fri].
- 2027: 01-01 [Fri], 03-25 [Thu] / 03-26 [Fri] Holy Week.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

import pytest

from reclamaciones.deadlines.rules import BusinessCalendar, Regime, business_days_left, due_date, regime_for

# ----------------------------------------------------------------------------------------------------
# regime_for
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed_on", "expected"),
    [
        pytest.param(date(2012, 6, 1), "ds-011-2011", id="2012-filing-is-ds-011-2011"),
        pytest.param(date(2011, 1, 3), "ds-011-2011", id="2011-filing-is-ds-011-2011"),
        pytest.param(date(2014, 4, 22), "ds-011-2011", id="last-day-before-ds-006-2014-is-ds-011-2011"),
        pytest.param(date(2014, 4, 23), "ds-006-2014", id="ds-006-2014-first-day-in-force"),
        pytest.param(date(2019, 11, 25), "ds-006-2014", id="2019-filing-is-ds-006-2014"),
        pytest.param(date(2022, 5, 20), "ds-006-2014", id="last-day-before-ley-31435-is-ds-006-2014"),
        pytest.param(date(2022, 5, 21), "ley-31435", id="ley-31435-first-day-in-force-saturday"),
        pytest.param(date(2026, 10, 5), "ley-31435", id="2026-filing-is-ley-31435"),
    ],
)
def test_regime_for_boundaries(filed_on: date, expected: str) -> None:
    regime = regime_for(filed_on)
    assert regime == expected
    assert regime.value == expected
    assert isinstance(regime, Regime)


def test_regime_is_a_str_enum_with_exactly_three_values() -> None:
    assert issubclass(Regime, str)
    assert issubclass(Regime, enum.Enum)
    assert {regime.value for regime in Regime} == {"ds-011-2011", "ds-006-2014", "ley-31435"}
    assert len(list(Regime)) == 3
    result = regime_for(date(2026, 1, 5))
    assert isinstance(result, str)
    assert str(result) == "ley-31435"
    assert f"{result}" == "ley-31435"


# ----------------------------------------------------------------------------------------------------
# due_date under Ley 31435 (15 business days, day 1 = first business day after filing)
# ----------------------------------------------------------------------------------------------------

LEY_31435_CASES = [
    # Worked example and plain weeks.
    pytest.param(date(2026, 10, 5), date(2026, 10, 27), id="mon-filing-with-angamos-thursday-holiday-in-period"),
    pytest.param(date(2026, 9, 14), date(2026, 10, 5), id="mon-filing-no-holidays-lands-three-weeks-later"),
    pytest.param(date(2026, 9, 11), date(2026, 10, 2), id="fri-filing-no-holidays-lands-three-weeks-later"),
    pytest.param(date(2026, 9, 12), date(2026, 10, 2), id="sat-filing-day-one-is-next-monday"),
    pytest.param(date(2026, 9, 13), date(2026, 10, 2), id="sun-filing-day-one-is-next-monday"),
    pytest.param(date(2026, 10, 3), date(2026, 10, 26), id="sat-filing-before-week-with-angamos-holiday"),
    pytest.param(date(2026, 5, 1), date(2026, 5, 22), id="filing-on-labour-day-friday-holiday"),
    pytest.param(date(2026, 6, 26), date(2026, 7, 20), id="fri-filing-before-san-pedro-monday-holiday"),
    pytest.param(date(2026, 6, 29), date(2026, 7, 20), id="filing-on-san-pedro-monday-holiday"),
    # Holy Week 2026 (Thu 04-02, Fri 04-03).
    pytest.param(date(2026, 3, 30), date(2026, 4, 22), id="holy-week-2026-mon-before-jueves-santo"),
    pytest.param(date(2026, 4, 1), date(2026, 4, 24), id="holy-week-2026-wed-eve-of-jueves-santo"),
    pytest.param(date(2026, 4, 2), date(2026, 4, 24), id="holy-week-2026-filed-on-jueves-santo"),
    pytest.param(date(2026, 4, 3), date(2026, 4, 24), id="holy-week-2026-filed-on-viernes-santo"),
    pytest.param(date(2026, 4, 5), date(2026, 4, 24), id="holy-week-2026-filed-on-easter-sunday"),
    pytest.param(date(2026, 4, 6), date(2026, 4, 27), id="holy-week-2026-mon-after-easter-no-holidays"),
    # Holy Week 2027 (Thu 03-25, Fri 03-26).
    pytest.param(date(2027, 3, 18), date(2027, 4, 12), id="holy-week-2027-thu-week-before-period-spans-it"),
    pytest.param(date(2027, 3, 22), date(2027, 4, 14), id="holy-week-2027-mon-before-jueves-santo"),
    pytest.param(date(2027, 3, 24), date(2027, 4, 16), id="holy-week-2027-wed-eve-of-jueves-santo"),
    pytest.param(date(2027, 3, 25), date(2027, 4, 16), id="holy-week-2027-filed-on-jueves-santo"),
    pytest.param(date(2027, 3, 26), date(2027, 4, 16), id="holy-week-2027-filed-on-viernes-santo"),
    # July 2026: 23 (Thu), 28 (Tue), 29 (Wed), plus 08-06 (Thu).
    pytest.param(date(2026, 7, 20), date(2026, 8, 14), id="july-2026-mon-period-spans-23-28-29-and-aug-6"),
    pytest.param(date(2026, 7, 22), date(2026, 8, 18), id="july-2026-wed-eve-of-fuerza-aerea-holiday"),
    pytest.param(date(2026, 7, 23), date(2026, 8, 18), id="july-2026-filed-on-fuerza-aerea-holiday"),
    pytest.param(date(2026, 7, 24), date(2026, 8, 19), id="july-2026-fri-filing-before-fiestas-patrias"),
    pytest.param(date(2026, 7, 27), date(2026, 8, 20), id="july-2026-mon-eve-of-two-holidays-day-one-is-30th"),
    pytest.param(date(2026, 7, 28), date(2026, 8, 20), id="july-2026-filed-on-independence-day"),
    # December 2026: 8 (Tue), 9 (Wed), 25 (Fri); January 2027: 1 (Fri).
    pytest.param(date(2026, 12, 4), date(2026, 12, 30), id="dec-2026-fri-period-spans-8-9-and-25"),
    pytest.param(date(2026, 12, 7), date(2026, 12, 31), id="dec-2026-mon-eve-of-inmaculada-and-ayacucho"),
    pytest.param(date(2026, 12, 9), date(2026, 12, 31), id="dec-2026-filed-on-ayacucho-holiday"),
    pytest.param(date(2026, 12, 15), date(2027, 1, 7), id="dec-2026-mid-month-spans-christmas-and-new-year"),
    pytest.param(date(2026, 12, 24), date(2027, 1, 18), id="dec-2026-christmas-eve-spans-both-holidays"),
    pytest.param(date(2026, 12, 25), date(2027, 1, 18), id="dec-2026-filed-on-christmas-day"),
    pytest.param(date(2026, 12, 31), date(2027, 1, 22), id="dec-2026-new-years-eve-day-one-is-jan-4"),
    pytest.param(date(2027, 1, 1), date(2027, 1, 22), id="filed-on-new-years-day-2027"),
    # 2022: the first days of Ley 31435, with the holidays the package reports for 2022.
    pytest.param(date(2022, 5, 21), date(2022, 6, 10), id="ley-31435-first-day-saturday-2022-05-21"),
    pytest.param(date(2022, 5, 27), date(2022, 6, 17), id="2022-fri-june-7-not-a-holiday-that-year"),
    pytest.param(date(2022, 7, 22), date(2022, 8, 16), id="2022-fri-before-fiestas-patrias-thu-fri"),
]


@pytest.mark.parametrize(("filed_on", "expected"), LEY_31435_CASES)
def test_due_date_ley_31435(filed_on: date, expected: date) -> None:
    assert regime_for(filed_on) is Regime.LEY_31435
    assert due_date(filed_on) == expected


@pytest.mark.parametrize(("filed_on", "expected"), LEY_31435_CASES)
def test_due_date_default_calendar_equals_empty_business_calendar(filed_on: date, expected: date) -> None:
    assert due_date(filed_on) == due_date(filed_on, BusinessCalendar()) == expected


# ----------------------------------------------------------------------------------------------------
# due_date under DS 006-2014 and DS 011-2011 (30 calendar days, rolled to the next business day)
# ----------------------------------------------------------------------------------------------------

CALENDAR_DAY_CASES = [
    # DS 006-2014-PCM
    pytest.param(date(2014, 4, 23), date(2014, 5, 23), Regime.DS_006_2014, id="ds-006-first-day-plus-30-is-a-friday"),
    pytest.param(
        date(2020, 10, 5),
        date(2020, 11, 4),
        Regime.DS_006_2014,
        id="ds-006-plus-30-is-wednesday-holidays-inside-window-ignored",
    ),
    pytest.param(
        date(2017, 6, 1),
        date(2017, 7, 3),
        Regime.DS_006_2014,
        id="ds-006-plus-30-is-saturday-moves-to-monday",
    ),
    pytest.param(date(2017, 6, 2), date(2017, 7, 3), Regime.DS_006_2014, id="ds-006-plus-30-is-sunday-moves-to-monday"),
    pytest.param(
        date(2021, 6, 28),
        date(2021, 7, 30),
        Regime.DS_006_2014,
        id="ds-006-plus-30-is-july-28-2021-skips-28-and-29-to-friday",
    ),
    pytest.param(
        date(2019, 11, 25),
        date(2019, 12, 26),
        Regime.DS_006_2014,
        id="ds-006-plus-30-is-christmas-2019-moves-to-thursday",
    ),
    pytest.param(
        date(2019, 10, 2),
        date(2019, 11, 4),
        Regime.DS_006_2014,
        id="ds-006-plus-30-is-todos-los-santos-friday-moves-to-monday",
    ),
    pytest.param(
        date(2020, 5, 29),
        date(2020, 6, 30),
        Regime.DS_006_2014,
        id="ds-006-plus-30-is-sunday-then-san-pedro-monday-moves-to-tuesday",
    ),
    pytest.param(
        date(2017, 6, 28),
        date(2017, 7, 31),
        Regime.DS_006_2014,
        id="ds-006-plus-30-is-independence-friday-then-weekend-moves-to-monday",
    ),
    pytest.param(
        date(2022, 5, 20),
        date(2022, 6, 20),
        Regime.DS_006_2014,
        id="ds-006-last-day-in-force-plus-30-is-sunday-moves-to-monday",
    ),
    # DS 011-2011-PCM
    pytest.param(date(2012, 6, 1), date(2012, 7, 2), Regime.DS_011_2011, id="ds-011-plus-30-is-sunday-moves-to-monday"),
    pytest.param(
        date(2012, 6, 28),
        date(2012, 7, 30),
        Regime.DS_011_2011,
        id="ds-011-plus-30-is-independence-saturday-then-sunday-holiday-moves-to-monday",
    ),
    pytest.param(date(2014, 4, 22), date(2014, 5, 22), Regime.DS_011_2011, id="ds-011-last-day-plus-30-is-a-thursday"),
]


@pytest.mark.parametrize(("filed_on", "expected", "regime"), CALENDAR_DAY_CASES)
def test_due_date_calendar_day_regimes(filed_on: date, expected: date, regime: Regime) -> None:
    assert regime_for(filed_on) is regime
    assert due_date(filed_on) == expected
    assert due_date(filed_on, BusinessCalendar()) == expected


def test_regime_switch_shortens_deadline_across_2022_05_20_and_21() -> None:
    # Friday 2022-05-20 is the last DS 006-2014 filing (+30 = Sun 06-19 -> Mon 06-20); Saturday 2022-05-21 is
    # the first Ley 31435 filing (15 business days from Mon 05-23 -> Fri 06-10).
    assert due_date(date(2022, 5, 20)) == date(2022, 6, 20)
    assert due_date(date(2022, 5, 21)) == date(2022, 6, 10)


# ----------------------------------------------------------------------------------------------------
# Extra non-working days (días no laborables) via BusinessCalendar
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed_on", "extra", "expected"),
    [
        # Base: Mon 2026-09-14 -> Mon 2026-10-05 with no extra days.
        pytest.param(date(2026, 9, 14), [], date(2026, 10, 5), id="no-extra-days-baseline"),
        pytest.param(
            date(2026, 9, 14),
            [date(2026, 9, 23)],
            date(2026, 10, 6),
            id="extra-weekday-inside-period-adds-one",
        ),
        pytest.param(
            date(2026, 9, 14),
            [date(2026, 9, 17), date(2026, 9, 18)],
            date(2026, 10, 7),
            id="two-extra-weekdays-inside-period-add-two",
        ),
        pytest.param(
            date(2026, 9, 14),
            [date(2026, 10, 5)],
            date(2026, 10, 6),
            id="extra-day-on-the-due-date-pushes-it",
        ),
        pytest.param(
            date(2026, 9, 14),
            [date(2026, 10, 7)],
            date(2026, 10, 5),
            id="extra-day-after-period-changes-nothing",
        ),
        pytest.param(
            date(2026, 9, 14),
            [date(2026, 9, 10)],
            date(2026, 10, 5),
            id="extra-day-before-filing-changes-nothing",
        ),
        pytest.param(
            date(2026, 9, 14),
            [date(2026, 9, 14)],
            date(2026, 10, 5),
            id="extra-day-on-filing-date-changes-nothing-filing-day-never-counted",
        ),
        pytest.param(
            date(2026, 9, 14),
            [date(2026, 9, 19), date(2026, 9, 27)],
            date(2026, 10, 5),
            id="extra-days-on-weekend-change-nothing",
        ),
        pytest.param(
            date(2026, 10, 5),
            [date(2026, 10, 8)],
            date(2026, 10, 27),
            id="extra-day-on-national-holiday-changes-nothing",
        ),
        pytest.param(
            date(2026, 10, 5),
            [date(2026, 10, 14)],
            date(2026, 10, 28),
            id="extra-day-plus-angamos-holiday-in-period",
        ),
        pytest.param(
            date(2026, 9, 12),
            [date(2026, 9, 14)],
            date(2026, 10, 5),
            id="saturday-filing-with-extra-monday-day-one-is-tuesday",
        ),
        pytest.param(
            date(2026, 12, 15),
            [date(2026, 12, 24), date(2026, 12, 31)],
            date(2027, 1, 11),
            id="extra-christmas-eve-and-new-years-eve-push-into-next-week",
        ),
        # Calendar-day regime: extra days only matter when the +30 landing day is one.
        pytest.param(
            date(2020, 10, 5),
            [date(2020, 10, 20)],
            date(2020, 11, 4),
            id="ds-006-extra-day-inside-30-day-window-changes-nothing",
        ),
        pytest.param(
            date(2020, 10, 5),
            [date(2020, 11, 4)],
            date(2020, 11, 5),
            id="ds-006-extra-day-on-landing-day-moves-to-next-business-day",
        ),
        pytest.param(
            date(2020, 10, 5),
            [date(2020, 11, 4), date(2020, 11, 5), date(2020, 11, 6)],
            date(2020, 11, 9),
            id="ds-006-three-extra-days-then-weekend-moves-to-monday",
        ),
    ],
)
def test_due_date_with_extra_non_working_days(filed_on: date, extra: list[date], expected: date) -> None:
    assert due_date(filed_on, BusinessCalendar(extra_non_working=extra)) == expected


# ----------------------------------------------------------------------------------------------------
# business_days_left
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "due", "expected"),
    [
        # Due Tue 2026-10-27 (the worked example).
        pytest.param(date(2026, 10, 5), date(2026, 10, 27), 15, id="on-filing-day-all-15-left"),
        pytest.param(date(2026, 10, 7), date(2026, 10, 27), 13, id="before-due-holiday-8-oct-not-counted"),
        pytest.param(date(2026, 10, 26), date(2026, 10, 27), 1, id="day-before-due-one-left"),
        pytest.param(date(2026, 10, 27), date(2026, 10, 27), 0, id="on-due-date-zero"),
        pytest.param(date(2026, 10, 28), date(2026, 10, 27), -1, id="business-day-after-due-minus-one"),
        pytest.param(date(2026, 10, 30), date(2026, 10, 27), -3, id="three-business-days-overdue"),
        pytest.param(date(2026, 11, 2), date(2026, 10, 27), -4, id="overdue-across-weekend"),
        # Due Fri 2026-10-02 (Thu 10-08 is Combate de Angamos).
        pytest.param(date(2026, 10, 3), date(2026, 10, 2), -1, id="saturday-after-friday-due-minus-one"),
        pytest.param(date(2026, 10, 4), date(2026, 10, 2), -1, id="sunday-after-friday-due-minus-one"),
        pytest.param(date(2026, 10, 5), date(2026, 10, 2), -1, id="monday-after-friday-due-minus-one"),
        pytest.param(date(2026, 10, 7), date(2026, 10, 2), -3, id="wednesday-after-friday-due-minus-three"),
        pytest.param(date(2026, 10, 8), date(2026, 10, 2), -3, id="overdue-holiday-today-not-counted"),
        pytest.param(date(2026, 10, 9), date(2026, 10, 2), -4, id="overdue-across-holiday-not-counted"),
        # Due Mon 2026-10-05.
        pytest.param(date(2026, 10, 3), date(2026, 10, 5), 1, id="saturday-before-monday-due-one-left"),
        pytest.param(date(2026, 10, 4), date(2026, 10, 5), 1, id="sunday-before-monday-due-one-left"),
        pytest.param(date(2026, 10, 2), date(2026, 10, 5), 1, id="friday-before-monday-due-one-left"),
        pytest.param(date(2026, 10, 1), date(2026, 10, 5), 2, id="thursday-before-monday-due-two-left"),
        # Across holidays before the due date.
        pytest.param(date(2026, 10, 7), date(2026, 10, 9), 1, id="across-angamos-holiday-one-left"),
        pytest.param(date(2026, 7, 27), date(2026, 7, 30), 1, id="across-july-28-and-29-one-left"),
        pytest.param(date(2026, 12, 24), date(2027, 1, 4), 5, id="across-christmas-and-new-year-five-left"),
        pytest.param(date(2026, 4, 1), date(2026, 4, 7), 2, id="across-holy-week-2026-two-left"),
        # Overdue across July 2026 holidays: due Wed 07-22; 07-23, 07-28, 07-29 are holidays.
        pytest.param(date(2026, 7, 23), date(2026, 7, 22), -1, id="overdue-today-is-holiday-still-minus-one"),
        pytest.param(date(2026, 7, 24), date(2026, 7, 22), -1, id="overdue-after-holiday-one-business-day"),
        pytest.param(date(2026, 7, 29), date(2026, 7, 22), -2, id="overdue-across-july-holidays-minus-two"),
        pytest.param(date(2026, 7, 30), date(2026, 7, 22), -3, id="overdue-across-july-holidays-minus-three"),
    ],
)
def test_business_days_left(today: date, due: date, expected: int) -> None:
    assert business_days_left(today, due) == expected
    assert business_days_left(today, due, BusinessCalendar()) == expected


@pytest.mark.parametrize(
    ("today", "due", "extra", "expected"),
    [
        pytest.param(
            date(2026, 10, 1),
            date(2026, 10, 5),
            [date(2026, 10, 2)],
            1,
            id="extra-day-before-due-not-counted",
        ),
        pytest.param(
            date(2026, 10, 6),
            date(2026, 10, 2),
            [date(2026, 10, 5)],
            -1,
            id="extra-day-when-overdue-not-counted",
        ),
        pytest.param(
            date(2026, 10, 1),
            date(2026, 10, 5),
            [date(2026, 10, 3)],
            2,
            id="extra-day-on-weekend-changes-nothing",
        ),
    ],
)
def test_business_days_left_with_extra_days(today: date, due: date, extra: list[date], expected: int) -> None:
    assert business_days_left(today, due, BusinessCalendar(extra_non_working=extra)) == expected


# ----------------------------------------------------------------------------------------------------
# BusinessCalendar primitives
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 10, 5), True, id="ordinary-monday"),
        pytest.param(date(2026, 10, 9), True, id="ordinary-friday"),
        pytest.param(date(2026, 10, 3), False, id="saturday"),
        pytest.param(date(2026, 10, 4), False, id="sunday"),
        pytest.param(date(2026, 10, 8), False, id="combate-de-angamos-thursday"),
        pytest.param(date(2026, 4, 2), False, id="jueves-santo-2026"),
        pytest.param(date(2026, 4, 3), False, id="viernes-santo-2026"),
        pytest.param(date(2027, 3, 25), False, id="jueves-santo-2027"),
        pytest.param(date(2027, 3, 26), False, id="viernes-santo-2027"),
        pytest.param(date(2026, 6, 29), False, id="san-pedro-y-san-pablo-2026"),
        pytest.param(date(2026, 7, 23), False, id="fuerza-aerea-2026"),
        pytest.param(date(2026, 7, 28), False, id="independencia-2026"),
        pytest.param(date(2026, 7, 29), False, id="gran-parada-militar-2026"),
        pytest.param(date(2026, 8, 6), False, id="batalla-de-junin-2026"),
        pytest.param(date(2026, 12, 8), False, id="inmaculada-concepcion-2026"),
        pytest.param(date(2026, 12, 9), False, id="batalla-de-ayacucho-2026"),
        pytest.param(date(2026, 12, 25), False, id="navidad-2026"),
        pytest.param(date(2027, 1, 1), False, id="ano-nuevo-2027"),
        pytest.param(date(2027, 6, 7), False, id="batalla-de-arica-2027-monday"),
        pytest.param(date(2026, 12, 24), True, id="christmas-eve-is-a-business-day"),
        pytest.param(date(2026, 12, 31), True, id="new-years-eve-is-a-business-day"),
    ],
)
def test_is_business_day(day: date, expected: bool) -> None:
    assert BusinessCalendar().is_business_day(day) is expected


def test_is_business_day_honours_extra_non_working_days() -> None:
    calendar = BusinessCalendar(extra_non_working=[date(2026, 10, 5)])
    assert calendar.is_business_day(date(2026, 10, 5)) is False
    assert calendar.is_business_day(date(2026, 10, 6)) is True


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 10, 5), date(2026, 10, 5), id="business-day-is-itself"),
        pytest.param(date(2026, 10, 3), date(2026, 10, 5), id="saturday-to-monday"),
        pytest.param(date(2026, 10, 4), date(2026, 10, 5), id="sunday-to-monday"),
        pytest.param(date(2026, 10, 8), date(2026, 10, 9), id="thursday-holiday-to-friday"),
        pytest.param(date(2026, 4, 2), date(2026, 4, 6), id="jueves-santo-to-easter-monday"),
        pytest.param(date(2026, 7, 28), date(2026, 7, 30), id="july-28-to-july-30"),
        pytest.param(date(2026, 12, 25), date(2026, 12, 28), id="christmas-friday-to-monday"),
        pytest.param(date(2027, 1, 1), date(2027, 1, 4), id="new-year-friday-to-monday"),
    ],
)
def test_next_business_day(day: date, expected: date) -> None:
    assert BusinessCalendar().next_business_day(day) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(date(2026, 10, 5), 0, date(2026, 10, 5), id="zero-days-is-start"),
        pytest.param(date(2026, 10, 5), 1, date(2026, 10, 6), id="one-day-from-monday-is-tuesday"),
        pytest.param(date(2026, 10, 7), 1, date(2026, 10, 9), id="one-day-skips-thursday-holiday"),
        pytest.param(date(2026, 10, 2), 1, date(2026, 10, 5), id="one-day-from-friday-is-monday"),
        pytest.param(date(2026, 10, 3), 1, date(2026, 10, 5), id="one-day-from-saturday-is-monday"),
        pytest.param(date(2026, 10, 5), 15, date(2026, 10, 27), id="fifteen-days-worked-example"),
    ],
)
def test_add_business_days(start: date, days: int, expected: date) -> None:
    assert BusinessCalendar().add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2026, 10, 5), date(2026, 10, 5), 0, id="same-day-is-zero"),
        pytest.param(date(2026, 10, 9), date(2026, 10, 5), 0, id="end-before-start-is-zero"),
        pytest.param(date(2026, 10, 5), date(2026, 10, 6), 1, id="start-excluded-end-included"),
        pytest.param(date(2026, 10, 2), date(2026, 10, 4), 0, id="friday-to-sunday-is-zero"),
        pytest.param(date(2026, 10, 5), date(2026, 10, 9), 3, id="week-with-thursday-holiday"),
        pytest.param(date(2026, 12, 24), date(2027, 1, 4), 5, id="christmas-to-new-year"),
    ],
)
def test_business_days_between(start: date, end: date, expected: int) -> None:
    assert BusinessCalendar().business_days_between(start, end) == expected


@pytest.mark.parametrize(
    ("day", "fragment"),
    [
        pytest.param(date(2026, 7, 28), "Independencia", id="july-28-spanish-name"),
        pytest.param(date(2026, 4, 3), "Viernes Santo", id="good-friday-spanish-name"),
        pytest.param(date(2026, 4, 2), "Jueves Santo", id="holy-thursday-spanish-name"),
        pytest.param(date(2026, 12, 25), "Navidad", id="christmas-spanish-name"),
        pytest.param(date(2027, 1, 1), "Año Nuevo", id="new-year-spanish-name"),
        pytest.param(date(2026, 10, 8), "Angamos", id="angamos-spanish-name"),
        pytest.param(date(2026, 12, 9), "Ayacucho", id="ayacucho-spanish-name"),
        pytest.param(date(2026, 10, 3), "Sábado", id="saturday-in-spanish"),
        pytest.param(date(2026, 10, 4), "Domingo", id="sunday-in-spanish"),
    ],
)
def test_non_working_reason_in_spanish(day: date, fragment: str) -> None:
    reason = BusinessCalendar().non_working_reason(day)
    assert reason is not None
    assert fragment in reason


def test_non_working_reason_for_business_day_and_extra_day() -> None:
    calendar = BusinessCalendar(extra_non_working=[date(2026, 10, 6)])
    assert calendar.non_working_reason(date(2026, 10, 5)) is None
    reason = calendar.non_working_reason(date(2026, 10, 6))
    assert reason is not None
    assert "no laborable" in reason.lower()


# ----------------------------------------------------------------------------------------------------
# Properties over a whole year
# ----------------------------------------------------------------------------------------------------


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=offset) for offset in range((date(year + 1, 1, 1) - first).days)]


def test_ley_31435_due_date_is_always_fifteenth_business_day_for_every_2026_filing() -> None:
    calendar = BusinessCalendar()
    days = _days_of(2026)
    assert len(days) == 365
    for filed_on in days:
        due = due_date(filed_on)
        assert calendar.is_business_day(due), filed_on
        assert calendar.business_days_between(filed_on, due) == 15, filed_on
        # Minimal: one day earlier there are only 14 business days in the period.
        assert calendar.business_days_between(filed_on, due - timedelta(days=1)) == 14, filed_on
        assert due == due_date(filed_on, BusinessCalendar()), filed_on
        assert business_days_left(filed_on, due) == 15, filed_on
        assert business_days_left(due, due) == 0, filed_on


def test_calendar_day_regime_due_date_is_first_business_day_from_plus_30_for_every_2021_filing() -> None:
    calendar = BusinessCalendar()
    for filed_on in _days_of(2021):
        due = due_date(filed_on)
        landing = filed_on + timedelta(days=30)
        assert calendar.is_business_day(due), filed_on
        assert due >= landing, filed_on
        assert due - landing < timedelta(days=7), filed_on
        day = landing
        while day < due:
            assert not calendar.is_business_day(day), filed_on
            day += timedelta(days=1)


def test_business_days_between_many_matches_one_by_one():
    import random

    calendar = BusinessCalendar(extra_non_working=[date(2026, 12, 24)])
    rng = random.Random(7)
    pairs = []
    for _ in range(300):
        start = date(2025, 12, 1) + timedelta(days=rng.randrange(400))
        pairs.append((start, start + timedelta(days=rng.randrange(-3, 45))))
    assert calendar.business_days_between_many(pairs) == [calendar.business_days_between(a, b) for a, b in pairs]
    assert calendar.business_days_between_many([]) == []
