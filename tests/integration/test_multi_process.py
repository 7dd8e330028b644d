"""Permanently operative (D.Leg. 1729) with several processes: TWO web processes (gunicorn) and TWO Celery workers
share one PostgreSQL and one Redis, as on several hosts behind a load balancer (docs/deployment.md). Consumers
file hojas through both web processes over HTTP; in the middle, one web process and one worker are killed with
SIGKILL (a host dies); filing goes on through the survivors. Then:

- every hoja whose filing got its confirmation page exists, and the numbering has no gap and no duplicate;
- filings failed only on the killed web process (requests in flight when it died);
- every hoja's copy was e-mailed, the ones still owed at the kill by the surviving worker.

"Exactly once", honestly: the outbox claims a message with a lease and marks it sent after SMTP accepts it. A
worker killed between SMTP's acceptance and the sent mark leaves the message "sending"; once the lease expires
the relay hands it to the surviving worker, which sends it again. No scheme without a transaction spanning
the mail server can rule that window out, so every attempt carries the same Message-ID (derived from the
message's idempotency key) and mail systems and clients drop the repeat. The test therefore asserts: exactly
one distinct Message-ID per hoja, every copy received, and a repeated delivery only with that same Message-ID
and only for a message that needed more than one attempt.

The test plays the load balancer (a killed backend leaves the rotation) and beat (the outbox relay, every
second once the filing stops: the relay beat runs every minute in production)."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ALL_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from reclamaciones.book.models import Complaint
from reclamaciones.deadlines.tasks import deadlines_sweep as deadlines_sweep_task
from reclamaciones.ops.models import ProcessHeartbeat
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.services import outbox_relay

from ..celery_support import (
    TASK_FINISHED,
    TASK_RECEIVED,
    Worker,
    broker_key_prefix,
    producer_broker,
    wait_until,
    worker_database_url,
)
from ..factories import VALID_FILING, EstablishmentFactory
from ..mailsink import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CLIENTS = 4  # consumers filing at the same time, spread over the rotation
BEFORE_KILL = 10  # confirmed filings before the kills
AFTER_KILL = 10  # confirmed filings through the survivors after them
LEASE_SECONDS = 10  # a killed worker's send is taken over this long after its claim
GRACE_SECONDS = 3  # a dispatched message lost with the killed worker's prefetch is relayed after this


class Web:
    """One gunicorn (master + one worker process, its own session) on a free port."""

    def __init__(self, name: str, env: dict, tmp_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"web-{name}.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--timeout",
                    "120",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def answers(self) -> bool:
        """/healthz/ready answered 200, as the load balancer probes it: ready even before the first sweep (when
        /healthz is still 503). The probe is also the process's heartbeat."""
        try:
            with urllib.request.urlopen(self.base + "/healthz/ready", timeout=5) as response:
                return response.status == 200
        except urllib.error.HTTPError:
            return False
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return self.process.poll() is not None  # dead: stop waiting, the caller asserts on the log

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Attempt:
    port: int
    number: str | None  # the number on the confirmation page; None when the filing failed
    error: str = ""


def _file(base: str, slug: str, opener) -> str:
    """A consumer fills in the public form and sends it; returns the number on the confirmation page."""
    form_url = f"{base}/libro/{slug}/"
    page = opener.open(form_url, timeout=30).read().decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|submission_key)" value="([^"]+)"', page))
    body = urllib.parse.urlencode({**VALID_FILING, **fields}).encode()
    request = urllib.request.Request(form_url, data=body, headers={"Referer": form_url})
    with opener.open(request, timeout=60) as response:
        confirmation = response.read().decode()
    found = re.search(r"Nº (\d{9}-\d{4})", confirmation)
    if "Registramos tu" not in confirmation or not found:
        raise AssertionError(f"no confirmation page: {confirmation[:300]}")
    return found[1]


class Consumers:
    """CLIENTS threads filing in a loop through the balancer's rotation (round robin) until stopped."""

    def __init__(self, rotation: list[Web], slug: str) -> None:
        self.rotation = rotation
        self.slug = slug
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(CLIENTS)]

    def _run(self, index: int) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        turn = index
        while not self.done.is_set():
            with self.lock:
                web = self.rotation[turn % len(self.rotation)]
            turn += 1
            try:
                attempt = Attempt(web.port, _file(web.base, self.slug, opener))
            except Exception as exc:  # the killed backend: connection reset or refused mid-request
                attempt = Attempt(web.port, None, repr(exc))
            with self.lock:
                self.attempts.append(attempt)

    def confirmed(self) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.number]

    def remove(self, web: Web) -> None:
        """The balancer's health check took `web` out of the rotation."""
        with self.lock:
            self.rotation.remove(web)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=90)


def _queues_empty(url: str) -> bool:
    """No task of this run waits in a queue (the killed worker's unacknowledged prefetch is not a queue: only
    the visibility timeout would bring it back, and the relay made it redundant)."""
    client = redis.Redis.from_url(url)
    return all(
        client.llen(key) == 0
        for key in client.scan_iter(match=broker_key_prefix() + "*", count=500)
        if client.type(key) == b"list"
    )


def _settled(worker: Worker, url: str):
    """Twice in a row: every task the worker received has finished and no task waits (then whatever it was
    going to send is in the sink)."""
    streak = 0

    def check() -> bool:
        nonlocal streak
        output = worker.output()
        idle = set(TASK_RECEIVED.findall(output)) <= set(TASK_FINISHED.findall(output)) and _queues_empty(url)
        streak = streak + 1 if idle else 0
        return streak >= 2

    return check


def _kill_leftovers(children_before: set[int]) -> None:
    """A process this test started and did not stop (a worker whose start-up check failed raises before the
    test holds it) must not outlive the test: each child started its own session, so kill that session."""
    for child in psutil.Process().children():
        if child.pid not in children_before:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=30)


def test_filing_survives_killing_a_web_process_and_a_worker(
    machine_redis_url, mail_server, tmp_path, settings, monkeypatch
):
    settings.OUTBOX_RELAY_GRACE_SECONDS = GRACE_SECONDS  # this process relays, as beat would
    establishment = EstablishmentFactory()
    shared = {
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": machine_redis_url,
        "CELERY_BROKER_URL": machine_redis_url,
        "CELERY_BROKER_KEY_PREFIX": broker_key_prefix(),
        "DJANGO_CACHE_KEY_PREFIX": settings.TEST_RUN_ID,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "OUTBOX_RELAY_GRACE_SECONDS": str(GRACE_SECONDS),
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "RECLAMACIONES_PROCESS_HEARTBEAT_SECONDS": "1",
        "RECLAMACIONES_RULES_2026": "false",
        "PORTAL_BASE_URL": settings.PORTAL_BASE_URL,
    }
    for name, value in shared.items():  # the workers take os.environ plus their own (celery_support.Worker)
        monkeypatch.setenv(name, value)
    web_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.ops.multi_process_settings",
        "DJANGO_SECRET_KEY": "multi-process-test-key",  # one key for every web process, as in production
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "RECLAMACIONES_FILING_RATE": "100000/h",  # every consumer comes from 127.0.0.1
        "EMAIL_URL": f"smtp://127.0.0.1:{mail_server.port}",
    }

    webs: list[Web] = []
    workers: list[Worker] = []
    consumers = None
    children_before = {child.pid for child in psutil.Process().children()}
    try:
        webs = [Web(name, web_env, tmp_path) for name in ("a", "b")]
        # Both workers start at once. Each one's start-up check waits for a deadline sweep it ran itself, but
        # on one shared queue either may take the sweep the other sent: offer sweeps (idempotent) until both
        # have run one.
        with ThreadPoolExecutor(2) as pool, producer_broker(machine_redis_url):
            starting = [
                pool.submit(
                    Worker,
                    broker_url=machine_redis_url,
                    smtp_port=mail_server.port,
                    log_path=tmp_path / f"worker-{n}.log",
                )
                for n in ("a", "b")
            ]
            while not all(future.done() for future in starting):
                deadlines_sweep_task.delay()
                wait([*starting], timeout=1.0, return_when=ALL_COMPLETED)
            workers = [future.result() for future in starting]
        for web in webs:
            assert wait_until(web.answers, 60, 0.3), web.output()
            assert web.process.poll() is None, web.output()
        web_a, web_b = webs
        worker_a, worker_b = workers
        # Each process is visible with its host and pid (the web ones from the /healthz/ready probes just made).
        assert wait_until(
            lambda: (
                sorted(ProcessHeartbeat.objects.values_list("role", flat=True)) == ["web", "web", "worker", "worker"]
            ),
            30,
        ), list(ProcessHeartbeat.objects.values_list("role", "pid"))
        assert {w.process.pid for w in workers} == set(
            ProcessHeartbeat.objects.filter(role="worker").values_list("pid", flat=True)
        )

        consumers = Consumers([web_a, web_b], establishment.slug)
        consumers.start()
        assert wait_until(lambda: len(consumers.confirmed()) >= BEFORE_KILL, 120), consumers.attempts

        # A host dies: its web process and its worker, with SIGKILL, while consumers are filing.
        os.killpg(worker_a.process.pid, signal.SIGKILL)
        web_a.kill()
        consumers.remove(web_a)
        worker_a.process.wait()
        killed_at = timezone.now()
        owed_at_kill = set(
            OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SHEET_COPY)
            .exclude(status=OutboundMessage.Status.SENT)
            .values_list("pk", flat=True)
        )
        confirmed_at_kill = len(consumers.confirmed())

        assert wait_until(lambda: len(consumers.confirmed()) >= confirmed_at_kill + AFTER_KILL, 120), consumers.attempts
        consumers.stop()

        # Beat's relay (every minute in production; here every second) hands what the dead worker held, or
        # what the dead web process never dispatched, to the surviving worker.
        copies = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SHEET_COPY)

        def all_sent() -> bool:
            outbox_relay()
            return not copies.exclude(status=OutboundMessage.Status.SENT).exists()

        with producer_broker(machine_redis_url):
            assert wait_until(all_sent, 90, 1.0), list(copies.values_list("pk", "status", "attempts", "lease_until"))
        assert wait_until(_settled(worker_b, machine_redis_url), 60, 0.25), worker_b.output()
        received = list(mail_server.messages)
    finally:
        if consumers is not None:
            consumers.stop()
        for web in webs:
            web.stop()
        for worker in workers:
            worker.stop()
        _kill_leftovers(children_before)

    attempts = consumers.attempts
    confirmed = {a.number for a in attempts if a.number}
    failed = [a for a in attempts if not a.number]
    hojas = list(Complaint.objects.filter(establishment=establishment).values_list("pk", "number", "year"))
    numbers = sorted(number for _, number, _ in hojas)
    filed = {f"{number:09d}-{year}" for _, number, year in hojas}

    # Nothing confirmed is lost; the book has no gap and no duplicate (failed filings consumed no number, or
    # exist because they were committed just before the web process died).
    assert len(confirmed) == len([a for a in attempts if a.number]) >= BEFORE_KILL + AFTER_KILL
    assert confirmed <= filed
    assert numbers == list(range(1, len(numbers) + 1))
    # Only the killed web process failed anyone.
    assert {a.port for a in failed} <= {web_a.port}, failed

    # Every hoja's copy: one outbox row, sent; the ones owed at the kill sent afterwards, by the survivor.
    rows = {
        complaint_id: (pk, message_id, attempts_made, sent_at)
        for pk, complaint_id, message_id, attempts_made, sent_at in copies.values_list(
            "pk", "complaint_id", "message_id", "attempts", "sent_at"
        )
    }
    assert set(rows) == {pk for pk, _, _ in hojas}
    assert all(sent_at > killed_at for pk, _, _, sent_at in rows.values() if pk in owed_at_kill)

    # Every copy reached the mailbox; a repeat only with the same Message-ID, for a message taken over.
    by_message_id: dict[str, int] = {}
    for message in received:
        if message["To"] == VALID_FILING["consumer_email"]:
            by_message_id[message["Message-ID"]] = by_message_id.get(message["Message-ID"], 0) + 1
    expected_ids = {message_id for _, message_id, _, _ in rows.values()}
    assert len(expected_ids) == len(hojas)
    assert set(by_message_id) == expected_ids
    repeated = {message_id for message_id, count in by_message_id.items() if count > 1}
    taken_over = {message_id for _, message_id, attempts_made, _ in rows.values() if attempts_made > 1}
    assert repeated <= taken_over, (repeated, taken_over)
