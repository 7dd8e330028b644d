"""The history math (pure): runs of samples -> timeline, uptime per window and incidents. Time without a sample
is "sin datos", never up."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from reclamaciones.ops.uptime import NO_DATA, Run, Segment, availability, incidents, timeline

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
COVERAGE = timedelta(seconds=90)


def at(minutes: float) -> datetime:
    return T0 + minutes * MIN


def states(segments: list[Segment]) -> list[tuple[float, float, str]]:
    return [((s.start - T0) / MIN, (s.end - T0) / MIN, s.status) for s in segments]


def test_no_sample_at_all_is_a_window_without_data_not_an_uptime():
    segments = timeline([], start=at(0), end=at(60), coverage=COVERAGE)
    spent = availability(segments, start=at(0), end=at(60))

    assert states(segments) == [(0, 60, NO_DATA)]
    assert spent.up_percent == 0
    assert spent.no_data_percent == 100


def test_samples_every_minute_cover_the_window():
    runs = [Run(at(-5), at(59.5), "ok")]
    segments = timeline(runs, start=at(0), end=at(60), coverage=COVERAGE)

    assert states(segments) == [(0, 60, "ok")]
    assert availability(segments, start=at(0), end=at(60)).up_percent == 100


def test_a_gap_between_runs_is_no_data_even_when_both_sides_are_up():
    # Beat was down from minute 10 to minute 40: two ok runs with a hole between them.
    runs = [Run(at(0), at(10), "ok"), Run(at(40), at(60), "ok")]
    segments = timeline(runs, start=at(0), end=at(60), coverage=COVERAGE)
    spent = availability(segments, start=at(0), end=at(60))

    assert states(segments) == [(0, 11.5, "ok"), (11.5, 40, NO_DATA), (40, 60, "ok")]
    assert spent.no_data == timedelta(minutes=28.5)
    assert spent.up == timedelta(minutes=31.5)
    assert round(spent.up_percent, 2) == 52.5


def test_the_last_sample_is_trusted_only_for_the_coverage_then_no_data_until_now():
    runs = [Run(at(0), at(20), "ok")]
    segments = timeline(runs, start=at(0), end=at(60), coverage=COVERAGE)

    assert states(segments)[-1] == (21.5, 60, NO_DATA)
    assert incidents(segments)[0].end == at(60)  # ongoing: it reaches "now"


def test_a_run_is_cut_where_the_next_one_starts_and_degraded_counts_as_up_but_error_does_not():
    runs = [
        Run(at(0), at(10), "ok"),
        Run(at(10.5), at(20), "degraded", ("outbox",)),
        Run(at(21), at(30), "error", ("database",)),
    ]
    segments = timeline(runs, start=at(0), end=at(31.5), coverage=COVERAGE)
    spent = availability(segments, start=at(0), end=at(31.5))

    assert states(segments) == [(0, 10.5, "ok"), (10.5, 21, "degraded"), (21, 31.5, "error")]
    assert spent.degraded == timedelta(minutes=10.5)
    assert spent.up == timedelta(minutes=21)
    assert spent.error == timedelta(minutes=10.5)
    assert spent.no_data == timedelta(0)
    assert segments[1].failing == ("outbox",)


def test_overlapping_runs_are_never_counted_twice():
    # Two samplers at once (two beats by mistake) wrote runs that overlap.
    runs = [Run(at(0), at(30), "ok"), Run(at(5), at(25), "ok"), Run(at(20), at(40), "error", ("broker",))]
    segments = timeline(runs, start=at(0), end=at(50), coverage=COVERAGE)
    spent = availability(segments, start=at(0), end=at(50))

    assert spent.ok + spent.degraded + spent.error + spent.no_data == timedelta(minutes=50)
    for before, after in itertools.pairwise(segments):
        assert before.end == after.start  # no overlap, no hole


def test_the_window_clips_runs_that_started_before_it_and_neighbours_in_one_state_merge():
    runs = [Run(at(-100), at(-1), "ok"), Run(at(-0.5), at(10), "ok")]  # a new run with the same state
    segments = timeline(runs, start=at(0), end=at(10), coverage=COVERAGE)

    assert states(segments) == [(0, 10, "ok")]


def test_an_empty_or_inverted_window_has_no_percentage():
    assert timeline([Run(at(0), at(1), "ok")], start=at(5), end=at(5), coverage=COVERAGE) == []
    spent = availability([], start=at(5), end=at(5))
    assert spent.up_percent is None
    assert spent.no_data_percent is None


def test_availability_of_a_shorter_window_reads_the_same_timeline():
    runs = [Run(at(0), at(50), "ok"), Run(at(55), at(59), "error", ("database",))]
    segments = timeline(runs, start=at(0), end=at(60), coverage=COVERAGE)

    last_ten = availability(segments, start=at(50), end=at(60))
    assert last_ten.ok == timedelta(minutes=1.5)
    assert last_ten.no_data == timedelta(minutes=3.5)
    assert last_ten.error == timedelta(minutes=5)


def test_incidents_are_the_not_ok_segments_newest_first_with_their_checks():
    runs = [
        Run(at(0), at(10), "ok"),
        Run(at(11), at(15), "error", ("database",)),
        Run(at(16), at(30), "ok"),
        Run(at(31), at(35), "degraded", ("outbox",)),
        Run(at(36), at(60), "ok"),
    ]
    segments = timeline(runs, start=at(0), end=at(60), coverage=COVERAGE)

    found = [(s.status, (s.start - T0) / MIN, (s.end - T0) / MIN, s.failing) for s in incidents(segments)]
    assert found == [("degraded", 31, 36, ("outbox",)), ("error", 11, 16, ("database",))]
    assert incidents(segments)[0].duration == timedelta(minutes=5)
