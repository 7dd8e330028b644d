"""Stored XSS stays closed, in a real browser: a consumer files hojas with XSS payloads in every field of the
public form (and the service files more, with payloads where the form would refuse them), staff answer them with
payloads of their own (answer text, note, settlement offer, reclassification reason), then an agent, a
supervisor of the council and a superuser read every page that shows any of it: the queue and its search, each
hoja, the answer page and its preview (both channels), the council's dashboard, actions and meetings, the admin,
and the consumer's own pages (confirmation, tracking, lookup, settlement, survey).

Two independent checks on every page, so a Content-Security-Policy that blocks execution cannot hide a
regression in escaping (and any CSP violation, which would also mean a page the policy breaks, is a finding):
  * no JavaScript dialog opens (page.on("dialog"); the app's own two confirms are allowed), and
  * no element or attribute injected by a payload is in the DOM: every payload carries a marker (an id starting
    with "xss-", a data-xss-* attribute, an on* handler calling alert, a javascript: URL, "{{7*7}}tpl").
Every problem is collected and the test fails at the end listing the user, the URL and the payload's code (the
code names the field it was typed in, see FIELDS)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reclamaciones.access import Scope
from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.book.services import complaint_file
from reclamaciones.council.models import CouncilMeeting
from reclamaciones.council.services import action_create, meeting_agenda_generate
from reclamaciones.handling.models import Cause, Response, ResponseTemplate, SettlementOffer, SurveyAnswer
from reclamaciones.handling.settlement import complaint_extend_deadline
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, filing_kwargs, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-de-prueba-2026"
LIMA = ZoneInfo("America/Lima")

# Payload code -> where it was typed (a dialog's message, or an injected id xss-<code>..., names the field).
FIELDS = {
    "cn": "public form: Nombre completo",
    "ca": "public form: Domicilio",
    "ce": "public form: Correo electrónico",
    "ge": "public form: Correo electrónico del padre, madre o representante",
    "gn": "public form: Nombre del padre, madre o representante",
    "ga": "public form: Domicilio del padre, madre o representante",
    "gd": "public form: Descripción del producto o servicio",
    "dt": "public form: Detalle",
    "rq": "public form: Pedido",
    "lk": "lookup form: Número de hoja",
    "ld": "lookup form: Número de documento",
    "sv": "survey: comentario",
    "bn": "service: consumer_name (hoja B)",
    "bd": "service: detail (hoja B)",
    "cp": "service: consumer_phone (hoja C)",
    "gp": "service: guardian_phone (hoja C)",
    "dn": "service: doc_number (hoja C, stored upper case without dashes: id XSSDN)",
    "bk": "service: backup_sheet_number (hoja C)",
    "ua": "service: user_agent (hoja C, event data)",
    "cd": "service: detail/request/description (hoja C)",
    "rp": "service: consumer_name without spaces (repeat complainant, hojas D and E)",
    "ex": "service: deadline extension reason (hoja F, filed in 2022)",
    "an": "staff: answer text (e-mail, hoja A)",
    "al": "staff: answer text (letter, hoja C)",
    "nt": "staff: internal note",
    "rc": "staff: reclassification reason",
    "of": "staff: settlement offer text",
    "tn": "admin: response template name",
    "tb": "admin: response template body",
    "ct": "admin: cause name",
    "cg": "admin: cause category name",
    "ac": "council: action item title",
    "ad": "council: action item description",
    "mm": "council: meeting minutes",
    "mg": "council: meeting guests",
}

# The app's own confirms (answer.html): accepted; any other dialog is a finding.
APP_DIALOGS = {
    "La respuesta no se puede modificar después. ¿Confirmas?",
    "¿Reemplazar el texto actual por la plantilla?",
}

# Run on every page: what a payload would leave behind had it become markup instead of text.
DOM_PROBE = r"""() => {
  const found = [];
  const show = (el) => el.outerHTML.replace(/\s+/g, " ").slice(0, 140);
  for (const el of document.querySelectorAll("*")) {
    if (/^xss/i.test(el.id || "")) { found.push("injected element " + show(el)); continue; }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value;
      if (name.startsWith("data-xss")
          || (name.startsWith("on") && /alert|xss/i.test(value))
          || (/^(href|src|action|formaction|xlink:href|srcdoc|data|poster)$/.test(name)
              && /^\s*javascript:/i.test(value))) {
        found.push(`injected attribute ${name}="${value.slice(0, 60)}" on ` + show(el));
      }
    }
  }
  if (document.body && document.body.innerText.includes("49tpl")) {
    found.push("a template expression {{7*7}} was evaluated");
  }
  return found;
}"""


def hostile(code: str) -> str:
    """Every trick at once, each carrying the field's code: a script, an event handler on a broken image, a
    break out of a double- and a single-quoted attribute, of a textarea and a title, an attribute injection with
    autofocus, a template expression and a javascript: URL (for a field someone may one day render as a link)."""
    return (
        f"<script id=xss-{code}>alert('{code}')</script>"
        f"<img src=x id=xss-{code}-img onerror=alert('{code}')>"
        f"\"><svg id=xss-{code}-svg onload=alert('{code}')>"
        f"'><b id=xss-{code}-sq>x</b>"
        f"</textarea></title><b id=xss-{code}-ta>x</b>"
        f"\" autofocus onfocus=alert('{code}') data-xss-{code}=\""
        f"\n{{{{7*7}}}}tpl javascript:alert('{code}')"
    )


def hostile_short(code: str) -> str:
    """For fields of 150 characters or fewer (names, addresses): script, broken image, attribute break-out."""
    return (
        f"<script id=xss-{code}>alert('{code}')</script>"
        f"<img src=x id=xss-{code}-img onerror=alert('{code}')>"
        f"\"><svg id=xss-{code}-svg onload=alert('{code}')>"
    )


def hostile_tiny(code: str) -> str:
    """For fields of 100 characters or fewer."""
    return f"<img src=x id=xss-{code} onerror=alert('{code}')>\"><svg id=xss-{code}-s onload=alert('{code}')>"


class Watch:
    """The dialogs and injected markup seen on every page visited, as readable findings."""

    def __init__(self, live_server):
        self.base = live_server.url
        self.findings: list[str] = []
        self.visited = 0

    def attach(self, page, who: str):
        def on_dialog(dialog):
            if dialog.type == "confirm" and dialog.message in APP_DIALOGS:
                dialog.accept()
                return
            field = FIELDS.get(dialog.message.strip(), "?")
            self.findings.append(
                f"[{who}] {page.url}: a JavaScript {dialog.type}({dialog.message!r}) opened (payload of {field})"
            )
            dialog.dismiss()

        def on_console(message):
            # A page the policy breaks (an inline script left in a template, the admin's) or a payload it
            # stopped: either way something to look at.
            if "Content Security Policy" in message.text:
                self.findings.append(f"[{who}] {page.url}: CSP violation: {message.text[:200]}")

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        return page

    def check(self, page, who: str, note: str = "") -> None:
        page.wait_for_load_state("load")
        where = f"[{who}] {page.url}{f' ({note})' if note else ''}"
        for finding in page.evaluate(DOM_PROBE):
            low = finding.lower()
            code = next((c for c in FIELDS if f"xss-{c}" in low or f"xss{c}" in low), "")
            field = f" (payload of {FIELDS[code]})" if code else ""
            self.findings.append(f"{where}: {finding}{field}")
        self.visited += 1

    def visit(self, page, who: str, path: str, note: str = "") -> None:
        response = page.goto(self.base + path)
        if response is None or response.status >= 400:
            self.findings.append(
                f"[{who}] {path}: HTTP {response.status if response else '?'} (an error page, not what the users read)"
            )
        self.check(page, who, note)


def _login(page, username: str, watch: Watch) -> None:
    page.goto(watch.base + reverse("staff:login"))
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(watch.base + reverse("staff:queue"))


@pytest.fixture
def new_page(browser, browser_context_args):
    """A page in a fresh browser context (another person, another session), closed at teardown."""
    contexts = []

    def _new():
        contexts.append(browser.new_context(**browser_context_args))
        return contexts[-1].new_page()

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def shop():
    return EstablishmentFactory(name="Tienda San Isidro", slug="san-isidro")


@pytest.fixture
def people(shop):
    agent = staff_user("rosa", "agent", establishments=[shop], email="rosa@andina.example.pe", password=PASSWORD)
    supervisor = staff_user(
        "carmen", "supervisor", all_establishments=True, email="carmen@andina.example.pe", password=PASSWORD
    )
    supervisor.groups.add(Group.objects.get_or_create(name="council")[0])  # flushed by transactional tests
    User.objects.filter(pk=agent.pk).update(first_name="Rosa")
    User.objects.filter(pk=supervisor.pk).update(first_name="Carmen", last_name="Rojas")
    root = User.objects.create_superuser("root", "root@andina.example.pe", PASSWORD)
    return {"agent": agent, "supervisor": supervisor, "root": root}


@pytest.fixture
def cause():
    category, _ = Cause.objects.get_or_create(code="XSS", defaults={"name": hostile_tiny("cg")})
    return Cause.objects.create(code="XSS-01", name=hostile_tiny("ct"), parent=category)


def _file_in_browser(page, watch: Watch, shop) -> tuple[Complaint, str]:
    """The consumer types a payload in every free-text field of the public form (a CE, since a DNI is digits)."""
    watch.visit(page, "consumer", reverse("reclamaciones:file", args=[shop.slug]), "empty form")
    page.get_by_label("Nombre completo").fill(hostile_short("cn") + "Ana")
    page.get_by_label("Tipo de documento").select_option(label="Carné de extranjería")
    page.get_by_label("Número de documento").fill("ABC12345")
    page.get_by_label("Domicilio", exact=True).fill("javascript:alert('ca')//" + hostile_short("ca")[:120])
    page.get_by_label("Teléfono", exact=True).fill("+51 (1) 987-654-321")  # the validator allows digits only
    page.get_by_label("Correo electrónico", exact=True).fill("\"<img/src/onerror=alert('ce')//>\"@example.pe")
    page.get_by_label("Soy menor de edad").check()
    page.get_by_label("Nombre del padre, madre o representante").fill(hostile_short("gn"))
    page.get_by_label("Domicilio del padre, madre o representante").fill(hostile_short("ga"))
    page.get_by_label("Teléfono del padre, madre o representante").fill("987 000 111")
    page.get_by_label("Correo electrónico del padre, madre o representante").fill(
        "\"<svg/onload=alert('ge')//id=xss-ge>\"@example.pe"
    )
    page.get_by_label("Producto", exact=True).check()
    page.get_by_label("Monto reclamado").fill("1250.50")
    page.get_by_label("Descripción del producto o servicio").fill(hostile("gd"))
    page.get_by_label("RECLAMO").check()
    page.get_by_label("Detalle").fill(hostile("dt"))
    page.get_by_label("Pedido").fill(hostile("rq"))
    page.get_by_role("button", name="Enviar hoja de reclamación").click()
    expect(page.get_by_role("heading", name="Registramos tu reclamo")).to_be_visible()
    watch.check(page, "consumer", "confirmation page")
    tracking = page.locator("#tracking-link").get_attribute("href")
    complaint = Complaint.objects.get(doc_number="ABC12345")
    assert complaint.guardian_email.startswith('"<svg')  # every payload was accepted and stored as typed
    assert complaint.consumer_name.startswith("<script")
    assert complaint.detail.startswith("<script")
    return complaint, tracking.replace("https://reclamos.example.pe", "")


def _file_with_service(shop) -> dict[str, Complaint]:
    """More hojas, with payloads where the form would refuse them (phone, document, backup sheet, user agent)."""
    now = timezone.now()
    b = complaint_file(
        **filing_kwargs(
            establishment=shop,
            consumer_name=hostile_short("bn"),
            doc_number="70000001",
            detail=hostile("bd"),
            consumer_email="oferta@example.pe",
        )
    )
    c = complaint_file(
        **filing_kwargs(
            establishment=shop,
            doc_type="pasaporte",
            doc_number='"><b/id=xssdn>',  # stored upper case without dashes: "><B/ID=XSSDN>
            consumer_phone="<img src=x id=xss-cp onerror=alert('cp')>",
            consumer_email="",
            is_minor=True,
            guardian_name="Padre",
            guardian_phone="<img src=x id=xss-gp onerror=alert('gp')>",
            backup_sheet_number="<b id=xss-bk>x</b>",
            channel="backup",
            user_agent=hostile("ua"),
            detail=hostile("cd"),
            request=hostile("cd"),
            good_description=hostile("cd"),
            filed_at=now - timedelta(days=2),
        )
    )
    # Only a hoja filed before Ley 31435 (2022-05-21) can have its deadline extended, before it runs out.
    old_filed_at = datetime(2022, 5, 2, 10, 0, tzinfo=LIMA)
    f = complaint_file(
        **filing_kwargs(establishment=shop, doc_number="70000002", consumer_email="", filed_at=old_filed_at)
    )
    complaint_extend_deadline(
        complaint_id=f.pk, days=15, reason=hostile("ex"), now=old_filed_at + timedelta(days=1), scope=Scope.everything()
    )
    repeats = [
        complaint_file(
            **filing_kwargs(
                establishment=shop,
                consumer_name='<img/src="x"id="xss-rp"onerror="alert(\'rp\')">',
                doc_type="ce",
                doc_number="REPEAT001",
                consumer_email="",  # no e-mailed copy: keeps the test fast
                filed_at=now - timedelta(days=days),
            )
        )
        for days in (1, 3)
    ]
    return {"B": b, "C": c, "D": repeats[0], "E": repeats[1], "F": f}


def test_no_payload_runs_or_lands_in_the_dom_anywhere(page, new_page, live_server, shop, people, cause, screenshot):
    watch = Watch(live_server)
    template = ResponseTemplate.objects.create(name=hostile_tiny("tn"), kind="", body=hostile("tb"))

    # 1. The consumer files hoja A in the browser, with a payload in every field that takes free text.
    consumer = watch.attach(new_page(), "consumer")
    a, tracking_a = _file_in_browser(consumer, watch, shop)
    hojas = {"A": a, **_file_with_service(shop)}
    Complaint.objects.exclude(pk=a.pk).update(cause=cause)  # hoja A is classified in the browser
    # The lookup echoes what was typed; then finds hoja A.
    watch.visit(consumer, "consumer", reverse("reclamaciones:lookup"))
    consumer.get_by_label("Número de hoja").fill("\"><svg id=xss-lk onload=alert('lk')>")
    consumer.get_by_label("Número de documento").fill('"><b id=xss-ld>')
    consumer.get_by_role("button", name="Ver el estado de mi hoja").click()
    watch.check(consumer, "consumer", "lookup with errors")
    consumer.get_by_label("Número de hoja").fill(a.display_number)
    consumer.get_by_label("Número de documento").fill("ABC12345")
    consumer.get_by_role("button", name="Ver el estado de mi hoja").click()
    expect(consumer).to_have_url(live_server.url + tracking_a)
    watch.check(consumer, "consumer", "lookup result")

    # 2. The agent works hoja A: takes it, a note, a cause, a reclassification, then the answer with previews.
    agent = watch.attach(page, "agent")  # the `screenshot` fixture shoots this page
    _login(agent, "rosa", watch)
    watch.check(agent, "agent", "queue")
    detail_a = reverse("staff:detail", args=[a.pk])
    watch.visit(agent, "agent", detail_a)
    agent.get_by_role("button", name="Tomarla yo").click()
    agent.get_by_label("Nota interna").fill(hostile("nt"))
    agent.get_by_role("button", name="Guardar nota").click()
    expect(agent.locator("body")).to_contain_text("Nota guardada")
    watch.check(agent, "agent", "after the note")
    agent.locator("form[action$='/causa/'] select").select_option(value=str(cause.pk))
    agent.locator("form[action$='/causa/'] button[type=submit]").click()
    expect(agent.locator("body")).to_contain_text("Causa registrada")
    agent.locator("summary", has_text="Reclasificar").click()
    agent.get_by_label("Motivo").fill(hostile("rc"))
    agent.locator("form[action$='/reclasificar/'] button[type=submit]").click()
    expect(agent.locator("body")).to_contain_text("La hoja ahora se atiende como queja")
    watch.check(agent, "agent", "after classify and reclassify")

    answer_a = reverse("staff:answer", args=[a.pk])
    watch.visit(agent, "agent", answer_a)
    agent.get_by_label("Partir de una plantilla").select_option(value=str(template.pk))  # confirm: none yet
    agent.get_by_role("button", name="Usar plantilla").click()
    watch.check(agent, "agent", "answer page from a template")
    text = agent.locator("#answer-form textarea")
    expect(text).to_have_value(template.body)
    text.fill(template.body + "\n" + hostile("an"))
    agent.get_by_label("Correo electrónico").check()
    agent.get_by_role("button", name="Vista previa").click()
    expect(agent.locator("#vista-previa")).to_be_visible()
    screenshot("1-agent-preview-email")
    watch.check(agent, "agent", "answer preview by e-mail")
    agent.get_by_label("Carta al domicilio").check()
    when = (datetime.now(LIMA) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    agent.get_by_label("Fecha y hora de entrega de la carta (hora de Lima)").fill(when)
    agent.get_by_role("button", name="Vista previa").click()
    expect(agent.locator("#vista-previa")).to_be_visible()
    screenshot("2-agent-preview-letter")
    watch.check(agent, "agent", "answer preview by letter")
    agent.get_by_label("Correo electrónico").check()
    agent.locator("#send-button").click()  # the app's own confirm is accepted
    expect(agent.locator("body")).to_contain_text("Respuesta enviada por correo")
    watch.check(agent, "agent", "answered by e-mail")

    # Hoja B: a settlement offer. Hoja C (no e-mail): the answer by letter, previewed first.
    watch.visit(agent, "agent", reverse("staff:detail", args=[hojas["B"].pk]))
    agent.locator("summary", has_text="Propuesta de solución").click()
    agent.locator("form[action$='/propuesta/'] textarea").fill(hostile("of"))
    agent.get_by_role("button", name="Enviar propuesta por correo").click()
    expect(agent.locator("body")).to_contain_text("Propuesta enviada")
    watch.check(agent, "agent", "after the offer")
    watch.visit(agent, "agent", reverse("staff:answer", args=[hojas["C"].pk]))
    agent.locator("#answer-form textarea").fill(hostile("al"))
    agent.get_by_label("Fecha y hora de entrega de la carta (hora de Lima)").fill(when)
    agent.get_by_role("button", name="Vista previa").click()
    expect(agent.locator("#vista-previa")).to_be_visible()
    watch.check(agent, "agent", "letter preview")
    agent.locator("#send-button").click()
    expect(agent.locator("body")).to_contain_text("Respuesta registrada como carta")
    # Hoja D: its answer page and e-mail preview (its consumer's name is a payload without spaces).
    watch.visit(agent, "agent", reverse("staff:answer", args=[hojas["D"].pk]))
    agent.locator("#answer-form textarea").fill("Respuesta.")
    agent.get_by_label("Correo electrónico").check()  # previewed as the e-mail, even without an address
    agent.get_by_role("button", name="Vista previa").click()
    expect(agent.locator("#vista-previa")).to_be_visible()
    watch.check(agent, "agent", "answer preview by e-mail")

    # 3. The consumer reads the answer and leaves an unhappy comment; opens the offer on hoja B.
    watch.visit(consumer, "consumer", tracking_a)
    consumer.locator("label[for='id_solved_1']").click()
    consumer.locator("label[for='id_csat_0']").click()
    consumer.locator("label[for='id_nps_0']").click()
    consumer.get_by_label("¿Quieres contarnos algo más? (opcional)").fill(hostile("sv"))
    consumer.get_by_role("button", name="Enviar mi opinión").click()
    expect(consumer.get_by_text("¡Gracias por tu opinión!")).to_be_visible()
    watch.check(consumer, "consumer", "after the survey")
    for key in ("B", "C"):
        watch.visit(consumer, "consumer", reverse("reclamaciones:track", args=[hojas[key].tracking_token]))
    watch.visit(consumer, "consumer", reverse("reclamaciones:settlement", args=[hojas["B"].tracking_token]))
    watch.visit(consumer, "consumer", reverse("reclamaciones:filed", args=[hojas["C"].tracking_token]))

    # 4. The council's records: a meeting (agenda generated from the data, with the comment) and an action.
    supervisor_user = people["supervisor"]
    meeting = CouncilMeeting.objects.create(
        held_on=timezone.localdate(), guests=hostile_short("mg"), minutes=hostile("mm")
    )
    meeting.attendees.add(supervisor_user)
    meeting_agenda_generate(meeting=meeting, scope=Scope.everything())
    assert "xss-sv" in json.dumps(meeting.agenda)  # the consumer's comment is in the agenda the council reads
    action = action_create(
        title=hostile_short("ac"),
        description=hostile("ad"),
        owner=supervisor_user,
        due_date=timezone.localdate() + timedelta(days=30),
        causes=[cause],
        complaints=[a],
        meeting=meeting,
        created_by=supervisor_user,
    )

    # 5. Everything the agent reads, now that every payload is stored.
    queue = reverse("staff:queue")
    watch.visit(agent, "agent", queue)
    watch.visit(agent, "agent", f"{queue}?q=%3Cscript")
    agent.get_by_role("searchbox").fill(hostile_tiny("cn"))
    agent.get_by_role("searchbox").press("Enter")
    watch.check(agent, "agent", "queue search for a payload")
    for key, complaint in hojas.items():
        watch.visit(agent, "agent", reverse("staff:detail", args=[complaint.pk]), f"hoja {key}")
        if key == "A":
            screenshot("3-agent-detail")
    watch.visit(agent, "agent", reverse("admin:index"), "an agent in the admin")

    # 6. A supervisor of the council: the council's pages (a wide period) and the back office.
    council = watch.attach(new_page(), "supervisor")
    _login(council, "carmen", watch)
    today = timezone.localdate()
    watch.visit(
        council, "supervisor", f"{reverse('council:dashboard')}?desde={today - timedelta(days=365)}&hasta={today}"
    )
    expect(council.locator("#repeat-title")).to_be_visible()
    watch.visit(council, "supervisor", reverse("council:actions"))
    watch.visit(council, "supervisor", reverse("council:meetings"))
    watch.visit(council, "supervisor", reverse("council:meeting", args=[meeting.pk]))
    watch.visit(council, "supervisor", queue)
    watch.visit(council, "supervisor", detail_a)

    # 7. A superuser in the admin: the changelists and the change page of every record holding a payload.
    root = watch.attach(new_page(), "superuser")
    _login(root, "root", watch)
    # One event per type among those whose data holds a payload (note, reclassification, extension, the
    # filing's user agent, messages to hoja A's e-mails), one message per kind, and the messages addressed to
    # hoja A's payload e-mails.
    events = {e.type: e.pk for e in ComplaintEvent.objects.order_by("-pk") if "<" in json.dumps(e.data)}
    messages = dict(OutboundMessage.objects.order_by("-pk").values_list("kind", "pk"))
    messages.update(OutboundMessage.objects.filter(complaint=a).values_list("recipient", "pk"))
    records = [
        *((Complaint, c.pk) for c in hojas.values()),
        *((ComplaintEvent, pk) for pk in events.values()),
        *((OutboundMessage, pk) for pk in sorted(set(messages.values()))),
        *((SettlementOffer, pk) for pk in SettlementOffer.objects.values_list("pk", flat=True)),
        *((Response, pk) for pk in Response.objects.values_list("pk", flat=True)),
        *((SurveyAnswer, pk) for pk in SurveyAnswer.objects.values_list("pk", flat=True)),
        (ResponseTemplate, template.pk),
        (Cause, cause.pk),
        (type(action), action.pk),
        (CouncilMeeting, meeting.pk),
    ]
    for model in dict.fromkeys(model for model, _ in records):
        watch.visit(root, "superuser", reverse(f"admin:reclamaciones_{model._meta.model_name}_changelist"))
    watch.visit(root, "superuser", reverse("admin:reclamaciones_complaint_changelist") + "?q=%3Cscript")
    for model, pk in records:
        watch.visit(root, "superuser", reverse(f"admin:reclamaciones_{model._meta.model_name}_change", args=[pk]))

    assert watch.visited > 50, watch.visited  # no part of the tour was skipped
    assert not watch.findings, f"{len(watch.findings)} XSS finding(s):\n" + "\n".join(watch.findings)
