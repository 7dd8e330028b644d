"""The council's arithmetic (reclamaciones.improvement): pure functions, no database, no clock."""

from __future__ import annotations

import random
import statistics
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from reclamaciones.council import rules as improvement
from reclamaciones.council.rules import (
    BASELINE_WEEKS,
    RECENT_WEEKS,
    Window,
    action_verdict,
    baseline_window,
    change_pct,
    flag_windows,
    is_recurring,
    nps,
    rate_ratio,
    target_rate,
    trend_weeks,
    verification_window,
    week_start,
    weekly_rate,
    weighted_median,
)


@pytest.mark.parametrize(
    ("today", "recent", "baseline"),
    [
        # across a year boundary
        (
            date(2026, 1, 10),
            Window(date(2025, 12, 14), date(2026, 1, 10)),
            Window(date(2025, 9, 21), date(2025, 12, 13)),
        ),
        # the recent window starts on the 1st of a month: the baseline ends on the last day of the one before
        (date(2026, 3, 28), Window(date(2026, 3, 1), date(2026, 3, 28)), Window(date(2025, 12, 7), date(2026, 2, 28))),
        # a leap February
        (date(2028, 3, 1), Window(date(2028, 2, 3), date(2028, 3, 1)), Window(date(2027, 11, 11), date(2028, 2, 2))),
    ],
)
def test_flag_windows_are_contiguous_whole_weeks(today, recent, baseline):
    got_recent, got_baseline = flag_windows(today)

    assert (got_recent, got_baseline) == (recent, baseline)
    assert got_recent.days == RECENT_WEEKS * 7
    assert got_baseline.days == BASELINE_WEEKS * 7
    assert got_baseline.end + timedelta(days=1) == got_recent.start


def test_baseline_window_is_the_twelve_weeks_before_the_creation_day():
    window = baseline_window(date(2026, 1, 5))

    assert window == Window(date(2025, 10, 13), date(2026, 1, 4))
    assert window.days == 84
    assert baseline_window(date(2026, 3, 1), weeks=1) == Window(date(2026, 2, 22), date(2026, 2, 28))


@pytest.mark.parametrize(
    ("implemented_on", "weeks", "end"),
    [
        (date(2025, 12, 15), 8, date(2026, 2, 8)),  # over New Year
        (date(2028, 2, 1), 4, date(2028, 2, 28)),  # 29 February is the day after
        (date(2026, 1, 31), 1, date(2026, 2, 6)),
    ],
)
def test_verification_window_starts_on_the_implementation_day(implemented_on, weeks, end):
    window = verification_window(implemented_on, weeks)

    assert window == Window(implemented_on, end)
    assert window.days == weeks * 7


@pytest.mark.parametrize(
    ("recent", "baseline", "factor", "min_count", "expected"),
    [
        (7, 12, 1.5, 5, True),  # 1.75 a week against 1.00: 1.75 times
        (6, 12, 1.5, 5, False),  # exactly 1.5 times is not "exceeds"
        (4, 0, 1.5, 5, False),  # below the minimum count, even from nothing
        (5, 0, 1.5, 5, True),  # zero baseline: any rise with the minimum count is recurring
        (5, 0, 1.5, 6, False),
        (0, 0, 1.5, 0, False),  # nothing is never a rise
        (11, 30, 1.1, 1, False),  # 2.75 against 2.50 is exactly 1.1 times: no float rounding flags it
        (12, 30, 1.1, 1, True),
        (20, 12, 5, 5, False),  # the factor is honoured: 5 times 1.00 is 5.00 a week
        (21, 12, 5, 5, True),
    ],
)
def test_is_recurring(recent, baseline, factor, min_count, expected):
    assert is_recurring(recent=recent, baseline=baseline, factor=factor, min_count=min_count) is expected


def test_rates_and_ratio():
    assert weekly_rate(7, 4) == Decimal("1.75")
    assert weekly_rate(1, 12) == Decimal("0.08")
    assert weekly_rate(0, 8) == Decimal("0.00")
    assert rate_ratio(recent=7, baseline=12) == Decimal("1.75")
    assert rate_ratio(recent=3, baseline=0) is None


@pytest.mark.parametrize(
    ("baseline", "measured", "pct", "expected"),
    [
        ("3.00", "2.10", 30, True),  # exactly on target
        ("3.00", "2.11", 30, False),
        ("3.00", "0.00", 30, True),
        ("1.00", "1.00", 30, False),  # no change is not an improvement
        ("1.00", "0.00", 100, True),
        ("0.00", "0.00", 30, True),  # zero baseline: effective only if it stays at zero
        ("0.00", "0.13", 30, False),
    ],
)
def test_action_verdict(baseline, measured, pct, expected):
    verdict = action_verdict(baseline_rate=Decimal(baseline), measured_rate=Decimal(measured), reduction_pct=pct)

    assert verdict is expected


def test_target_rate_rounds_half_up_to_cents():
    assert target_rate(Decimal("1.25"), 30) == Decimal("0.88")  # 0.875
    assert target_rate(Decimal("3.00"), 30) == Decimal("2.10")
    assert target_rate(Decimal("0.00"), 30) == Decimal("0.00")


def test_change_pct():
    assert change_pct(10, 5) == Decimal("-50.0")
    assert change_pct(3, 4) == Decimal("33.3")
    assert change_pct(Decimal("3.00"), Decimal("1.50")) == Decimal("-50.0")
    assert change_pct(0, 5) is None
    assert change_pct(Decimal("0.00"), Decimal("0.00")) is None


@pytest.mark.parametrize(
    ("promoters", "detractors", "answers", "expected"),
    [
        (5, 2, 10, 30),
        (0, 0, 3, 0),
        (3, 0, 3, 100),
        (0, 4, 4, -100),
        (1, 0, 8, 13),  # 12.5 rounds half up, not to the even 12
        (0, 1, 8, -13),
        (2, 3, 6, -17),
        (0, 0, 0, None),
    ],
)
def test_nps(promoters, detractors, answers, expected):
    assert nps(promoters=promoters, detractors=detractors, answers=answers) == expected


def test_weighted_median_matches_the_median_of_the_expanded_values():
    rng = random.Random(20261201)
    for _ in range(300):
        values = [rng.randint(0, 30) for _ in range(rng.randint(1, 60))]
        pairs: dict[int, int] = {}
        for value in values:
            pairs[value] = pairs.get(value, 0) + 1
        grouped = list(pairs.items())
        rng.shuffle(grouped)  # a GROUP BY returns groups in any order

        assert weighted_median(grouped) == statistics.median(values)


def test_weighted_median_edges():
    assert weighted_median([]) is None
    assert weighted_median([(4, 0)]) is None
    assert weighted_median([(4, 1)]) == 4
    assert weighted_median([(1, 1), (3, 1)]) == 2
    assert weighted_median([(9, 0), (2, 3), (7, 0)]) == 2


def test_week_start_and_trend_weeks():
    assert week_start(date(2026, 1, 1)) == date(2025, 12, 29)  # a Thursday: its Monday is in 2025
    assert week_start(date(2026, 11, 30)) == date(2026, 11, 30)
    assert trend_weeks(date(2026, 1, 1), 3) == [date(2025, 12, 15), date(2025, 12, 22), date(2025, 12, 29)]
    weeks = trend_weeks(date(2026, 3, 4))
    assert len(weeks) == 12
    assert weeks[-1] == date(2026, 3, 2)
    assert all(b - a == timedelta(weeks=1) for a, b in pairwise(weeks))


def test_verification_ready_after_the_window_once_classified_or_after_the_grace():
    window = improvement.verification_window(date(2026, 9, 1), 8)  # 01/09 .. 26/10
    assert not improvement.verification_ready(window=window, today=date(2026, 10, 26), unclassified=0)
    assert improvement.verification_ready(window=window, today=date(2026, 10, 27), unclassified=0)
    assert not improvement.verification_ready(window=window, today=date(2026, 10, 27), unclassified=3)
    assert not improvement.verification_ready(window=window, today=date(2026, 11, 16), unclassified=3)
    assert improvement.verification_ready(window=window, today=date(2026, 11, 17), unclassified=3)
