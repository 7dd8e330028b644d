"""http-anchor (issue 11): the portal's HTTP paths side by side with a bare Django app, in the same run.

The anchor (bench/bare/) is a `startproject`-style Django 5.2 site on the same stack and the same PostgreSQL
server, with the portal's connection settings: a ModelForm of 18 fields (validate, INSERT, redirect; CSRF on)
and a detail page (one SELECT by a unique random token, a small template). Settings bind one project per
process, so this process (the portal's, set up and migrated by bench.common.scenario_main) starts a second
one, `python -m bench.http --bare-worker`, on its own throwaway database, and the two take turns: ROUNDS
rounds, alternating which goes first, each of PER_ROUND requests per path, with Django's test client in-process
on both sides and CSRF enforced on both (every POST carries the token of a GET of its form, as a browser's
does; that GET is not timed). Then one batch of the portal's filing POSTs and of its GETs is run under
cProfile (portal process only) to show where the portal's extra time goes.

Portal side: rate limits ON, counted in Redis as in production, each filing from a fresh client address
(REMOTE_ADDR 10.x.y.z) so none is refused; the counters go under a bench key prefix, deleted at the end.
Issue 14 adds two portal paths against the same anchor: the API filing (JSON, bearer token, Idempotency-Key;
the store's client with a raised quota) and the web filing with one phone photo attached (re-encoded, hashed
into the seal, stored in the attachments storage).
When Redis does not answer, the limits are left off (BENCH_ENV) and the table says so.

Alone: `python -m bench.http --db postgres` (needs collected static files, as filing-http does).
"""

from __future__ import annotations

import cProfile
import json
import math
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack

from bench.common import BASE_DIR, DB_PREFIX, percentile, scenario_main

ROUNDS = 5
PER_ROUND = 100
WARMUP = 10
PROFILE_REQUESTS = 100
BARE_MARKER = "BENCH_BARE "
BARE_HOST = "127.0.0.1"
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
SQLITE_REASON = "PostgreSQL only: the goals are set against the production database."

# (key, title, portal path, anchor path, goal as a throughput ratio portal / anchor; None: measured, no goal)
PAIRS = [
    ("filing", "filing POST → 302 (CSRF on, redirect not followed)", "filing", "create", 0.6),
    ("confirmation", "confirmation GET /seguimiento/<token>/registrada/", "confirmation", "detail", 0.7),
    ("tracking", "tracking GET /seguimiento/<token>/", "tracking", "detail", 0.7),
    # Issue 14: an online store filing for its buyer, and a consumer adding a phone photo (re-encoded to strip
    # its metadata, hashed into the seal, stored): the same anchor, the bare 18-field INSERT.
    ("api_filing", "API filing POST /api/v1/hojas/ → 201 (bearer token, Idempotency-Key)", "api_filing", "create", 0.6),
    ("filing_photo", "filing POST with a 1600×1200 JPEG photo → 302", "filing_photo", "create", None),
]
PHOTO_SIZE = (1600, 1200)  # a phone photo scaled for the web; full 12 MP photos cost proportionally more


# -- both processes -----------------------------------------------------------------------------------------


class Driver:
    """Django's test client with CSRF enforced, timing each request (wall and this process's CPU). The test
    client switches off Django's per-request connection handling; a WSGI server runs it, so it is called
    around each request here (inside the timing, as the request_started/finished signals would be)."""

    def __init__(self, host: str) -> None:
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True, HTTP_HOST=host, HTTP_USER_AGENT="bench/1.0")
        self.failures: list[str] = []
        self.profiler: cProfile.Profile | None = None

    def request(self, method: str, url: str, data: dict | None = None, expect: int = 200, **extra):
        """(response, wall seconds, CPU seconds)."""
        from django.db import close_old_connections

        clock, cpu = time.perf_counter, time.process_time
        if self.profiler is not None:
            self.profiler.enable()
        t0, c0 = clock(), cpu()
        close_old_connections()
        response = self.client.post(url, data, **extra) if method == "POST" else self.client.get(url, **extra)
        close_old_connections()
        wall, used = clock() - t0, cpu() - c0
        if self.profiler is not None:
            self.profiler.disable()
        if response.status_code != expect:
            self.failures.append(f"{method} {url} -> {response.status_code}")
        return response, wall, used

    def csrf_token(self, url: str, **extra) -> str:
        """The token a browser sends: the hidden input of a GET of the form (not timed, never profiled)."""
        profiler, self.profiler = self.profiler, None
        try:
            response, _, _ = self.request("GET", url, **extra)
        finally:
            self.profiler = profiler
        match = CSRF_INPUT.search(response.content)
        if not match:
            raise RuntimeError(f"no csrfmiddlewaretoken in GET {url} ({response.status_code})")
        return match.group(1).decode()


def _series() -> dict[str, list[float]]:
    return {"wall": [], "cpu": []}


def _add(series: dict[str, list[float]], wall: float, cpu: float) -> None:
    series["wall"].append(wall)
    series["cpu"].append(cpu)


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _summary(series: dict[str, list[float]]) -> dict:
    wall = sorted(series["wall"])
    n = len(wall)
    total = sum(wall)
    return {
        "count": n,
        "per_s": n / total if total else math.nan,
        "p50_ms": 1000 * percentile(wall, 0.50),
        "p95_ms": 1000 * percentile(wall, 0.95),
        "cpu_ms": 1000 * sum(series["cpu"]) / n if n else math.nan,
    }


# -- the anchor's process -----------------------------------------------------------------------------------


class Anchor:
    def __init__(self, data: dict) -> None:
        from django.urls import reverse

        self.driver = Driver(BARE_HOST)
        self.form_url = reverse("anchor:create")
        self.data = data  # the portal's VALID_FILING (tests.factories imports the portal's models)
        self.locations: list[str] = []

    def post(self, series) -> None:
        token = self.driver.csrf_token(self.form_url)
        response, wall, cpu = self.driver.request(
            "POST", self.form_url, {**self.data, "csrfmiddlewaretoken": token}, expect=302
        )
        self.locations.append(response.get("Location", ""))
        _add(series, wall, cpu)

    def round(self, n: int) -> dict:
        result = {"create": _series(), "detail": _series()}
        start = len(self.locations)
        for _ in range(n):
            self.post(result["create"])
        for url in self.locations[start:]:
            _, wall, cpu = self.driver.request("GET", url)
            _add(result["detail"], wall, cpu)
        return result

    def queries(self) -> dict:
        token = self.driver.csrf_token(self.form_url)
        post = _queries(
            lambda: self.driver.request("POST", self.form_url, {**self.data, "csrfmiddlewaretoken": token}, expect=302)
        )
        response, _, _ = self.driver.request("POST", self.form_url, {**self.data, "csrfmiddlewaretoken": token}, 302)
        get = _queries(lambda: self.driver.request("GET", response["Location"]))
        return {"create": post, "detail": get}


def bare_worker(database_url: str) -> None:
    """`python -m bench.http --bare-worker --database-url URL`: the anchor project in this process, answering
    the coordinator's commands (one JSON line each on stdin) with one BARE_MARKER line each on stdout."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare.settings"
    os.environ["DATABASE_URL"] = database_url
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from bench.common import database_settings_note

    if not str(settings.DATABASES["default"]["NAME"]).startswith(DB_PREFIX):
        raise SystemExit("bench: the anchor refuses a database that is not a throwaway bench_reclamaciones_* one")
    call_command("migrate", verbosity=0)

    def reply(payload: dict) -> None:
        print(BARE_MARKER + json.dumps(payload), flush=True)

    try:
        reply({"ready": True, "settings": database_settings_note()})
        anchor = Anchor(json.loads(sys.stdin.readline())["data"])
        for line in sys.stdin:
            command = json.loads(line)
            if command["cmd"] == "round":
                reply(anchor.round(command["n"]))
            elif command["cmd"] == "queries":
                reply(anchor.queries())
            elif command["cmd"] == "finish":
                from bench.bare.anchor.models import Filing

                reply({"rows": Filing.objects.count(), "failures": anchor.driver.failures[:10]})
                break
    finally:
        connections.close_all()


class BareProcess:
    """The coordinator's handle on the anchor's process."""

    def __init__(self, database_url: str, data: dict) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.bare.settings", "PYTHONUNBUFFERED": "1"}
        env.pop("DATABASE_URL", None)
        cmd = [sys.executable, "-m", "bench.http", "--bare-worker", "--database-url", database_url]
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=BASE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.ready = self.read()
        self.send("init", data=data)

    def read(self) -> dict:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(BARE_MARKER):
                return json.loads(line[len(BARE_MARKER) :])
        raise RuntimeError(f"the anchor's process ended (exit {self.proc.wait()})")

    def send(self, cmd: str, **args) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()

    def ask(self, cmd: str, **args) -> dict:
        self.send(cmd, **args)
        return self.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# -- the portal's process -----------------------------------------------------------------------------------


class Portal:
    def __init__(self) -> None:
        from django.conf import settings
        from django.urls import reverse

        from bench.filing import _establishment
        from reclamaciones.api.services import api_client_create, api_token_issue
        from tests.factories import VALID_FILING

        establishment = _establishment()
        self.driver = Driver(settings.ALLOWED_HOSTS[0])
        self.form_url = reverse("reclamaciones:file", args=[establishment.slug])
        self.data = dict(VALID_FILING)
        self.tokens: list[str] = []
        self.other_filings = 0  # API and photo filings: counted, not read back
        self.addresses = 0
        client, _secret = api_client_create(name="Tienda online (bench)", provider_id=establishment.provider_id)
        _row, token = api_token_issue(client=client, label="bench")
        self.api_headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        self.api_body = json.dumps({"establishment": establishment.code, **VALID_FILING, "buyer_reference": "b-1"})
        self.photo = _photo()

    def _address(self) -> dict:
        self.addresses += 1
        n = self.addresses
        return {"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}

    def _post(self):
        address = self._address()
        token = self.driver.csrf_token(self.form_url, **address)
        data = {**self.data, "submission_key": str(uuid.uuid4()), "csrfmiddlewaretoken": token}
        response, wall, cpu = self.driver.request("POST", self.form_url, data, expect=302, **address)
        location = response.get("Location", "")
        match = re.search(r"/seguimiento/([A-Za-z0-9_-]+)/registrada/", location)
        self.tokens.append(match.group(1) if match else "missing")
        return wall, cpu

    def _api_post(self):
        self.other_filings += 1
        _, wall, cpu = self.driver.request(
            "POST",
            "/api/v1/hojas/",
            self.api_body,
            expect=201,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            **self.api_headers,
        )
        return wall, cpu

    def _photo_post(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        self.other_filings += 1
        address = self._address()
        token = self.driver.csrf_token(self.form_url, **address)
        photo = SimpleUploadedFile("foto-del-producto.jpg", self.photo, content_type="image/jpeg")
        data = {**self.data, "submission_key": str(uuid.uuid4()), "csrfmiddlewaretoken": token, "attachments": photo}
        _, wall, cpu = self.driver.request("POST", self.form_url, data, expect=302, **address)
        return wall, cpu

    def post(self, series) -> None:
        _add(series, *self._post())

    def get(self, series, path: str, token: str) -> None:
        suffix = "registrada/" if path == "confirmation" else ""
        _, wall, cpu = self.driver.request("GET", f"/seguimiento/{token}/{suffix}")
        _add(series, wall, cpu)

    def round(self, n: int) -> dict:
        result = {path: _series() for path in ("filing", "confirmation", "tracking", "api_filing", "filing_photo")}
        start = len(self.tokens)
        for _ in range(n):
            self.post(result["filing"])
        tokens = self.tokens[start:]
        for path in ("confirmation", "tracking"):
            for token in tokens:
                self.get(result[path], path, token)
        for path, post in (("api_filing", self._api_post), ("filing_photo", self._photo_post)):
            for _ in range(n):
                _add(result[path], *post())
        return result

    def queries(self) -> dict:
        filing = _queries(self._post)
        token = self.tokens[-1]
        return {
            "filing": filing,
            "confirmation": _queries(lambda: self.get(_series(), "confirmation", token)),
            "tracking": _queries(lambda: self.get(_series(), "tracking", token)),
            "api_filing": _queries(self._api_post),
            "filing_photo": _queries(self._photo_post),
        }

    def profile(self, n: int) -> dict:
        """One batch of each path under cProfile: the entries that explain where a request's time goes."""
        out = {}
        start = len(self.tokens)
        posts = {"filing": self._post, "api_filing": self._api_post, "filing_photo": self._photo_post}
        for path in ("filing", "confirmation", "tracking", "api_filing", "filing_photo"):
            profiler = cProfile.Profile()
            self.driver.profiler = profiler
            series = _series()
            try:
                if path in posts:
                    for _ in range(n):
                        _add(series, *posts[path]())
                else:
                    for token in self.tokens[start : start + n]:
                        self.get(series, path, token)
            finally:
                self.driver.profiler = None
            out[path] = profile_summary(
                pstats.Stats(profiler), len(series["wall"]), sum(series["wall"]), "F" if path in posts else "G"
            )
        return out


# What a portal request is made of: (label, file path ending, function name). The cumulative time of each
# (recursion counted once, as pstats does) over the profiled batch, per request and as a share of the request.
# A label starting with F is shown for the filing POST only, with G for the GETs only (the same function is
# reached from another place there); the dashes give the nesting.
PROFILE_ENTRIES = [
    ("close_old_connections (request start + end)", "django/db/__init__.py", "close_old_connections"),
    ("– connection health check (SELECT 1)", "django/db/backends/postgresql/base.py", "is_usable"),
    ("test client: Client.request (handler and response)", "django/test/client.py", "request"),
    ("– test client: multipart encoding of the POST", "django/test/client.py", "encode_multipart"),
    ("– Django: the middleware chain and the view", "django/core/handlers/base.py", "get_response"),
    ("– – SecurityMiddleware.process_response", "django/middleware/security.py", "process_response"),
    ("– – CSPMiddleware.process_request (nonce)", "csp/middleware.py", "process_request"),
    ("– – CSPMiddleware.process_response (header)", "csp/middleware.py", "process_response"),
    ("– – SessionMiddleware.process_response", "django/contrib/sessions/middleware.py", "process_response"),
    ("– – CsrfViewMiddleware.process_view (token check)", "django/middleware/csrf.py", "process_view"),
    ("– – – of which parsing the multipart body (first request.POST)", "django/http/multipartparser.py", "parse"),
    ("– – CsrfViewMiddleware.process_response", "django/middleware/csrf.py", "process_response"),
    ("– – MessageMiddleware.process_response", "django/contrib/messages/middleware.py", "process_response"),
    ("– – URL resolving", "django/urls/resolvers.py", "resolve"),
    ("– – view: complaint_create", "reclamaciones/book/views.py", "complaint_create"),
    ("– – – establishment_get_public (SELECT)", "reclamaciones/book/selectors.py", "establishment_get_public"),
    ("– – – ComplaintForm.__init__", "reclamaciones/book/forms.py", "__init__"),
    ("– – – rate_limit_wait (Redis)", "reclamaciones/clientip.py", "rate_limit_wait"),
    ("– – – form.is_valid", "django/forms/forms.py", "is_valid"),
    ("– – – complaint_file (the filing service)", "reclamaciones/book/services.py", "complaint_file"),
    ("F– – – – business_calendar_get (calendar read)", "reclamaciones/deadlines/selectors.py", "business_calendar_get"),
    ("F– – – – due_date (business days)", "reclamaciones/deadlines/rules.py", "due_date"),
    ("F– – – – submission_key_derive", "reclamaciones/book/services.py", "submission_key_derive"),
    ("F– – – – QuerySet.first (submission_key lookup)", "django/db/models/query.py", "first"),
    ("F– – – – Model.full_clean", "django/db/models/base.py", "full_clean"),
    ("F– – – – complaint_id_reserve", "reclamaciones/book/numbering.py", "complaint_id_reserve"),
    ("F– – – – _copies_queue (outbox rows)", "reclamaciones/book/services.py", "_copies_queue"),
    ("F– – – – number_allocate (counter upsert)", "reclamaciones/book/numbering.py", "number_allocate"),
    ("F– – – – complaint_content_hash", "reclamaciones/book/services.py", "complaint_content_hash"),
    ("F– – – – complaint_seal_get (previous seal)", "reclamaciones/book/selectors.py", "complaint_seal_get"),
    ("F– – – – seal_compute", "reclamaciones/book/integrity.py", "seal_compute"),
    ("F– – – – Model.save (INSERT)", "django/db/models/base.py", "save"),
    ("F– – – – bulk_create (events)", "django/db/models/query.py", "bulk_create"),
    ("F– – – – Atomic.__exit__ (COMMIT + on-commit hooks)", "django/db/transaction.py", "__exit__"),
    ("F– – – – – on-commit outbox dispatch", "reclamaciones/outbox/services.py", "_dispatch_keys"),
    ("F– – – – – – Celery apply_async (memory broker)", "celery/app/task.py", "apply_async"),
    ("– – – redirect (reverse)", "django/shortcuts.py", "redirect"),
    ("– – view: complaint_filed", "reclamaciones/book/views.py", "complaint_filed"),
    ("– – view: complaint_track", "reclamaciones/book/views.py", "complaint_track"),
    ("– – – complaint_get_by_token (SELECT, 3 joins)", "reclamaciones/book/selectors.py", "complaint_get_by_token"),
    ("– – – related_or_none (response, survey)", "reclamaciones/handling/selectors.py", "related_or_none"),
    ("– – – settlement_offer_latest", "reclamaciones/handling/selectors.py", "settlement_offer_latest"),
    ("– – – _timeline", "reclamaciones/book/views.py", "_timeline"),
    ("– – – _deadline_note (calendar read)", "reclamaciones/book/views.py", "_deadline_note"),
    ("G– – – – business_calendar_get (calendar read)", "reclamaciones/deadlines/selectors.py", "business_calendar_get"),
    ("– – – pdf.tracking_url", "reclamaciones/book/pdf.py", "tracking_url"),
    ("– – – render (template and response)", "django/shortcuts.py", "render"),
    ("G– – – – context processor: portal", "reclamaciones/context_processors.py", "portal"),
    ("G– – – – crispy: as_crispy_field", "crispy_forms/templatetags/crispy_forms_filters.py", "as_crispy_field"),
    ("G– – – – {% static %} (manifest lookups)", "django/templatetags/static.py", "handle_simple"),
    ("all SQL (cursor, incl. the wait for the server)", "django/db/backends/utils.py", "_execute"),
    ("all SQL: executemany", "django/db/backends/utils.py", "_executemany"),
    ("all waits on PostgreSQL (psycopg; COMMIT and health check included)", "psycopg/connection.py", "wait"),
    ("all cache calls (django-redis)", "django_redis/cache.py", "_decorator"),
]


def profile_summary(stats: pstats.Stats, requests: int, wall: float, kind: str) -> dict:
    """The PROFILE_ENTRIES found in `stats` (cumulative ms per request and share of the request) and the top
    cumulative functions of the portal's own code and of the libraries (the plumbing left out)."""
    table = stats.stats  # type: ignore[attr-defined]
    by_name: dict[tuple[str, str], tuple[float, int]] = {}
    for (filename, _line, name), (_cc, calls, _tt, ct, _callers) in table.items():
        for _label, ending, wanted in PROFILE_ENTRIES:
            if name == wanted and filename.endswith(ending):
                best = by_name.get((ending, wanted))
                if best is None or ct > best[0]:
                    by_name[(ending, wanted)] = (ct, calls)
    whole = stats.total_tt or wall  # type: ignore[attr-defined]
    entries = []
    for label, ending, wanted in PROFILE_ENTRIES:
        if label[0] in "FG" and label[0] != kind:
            continue
        label = label.lstrip("FG")
        found = by_name.get((ending, wanted))
        if found is None or found[0] < 0.002 * whole:
            continue
        ct, calls = found
        entries.append(
            {"label": label, "ms": 1000 * ct / requests, "share": ct / whole, "calls": round(calls / requests, 1)}
        )
    plumbing = ("__call__", "inner", "_get_response", "get_response", "_view_wrapper", "wrapper", "_decorator")
    top = []
    for (filename, line, name), (_cc, _calls, _tt, ct, _callers) in table.items():
        if name in plumbing or filename.startswith("~") or "/test/client.py" in filename:
            continue
        short = filename.split("site-packages/")[-1].replace(str(BASE_DIR) + "/", "")
        top.append({"where": f"{short}:{line}({name})", "ms": 1000 * ct / requests, "share": ct / whole})
    top.sort(key=lambda row: -row["ms"])
    return {
        "requests": requests,
        "wall_ms": 1000 * wall / requests,
        "whole_ms": 1000 * whole / requests,
        "entries": entries,
        "top": top[:25],
    }


def _photo() -> bytes:
    """A JPEG like a phone's, scaled for the web, with EXIF the portal must strip: noise, so it does not
    compress to nothing (about 1 MB)."""
    from io import BytesIO

    from PIL import Image

    image = Image.effect_noise(PHOTO_SIZE, 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Bench phone"  # Make
    out = BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def _redis_up() -> bool:
    from django.conf import settings

    try:
        import redis

        url = settings.CACHES["default"]["LOCATION"]
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return True
    except Exception:
        return False


def _round_stats(raw: dict) -> dict:
    return {path: _summary(series) for path, series in raw.items()}


def _pool(rounds: list[dict], side: str, path: str) -> dict:
    pooled = _series()
    for r in rounds:
        for key in ("wall", "cpu"):
            pooled[key] += r["raw"][side][path][key]
    return pooled


def http_anchor() -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import override_settings

    from bench.common import PublishCounter, database_settings_note, throwaway_database
    from reclamaciones.book.models import Complaint
    from tests.factories import VALID_FILING

    kind = "sqlite" if connection.vendor == "sqlite" else "postgres"
    publishes = PublishCounter()
    rate_limits = _redis_up()
    with ExitStack() as stack:
        if rate_limits:
            caches = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"{DB_PREFIX}{os.getpid()}"}}
            # The store's client gets a raised quota (a contract matter): the bench files faster than 600/min.
            limits = {"RATELIMIT_ENABLE": True, "CACHES": caches, "RECLAMACIONES_API_RATE": "100000/m"}
            stack.enter_context(override_settings(**limits))
            stack.callback(lambda: cache.delete_pattern("*"))
        bare_url = stack.enter_context(throwaway_database(kind, "http_anchor_bare"))
        bare = BareProcess(bare_url, VALID_FILING)
        stack.callback(bare.close)
        portal = Portal()

        print("bench: http-anchor warming up", file=sys.stderr, flush=True)
        portal.round(WARMUP)
        bare.ask("round", n=WARMUP)
        rounds = []
        for index in range(ROUNDS):
            first = "portal" if index % 2 == 0 else "anchor"
            raw: dict = {}
            for side in (first, "anchor" if first == "portal" else "portal"):
                raw[side] = portal.round(PER_ROUND) if side == "portal" else bare.ask("round", n=PER_ROUND)
            rounds.append({"first": first, "raw": raw})
            print(f"bench: http-anchor round {index + 1}/{ROUNDS} done", file=sys.stderr, flush=True)

        queries = {"portal": portal.queries(), "anchor": bare.ask("queries")}
        print("bench: http-anchor profiling the portal", file=sys.stderr, flush=True)
        profile = portal.profile(PROFILE_REQUESTS)
        finish = bare.ask("finish")
        portal_settings = database_settings_note()

    filed = Complaint.objects.count()
    expected = len(portal.tokens) + portal.other_filings
    per_round = [
        {"first": r["first"], **{side: _round_stats(r["raw"][side]) for side in ("portal", "anchor")}} for r in rounds
    ]
    overall = {}
    for key, _title, portal_path, anchor_path, goal in PAIRS:
        ratios = [r["portal"][portal_path]["per_s"] / r["anchor"][anchor_path]["per_s"] for r in per_round]
        cpu_ratios = [r["anchor"][anchor_path]["cpu_ms"] / r["portal"][portal_path]["cpu_ms"] for r in per_round]
        overall[key] = {
            "portal": _summary(_pool(rounds, "portal", portal_path)),
            "anchor": _summary(_pool(rounds, "anchor", anchor_path)),
            "portal_per_s_median": statistics.median(r["portal"][portal_path]["per_s"] for r in per_round),
            "anchor_per_s_median": statistics.median(r["anchor"][anchor_path]["per_s"] for r in per_round),
            "portal_cpu_median": statistics.median(r["portal"][portal_path]["cpu_ms"] for r in per_round),
            "anchor_cpu_median": statistics.median(r["anchor"][anchor_path]["cpu_ms"] for r in per_round),
            "ratios": ratios,
            "ratio_median": statistics.median(ratios),
            "cpu_ratio_median": statistics.median(cpu_ratios),
            "goal": goal,
        }
    return {
        "rounds": per_round,
        "overall": overall,
        "profile": profile,
        "queries": queries,
        "checks": {
            "unexpected status codes (portal / anchor)": f"{len(portal.driver.failures)} / {len(finish['failures'])}",
            "hojas stored by the portal": f"{filed} of {expected} POSTs",
            "rows stored by the anchor": finish["rows"],
            "tasks published (memory broker)": publishes.published,
            "publish failures": publishes.failed,
        },
        "info": {
            "portal rate limits": "on, counted in Redis (a fresh client address per filing)"
            if rate_limits
            else "OFF: Redis did not answer",
            "portal connection settings": portal_settings,
            "anchor connection settings": bare.ready["settings"],
        },
        "raw": {"failures": portal.driver.failures[:10], "anchor_failures": finish["failures"]},
    }


# -- the report ---------------------------------------------------------------------------------------------


def anchor_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "rounds" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    rounds, overall = result["rounds"], result["overall"]
    heads = [f"round {i + 1} ({r['first']} first)" for i, r in enumerate(rounds)]
    lines = [
        f"| {scenario.name} (PostgreSQL) | " + " | ".join(heads) + " | all rounds |",
        "|---" + "|---:" * (len(rounds) + 1) + "|",
    ]

    def row(label: str, cells: list[str], last: str) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {last} |")

    for key, title, portal_path, anchor_path, goal in PAIRS:
        o = overall[key]
        lines.append(f"| **{title}** |" + " |" * (len(rounds) + 1))
        for side, path in (("portal", portal_path), ("anchor", anchor_path)):
            row(
                f"{side}: requests/s",
                [f"{r[side][path]['per_s']:.0f}" for r in rounds],
                f"{o[side + '_per_s_median']:.0f} (median)",
            )
        if goal is None:
            target = "no goal: measured"
        else:
            target = f"goal ≥ {goal}x: " + ("met" if o["ratio_median"] >= goal else "**missed**")
        row(
            "**portal / anchor throughput**",
            [f"{x:.2f}x" for x in o["ratios"]],
            f"**{o['ratio_median']:.2f}x** (median; {target})",
        )
        for side, path in (("portal", portal_path), ("anchor", anchor_path)):
            row(
                f"{side}: p50 / p95",
                [f"{r[side][path]['p50_ms']:.2f} / {r[side][path]['p95_ms']:.2f} ms" for r in rounds],
                f"{o[side]['p50_ms']:.2f} / {o[side]['p95_ms']:.2f} ms (pooled)",
            )
        for side, path in (("portal", portal_path), ("anchor", anchor_path)):
            row(
                f"{side}: CPU per request",
                [f"{r[side][path]['cpu_ms']:.2f} ms" for r in rounds],
                f"{o[side + '_cpu_median']:.2f} ms (median)",
            )
        for side, path in (("portal", portal_path), ("anchor", anchor_path)):
            row(
                f"{side}: waiting per request (mean wall − CPU: PostgreSQL, Redis)",
                [f"{1000 / r[side][path]['per_s'] - r[side][path]['cpu_ms']:.2f} ms" for r in rounds],
                f"{1000 / o[side]['per_s'] - o[side]['cpu_ms']:.2f} ms (pooled)",
            )
        q = result["queries"]
        row(
            "SQL statements per request (portal / anchor)",
            ["" for _ in rounds],
            f"{q['portal'][portal_path]} / {q['anchor'][anchor_path]}",
        )
    for section in ("checks", "info"):
        for name, value in result.get(section, {}).items():
            row(name, ["" for _ in rounds], str(value))

    for key, title, *_ in PAIRS:
        p = result["profile"][key]
        lines += [
            "",
            f"Profile of the portal's {title}: {p['requests']} requests under cProfile, {p['whole_ms']:.2f} ms per "
            f"request under the profiler ({p['wall_ms']:.2f} ms wall with it on; it inflates Python, not waits).",
            "",
            f"| {key}: where the time goes | ms per request | share | calls per request |",
            "|---|---:|---:|---:|",
        ]
        lines += [f"| {e['label']} | {e['ms']:.2f} | {100 * e['share']:.0f}% | {e['calls']:g} |" for e in p["entries"]]
        lines += ["", "<details><summary>top cumulative functions</summary>", ""]
        lines += ["| function | ms per request | share |", "|---|---:|---:|"]
        lines += [f"| `{t['where']}` | {t['ms']:.2f} | {100 * t['share']:.0f}% |" for t in p["top"]]
        lines += ["", "</details>"]
    return lines


SCENARIOS = {"http-anchor": http_anchor}

if __name__ == "__main__":
    if "--bare-worker" in sys.argv:
        bare_worker(sys.argv[sys.argv.index("--database-url") + 1])
    else:
        scenario_main(SCENARIOS)
