"""Statutory response deadlines. PURE: no ORM, no clock; every date is passed in.

Legal basis (../shared/reference/legal-peru.md §1):
- Ley 31435 (in force 2022-05-21), Ley 29571 art. 24.1; Reglamento arts. 6 and 6-B (DS 101-2022-PCM):
  15 días hábiles, improrrogables. Código Civil art. 183: the period excludes the initial day, so day 1 is
  the first business day after the filing date (a Saturday, Sunday or holiday filing starts on the next
  business day).
- DS 006-2014-PCM (2014-04-23 .. 2022-05-20) and DS 011-2011-PCM (before): 30 días calendario; a deadline
  that falls on a non-business day moves to the next business day (CC art. 183 inc. 5).
Business days are Monday-Friday minus Peru's national holidays (`holidays`, country "PE") minus any extra
non-working dates the provider records (días no laborables, with their legal source).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

LEY_31435_BUSINESS_DAYS = 15
CALENDAR_DAYS_BEFORE_2022 = 30
DS_006_2014_IN_FORCE = date(2014, 4, 23)
LEY_31435_IN_FORCE = date(2022, 5, 21)


class Regime(enum.StrEnum):
    """The deadline rule in force on the filing date."""

    DS_011_2011 = "ds-011-2011"
    DS_006_2014 = "ds-006-2014"
    LEY_31435 = "ley-31435"


def regime_for(filed_on: date) -> Regime:
    """The regime whose deadline applies to a hoja filed on `filed_on`."""
    if filed_on >= LEY_31435_IN_FORCE:
        return Regime.LEY_31435
    if filed_on >= DS_006_2014_IN_FORCE:
        return Regime.DS_006_2014
    return Regime.DS_011_2011


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict[date, str]:
    """Peru's national holidays of `year`, names in Spanish (never depends on the process locale)."""
    return dict(holidays.country_holidays("PE", years=year, language="es"))


class BusinessCalendar:
    """Business days: Monday-Friday, minus national holidays, minus `extra_non_working` dates."""

    def __init__(self, extra_non_working: Iterable[date] = ()) -> None:
        self.extra_non_working: frozenset[date] = frozenset(extra_non_working)

    def __repr__(self) -> str:
        return f"BusinessCalendar(extra_non_working={sorted(self.extra_non_working)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BusinessCalendar) and other.extra_non_working == self.extra_non_working

    def __hash__(self) -> int:
        return hash(self.extra_non_working)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in national_holidays(day.year) and day not in self.extra_non_working

    def non_working_reason(self, day: date) -> str | None:
        """Why `day` is not a business day (for explaining a deadline), or None if it is one."""
        if day in self.extra_non_working:
            return "Día no laborable"
        name = national_holidays(day.year).get(day)
        if name:
            return name
        if day.weekday() >= 5:
            return "Sábado" if day.weekday() == 5 else "Domingo"
        return None

    def next_business_day(self, day: date) -> date:
        """`day` itself if it is a business day, otherwise the first business day after it."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, start: date, days: int) -> date:
        """The date `days` business days after `start` (`start` itself is never counted)."""
        current, remaining = start, days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days d with start < d <= end (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count


NATIONAL_CALENDAR = BusinessCalendar()


def due_date(filed_on: date, calendar: BusinessCalendar | None = None) -> date:
    """Last day to communicate the answer to a hoja filed on `filed_on` (Lima date), by the rule then in force."""
    calendar = calendar or NATIONAL_CALENDAR
    if regime_for(filed_on) is Regime.LEY_31435:
        return calendar.add_business_days(filed_on, LEY_31435_BUSINESS_DAYS)
    return calendar.next_business_day(filed_on + timedelta(days=CALENDAR_DAYS_BEFORE_2022))


def business_days_left(today: date, due: date, calendar: BusinessCalendar | None = None) -> int:
    """Business days from `today` to `due`: 0 on the due date, negative once it has passed.

    Counts business days d with today < d <= due. When overdue, counts the business days elapsed since the
    due date, and at least 1, so a weekend right after the deadline already reads as overdue (-1).
    """
    calendar = calendar or NATIONAL_CALENDAR
    if today <= due:
        return calendar.business_days_between(today, due)
    return -max(1, calendar.business_days_between(due, today))
