"""The paper backup book (Reglamento art. 4-A): a sheet typed into the virtual book by staff, dated when the consumer
filled it in, numbered in that year's book, refused twice, and warned about when typed after the art. 4-A day.

Dates: October 2026 (holiday Thu 08). A hoja filed Thu 2026-10-01 is due Fri 2026-10-23 (settlement_support)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.audit import PersonalDataAccess
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
from reclamaciones.handling.forms import DATETIME_LOCAL
from reclamaciones.outbox.models import OutboundMessage

from ..factories import VALID_FILING, EstablishmentFactory, filing_kwargs, staff_user
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


# 2. The page ------------------------------------------------------------------------------------------------------


def _paper(at: datetime) -> str:
    return timezone.localtime(at).strftime(DATETIME_LOCAL)


def _sheet(shop, **overrides) -> dict:
    """What the staff type from a paper sheet of `shop` filled in a minute ago (the form's field names)."""
    return {
        "establishment": shop.pk,
        "backup_sheet_number": "000000012-2026",
        "paper_filed_at": _paper(timezone.now() - timedelta(minutes=1)),
        "book_enabled_at": "",
        **VALID_FILING,
        **overrides,
    }


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_the_page_is_the_anexo_i_form_for_staff(client, agent, shop):
    client.force_login(agent)

    response = client.get(reverse("staff:transcribe"))

    assert response.status_code == 200
    html = response.content.decode()
    for legend in (
        "HOJA DEL LIBRO DE RECLAMACIONES DE RESPALDO",
        "1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE",
        "PADRE O MADRE: [PARA EL CASO DE MENORES DE EDAD]",
        "2. IDENTIFICACIÓN DEL BIEN CONTRATADO",
        "3. DETALLE DE LA RECLAMACIÓN Y PEDIDO DEL CONSUMIDOR",
    ):
        assert legend in html
    assert "Disconformidad relacionada a los productos o servicios." in html  # Anexo I's RECLAMO, verbatim
    assert 'type="datetime-local" name="paper_filed_at"' in html
    assert f'<option value="{shop.pk}" selected>' in html  # the only establishment of the agent
    # No honeypot, no double-submit key: staff are no bots, and a repeated paper number is refused.
    assert "referencia_interna" not in html
    assert "submission_key" not in html
    # Every visible control has its label.
    form = response.context["form"]
    for field in form.visible_fields():
        if field.widget_type != "radioselect":
            assert f'for="{field.id_for_label}"' in html, field.name


def test_a_sheet_typed_through_the_page_lands_on_its_hoja(client, agent, shop):
    client.force_login(agent)

    response = client.post(reverse("staff:transcribe"), _sheet(shop), follow=True, REMOTE_ADDR="10.1.2.3")

    hoja = Complaint.objects.get()
    assert response.redirect_chain == [(reverse("staff:detail", args=[hoja.pk]), 302)]
    [(level, message)] = _messages(response)
    assert level == "success"
    assert message.startswith(f"Hoja de papel Nº 000000012-2026 registrada como hoja Nº {hoja.display_number}.")
    assert message.endswith("La copia de la hoja se envía por correo al consumidor.")
    html = response.content.decode()
    assert "Hoja del libro de respaldo (papel) Nº 000000012-2026" in html
    assert "por Ana, dentro del plazo del art. 4-A." in html
    assert hoja.events.get(type=ComplaintEvent.Type.TRANSCRIBED).actor == agent
    access = PersonalDataAccess.objects.get(what=PersonalDataAccess.What.TRANSCRIBED)
    assert (access.user, access.complaint, access.establishment_id) == (agent, hoja, shop.pk)


def test_a_late_sheet_is_entered_with_a_warning(client, agent, shop):
    client.force_login(agent)
    paper = timezone.now() - timedelta(days=3)

    response = client.post(reverse("staff:transcribe"), _sheet(shop, paper_filed_at=_paper(paper)), follow=True)

    hoja = Complaint.objects.get()
    levels = dict(_messages(response))
    assert levels["warning"].startswith("Transcrita fuera de plazo: el art. 4-A pide ingresarla dentro de un (01) día")
    assert "fuera del plazo</strong> de un (01) día calendario del art. 4-A" in response.content.decode()
    assert hoja.events.get(type=ComplaintEvent.Type.TRANSCRIBED).data["late"] is True


def test_the_book_enabled_date_moves_the_art_4_a_day(client, agent, shop):
    client.force_login(agent)
    paper = timezone.now() - timedelta(days=3)
    enabled = timezone.now() - timedelta(hours=2)

    response = client.post(
        reverse("staff:transcribe"),
        _sheet(shop, paper_filed_at=_paper(paper), book_enabled_at=_paper(enabled)),
        follow=True,
    )

    assert [level for level, _ in _messages(response)] == ["success"]
    event = Complaint.objects.get().events.get(type=ComplaintEvent.Type.TRANSCRIBED)
    assert (event.data["late"], event.data["book_enabled_given"]) == (False, True)


HOSTILE = "<script>alert('x')</script>"


def test_markup_in_every_typed_field_is_kept_as_text_and_shown_escaped(client, agent, shop):
    client.force_login(agent)
    text_fields = (
        "consumer_name",
        "consumer_address",
        "good_description",
        "detail",
        "request",
        "guardian_name",
        "guardian_address",
    )
    sheet = _sheet(shop, is_minor="on", **{name: f"{HOSTILE}\x0b{name}" for name in text_fields})

    response = client.post(reverse("staff:transcribe"), sheet, follow=True)

    hoja = Complaint.objects.get()
    for name in text_fields:
        assert getattr(hoja, name) == f"{HOSTILE}\x0b{name}"  # as the public form keeps it: the hoja as filed
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"consumer_name": "Ana\x00"}, "consumer_name", "caracteres nulos", id="nul-in-name"),
        pytest.param({"detail": "Hola\x00"}, "detail", "caracteres nulos", id="nul-in-detail"),
        pytest.param({"backup_sheet_number": "12|2026"}, "backup_sheet_number", "como está impreso", id="pipe"),
        pytest.param({"backup_sheet_number": "12\n2026"}, "backup_sheet_number", "como está impreso", id="newline"),
        pytest.param({"backup_sheet_number": HOSTILE[:30]}, "backup_sheet_number", "como está impreso", id="markup"),
        pytest.param({"backup_sheet_number": "1" * 31}, "backup_sheet_number", "como máximo 30", id="too-long"),
        pytest.param({"paper_filed_at": "2099-01-01T10:00"}, "paper_filed_at", "posteriores", id="year-2099"),
        pytest.param({"paper_filed_at": "mañana"}, "paper_filed_at", "fecha y hora válidas", id="not-a-date"),
        pytest.param({"paper_filed_at": "2026-02-30T10:00"}, "paper_filed_at", "fecha y hora válidas", id="30-feb"),
        pytest.param({"paper_filed_at": ""}, "paper_filed_at", "Escribe la fecha y hora", id="no-date"),
        pytest.param({"paper_filed_at": "2010-05-01T10:00"}, "paper_filed_at", "23/04/2014", id="before-4-a"),
        pytest.param({"book_enabled_at": "2099-01-01T10:00"}, "book_enabled_at", "posterior", id="enabled-2099"),
        pytest.param({"book_enabled_at": "2020-06-01T10:00"}, "book_enabled_at", "después", id="enabled-early"),
        pytest.param({"establishment": "999999"}, "establishment", "Elige el establecimiento", id="no-such-shop"),
        pytest.param({"establishment": "1; DROP"}, "establishment", "Elige el establecimiento", id="not-a-pk"),
        pytest.param(
            {"consumer_address": "", "consumer_email": ""}, "consumer_address", "del consumidor", id="no-contact"
        ),
        pytest.param({"is_minor": "on", "guardian_name": ""}, "guardian_name", "su padre", id="minor-no-guardian"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_filed(client, agent, shop, overrides, field, message):
    client.force_login(agent)

    response = client.post(reverse("staff:transcribe"), _sheet(shop, **overrides))

    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field]), form.errors
    assert f'id="{field}-error"' in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_scoped_agent_cannot_type_into_another_establishment(client, shop, other_shop):
    client.force_login(staff_user("berta", Role.AGENT, establishments=[other_shop], password=PASSWORD))

    page = client.get(reverse("staff:transcribe"))
    response = client.post(reverse("staff:transcribe"), _sheet(shop))

    assert [e.pk for e in page.context["form"].fields["establishment"].queryset] == [other_shop.pk]
    assert f'value="{shop.pk}"' not in page.content.decode()
    assert response.status_code == 400
    assert "Elige el establecimiento" in response.context["form"].errors["establishment"][0]
    assert not Complaint.objects.exists()


def test_the_same_paper_sheet_sent_twice_is_filed_once(client, agent, shop):
    client.force_login(agent)
    sheet = _sheet(shop)

    first = client.post(reverse("staff:transcribe"), sheet)
    second = client.post(reverse("staff:transcribe"), sheet)

    hoja = Complaint.objects.get()
    assert first.status_code == 302
    assert second.status_code == 409
    [error] = second.context["form"].errors["backup_sheet_number"]
    assert f"ya fue transcrita: es la hoja Nº {hoja.display_number}" in error
    assert 'id="backup_sheet_number-error"' in second.content.decode()


@pytest.mark.parametrize(("role", "status"), [("council", 403), ("auditor", 403), ("compliance", 200)])
def test_readers_may_not_transcribe_but_the_compliance_role_may(client, users, role, status):
    client.force_login(users[role])

    assert client.get(reverse("staff:transcribe")).status_code == status
