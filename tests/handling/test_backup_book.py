"""The paper backup book (Reglamento art. 4-A): a sheet typed into the virtual book by staff, dated when the consumer
filled it in, numbered in that year's book, refused twice, and warned about when typed after the art. 4-A day.

Dates: October 2026 (holiday Thu 08). A hoja filed Thu 2026-10-01 is due Fri 2026-10-23 (settlement_support)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from reclamaciones.access import Role, Scope
from reclamaciones.book.backup import (
    MSG_ENABLED_BEFORE_PAPER,
    MSG_ENABLED_FUTURE,
    MSG_NO_ROLE,
    MSG_OUT_OF_SCOPE,
    MSG_PAPER_FUTURE,
    MSG_PAPER_TOO_OLD,
    MSG_SHEET_NUMBER_CHARS,
    MSG_SHEET_NUMBER_REQUIRED,
    TranscriptionError,
    complaint_transcribe,
)
from reclamaciones.book.models import Channel, Complaint, ComplaintEvent, Establishment
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, filing_kwargs, staff_user
from .settlement_support import DUE, FILED, lima
from .staff_support import PASSWORD

pytestmark = pytest.mark.django_db

OPENED = lima(2020, 1, 2)  # when the test establishments opened their virtual book


def _opened(establishment: Establishment) -> Establishment:
    Establishment.objects.filter(pk=establishment.pk).update(created_at=OPENED)
    establishment.refresh_from_db()
    return establishment


@pytest.fixture
def shop(establishment) -> Establishment:
    return _opened(establishment)


@pytest.fixture
def other_shop() -> Establishment:
    return _opened(EstablishmentFactory(name="Tienda Arequipa"))


@pytest.fixture
def agent(shop):
    return staff_user("ana", Role.AGENT, establishments=[shop], password=PASSWORD, first_name="Ana")


def _transcribe(scope: Scope, establishment, number="000000012-2026", paper=FILED, now=None, **overrides):
    filing = filing_kwargs(**overrides)
    return complaint_transcribe(
        scope=scope,
        establishment=establishment,
        backup_sheet_number=number,
        paper_filed_at=paper,
        now=now or paper + timedelta(hours=8),
        **filing,
    )


def _refused(scope, establishment, **kwargs) -> TranscriptionError:
    before = (Complaint.objects.count(), ComplaintEvent.objects.count(), OutboundMessage.objects.count())
    with pytest.raises(TranscriptionError) as excinfo:
        _transcribe(scope, establishment, **kwargs)
    assert (Complaint.objects.count(), ComplaintEvent.objects.count(), OutboundMessage.objects.count()) == before
    return excinfo.value


# 1. The service -----------------------------------------------------------------------------------------------


def test_a_paper_sheet_is_filed_as_of_its_paper_date_with_the_typist_on_record(agent, shop):
    typed_at = lima(2026, 10, 1, 18, 30)

    done = _transcribe(Scope.of(agent), shop, number=" nº 000000012-2026 ", now=typed_at)

    hoja = Complaint.objects.get()
    assert done.complaint == hoja
    assert (hoja.channel, hoja.backup_sheet_number) == (Channel.BACKUP, "Nº 000000012-2026")
    assert hoja.filed_at == FILED  # the deadline counts from the paper filing, not from the typing
    assert (hoja.year, hoja.number, hoja.regime, hoja.due_date) == (2026, 1, "ley-31435", DUE)
    filed = hoja.events.get(type=ComplaintEvent.Type.FILED)
    assert filed.occurred_at == FILED
    assert filed.data["channel"] == "backup"
    transcribed = hoja.events.get(type=ComplaintEvent.Type.TRANSCRIBED)
    assert transcribed.actor == agent
    assert transcribed.occurred_at == typed_at
    assert transcribed.data == {
        "backup_sheet_number": "Nº 000000012-2026",
        "paper_filed_at": FILED.isoformat(),
        "book_enabled_at": FILED.isoformat(),
        "book_enabled_given": False,
        "transcribed_at": typed_at.isoformat(),
        "transcribe_by": (FILED + timedelta(days=1)).isoformat(),
        "late": False,
    }
    assert (done.late, done.due) == (False, FILED + timedelta(days=1))
    # The consumer gets the e-mailed copy of the sheet as from any filing (art. 4-B).
    copy = OutboundMessage.objects.get(kind=OutboundMessage.Kind.SHEET_COPY)
    assert (copy.complaint_id, copy.recipient) == (hoja.pk, hoja.consumer_email)


def test_a_paper_sheet_of_new_years_eve_is_numbered_in_that_years_book(agent, shop):
    # 23:30 in Lima on 31/12/2025 is already 2026 in UTC: the hoja belongs to the 2025 book.
    paper = lima(2025, 12, 31, 23, 30)

    hoja = _transcribe(Scope.of(agent), shop, number="000000900-2025", paper=paper).complaint

    assert (hoja.year, hoja.number, hoja.display_number) == (2025, 1, "000000001-2025")
    assert hoja.filed_at == paper


def test_an_old_regime_paper_sheet_gets_the_30_calendar_day_deadline(agent, shop):
    hoja = _transcribe(Scope.of(agent), shop, number="000000003-2021", paper=lima(2021, 3, 1)).complaint

    assert (hoja.regime, hoja.due_date) == ("ds-006-2014", date(2021, 3, 31))


@pytest.mark.parametrize(
    ("enabled", "typed", "late"),
    [
        pytest.param(None, FILED + timedelta(days=1), False, id="exactly-one-day-after-the-paper"),
        pytest.param(None, FILED + timedelta(days=1, minutes=1), True, id="a-minute-past-the-day"),
        pytest.param(None, lima(2026, 10, 20), True, id="weeks-later"),
        # The book came back on Sat 03/10 at 09:00: the day counts from then.
        pytest.param(lima(2026, 10, 3, 9), lima(2026, 10, 4, 8, 59), False, id="from-when-the-book-came-back"),
        pytest.param(lima(2026, 10, 3, 9), lima(2026, 10, 4, 9, 1), True, id="late-from-when-the-book-came-back"),
    ],
)
def test_a_late_transcription_is_accepted_and_recorded_as_late(agent, shop, enabled, typed, late):
    done = complaint_transcribe(
        scope=Scope.of(agent),
        establishment=shop,
        backup_sheet_number="000000012-2026",
        paper_filed_at=FILED,
        book_enabled_at=enabled,
        now=typed,
        **filing_kwargs(),
    )

    assert done.late is late
    event = done.complaint.events.get(type=ComplaintEvent.Type.TRANSCRIBED)
    assert event.data["late"] is late
    assert event.data["book_enabled_given"] is (enabled is not None)
    assert event.data["transcribe_by"] == ((enabled or FILED) + timedelta(days=1)).isoformat()
    assert done.complaint.due_date == DUE  # late or not, the consumer's deadline counts from the paper


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        pytest.param({"paper": lima(2099, 1, 1), "now": FILED}, MSG_PAPER_FUTURE, "paper_filed_at", id="paper-in-2099"),
        pytest.param(
            {"paper": FILED, "now": FILED - timedelta(minutes=1)}, MSG_PAPER_FUTURE, "paper_filed_at", id="paper-ahead"
        ),
        pytest.param({"paper": lima(2014, 4, 22)}, MSG_PAPER_TOO_OLD, "paper_filed_at", id="before-art-4-a"),
        pytest.param({"paper": lima(1900, 1, 1)}, MSG_PAPER_TOO_OLD, "paper_filed_at", id="year-1900"),
    ],
)
def test_impossible_paper_dates_are_refused(agent, shop, kwargs, message, field):
    error = _refused(Scope.of(agent), shop, **kwargs)

    assert (str(error), error.field) == (message, field)


def test_a_paper_date_before_the_establishment_opened_its_virtual_book_is_refused(agent, shop):
    error = _refused(Scope.of(agent), shop, paper=lima(2019, 12, 31))

    assert error.field == "paper_filed_at"
    assert "02/01/2020" in str(error)


@pytest.mark.parametrize(
    ("enabled", "message"),
    [
        pytest.param(FILED - timedelta(hours=1), MSG_ENABLED_BEFORE_PAPER, id="before-the-paper"),
        pytest.param(FILED + timedelta(days=3), MSG_ENABLED_FUTURE, id="after-now"),
    ],
)
def test_impossible_book_enabled_dates_are_refused(agent, shop, enabled, message):
    with pytest.raises(TranscriptionError) as excinfo:
        complaint_transcribe(
            scope=Scope.of(agent),
            establishment=shop,
            backup_sheet_number="12-2026",
            paper_filed_at=FILED,
            book_enabled_at=enabled,
            now=FILED + timedelta(days=2),
            **filing_kwargs(),
        )

    assert (str(excinfo.value), excinfo.value.field) == (message, "book_enabled_at")
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "again",
    ["000000012-2026", "Nº 000000012-2026", "12-2026", "nº 12 - 2026", "N° 0012/2026"],
)
def test_a_paper_sheet_already_transcribed_is_refused_naming_its_hoja(agent, shop, again):
    first = _transcribe(Scope.of(agent), shop, number="000000012-2026").complaint

    error = _refused(Scope.of(agent), shop, number=again, consumer_name="Otra Persona")

    assert error.field == "backup_sheet_number"
    assert first.display_number in str(error)
    assert "ya fue transcrita" in str(error)


def test_the_same_paper_number_in_another_establishment_or_year_is_another_sheet(agent, shop, other_shop):
    supervisor = staff_user("sofia", Role.SUPERVISOR, establishments=[shop, other_shop])
    _transcribe(Scope.of(supervisor), shop, number="000000012-2026")

    _transcribe(Scope.of(supervisor), other_shop, number="000000012-2026")
    _transcribe(Scope.of(supervisor), shop, number="000000012-2025", paper=lima(2025, 6, 2))

    assert Complaint.objects.filter(channel=Channel.BACKUP).count() == 3


@pytest.mark.parametrize(
    ("number", "message"),
    [
        pytest.param("12|2026", MSG_SHEET_NUMBER_CHARS, id="pipe"),
        pytest.param("12\n2026", MSG_SHEET_NUMBER_CHARS, id="newline"),
        pytest.param("12\r\nX-2026", MSG_SHEET_NUMBER_CHARS, id="crlf"),
        pytest.param("<b>12</b>", MSG_SHEET_NUMBER_CHARS, id="markup"),
        pytest.param("12\x00", MSG_SHEET_NUMBER_CHARS, id="nul"),
        pytest.param("12\x0b2026", MSG_SHEET_NUMBER_CHARS, id="vertical-tab"),
        pytest.param("Nº-", MSG_SHEET_NUMBER_CHARS, id="no-digit"),
        pytest.param("   ", MSG_SHEET_NUMBER_REQUIRED, id="blank"),
    ],
)
def test_a_paper_number_that_cannot_be_printed_on_a_sheet_is_refused(agent, shop, number, message):
    error = _refused(Scope.of(agent), shop, number=number)

    assert (str(error), error.field) == (message, "backup_sheet_number")


def test_only_the_roles_that_staff_the_counter_transcribe_into_their_establishments(shop, other_shop):
    scoped_agent = staff_user("berta", Role.AGENT, establishments=[other_shop])
    council = staff_user("carlos", Role.COUNCIL, establishments=[shop])
    auditor = staff_user("aurora", Role.AUDITOR, establishments=[shop])
    compliance = staff_user("cumpli", Role.COMPLIANCE, establishments=[shop])

    assert _refused(Scope.of(scoped_agent), shop).field == "establishment"
    assert str(_refused(Scope.of(scoped_agent), shop)) == MSG_OUT_OF_SCOPE
    assert str(_refused(Scope.of(council), shop)) == MSG_NO_ROLE
    assert str(_refused(Scope.of(auditor), shop)) == MSG_NO_ROLE
    hoja = _transcribe(Scope.of(compliance), shop).complaint
    assert hoja.events.get(type=ComplaintEvent.Type.TRANSCRIBED).actor == compliance


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_typing_the_same_paper_sheet_at_once_file_it_once():
    shop = _opened(EstablishmentFactory())
    typists = [staff_user(f"agente{i}", Role.AGENT, establishments=[shop]) for i in range(4)]
    barrier = threading.Barrier(len(typists))
    outcomes: list[object] = []
    lock = threading.Lock()

    def worker(user) -> None:
        try:
            barrier.wait(timeout=30)
            outcome: object = _transcribe(Scope.of(user), shop).complaint.pk
        except BaseException as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(user,)) for user in typists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    filed = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, TranscriptionError)]
    assert len(filed) == 1, outcomes
    assert len(refused) == len(typists) - 1, outcomes
    assert all("ya fue transcrita" in str(e) for e in refused)
    assert Complaint.objects.filter(establishment=shop).count() == 1
