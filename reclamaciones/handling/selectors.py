"""Reads of the back office: the queue (filters, search, sort), the queue's summary, who may be assigned,
the answer templates and the latest settlement offer."""

from __future__ import annotations

import operator
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import reduce

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.lookups import Contains

from ..access import ACTING_ROLES, ALL_ROLES, Scope
from ..book.models import OPEN_STATUSES, Complaint, Establishment, doc_number_normalize
from ..deadlines.selectors import week_end
from .approval_models import ApprovalRequest
from .models import Cause, ResponseTemplate, SettlementOffer

STATUS_OPEN = "abiertas"  # the queue's "En trámite" filter value: every open status
STATUS_REMEDY_PENDING = "por-cumplir"  # answered or settled, the remedy not yet recorded as done (followup)

QUEUE_RELATED = ("establishment", "assignee")  # what a queue row shows besides the hoja

NUMBER_RE = re.compile(r"^(?:n[º°o.]?\s*)?0*(\d{1,9})(?:\s*-\s*(\d{4}))?$", re.IGNORECASE)


def settlement_offer_latest(*, complaint: Complaint) -> SettlementOffer | None:
    return complaint.settlement_offers.order_by("-created_at", "-pk").first()


def complaint_list(*, scope: Scope) -> QuerySet[Complaint]:
    """The hojas `scope` may see."""
    return scope.filter(Complaint.objects.select_related(*QUEUE_RELATED), path="establishment")


def assignable_staff(*, establishment_id: int) -> QuerySet:
    """Active agents and supervisors who work for the establishment."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ACTING_ROLES)
        .filter(Q(staff_profile__all_establishments=True) | Q(staff_profile__establishments=establishment_id))
        .distinct()
        .order_by("first_name", "username")
    )


def related_or_none(instance, name: str):
    """The row behind a reverse one-to-one accessor (complaint.response, complaint.survey), or None."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def response_templates_for(complaint: Complaint) -> list[ResponseTemplate]:
    """Active answer templates that fit the hoja, the closest fit first: those for its cause (or the cause's
    category), then those for its kind, then the generic ones, by name within each. A template for the other kind
    or for other causes is left out; while the hoja has no cause yet, those limited to causes come last (the agent
    may be about to classify it), as do templates for a kind while the hoja has none."""
    templates = ResponseTemplate.objects.filter(is_active=True).prefetch_related("causes")
    if complaint.kind:
        templates = templates.filter(Q(kind="") | Q(kind=complaint.kind))
    hoja_causes = {complaint.cause_id, complaint.cause.parent_id} if complaint.cause_id else set()
    ranked = []
    for template in templates:
        limited_to = {cause.pk for cause in template.causes.all()}
        if not limited_to:
            cause_rank = 1
        elif limited_to & hoja_causes:
            cause_rank = 0
        elif not hoja_causes:
            cause_rank = 2
        else:
            continue
        kind_rank = 1 if not template.kind else (0 if template.kind == complaint.kind else 2)
        ranked.append(((cause_rank, kind_rank, template.name.casefold()), template))
    return [template for _key, template in sorted(ranked, key=operator.itemgetter(0))]


class SearchText(Func):
    """Lower case, without accents: `reclamaciones_search_text(x)`, created on PostgreSQL by migration 0015 (unaccent,
    IMMUTABLE, with a trigram index on the consumer's name through it) and registered on SQLite's connection by
    `_sqlite_search_text` (no index there: a scan)."""

    function = "reclamaciones_search_text"
    output_field = CharField()


class DetailText(Func):
    """What the consumer wrote, detail and request together: `detail || ' ' || request`, spelled as the trigram
    index of migration 0037 is defined (through SearchText), so that the planner matches it."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = CharField()

    def __init__(self, **extra):
        super().__init__(F("detail"), F("request"), **extra)


DETAIL_WORD_MIN = 3  # shorter words are no trigram: they would scan every hoja's text


def _detail_words_q(query: str) -> Q | None:
    """Every word of `query` (3 characters or more) somewhere in the consumer's detail or request, case- and
    accent-insensitive; None when no word is long enough."""
    words = [word for word in query.split() if len(word) >= DETAIL_WORD_MIN][:5]
    if not words:
        return None
    text = SearchText(DetailText())
    return reduce(
        operator.and_, (Q(Contains(text, SearchText(Value(word, output_field=CharField())))) for word in words)
    )


def search_text_fold(value: str) -> str:
    """SQLite's reclamaciones_search_text: what PostgreSQL's unaccent dictionary does to Spanish names."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _sqlite_search_text() -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("reclamaciones_search_text", 1, search_text_fold, deterministic=True)


# "consumidor:<token>": one consumer's hojas, named by an opaque token that stands for their document on the
# server (the council's repeat complainants link to the queue with it), so that the document itself never
# travels in a URL, a server or proxy log, the browser's history or a Referer header.
CONSUMER_TOKEN_PREFIX = "consumidor:"  # noqa: S105 (a search prefix, not a secret)
CONSUMER_TOKEN_RE = re.compile(rf"^{CONSUMER_TOKEN_PREFIX}([A-Za-z0-9_-]{{20,40}})$")
CONSUMER_TOKEN_TTL = 12 * 60 * 60  # a working day: the dashboard makes new ones each time it is shown
_CONSUMER_TOKEN_KEY = "queue-consumer-token:{}"  # noqa: S105 (a cache key)


def consumer_search_token(*, doc_type: str, doc_number: str) -> str:
    """A queue search ("consumidor:…") for the hojas filed with this document, kept in the shared cache for
    CONSUMER_TOKEN_TTL. The token is random: nothing about the document can be read or guessed from it, and
    the queue still applies the searcher's scope."""
    token = secrets.token_urlsafe(18)
    cache.set(_CONSUMER_TOKEN_KEY.format(token), [doc_type, doc_number], CONSUMER_TOKEN_TTL)
    return CONSUMER_TOKEN_PREFIX + token


def _consumer_token_q(query: str) -> Q | None:
    """The hojas a "consumidor:…" search stands for (none once it expired); None if `query` is not one."""
    match = CONSUMER_TOKEN_RE.match(query)
    if not match:
        return None
    document = cache.get(_CONSUMER_TOKEN_KEY.format(match.group(1)))
    if not document:
        return Q(pk__in=[])
    doc_type, doc_number = document
    return Q(doc_type=doc_type, doc_number=doc_number)


def search_q(query: str) -> Q:
    """By sheet number ("000000012-2026", "12": the establishment/year/number unique index), by document number
    (exact, on the stored normalized value: its b-tree index), or by the consumer's name: a part of it, case- and
    accent-insensitive both ways ("nahui" finds "Ñahui" and "Ñahui" finds "Nahui"), served on PostgreSQL by a
    trigram index (3 characters or more), or by words in what the consumer wrote (detail and request: every
    word of 3 characters or more, in any order, "cobro" finds "Cobró"; migration 0037's trigram index). A query
    without a letter is no part of a name nor a word. A "consumidor:…"
    token (consumer_search_token) is one consumer's hojas, by their document."""
    by_token = _consumer_token_q(query)
    if by_token is not None:
        return by_token
    conditions = []
    document = doc_number_normalize(query)
    if document:
        conditions.append(Q(doc_number=document))
    if any(c.isalpha() for c in query):
        _sqlite_search_text()
        conditions.append(Q(Contains(SearchText("consumer_name"), SearchText(Value(query, output_field=CharField())))))
        in_detail = _detail_words_q(query)
        if in_detail is not None:
            conditions.append(in_detail)
    match = NUMBER_RE.match(query)
    if match:
        number = Q(number=int(match.group(1)))
        if match.group(2):
            number &= Q(year=int(match.group(2)))
        conditions.append(number)
    return reduce(operator.or_, conditions, Q()) if conditions else Q(pk__in=[])


def establishment_list(*, scope: Scope) -> list[Establishment]:
    return list(scope.filter(Establishment.objects.order_by("name"), path="pk"))


# A fixed order: the open-hojas partial index (migration 0015) and every query spell the same list.
OPEN_STATUS_LIST = sorted(OPEN_STATUSES)

COUNT_LIMIT = 1000  # the queue counts its rows up to here ("más de 1000" beyond): a count is a scan


@dataclass(frozen=True)
class QueueFilter:
    """The filtered hojas in scope, and which of the queue's two segments can hold any of them."""

    complaints: QuerySet[Complaint]
    open_segment: bool  # open hojas (the legal clock), by due date
    closed_segment: bool  # the rest, newest first


def _queue_filter(
    *,
    scope: Scope,
    today: date,
    status: str = "",
    establishment_id: int | None = None,
    kind: str = "",
    mine: bool = False,
    unassigned: bool = False,
    overdue: bool = False,
    this_week: bool = False,
    assignee_id: int | None = None,
    query: str = "",
    pending_approval: bool = False,
) -> QueueFilter:
    complaints = complaint_list(scope=scope)
    only_open = status == STATUS_OPEN or status in OPEN_STATUSES or overdue or this_week
    only_closed = bool(status) and not only_open
    if status == STATUS_OPEN:
        complaints = complaints.filter(status__in=OPEN_STATUS_LIST)
    elif status == STATUS_REMEDY_PENDING:  # none of them open: the closed segment, complaint_remedy_pending_idx
        complaints = complaints.filter(remedy_pending=True)
    elif status:
        complaints = complaints.filter(status=status)
    if establishment_id:
        complaints = complaints.filter(establishment_id=establishment_id)
    if kind:
        complaints = complaints.filter(kind="" if kind == "sin" else kind)
    if mine:
        complaints = complaints.filter(assignee=scope.user)
    if unassigned:
        complaints = complaints.filter(assignee__isnull=True)
    if assignee_id:
        complaints = complaints.filter(assignee_id=assignee_id)
    if overdue:
        complaints = complaints.filter(status__in=OPEN_STATUS_LIST, due_date__lt=today)
    if this_week:
        complaints = complaints.filter(status__in=OPEN_STATUS_LIST, due_date__range=(today, week_end(today)))
    if query:
        complaints = complaints.filter(search_q(query))
    if pending_approval:
        complaints = complaints.filter(pending_approval_q())
    return QueueFilter(complaints, open_segment=not only_closed, closed_segment=not only_open)


def complaint_queue(*, scope: Scope, today: date, **filters) -> QuerySet[Complaint]:
    """The hojas in `scope` that match the filters ("mine": assigned to the scope's user), in the queue's order:
    open ones first, the most urgent on top (earliest due date = fewest business days left; then by id), then
    the rest, newest first. Every row at once (the exports): the queue's pages come from complaint_queue_page,
    which reads the same order segment by segment from indexes."""
    is_open = Q(status__in=OPEN_STATUS_LIST)
    return (
        _queue_filter(scope=scope, today=today, **filters)
        .complaints.annotate(
            closed_rank=Case(When(is_open, then=Value(0)), default=Value(1), output_field=IntegerField()),
            open_due=Case(When(is_open, then=F("due_date"))),
            open_id=Case(When(is_open, then=F("pk"))),
        )
        .order_by(
            "closed_rank",
            F("open_due").asc(nulls_last=True),
            F("open_id").asc(nulls_last=True),
            "-filed_at",
            "-pk",
        )
    )


# -- the queue's pages: keyset over two index-served segments -----------------------------------------------


def _micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@dataclass(frozen=True)
class QueueCursor:
    """Where a page starts: after (`forward`) or before the row with this key. The key is the row's place in the
    queue's order: (due date, id) in the open segment, (filed at, id) in the closed one. `position` is the 1-based
    number of the page's first row (for "Mostrando 26–50"). As text: "s.o.2026-11-20.123.26" (s: after, a: before;
    o: open, c: closed with the filing time in microseconds since 1970)."""

    forward: bool
    open: bool
    value: date | datetime
    pk: int
    position: int

    @classmethod
    def of(cls, complaint: Complaint, *, forward: bool, position: int) -> QueueCursor:
        is_open = complaint.status in OPEN_STATUSES
        value = complaint.due_date if is_open else complaint.filed_at
        return cls(forward, is_open, value, complaint.pk, max(1, position))

    def encode(self) -> str:
        value = self.value.isoformat() if self.open else str(_micros(self.value))
        return f"{'s' if self.forward else 'a'}.{'o' if self.open else 'c'}.{value}.{self.pk}.{self.position}"

    @classmethod
    def decode(cls, text: str) -> QueueCursor | None:
        """None for anything that is not a cursor (a tampered link shows the first page)."""
        parts = (text or "").split(".")
        if len(parts) != 5 or parts[0] not in ("s", "a") or parts[1] not in ("o", "c"):
            return None
        try:
            if parts[1] == "o":
                value: date | datetime = date.fromisoformat(parts[2])
            else:
                value = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(parts[2]))
            pk, position = int(parts[3]), int(parts[4])
        except (ValueError, OverflowError):
            return None
        if pk < 1 or not 1 <= position <= 10**9:
            return None
        return cls(parts[0] == "s", parts[1] == "o", value, pk, position)


@dataclass(frozen=True)
class QueuePage:
    object_list: list[Complaint]
    start_index: int  # 1-based number of the first row; 0 when empty
    count: int  # rows that match, counted up to COUNT_LIMIT
    count_capped: bool  # more than `count`
    next_cursor: str = ""
    previous_cursor: str = ""
    size: int = 25

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def number(self) -> int:
        return (self.start_index - 1) // self.size + 1 if self.start_index else 1


def _queue_key(complaint: Complaint) -> tuple:
    if complaint.status in OPEN_STATUSES:
        return (0, complaint.due_date.toordinal(), complaint.pk)
    return (1, -_micros(complaint.filed_at), -complaint.pk)


def _after(field: str, value, pk: int, *, greater: bool) -> Q:
    """Rows after (value, pk) in (field, id) order: the bound on `field` alone is what the index scan starts
    from; the rest is a filter on the rows that share `value`."""
    op = "gt" if greater else "lt"
    return Q(**{f"{field}__{op}e": value}) & (Q(**{f"{field}__{op}": value}) | Q(**{f"pk__{op}": pk}))


def _segments(queue: QueueFilter, cursor: QueueCursor | None, want: int) -> list[QuerySet[Complaint]]:
    """The sliced, ordered querysets whose union holds the page (and one row more): each one an ORDER BY ...
    LIMIT read in index order (the open hojas' partial index; filed_at for the rest)."""
    base = queue.complaints.order_by()
    # When the filters already keep one segment only, its status condition is in `base`: spelling it twice
    # makes the planner square its selectivity and sort the whole segment instead of reading its index.
    open_rows = closed_rows = None
    if queue.open_segment:
        open_rows = base if not queue.closed_segment else base.filter(status__in=OPEN_STATUS_LIST)
    if queue.closed_segment:
        closed_rows = base if not queue.open_segment else base.exclude(status__in=OPEN_STATUS_LIST)
    parts = []
    if cursor is None or cursor.forward:
        if open_rows is not None and (cursor is None or cursor.open):
            if cursor is not None:
                open_rows = open_rows.filter(_after("due_date", cursor.value, cursor.pk, greater=True))
            parts.append(open_rows.order_by("due_date", "pk")[:want])
        if closed_rows is not None:
            if cursor is not None and not cursor.open:
                closed_rows = closed_rows.filter(_after("filed_at", cursor.value, cursor.pk, greater=False))
            parts.append(closed_rows.order_by("-filed_at", "-pk")[:want])
    else:  # backwards: the rows just before the cursor, nearest first
        if closed_rows is not None and not cursor.open:
            closed_rows = closed_rows.filter(_after("filed_at", cursor.value, cursor.pk, greater=True))
            parts.append(closed_rows.order_by("filed_at", "pk")[:want])
        if open_rows is not None:
            if cursor.open:
                open_rows = open_rows.filter(_after("due_date", cursor.value, cursor.pk, greater=False))
            parts.append(open_rows.order_by("-due_date", "-pk")[:want])
    return parts


def _fetch(parts: list[QuerySet[Complaint]]) -> list[Complaint]:
    """The segments' rows in ONE query: UNION ALL of the ordered, limited reads on PostgreSQL; on SQLite (no ORDER
    BY / LIMIT inside a compound statement) the ids of each read as subqueries."""
    if not parts:
        return []
    if len(parts) == 1:
        return list(parts[0])
    if connection.features.supports_slicing_ordering_in_compound:
        return list(parts[0].union(*parts[1:], all=True))
    condition = reduce(operator.or_, (Q(pk__in=part.values("pk")) for part in parts))
    return list(Complaint.objects.select_related(*QUEUE_RELATED).filter(condition))


def complaint_queue_page(*, scope: Scope, today: date, cursor: str = "", size: int = 25, **filters) -> QueuePage:
    """One page of the queue (complaint_queue's order) after or before `cursor` (the first page without one):
    two queries whatever the page's depth and the book's size, a bounded count and the page's rows."""
    queue = _queue_filter(scope=scope, today=today, **filters)
    count = queue.complaints.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    at = QueueCursor.decode(cursor)
    rows = _fetch(_segments(queue, at, size + 1))
    if at is not None and not rows and count:  # past the end (the rows moved): the first page
        at, rows = None, _fetch(_segments(queue, None, size + 1))
    forward = at is None or at.forward
    rows.sort(key=_queue_key, reverse=not forward)
    more = len(rows) > size
    rows = rows[:size]
    if forward:
        start = at.position if at else 1
    else:
        rows.reverse()
        start = at.position if more else 1  # at the top: whatever the cursor said, this is the first page
    has_next = more if forward else bool(rows)
    has_previous = start > 1 if forward else more
    return QueuePage(
        object_list=rows,
        start_index=start if rows else 0,
        count=min(count, COUNT_LIMIT),
        count_capped=count > COUNT_LIMIT,
        next_cursor=QueueCursor.of(rows[-1], forward=True, position=start + len(rows)).encode() if has_next else "",
        previous_cursor=(
            QueueCursor.of(rows[0], forward=False, position=start - size).encode() if has_previous and rows else ""
        ),
        size=size,
    )


def complaint_queue_next(*, scope: Scope, today: date, after: QueueCursor, **filters) -> Complaint | None:
    """The hoja right after `after` in the queue's order among the filtered hojas in `scope` (the "next hoja" of
    a queue view, handling.agent_flow), or None at the end of the view. One query, keyset (the queue's own
    segments read from their indexes after the cursor), never an OFFSET: as fast at the end of a million hojas
    as at the top."""
    queue = _queue_filter(scope=scope, today=today, **filters)
    cursor = QueueCursor(True, after.open, after.value, after.pk, 1)
    rows = _fetch(_segments(queue, cursor, 1))
    rows.sort(key=_queue_key)
    return rows[0] if rows else None


def complaint_queue_summary(*, scope: Scope, today: date) -> dict:
    """The counters above the queue, in one aggregate query (each one is also a filter link), over the open hojas
    only: an index-only scan of their partial index on PostgreSQL."""
    return (
        complaint_list(scope=scope)
        .filter(status__in=OPEN_STATUS_LIST)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            week=Count("pk", filter=Q(due_date__range=(today, week_end(today)))),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            mine=Count("pk", filter=Q(assignee=scope.user)),
        )
    )


def pending_approval_count(*, scope: Scope) -> int:
    """Open hojas in scope with a request waiting for a supervisor: read from the few pending requests (their
    partial index), not as an EXISTS per open hoja inside the queue's summary (a subplan per row)."""
    pending = ApprovalRequest.objects.filter(
        status=ApprovalRequest.Status.PENDING, complaint__status__in=OPEN_STATUS_LIST
    )
    return scope.filter(pending, path="complaint__establishment").values("complaint").distinct().count()


def pending_approval_q() -> Q:
    """Hojas with an offer or reclassification waiting for a supervisor (handling.approvals): an EXISTS on the
    partial index of pending requests, so a hoja with two of them still counts once."""
    return Q(Exists(ApprovalRequest.objects.filter(complaint=OuterRef("pk"), status=ApprovalRequest.Status.PENDING)))


def staff_user_choices() -> QuerySet:
    """Active people who can own an action item or attend a council meeting: staff or holders of a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(groups__name__in=ALL_ROLES))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def cause_choices(keep: Iterable[Cause] = ()) -> QuerySet[Cause]:
    """Active causes (leaves of the taxonomy) with their category, in code order, plus any in `keep`: an old
    action item keeps its causes even after one is retired."""
    return (
        Cause.objects.filter(parent__isnull=False)
        .filter(Q(is_active=True) | Q(pk__in=[c.pk for c in keep]))
        .select_related("parent")
        .order_by("code")
    )


CONSUMER_HISTORY_LIMIT = 10


def consumer_other_hojas(*, scope: Scope, complaint: Complaint) -> tuple[list[Complaint], int]:
    """The consumer's other hojas in `scope` (same document, or same e-mail), newest first: the first
    CONSUMER_HISTORY_LIMIT and how many there are. Two index lookups (doc_number, lower(e-mail)), not a scan."""
    same = Q(doc_type=complaint.doc_type, doc_number=complaint.doc_number)
    if complaint.consumer_email:
        same |= Q(consumer_email__iexact=complaint.consumer_email)
    others = complaint_list(scope=scope).filter(same).exclude(pk=complaint.pk).select_related("cause")
    rows = list(others.order_by("-filed_at", "-pk")[: CONSUMER_HISTORY_LIMIT + 1])
    total = len(rows) if len(rows) <= CONSUMER_HISTORY_LIMIT else others.count()
    return rows[:CONSUMER_HISTORY_LIMIT], total
