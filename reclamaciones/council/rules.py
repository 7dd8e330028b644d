"""The improvement council's arithmetic. PURE: no ORM, no clock; counts and dates are passed in.

- Recurring cause (issue 5 §3): flagged when its weekly rate over the last RECENT_WEEKS exceeds `factor` times
  its weekly rate over the BASELINE_WEEKS before, and the recent window holds at least `min_count` hojas.
- Effectiveness of an action item: the weekly rate of its causes over the verification window (the weeks
  after implementation) must be at or below the baseline rate (the weeks before the action was created)
  reduced by the target. A baseline of zero can only be kept, never reduced: effective when it stays at zero.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

RECENT_WEEKS = 4

BASELINE_WEEKS = 12

TREND_WEEKS = 12

REPEAT_WINDOW_DAYS = 90

# Hojas are classified while staff handle them (15 business days, about three weeks): a verification waits up to
# this long after its window for the window's unclassified hojas, so a cause is not measured before it is known.
VERIFICATION_GRACE_DAYS = 21


@dataclass(frozen=True)
class Window:
    """Lima dates, both inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def flag_windows(today: date) -> tuple[Window, Window]:
    """(recent, baseline): the RECENT_WEEKS ending on `today`, and the BASELINE_WEEKS right before them."""
    recent = Window(today - timedelta(weeks=RECENT_WEEKS) + timedelta(days=1), today)
    baseline = Window(recent.start - timedelta(weeks=BASELINE_WEEKS), recent.start - timedelta(days=1))
    return recent, baseline


def weekly_rate(count: int, weeks: int) -> Decimal:
    """Hojas per week, to two decimals."""
    return (Decimal(count) / Decimal(weeks)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def is_recurring(*, recent: int, baseline: int, factor: float, min_count: int) -> bool:
    """The recent weekly rate exceeds `factor` times the baseline weekly rate, with at least `min_count` hojas.
    Compared in integers (recent / 4 > factor * baseline / 12  <=>  recent * 12 > factor * baseline * 4)."""
    if recent < min_count:
        return False
    return recent * BASELINE_WEEKS > Decimal(str(factor)) * baseline * RECENT_WEEKS


def rate_ratio(*, recent: int, baseline: int) -> Decimal | None:
    """How many times the baseline weekly rate the recent one is (None when there is no baseline)."""
    if baseline == 0:
        return None
    return (Decimal(recent * BASELINE_WEEKS) / Decimal(baseline * RECENT_WEEKS)).quantize(Decimal("0.01"))


def baseline_window(created_on: date, weeks: int = BASELINE_WEEKS) -> Window:
    """The `weeks` full weeks before the day an action item is created (that day excluded)."""
    return Window(created_on - timedelta(weeks=weeks), created_on - timedelta(days=1))


def verification_window(implemented_on: date, weeks: int) -> Window:
    """The `weeks` weeks starting on the day an action item was implemented."""
    return Window(implemented_on, implemented_on + timedelta(weeks=weeks) - timedelta(days=1))


def verification_ready(*, window: Window, today: date, unclassified: int) -> bool:
    """Measure once the window is over and every hoja filed in it has a cause, or the grace period has run out
    (then the unclassified ones are recorded beside the result)."""
    if window.end >= today:
        return False
    return unclassified == 0 or today > window.end + timedelta(days=VERIFICATION_GRACE_DAYS)


def target_rate(baseline_rate: Decimal, reduction_pct: int) -> Decimal:
    return (baseline_rate * (100 - reduction_pct) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def action_verdict(*, baseline_rate: Decimal, measured_rate: Decimal, reduction_pct: int) -> bool:
    """True (effective) when the measured weekly rate reached the target: baseline reduced by `reduction_pct`."""
    if baseline_rate == 0:
        return measured_rate == 0
    return measured_rate <= target_rate(baseline_rate, reduction_pct)


def change_pct(before: int | Decimal, after: int | Decimal) -> Decimal | None:
    """Relative change in percent (None when there is nothing to compare with)."""
    if not before:
        return None
    return (Decimal(after - before) * 100 / Decimal(before)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# -- Answers on time: ONE rule for the dashboard, the agenda, the minutes and the weekly digest ---------------
# An answer is "a tiempo" when it was communicated (Lima date) on or before the hoja's due date. The figures count
# the answers communicated in the period, whenever their hoja was filed. A hoja whose due date passed without an
# answer is not an answer: it is reported apart, as "vencida sin respuesta", and never enters the on-time rate
# (counting it as a late answer made "7 a tiempo · 1 fuera de plazo" out of 7 answers and 1 silence).


def answer_timeliness(*, answered: int, on_time: int, unanswered_overdue: int) -> dict:
    """The figures every screen and e-mail shows from the counts of one period: answers communicated in it
    (`answered`), those of them on time, and the hojas whose due date passed in it without an answer."""
    if not 0 <= on_time <= answered or unanswered_overdue < 0:
        raise ValueError(f"inconsistent counts: {answered=} {on_time=} {unanswered_overdue=}")
    return {
        "answered": answered,
        "on_time": on_time,
        "late": answered - on_time,
        "on_time_rate": 100 * on_time / answered if answered else None,
        "unanswered_overdue": unanswered_overdue,
    }


def nps(*, promoters: int, detractors: int, answers: int) -> int | None:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), rounded; None without answers."""
    if not answers:
        return None
    score = Decimal(100 * (promoters - detractors)) / Decimal(answers)
    return int(score.quantize(Decimal("1"), rounding=ROUND_HALF_UP))  # half away from zero, not to even


def weighted_median(pairs: Iterable[tuple[int, int]]) -> float | None:
    """Median of values given as (value, how many times), as from a GROUP BY: nothing is expanded."""
    ordered = sorted(pairs)
    total = sum(count for _, count in ordered)
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # 0-based ranks of the middle element(s)
    found: list[int] = []
    seen = 0
    for value, count in ordered:
        while len(found) < 2 and middle[len(found)] < seen + count:
            found.append(value)
        seen += count
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def trend_weeks(end: date, weeks: int = TREND_WEEKS) -> list[date]:
    """The Mondays of the `weeks` weeks ending with `end`'s week, oldest first."""
    last = week_start(end)
    return [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


_SNAPSHOT_DATES = ("today", "since", "as_of", "previous_meeting", "recent_window_start")

_ACTION_DATES = ("due_date", "verification_due_on", "window_start", "window_end")

_ACTION_RATES = ("baseline_rate", "target_rate", "measured_rate")

ACTION_ROWS = ("overdue_actions", "verification_due", "in_verification", "verified")


def _iso_date(value):
    return date.fromisoformat(value) if value else None


def decimal_or_none(value) -> Decimal | None:
    """Figures travel as strings in JSON (exact decimals): back to Decimal, None for no figure."""
    return Decimal(str(value)) if value not in (None, "") else None


def snapshot_display(snapshot: dict) -> dict | None:
    """A council snapshot as stored (JSON: ISO dates, decimals as strings) with real dates and numbers for the
    templates: a meeting's agenda (page, admin, PDFs) and the weekly digest. None when there is none."""
    if not snapshot:
        return None
    shown = copy.deepcopy(snapshot)
    for key in _SNAPSHOT_DATES:
        shown[key] = _iso_date(shown.get(key))
    shown["compared_with"] = [_iso_date(d) for d in shown.get("compared_with") or []]
    for flag in shown.setdefault("flags", []):
        for key in ("recent_rate", "baseline_rate", "ratio"):
            flag[key] = decimal_or_none(flag.get(key))
    shown["new_flags"] = [f for f in shown["flags"] if f.get("new")]
    shown["ongoing_flags"] = [f for f in shown["flags"] if not f.get("new")]
    for row in shown.setdefault("top_causes", []):
        row["change_pct"] = decimal_or_none(row.get("change_pct"))
    for key in ACTION_ROWS:
        for row in shown.setdefault(key, []):
            for name in _ACTION_DATES:
                row[name] = _iso_date(row.get(name))
            if row["window_end"] is None and row["verification_due_on"] is not None:
                # stored before the window travelled in the snapshot: it ends the day before the measuring day
                row["window_end"] = row["verification_due_on"] - timedelta(days=1)
            for name in _ACTION_RATES:
                row[name] = decimal_or_none(row.get(name))
            row["effective"] = row.get("status_code") == "effective"
            measured = row["measured_rate"]
            row["change_pct"] = None if measured is None else change_pct(row["baseline_rate"] or 0, measured)
    shown.setdefault("survey", {})
    shown.setdefault("performance", {})
    shown["has_open_actions"] = "open_actions" in snapshot  # agendas generated before the standing item lack it
    for row in shown.setdefault("open_actions", []):
        row["due_date"] = _iso_date(row.get("due_date"))
        row["last_progress_on"] = _iso_date(row.get("last_progress_on"))
    return shown


def round_or_none(value, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def str_or_none(value) -> str | None:
    """Decimals travel as strings in the JSON snapshots and events (exact, unlike floats)."""
    return None if value is None else str(value)


# -- An action's page: its run chart, its warnings and its root cause analysis ---------------------------------

# Fewer hojas than this in the baseline window and a -30 % can be one hoja more or less: chance, not the action.
TINY_BASELINE_HOJAS = 5

# The run chart starts with the baseline window's first week and runs to this week; an old action shows its last
# RUN_CHART_MAX_WEEKS weeks (a year and a half: the baseline, the implementation and the verification fit).
RUN_CHART_MAX_WEEKS = 78

WHYS_MAX = 5

WHY_MAX_CHARS = 500

MSG_WHYS_GAP = "Responde los «¿Por qué?» en orden, sin dejar uno vacío entre dos respondidos."
MSG_WHY_TOO_LONG = f"Cada respuesta puede tener como máximo {WHY_MAX_CHARS} caracteres."
MSG_ROOT_CAUSE_NEEDED = "Escribe la causa raíz a la que llegaste con los «¿Por qué?»."
MSG_WHYS_NEEDED = "Responde al menos el primer «¿Por qué?»: la causa raíz sale de esas respuestas."


def baseline_count(baseline_rate: Decimal, weeks: int) -> int:
    """The hojas in the baseline window, back from the stored weekly rate (count / weeks to two decimals: the
    rounding error times the weeks stays under half an hoja for any window under 100 weeks)."""
    return int((baseline_rate * weeks).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def baseline_too_small(count: int) -> bool:
    """Too few hojas in the baseline window to tell the action's effect from chance."""
    return count < TINY_BASELINE_HOJAS


def run_chart_weeks(first_day: date, today: date, max_weeks: int = RUN_CHART_MAX_WEEKS) -> list[date]:
    """The Mondays from `first_day`'s week to `today`'s, oldest first; the last `max_weeks` of them."""
    first, last = week_start(first_day), week_start(today)
    if first > last:
        return [last]
    count = (last - first).days // 7 + 1
    return trend_weeks(today, min(count, max_weeks))


def week_index(mondays: list[date], day: date | None) -> int | None:
    """The position of `day`'s week among `mondays` (None when it falls outside them, or there is no day)."""
    if day is None:
        return None
    monday = week_start(day)
    return mondays.index(monday) if monday in mondays else None


def root_cause_errors(whys: list[str], root_cause: str) -> dict[str, str]:
    """What is wrong with a 5-whys analysis, by field ("why_1".."why_5", "root_cause"); empty when it is fine.
    Answers are stripped; an analysis may be cleared whole (no answers, no root cause)."""
    errors: dict[str, str] = {}
    whys = [w.strip() for w in whys]
    if len(whys) > WHYS_MAX:
        errors[f"why_{WHYS_MAX}"] = f"Son como máximo {WHYS_MAX} «¿Por qué?»."
    for i, why in enumerate(whys[:WHYS_MAX], start=1):
        if len(why) > WHY_MAX_CHARS:
            errors.setdefault(f"why_{i}", MSG_WHY_TOO_LONG)
    answered = [i for i, why in enumerate(whys) if why]
    if answered and answered[-1] + 1 != len(answered):
        first_gap = next(i for i, why in enumerate(whys) if not why)
        errors.setdefault(f"why_{first_gap + 1}", MSG_WHYS_GAP)
    if answered and not root_cause.strip():
        errors["root_cause"] = MSG_ROOT_CAUSE_NEEDED
    if root_cause.strip() and not answered:
        errors["why_1"] = MSG_WHYS_NEEDED
    return errors


def whys_clean(whys: list[str]) -> list[str]:
    """The answers as stored: stripped, the empty trailing ones dropped."""
    cleaned = [w.strip() for w in whys]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return cleaned
