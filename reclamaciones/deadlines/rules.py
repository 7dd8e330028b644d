"""Statutory response deadlines. PURE: no ORM, no clock; every date is passed in.

Legal basis (docs/architecture.md lists the norms):
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

SETTLEMENT_SUSPENSION_BUSINESS_DAYS = 5  # Reglamento art. 6-A.2.b (DS 101-2022-PCM)

MAX_EXTENSION_CALENDAR_DAYS = 30  # DS 006-2014-PCM art. 6: "hasta por otro igual"

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

    def business_days_between_many(self, pairs: Iterable[tuple[date, date]]) -> list[int]:
        """business_days_between for many (start, end) pairs in one pass over the dates they span: a running
        count of business days, so thousands of pairs cost one walk over the calendar, not one walk each."""
        pairs = list(pairs)
        if not pairs:
            return []
        first = min(min(start, end) for start, end in pairs)
        last = max(max(start, end) for start, end in pairs)
        running: dict[date, int] = {}
        count, current = 0, first
        while current <= last:
            count += self.is_business_day(current)
            running[current] = count
            current += timedelta(days=1)
        return [max(0, running[end] - running[start]) for start, end in pairs]


NATIONAL_CALENDAR = BusinessCalendar()


def due_date(filed_on: date, calendar: BusinessCalendar | None = None) -> date:
    """Last day to communicate the answer to a hoja filed on `filed_on` (Lima date), by the rule then in force."""
    calendar = calendar or NATIONAL_CALENDAR
    if regime_for(filed_on) is Regime.LEY_31435:
        return calendar.add_business_days(filed_on, LEY_31435_BUSINESS_DAYS)
    return calendar.next_business_day(filed_on + timedelta(days=CALENDAR_DAYS_BEFORE_2022))


def answered_on_time(*, answered_on: date, due_date: date) -> bool:
    """An answer is on time when it was communicated on or before the hoja's due date (Lima dates). Every
    figure of timeliness uses this rule: the council's KPIs and agenda, the team view, the staff exports."""
    return answered_on <= due_date


def business_days_left(today: date, due: date, calendar: BusinessCalendar | None = None) -> int:
    """Business days from `today` to `due`: 0 on the due date, negative once it has passed.

    Counts business days d with today < d <= due. When overdue, counts the business days elapsed since the
    due date, and at least 1, so a weekend right after the deadline already reads as overdue (-1).
    """
    calendar = calendar or NATIONAL_CALENDAR
    if today <= due:
        return calendar.business_days_between(today, due)
    return -max(1, calendar.business_days_between(due, today))


def effective_due_date(
    filed_on: date,
    calendar: BusinessCalendar | None = None,
    *,
    suspended_business_days: int = 0,
    extension_days: int = 0,
) -> date:
    """The due date after the events that legally move it: business days suspended by rejected or expired
    settlement offers (art. 6-A) and, for hojas filed before Ley 31435 only, a one-time extension of up to
    30 calendar days. With no such events it equals `due_date`."""
    calendar = calendar or NATIONAL_CALENDAR
    if regime_for(filed_on) is Regime.LEY_31435:
        if extension_days:
            raise ValueError("Ley 31435: el plazo de 15 días hábiles es improrrogable")
        return calendar.add_business_days(filed_on, LEY_31435_BUSINESS_DAYS + suspended_business_days)
    base = calendar.next_business_day(filed_on + timedelta(days=CALENDAR_DAYS_BEFORE_2022 + extension_days))
    return calendar.add_business_days(base, suspended_business_days)


def settlement_respond_by(offered_on: date, calendar: BusinessCalendar | None = None) -> date:
    """Last day the consumer can accept an offer sent on `offered_on`: 5 business days (art. 6-A.2.b)."""
    return (calendar or NATIONAL_CALENDAR).add_business_days(offered_on, SETTLEMENT_SUSPENSION_BUSINESS_DAYS)


def settlement_suspended_days(offered_on: date, resolved_on: date, calendar: BusinessCalendar | None = None) -> int:
    """Business days the count stayed suspended: those after the offer up to the answer (or the silence),
    never more than 5."""
    elapsed = (calendar or NATIONAL_CALENDAR).business_days_between(offered_on, resolved_on)
    return min(elapsed, SETTLEMENT_SUSPENSION_BUSINESS_DAYS)
