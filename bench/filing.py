"""Filing scenarios: the service called in a loop, 8 threads on one establishment, and the public form
through Django's test client. Run by `python -m bench`; alone: `python -m bench.filing filing-sequential --db postgres`
(filing-http alone needs collected static files: `python -m bench` collects them into a temp DJANGO_STATIC_ROOT).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid

from bench.common import PublishCounter, database_settings_note, scenario_main, timed, timing_stats

SEQUENTIAL_FILINGS = 500
CONCURRENT_THREADS = 8
CONCURRENT_PER_THREAD = 100
HTTP_REQUESTS = 200
WARMUP = 10
SHEET_NUMBER = re.compile(rb"\d{9}-\d{4}")  # Nº 000000001-2026 on the confirmation page


def _establishment():
    """A fresh establishment, loaded the way the public view loads it (provider joined)."""
    from reclamaciones.book.selectors import establishment_get_public
    from tests.factories import EstablishmentFactory

    return establishment_get_public(slug=EstablishmentFactory().slug)


def _file(establishment) -> None:
    from reclamaciones.book.services import complaint_file
    from tests.factories import filing_kwargs

    # A fresh submission_key, as the public form always sends one (it costs one SELECT).
    complaint_file(**filing_kwargs(establishment=establishment, submission_key=uuid.uuid4()))


def _numbers_check(establishment, expected: int) -> dict:
    from reclamaciones.book.models import Complaint, SheetCounter
    from reclamaciones.outbox.models import OutboundMessage

    numbers = list(Complaint.objects.filter(establishment=establishment).values_list("number", flat=True))
    counter = SheetCounter.objects.get(establishment=establishment).last_number
    outbox = OutboundMessage.objects.filter(complaint__establishment=establishment).count()
    consecutive = sorted(numbers) == list(range(1, expected + 1))
    return {
        "hojas stored": len(numbers),
        f"numbers distinct and consecutive 1..{expected}": "yes" if consecutive and counter == expected else "NO",
        "outbox rows (one e-mailed copy per hoja)": outbox,
    }


class _MethodTimer:
    """Adds up the time spent in one method (e.g. Complaint.full_clean) while it is installed."""

    def __init__(self, cls, name: str) -> None:
        self.cls, self.name, self.original, self.seconds = cls, name, getattr(cls, name), 0.0

    def __enter__(self) -> _MethodTimer:
        original, timer = self.original, self

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer.seconds += time.perf_counter() - t0

        setattr(self.cls, self.name, wrapper)
        return self

    def __exit__(self, *exc) -> None:
        setattr(self.cls, self.name, self.original)


def filing_sequential() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reclamaciones.book.models import Complaint

    publishes = PublishCounter()
    establishment = _establishment()
    for _ in range(WARMUP):
        _file(establishment)
    with CaptureQueriesContext(connection) as queries:
        _file(establishment)
    durations, wall = timed(lambda: _file(establishment), SEQUENTIAL_FILINGS)
    # The same loop again, with the model validation step timed (kept out of the figures above).
    with _MethodTimer(Complaint, "full_clean") as full_clean, _MethodTimer(Complaint, "validate_constraints") as checks:
        breakdown, _ = timed(lambda: _file(establishment), SEQUENTIAL_FILINGS // 5)
    share = sum(breakdown)
    total = WARMUP + 1 + SEQUENTIAL_FILINGS + len(breakdown)
    return {
        "parts": [{"title": "complaint_file", "stats": timing_stats(durations, wall)}],
        "checks": {
            **_numbers_check(establishment, total),
            "tasks published (memory broker)": publishes.published,
            "publish failures": publishes.failed,
        },
        "info": {
            "SQL statements per filing": f"{len(queries)} ({sum(_outside_transaction(queries))} before BEGIN)",
            "of a filing: Complaint.full_clean": f"{100 * full_clean.seconds / share:.0f}%",
            "of a filing: its validate_constraints": f"{100 * checks.seconds / share:.0f}%",
            "connection settings": database_settings_note(),
        },
        "raw": {"queries": [q["sql"] for q in queries.captured_queries]},
    }


def _outside_transaction(queries) -> list[bool]:
    """For each captured statement, whether it ran before the filing transaction began."""
    flags, inside = [], False
    for query in queries.captured_queries:
        sql = query["sql"].strip().upper()
        inside = inside or sql.startswith("BEGIN") or sql.startswith("SAVEPOINT")
        flags.append(not inside)
    return flags


class _LockSampler:
    """Samples pg_stat_activity every 5 ms from its own connection while filings run: how many of the
    benchmark's backends are running and how many wait on a lock (the book's counter row, in the worst case)."""

    def __init__(self) -> None:
        self.samples: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                while not self._stop.is_set():
                    cursor.execute(
                        "SELECT count(*) FILTER (WHERE state = 'active'), "
                        "count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') "
                        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    self.samples.append(cursor.fetchone())
                    time.sleep(0.005)
        finally:
            connection.close()

    def __enter__(self) -> _LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def figures(self) -> dict:
        n = len(self.samples) or 1
        return {
            "active": sum(a for a, _ in self.samples) / n,
            "waiting": sum(w for _, w in self.samples) / n,
            "samples": len(self.samples),
        }


def _concurrent_worker(establishment, barrier, queue) -> None:
    """One filer: its own process (as a WSGI worker is), its own connection, CONCURRENT_PER_THREAD filings."""
    from django.db import connections

    publishes = PublishCounter()
    durations: list[float] = []
    errors: list[str] = []
    cpu0 = time.process_time()
    try:
        barrier.wait()
        start = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        for _ in range(CONCURRENT_PER_THREAD):
            t0 = time.perf_counter()
            try:
                _file(establishment)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            else:
                durations.append(time.perf_counter() - t0)
        end = time.perf_counter()
    finally:
        connections.close_all()
    queue.put((durations, errors, start, end, time.process_time() - cpu0, publishes.published, publishes.failed))


def _concurrent(establishments: list) -> dict:
    """CONCURRENT_THREADS filers x CONCURRENT_PER_THREAD filings, filer i into establishments[i % n]. Each filer
    is a forked process (a Python process runs one thread at a time: threads would measure the GIL, not the
    book), all starting on a barrier; their CPU time is added up."""
    import multiprocessing

    from django.db import connection, connections

    connections.close_all()  # a forked child must not share the parent's connection
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(CONCURRENT_THREADS), context.Queue()
    filers = [
        context.Process(target=_concurrent_worker, args=(establishments[i % len(establishments)], barrier, queue))
        for i in range(CONCURRENT_THREADS)
    ]
    sampler = _LockSampler() if connection.vendor == "postgresql" else None
    with sampler or contextlib.nullcontext():
        for filer in filers:
            filer.start()
        results = [queue.get() for _ in filers]
        for filer in filers:
            filer.join()
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    return {
        "durations": [d for r in results for d in r[0]],
        "errors": [e for r in results for e in r[1]],
        "wall": wall,
        "cpu_share": sum(r[4] for r in results) / wall,
        "published": sum(r[5] for r in results),
        "publish_failures": sum(r[6] for r in results),
        "locks": sampler.figures() if sampler else None,
    }


def filing_concurrent() -> dict:
    """The same filers filing into one book (every filing needs its counter row), then into one book each."""
    one = _establishment()
    same = _concurrent([one])
    books = [_establishment() for _ in range(CONCURRENT_THREADS)]
    apart = _concurrent(books)
    errors = same["errors"] + apart["errors"]

    def locks(run: dict) -> str:
        if run["locks"] is None:
            return "—"
        return f"{run['locks']['active']:.1f} active, {run['locks']['waiting']:.1f} waiting on a lock"

    return {
        "parts": [
            {
                "title": f"complaint_file, {CONCURRENT_THREADS} processes x {CONCURRENT_PER_THREAD}, one book",
                "stats": timing_stats(same["durations"], same["wall"]),
            },
            {
                "title": (
                    f"complaint_file, {CONCURRENT_THREADS} processes x {CONCURRENT_PER_THREAD}, "
                    f"{CONCURRENT_THREADS} books (one per process)"
                ),
                "stats": timing_stats(apart["durations"], apart["wall"]),
            },
        ],
        "checks": {
            **_numbers_check(one, CONCURRENT_THREADS * CONCURRENT_PER_THREAD),
            f"each of the {CONCURRENT_THREADS} books numbered 1..{CONCURRENT_PER_THREAD}": (
                "yes"
                if all(
                    _numbers_check(book, CONCURRENT_PER_THREAD)[
                        f"numbers distinct and consecutive 1..{CONCURRENT_PER_THREAD}"
                    ]
                    == "yes"
                    for book in books
                )
                else "NO"
            ),
            "errors": len(errors),
            '"database is locked" errors': sum("locked" in e for e in errors),
            "tasks published (memory broker)": same["published"] + apart["published"],
            "publish failures": same["publish_failures"] + apart["publish_failures"],
        },
        "info": {
            "backends during the run, one book (mean of 5 ms samples)": locks(same),
            "backends during the run, one book each": locks(apart),
            "filers' CPU / wall (2 cores: 2.0 is all of them), one book / one book each": (
                f"{same['cpu_share']:.2f} / {apart['cpu_share']:.2f}"
            ),
            "connection settings": database_settings_note(),
        },
        "raw": {"errors": sorted(set(errors))[:10]},
    }


def filing_http() -> dict:
    from django.conf import settings
    from django.db import close_old_connections
    from django.test import Client
    from django.urls import reverse

    from tests.factories import VALID_FILING

    publishes = PublishCounter()
    establishment = _establishment()
    form_url = reverse("reclamaciones:file", args=[establishment.slug])
    # Host from ALLOWED_HOSTS (no setup_test_environment here). The test client switches off Django's
    # per-request connection handling; a WSGI server runs it, so the bench calls it around each request.
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0], HTTP_USER_AGENT="bench/1.0")
    locations: list[str] = []
    failures: list[str] = []

    def request(method: str, url: str, data: dict | None = None, expect: int = 200):
        close_old_connections()
        response = client.post(url, data) if method == "POST" else client.get(url)
        close_old_connections()
        if response.status_code != expect:
            failures.append(f"{method} {url} -> {response.status_code}")
        return response

    def post() -> None:
        response = request("POST", form_url, {**VALID_FILING, "submission_key": str(uuid.uuid4())}, expect=302)
        locations.append(response.get("Location", ""))

    for _ in range(5):  # warm-up: templates, URL resolver, first connection
        request("GET", form_url)
        post()
        request("GET", locations[-1])
    warm = len(locations)
    post_durations, post_wall = timed(post, HTTP_REQUESTS)
    filed = iter(locations[warm:])
    pages: dict[str, int] = {}
    sheets_shown = 0

    def confirmation() -> None:
        nonlocal sheets_shown
        response = request("GET", next(filed))
        sheets_shown += bool(SHEET_NUMBER.search(response.content))
        pages["confirmation"] = len(response.content)

    def empty_form() -> None:
        pages["form"] = len(request("GET", form_url).content)

    get_durations, get_wall = timed(confirmation, HTTP_REQUESTS)
    form_durations, form_wall = timed(empty_form, HTTP_REQUESTS)

    total = warm + HTTP_REQUESTS
    return {
        "parts": [
            {"title": "POST form -> 302 (redirect not followed)", "stats": timing_stats(post_durations, post_wall)},
            {"title": "GET confirmation page", "stats": timing_stats(get_durations, get_wall)},
            {"title": "GET empty form", "stats": timing_stats(form_durations, form_wall)},
        ],
        "checks": {
            "unexpected status codes": len(failures),
            "confirmation pages showing a sheet number": f"{sheets_shown}/{HTTP_REQUESTS}",
            **_numbers_check(establishment, total),
            "publish failures": publishes.failed,
        },
        "info": {
            "page sizes (confirmation / empty form)": f"{pages['confirmation'] / 1024:.1f} KB / "
            f"{pages['form'] / 1024:.1f} KB",
            "connection settings": database_settings_note(),
        },
        "raw": {"failures": failures[:10]},
    }


SCENARIOS = {
    "filing-sequential": filing_sequential,
    "filing-concurrent": filing_concurrent,
    "filing-http": filing_http,
}

if __name__ == "__main__":
    scenario_main(SCENARIOS)
