"""Fuzzing every public endpoint with hypothesis: the filing form, the confirmation and tracking pages, the PDF,
the lookup by number + document, the satisfaction survey and the settlement offer. Proves that

* nothing a stranger can send gets a server error (5xx): hostile text in every field (NUL bytes, control
  characters, CRLF, arbitrary unicode, strings over every limit, markup, SQL, odd amounts, odd document types,
  quoted e-mails), repeated, missing and unexpected fields, raw non-UTF-8 bodies and bogus content types, and
  tracking tokens that are garbage (percent-encoded NULs, slashes, any length) or almost real;
* every answer is one the view means to give (a re-rendered form, 302, 400, 404, 405, 409, 429), and where the
  outcome is known it is that one: a valid filing is filed, a filled honeypot is refused, a valid survey or an
  answer to a pending offer is recorded, a real number + document finds its hoja and nothing else;
* every filing accepted is numbered without gap: after 1,000 fuzzed submissions the hojas of each book and year
  are 1..N, N is the SheetCounter's last number, every hoja still matches its fingerprint, and there are exactly
  as many hojas as distinct confirmation pages the form redirected to (the same page sent twice files one hoja).

2,000 examples in all (filing 1,000, tracking pages 450, lookup 250, survey 150, offer 150). They are
derandomized, the same inputs on every run, CI included, and hypothesis' example database is off, so nothing is
written into the checkout. A failure prints the minimal input; the traceback of a 500 is in the assertion message.

Each example comes from a new client address (10.x.y.z): the real rate limits stay on, and some examples share
one crowded address so that the 429 pages are fuzzed too. The on-commit callbacks (the e-mailed copies, rendered
with WeasyPrint) never run inside the test transaction, which keeps 2,000 requests within about a minute; the
PDF of real hojas, slow, is rendered for the two most hostile ones only.
"""

from __future__ import annotations

import itertools
import re
import traceback
from contextlib import contextmanager
from urllib.parse import quote, urlencode

from django.db import transaction
from django.http import QueryDict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from stdnum.pe import ruc as stdnum_ruc

from reclamaciones.book.forms import ComplaintForm

from ..factories import VALID_FILING

FILING_EXAMPLES = 1000
TRACKING_EXAMPLES = 450
LOOKUP_EXAMPLES = 250
SURVEY_EXAMPLES = 150
SETTLEMENT_EXAMPLES = 150

# The same examples on every run and no example database in the checkout; no deadline, a filing is a dozen
# queries and CI machines vary. The inputs are large on purpose: the health checks about slow or large data
# generation would only complain about that.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

URLENCODED = "application/x-www-form-urlencoded"
CROWDED_IP = "192.0.2.10"  # shared by a few examples of each test, so that they reach the rate limit
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
FILED_LOCATION_RE = re.compile(r"/seguimiento/([A-Za-z0-9_-]{16,64})/registrada/")
FILING_STATUSES = {200, 302, 400, 404, 409, 429}
METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS")


class _Missing:
    """A field the request leaves out altogether (not even an empty value)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

# What a hostile or clumsy client types: control characters, line breaks of every kind, markup, template and
# format syntax, SQL, amounts that Decimal or float read oddly, document types in other spellings, e-mails with
# quotes or headers, unicode that changes under NFKC or upper(), bidi overrides, zero-width and private-use
# characters, and text the database must store byte for byte.
HOSTILE = (
    "\x00",
    "a\x00b",
    "\x0b\x0c\x1f\x7f\x85",
    "\x1b[31m",
    "\r\n",
    "\r",
    "línea 1\r\nlínea 2\rlínea 3\n",
    "\u2028\u2029",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><b>x</b>",
    "{{ 7|add:7 }}{% debug %}",
    "%s%n%x%(name)s",
    "${jndi:ldap://x/a}",
    "' OR '1'='1",
    "1; DROP TABLE reclamaciones_complaint; --",
    "\\",
    "%00",
    "&#0;&amp;",
    "-0",
    "-0.00",
    "0e5",
    "-0e-2",
    "1e999",
    "-1e999",
    "1e-999",
    "9.999999999e9",
    "1E+9",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "S/ 1,250.50",
    "S/. 1250,5",
    "US$ 1.250,50",
    "$-3",
    "1,2,3",
    "0x10",
    "1_000",
    "１２３",
    "١٢٣",
    "²",
    "9" * 25,
    "-1",
    "0.001",
    "dni",
    "DNI",
    "ruc",
    "pasaporte ",
    "passport",
    "ce\x00",
    "reclamo",
    "QUEJA",
    "PEN",
    "usd",
    "on",
    "false",
    "0",
    "None",
    "null",
    "[]",
    "{}",
    '"o\'brien"@example.pe',
    '"a b"@example.pe',
    "maria@example.pe\r\nBcc: x@example.com",
    "maria@ñandú.pe",
    "@",
    "a@b",
    "x" * 70 + "@example.pe",
    "\u202eesrever\u202c",
    "\ufeff",
    "\u200b",
    "\u0301",
    "𝕄𝕒𝕣í𝕒",
    "ﷺ",
    "ß",
    "İ",
    "🧾💥",
    "\ue000",
    "\uffff",
    "\U0010ffff",
    " ",
    "\u3000",
    "\xa0",
    "45805689",
    "4580568",
    "45.805.689",
    "20100047218",
    "12345678901",
)

# Field limits of the form (reclamaciones/forms.py), each side of the boundary: a string cut at exactly one of
# these lengths from repeated pieces of hostile text.
LIMITS = (15, 16, 20, 21, 50, 51, 80, 81, 150, 151, 2000, 2001, 4000, 4001, 6000)

# The filing form's fields, in the form's order (what a client may add on its own is EXTRA_FIELDS: the form
# ignores it; the number, token and status come from the service alone).
FORM_FIELDS = tuple(ComplaintForm.base_fields)
EXTRA_FIELDS = ("number", "tracking_token", "establishment", "status", "csrfmiddlewaretoken", "", "consumer_name[]")

_addresses = itertools.count(1)


def _fresh_ip() -> str:
    n = next(_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _client_ip(crowded: bool) -> str:
    return CROWDED_IP if crowded else _fresh_ip()


def _last(value):
    """The value a view reads from a repeated field (QueryDict.get: the last one)."""
    return value[-1] if isinstance(value, list) else value


def _cut(piece: str, length: int) -> str:
    return (piece * length)[:length]


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 1500 else f"{text[:1500]}... ({len(text)} characters)"


def _assert_no_server_error(response, what: str) -> None:
    # With raise_request_exception=False the exception of a 500 rides on the response: put its traceback in
    # the message, beside the input hypothesis prints.
    detail = ""
    if getattr(response, "exc_info", None):
        detail = "\n" + "".join(traceback.format_exception(*response.exc_info))
    assert response.status_code < 500, f"{response.status_code} for {what}{detail}"


def _received(data: dict, encoding: str) -> dict[str, list[str]]:
    """The fields as the view reads them: a urlencoded body decodes as UTF-8 with replacement characters,
    whatever charset the client meant (Django's QueryDict, exactly as the request parses it)."""
    if encoding == "multipart":
        return {k: v if isinstance(v, list) else [v] for k, v in data.items()}
    charset = "latin-1" if encoding == "latin-1" else "utf-8"
    parsed = QueryDict(urlencode(data, doseq=True, encoding=charset, errors="replace"))
    return {k: parsed.getlist(k) for k in parsed}


def _request(client, method: str, url: str, data, *, encoding: str = "multipart", **extra):
    """One request as a browser or a script would send it: the form multipart or urlencoded (the browser's
    default), or urlencoded in latin-1 so the server gets bytes that are not UTF-8."""
    if method != "POST" or data is None:
        return client.generic(method, url, **extra)
    if encoding == "multipart":
        return client.post(url, data, **extra)
    charset = "latin-1" if encoding == "latin-1" else "utf-8"
    body = urlencode(data, doseq=True, encoding=charset, errors="replace")
    return client.generic("POST", url, body, content_type=URLENCODED, **extra)


# ----------------------------------------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------------------------------------

# Any unicode but NUL (lone surrogates cannot travel in an HTTP body): what a valid field may contain.
any_char = st.characters(codec="utf-8", exclude_characters="\x00")
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(),
    st.builds(_cut, st.text(min_size=1, max_size=4), st.sampled_from(LIMITS)),
    st.binary(max_size=24).map(lambda raw: raw.decode("latin-1")),
)


MUTATIONS = st.sampled_from(["replace", "append", "prepend", "repeat", "leave out"])
REPEATED = st.lists(st.one_of(st.none(), hostile_text), min_size=2, max_size=3)  # None: the valid value


def _mutate(draw, valid):
    """A hostile version of a field: replaced, glued to the valid value, repeated, or left out. (Drawn from
    strategies built once: a strategy built per example costs more than the request it feeds.)"""
    valid = "" if valid is MISSING else _last(valid)
    how = draw(MUTATIONS)
    if how == "leave out":
        return MISSING
    if how == "repeat":
        return [valid if value is None else value for value in draw(REPEATED)]
    hostile = draw(hostile_text)
    return {"replace": hostile, "append": valid + hostile, "prepend": hostile + valid}[how]


def _valid_ruc(base: str) -> str:
    return base + stdnum_ruc.calc_check_digit(base)


def _digits(n: int):
    return st.text("0123456789", min_size=n, max_size=n)


def _alnum(low: int, high: int):
    return st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=low, max_size=high)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")  # what some phone keyboards type
documents = st.one_of(
    st.tuples(st.just("dni"), _digits(8)),
    st.tuples(st.just("dni"), st.builds("{}.{} {}-{}".format, _digits(2), _digits(2), _digits(2), _digits(2))),
    st.tuples(st.just("dni"), _digits(8).map(lambda d: d.translate(FULL_WIDTH))),
    st.tuples(st.just("ce"), _alnum(8, 12)),
    st.tuples(st.just("pasaporte"), _alnum(6, 12)),
    st.tuples(
        st.just("ruc"), st.builds(str.__add__, st.sampled_from(["10", "15", "17", "20"]), _digits(8)).map(_valid_ruc)
    ),
)
names = st.one_of(
    st.sampled_from(["María Núñez Ñahui", "José O'Connor-Quispe", "李小龍", "Ana\u0301 Lucía", "Ñ" * 150]),
    st.text(st.characters(categories=("L", "M", "Zs")), max_size=30).map(lambda s: f"Ana {s}"),
)
addresses = st.one_of(
    st.just(VALID_FILING["consumer_address"]),
    st.text(any_char, max_size=40).map(lambda s: f"Jr. {s}"),
    st.sampled_from(["ñ" * 150, "Av. 28 de Julio 1024 \u3000" + "x" * 128]),
)
emails = st.sampled_from(
    [
        VALID_FILING["consumer_email"],
        "MARIA.Nunez+reclamo@Example.PE",
        '"o\'brien"@example.pe',
        "maria@ñandú.pe",
        "a@b.co",
        "x" * 60 + "@example.pe",
    ]
)
phones = st.one_of(st.just(""), st.text("0123456789+()- ", min_size=1, max_size=50))
amounts = st.one_of(
    st.sampled_from(["", "1250.50", "S/ 1,250.50", "1250,50", "US$ 12", "$ 3", "-0", "-0.00", "0", "1e3"]),
    st.integers(0, 999_999_999_999).map(lambda cents: f"{cents // 100}.{cents % 100:02d}"),
)
# Long texts at exactly their limit, counted as the person sees them: a CRLF is one character, an emoji one.
long_texts = st.one_of(
    st.text(any_char, max_size=60).map(lambda s: f"Pasó esto: {s}"),
    st.sampled_from(["ñ" * 4000, "🧾" * 4000, "línea\r\n" * 666 + "fin.", "<b>" * 1333 + "x"]),
)


# Every strategy is built once, here: hypothesis validates each new strategy object, which built inside the
# composite at every draw would cost more than the request it feeds.
contacts = st.sampled_from(["both", "address", "email"])
minors = st.sampled_from([MISSING, "", "false", "on", "true", "1"])
free_fields = st.fixed_dictionaries(
    {
        "guardian_address": st.sampled_from(["", "Av. Arequipa 100"]),
        "guardian_phone": phones,
        "guardian_email": st.one_of(st.just(""), emails),
        "good_type": st.sampled_from(["producto", "servicio", "ambos", ""]),
        "amount_claimed": amounts,
        "currency": st.sampled_from(["PEN", "USD"]),
        "good_description": st.one_of(st.just(VALID_FILING["good_description"]), long_texts),
        "kind": st.sampled_from(["reclamo", "queja", ""]),
        "detail": st.one_of(st.just(VALID_FILING["detail"]), long_texts),
        "request": st.one_of(st.just(""), long_texts),
        # A repeated key files one hoja; a mangled one must still file (the key only de-duplicates).
        "submission_key": st.one_of(st.uuids().map(str), st.sampled_from([MISSING, "", "no-es-uuid"])),
        "referencia_interna": st.sampled_from(["", MISSING, "  "]),
    }
)


@st.composite
def valid_filings(draw) -> dict:
    """A filing the form accepts, varied in every field the law lets the consumer vary."""
    doc_type, doc_number = draw(documents)
    contact = draw(contacts)
    minor = draw(minors)
    data = {
        "consumer_name": draw(names),
        "doc_type": doc_type,
        "doc_number": doc_number,
        "consumer_address": draw(addresses) if contact != "email" else "",
        "consumer_phone": draw(phones),
        "consumer_email": draw(emails) if contact != "address" else "",
        "is_minor": minor,
        "guardian_name": draw(names) if minor not in (MISSING, "", "false") else MISSING,
        **draw(free_fields),
    }
    return {k: v for k, v in data.items() if v is not MISSING}


raw_bodies = st.tuples(
    st.one_of(
        st.binary(max_size=300),
        st.builds(lambda a, b: a + b"&detail=" + b, st.binary(max_size=40), st.binary(max_size=40)),
        st.just(b"consumer_name=Mar%EDa&detail=%FF%FE%00&doc_number=%C0%AE%C0%AE"),
        st.just(b"detail=" + b"x" * 2_700_000),  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        st.just(b"&".join(b"f%d=1" % n for n in range(1100))),  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    ),
    st.sampled_from(
        [
            URLENCODED,
            f"{URLENCODED}; charset=latin-1",
            f"{URLENCODED}; charset=no-such-charset",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "text/plain",
            "application/json",
            "",
        ]
    ),
)


coins = st.booleans()
one_in_10 = st.integers(0, 9).map(lambda n: n == 9)
one_in_20 = st.integers(0, 19).map(lambda n: n == 19)
filing_heads = st.fixed_dictionaries(
    {
        "book": st.sampled_from(["main"] * 8 + ["other", "inactive", "garbage"]),
        # One in eight from the crowded address: some 60 POSTs, over the 20 an hour allowed even when the
        # rate-limit window turns mid-test, so the 429 page is always reached.
        "crowded": st.sampled_from([False] * 7 + [True]),
        "double": one_in_10,
        # A header travels as latin-1 bytes; NUL, CR and LF never reach the application.
        "user_agent": st.text(
            st.characters(min_codepoint=1, max_codepoint=255, exclude_characters="\r\n"), max_size=20
        ),
    }
)
garbage_slugs = st.one_of(st.text(min_size=1), st.sampled_from(["tienda-0%00", "..", "a" * 300]))
valid_filing = valid_filings()
mutable_fields = st.lists(st.sampled_from(FORM_FIELDS + EXTRA_FIELDS), max_size=4, unique=True)
encodings = st.sampled_from(["multipart", "urlencoded", "latin-1"])


@st.composite
def filing_cases(draw) -> dict:
    """One POST to a book: mostly a valid filing with a few fields made hostile; sometimes a raw body."""
    case = draw(filing_heads)
    if case["book"] == "garbage":
        case["book"] = draw(garbage_slugs)
    if draw(one_in_20):
        case["raw"] = draw(raw_bodies)
        return case
    data = draw(valid_filing)
    fields = draw(mutable_fields)
    for field in fields:
        data[field] = _mutate(draw, data.get(field, MISSING))
    case["data"] = {k: v for k, v in data.items() if v is not MISSING}
    case["mutated"] = bool(fields)
    case["encoding"] = draw(encodings)
    return case


def _garbage_token():
    """A tracking token that is no hoja's, as the path segment sent (percent-encoded where it must be)."""
    return st.one_of(
        st.from_regex(TOKEN_RE, fullmatch=True),  # passes the URL converter: a database lookup
        st.text(min_size=1).map(lambda s: quote(s, safe="")),
        st.text(min_size=1).map(lambda s: quote(s, safe="/")),
        st.sampled_from(
            [
                "%00",
                "A" * 20 + "%00",
                "%2F%2F",
                "..",
                "%2e%2e",
                "%zz",
                "%",
                "%c0%ae" * 8,
                "%ff%fe" * 12,
                "A" * 65,
                "A" * 5000,
                "a/b/c/d",
            ]
        ),
    )


def _near_miss(token: str, how: str) -> str:
    """A real token one edit away: it must find nothing (the lookup is exact and case-sensitive)."""
    return {"cut": token[:-1], "more": token + "A", "upper": token.upper(), "swap": token.swapcase()}[how]


def _tokens(real: list[str]):
    """("real", token) of a hoja, or ("fake", path segment): garbage, or a real token slightly changed."""
    near_misses = st.builds(_near_miss, st.sampled_from(real), st.sampled_from(["cut", "more", "upper", "swap"]))
    return st.one_of(
        st.tuples(st.just("real"), st.sampled_from(real)),
        st.tuples(st.just("fake"), st.one_of(_garbage_token(), near_misses)),
    )


def _hoja_or_garbage(labels: list[str]):
    """A label of the `hojas` fixture, listed as often as it should be drawn (sampled_from draws evenly, one_of
    would not), or ("fake", path segment) for a token that is no hoja's."""
    garbage = _garbage_token().map(lambda segment: ("fake", segment))
    return st.sampled_from([*labels, "garbage"]).flatmap(
        lambda label: garbage if label == "garbage" else st.just(label)
    )


queries = st.one_of(
    st.just(""),
    st.text().map(lambda s: "?" + quote(s, safe="=&")),
    st.sampled_from(["?ver=1", "?ver=%00", "?ver=1&ver=0", "?=", "?%ff=%fe", "?" + "a=1&" * 500]),
)


# ----------------------------------------------------------------------------------------------------
# Hojas to follow: filed, answered and offered through the services, with hostile content where the
# service (not the form) lets it in
# ----------------------------------------------------------------------------------------------------

HOSTILE_CONTENT = {
    "consumer_name": "<script>alert('n')</script> O'Brien \u202eesrever\u202c \x0b\x1f",
    "doc_type": "ce",
    "doc_number": "ab-12345678",
    "consumer_address": 'Av. "Larco" 123\r\n{{ 7|add:7 }} %s \x1b[31m',
    "consumer_email": '"o\'brien+x"@example.pe',
    "good_description": "🧾" * 4000,
    "detail": "\r\n".join(["</textarea><b>x</b>", "' OR '1'='1", "\x0c\x7f\ufeff\u200b", "ﷺ" * 100]),
    "request": "${jndi:ldap://x/a} &#0; \\",
}
LONGEST_CONTENT = {
    "consumer_name": "Ñ" * 150,
    "doc_type": "ruc",
    "doc_number": "20100047218",
    "consumer_address": "ñ" * 150,
    "consumer_email": "x" * 60 + "@example.pe",
    "is_minor": True,
    "guardian_name": "😀" * 150,
    "guardian_address": "\u3000" * 149 + "x",
    "guardian_email": "padre@example.pe",
    "good_description": "ñ" * 4000,
    "detail": "línea\n" * 666 + "fin.",
    "request": "a" * 4000,
    "kind": "queja",
    "amount_claimed": None,
}
HOSTILE_STAFF_TEXT = "<script>alert('r')</script>\r\n{{ 7|add:7 }} \x0b ' OR 1=1; --"


@contextmanager
def _undone():
    """What an example changes (a survey recorded, an offer accepted) is rolled back at its end: every example
    starts from the same hojas, so each of them can do real work and a failure replays alike."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
