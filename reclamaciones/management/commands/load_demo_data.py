"""Idempotent demo data for `make run`: a provider, two establishments, one staff user per role, hojas
classified with causes (so the council's Pareto and a recurring-cause alert show), one council meeting with its
generated agenda and one action item agreed in it."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from config import celery_app

from ...access import Scope
from ...book.models import Complaint, Establishment, Provider, ResponseChannel
from ...book.services import complaint_file
from ...council.models import ActionItem, CouncilMeeting
from ...council.services import action_create, meeting_agenda_generate
from ...handling.models import Cause, ResponseTemplate, StaffProfile
from ...handling.services import complaint_classify, response_send, survey_answer

DEMO_RUC = "20601457891"  # valid check digit (stdnum.pe.ruc)

# username, password, role group, Django permissions (app label reclamaciones unless dotted)
DEMO_NAMES = {
    "admin": ("Ana", "Administradora"),
    "agente": ("Rosa", "Quispe"),
    "supervisor": ("Jorge", "Salazar"),
    "consejo": ("Lucía", "Paredes"),
    "auditor": ("Martín", "Rojas"),
    "cumplimiento": ("Carmen", "Vega"),
}

DEMO_USERS = [
    ("admin", "admin-demo-2026", None, None),
    ("agente", "agente-demo-2026", "agent", ["view_complaint", "view_complaintevent", "view_outboundmessage"]),
    (
        "supervisor",
        "supervisor-demo-2026",
        "supervisor",
        [
            "view_complaint",
            "view_complaintevent",
            "view_outboundmessage",
            "change_outboundmessage",
            "view_establishment",
            "change_establishment",
            "view_provider",
        ],
    ),
    (
        "consejo",
        "consejo-demo-2026",
        "council",
        [
            "view_complaint",
            "view_complaintevent",
            "view_establishment",
            # the council's admin rights (migration 0007_council_permissions grants the same)
            "view_cause",
            "add_actionitem",
            "change_actionitem",
            "view_actionitem",
            "view_actionitemevent",
            "add_councilmeeting",
            "change_councilmeeting",
            "view_councilmeeting",
        ],
    ),
    (
        "auditor",
        "auditor-demo-2026",
        "auditor",
        [
            "view_complaint",
            "view_complaintevent",
            "view_outboundmessage",
            "view_establishment",
            "view_provider",
        ],
    ),
    (
        "cumplimiento",
        "cumplimiento-demo-2026",
        "compliance",
        [
            "view_complaint",
            "view_complaintevent",
            "view_outboundmessage",
            "view_establishment",
            "change_establishment",
            "view_provider",
        ],
    ),
]


# One voice for the consumer: "tú", like every page of the portal and every e-mail the consumer gets (the answer
# e-mail already greets them, so a template starts with the substance, not with a second greeting).
# {placeholders} are filled from the hoja when a template is used (handling.templates_fill); no greeting: the
# answer e-mail already says "Hola, <nombre>:"
DEMO_TEMPLATES = [
    (
        "Reclamo procedente: cambio o devolución",
        "reclamo",
        "Revisamos tu reclamo Nº {numero} y tienes razón. Dispusimos el cambio del producto o, si lo prefieres, la "
        "devolución del importe pagado, dentro de los próximos 5 días hábiles. Lamentamos las molestias.",
    ),
    (
        "Reclamo no procedente (con explicación)",
        "reclamo",
        "Revisamos con detalle tu reclamo del {fecha_presentacion}. Según [explicar los hechos verificados], no "
        "corresponde [lo solicitado], porque [motivo]. Si tienes información adicional, puedes responder a este "
        "correo y la evaluaremos.",
    ),
    (
        "Queja sobre la atención",
        "queja",
        "Gracias por contarnos tu experiencia en {establecimiento}. Compartimos tu queja con el equipo de la tienda y "
        "reforzaremos la capacitación en atención al público para que no vuelva a ocurrir.",
    ),
    (
        "Entrega fuera de plazo",
        "reclamo",
        "Confirmamos que tu pedido no llegó en la fecha prometida. Te devolvemos el costo del envío dentro de los "
        "próximos 5 días hábiles y revisamos con el operador logístico qué pasó para que no se repita.",
    ),
]

# templates limited to some causes (codes); the others fit any cause
DEMO_TEMPLATE_CAUSES = {"Entrega fuera de plazo": ["ENT-01"]}


# days ago, consumer, kind, detail, cause, establishment slug, answered by letter (5 days after filing)
DEMO_HOJAS = [
    (1, "Carmen Huamán Torres", "reclamo", "Compré una licuadora que no enciende desde el primer día.", "PRO-01",
     "miraflores", False),
    (12, "Luis Ñique Ramos", "queja", "El personal de caja me atendió con malos modos.", "ATE-01", "miraflores", False),
    (19, "Patricia Vargas León", "reclamo", "Me cobraron dos veces la misma compra con tarjeta.", "FAC-01",
     "miraflores", False),
    (26, "Jorge Cárdenas Soto", "reclamo", "El delivery nunca llegó y no me devuelven el dinero.", "ENT-02",
     "miraflores", False),
    (2, "Rocío Mendoza Paz", "reclamo", "Mi pedido llegó tres días después de la fecha prometida.", "ENT-01",
     "tienda-virtual", False),
    (4, "Kevin Apaza Ccori", "reclamo", "La entrega programada para el sábado recién llegó el miércoles.", "ENT-01",
     "tienda-virtual", False),
    (9, "Milagros Tello Ruiz", "reclamo", "El pedido no llegó en la fecha indicada y nadie contesta el teléfono.",
     "ENT-01", "tienda-virtual", False),
    (16, "Héctor Salas Vidal", "reclamo", "Pagué envío express y el pedido demoró una semana.", "ENT-01",
     "tienda-virtual", False),
    (23, "Gloria Quispe Mamani", "reclamo", "El pedido llegó con diez días de atraso.", "ENT-01", "tienda-virtual",
     True),
    (37, "Raúl Chávez Ortiz", "reclamo", "La entrega se retrasó dos semanas sin aviso.", "ENT-01", "tienda-virtual",
     True),
    (44, "Sofía Ramírez Lau", "reclamo", "Me cobraron el envío dos veces.", "FAC-01", "tienda-virtual", True),
    (58, "Diego Torres Ñañez", "reclamo", "El pedido llegó incompleto: faltaba el cargador.", "ENT-03",
     "tienda-virtual", True),
    (75, "Ana Lucía Flores Vega", "queja", "La atención por el chat demoró más de una hora.", "ATE-02",
     "tienda-virtual", True),
]  # fmt: skip
DEMO_ANSWER = (
    "Revisamos tu caso y tienes razón. Coordinamos con el área responsable la solución y te pedimos disculpas "
    "por lo ocurrido."
)
# by the detail of the hoja: (days ago the survey was answered, csat, nps, comment)
DEMO_SURVEYS = {
    "El pedido llegó con diez días de atraso.": (3, 2, 3, "Respondieron, pero el siguiente pedido llegó tarde igual."),
    "La entrega se retrasó dos semanas sin aviso.": (10, 4, 8, ""),
    "Me cobraron el envío dos veces.": (35, 5, 10, ""),
}  # fmt: skip
DEMO_ACTION = {
    "title": "Confirmar con el transportista la fecha de entrega antes de prometerla",
    "description": "La tienda virtual promete la fecha de entrega sin consultar la agenda del transportista. "
    "Desde ahora, la fecha se confirma con el transportista antes de mostrarla al cliente.",
    "causes": ["ENT-01", "ENT-02"],
    "target_reduction_pct": 40,
    "verification_weeks": 8,
}
DEMO_MINUTES = (
    "Se revisó la agenda generada con los datos.\n"
    "Los retrasos en la entrega de la tienda virtual (ENT-01) se dispararon en las últimas cuatro semanas.\n"
    "Acuerdo: confirmar con el transportista la fecha de entrega antes de prometerla al cliente "
    "(responsable: Jorge Salazar; meta: 40 % menos hojas por retrasos en 8 semanas)."
)


class Command(BaseCommand):
    help = "Crea (o actualiza) los datos de demostración y muestra los usuarios y contraseñas."

    @transaction.atomic
    def handle(self, *args, **options):
        provider, _ = Provider.objects.update_or_create(
            ruc=DEMO_RUC,
            defaults={
                "legal_name": "Comercial Andina del Perú S.A.C.",
                "trade_name": "Andina Market",
                "address": "Av. José Larco 1232, Miraflores, Lima",
                "contact_email": "datospersonales@andina.example.pe",
            },
        )
        for slug, values in {
            "miraflores": {
                "name": "Tienda Miraflores",
                "address": "Av. José Larco 1232, Miraflores, Lima",
                "code": "LR-001",
                "sirec_code": "000001",
                "kind": Establishment.Kind.PHYSICAL,
            },
            "tienda-virtual": {
                "name": "Tienda virtual andina.example.pe",
                "address": "Av. José Larco 1232, Miraflores, Lima (comercio electrónico)",
                "code": "LR-WEB",
                "sirec_code": "000002",
                "kind": Establishment.Kind.VIRTUAL,
            },
        }.items():
            Establishment.objects.update_or_create(slug=slug, defaults={"provider": provider, **values})

        for name, kind, body in DEMO_TEMPLATES:
            template, _ = ResponseTemplate.objects.update_or_create(name=name, defaults={"kind": kind, "body": body})
            template.causes.set(Cause.objects.filter(code__in=DEMO_TEMPLATE_CAUSES.get(name, [])))

        User = get_user_model()
        self.stdout.write(self.style.MIGRATE_HEADING("Usuarios de demostración (solo para pruebas locales):"))
        for username, password, role, perms in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@andina.example.pe"})
            user.first_name, user.last_name = DEMO_NAMES[username]
            user.is_staff = True
            user.is_superuser = role is None
            user.set_password(password)
            user.save()
            if role:
                group, _ = Group.objects.get_or_create(name=role)
                group.permissions.set(
                    Permission.objects.filter(content_type__app_label="reclamaciones", codename__in=perms)
                )
                user.groups.set([group])
                profile, _ = StaffProfile.objects.get_or_create(user=user)
                profile.all_establishments = True
                profile.save(update_fields=["all_establishments"])
            self.stdout.write(f"  {username:<11} {password:<22} {role or 'superusuario'}")
        self._demo_hojas()
        self._demo_council()

    def _demo_hojas(self) -> None:
        """Hojas at different points of their deadline, filed only on an empty book (never duplicated); each is
        classified with its cause, the older ones answered by letter, three of those with a survey."""
        if not Complaint.objects.exists():
            self._file_demo_hojas()
        staff = get_user_model().objects.get(username="supervisor")
        causes = {c.code: c for c in Cause.objects.filter(code__in={h[4] for h in DEMO_HOJAS})}
        by_detail = {h[3]: h for h in DEMO_HOJAS}
        for complaint in Complaint.objects.filter(detail__in=by_detail, cause__isnull=True):
            cause = causes.get(by_detail[complaint.detail][4])
            if cause is not None:
                complaint_classify(
                    complaint_id=complaint.pk, cause=cause, scope=Scope.of(staff), now=complaint.filed_at
                )
        for establishment in Establishment.objects.filter(slug__in={h[5] for h in DEMO_HOJAS}).order_by("name"):
            self.stdout.write(f"  Hojas en {establishment.name}: {establishment.complaints.count()}")

    def _file_demo_hojas(self) -> None:
        # The worker is not running yet (make run starts it next): deliver the demo copies right here.
        celery_app.conf.task_always_eager = True
        now = timezone.now()
        today = timezone.localdate()
        staff = get_user_model().objects.get(username="supervisor")
        establishments = {e.slug: e for e in Establishment.objects.all()}
        for days_ago, name, kind, detail, _cause, slug, answered in DEMO_HOJAS:
            filed_at = timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(11, 0)))
            complaint = complaint_file(
                establishment=establishments[slug],
                consumer_name=name,
                doc_number=f"{45800000 + days_ago * 137:08d}",
                consumer_address="Av. Arequipa 1200, Lince, Lima",
                consumer_email=f"{slugify(name.split()[0])}@example.pe",
                kind=kind,
                detail=detail,
                request="Una solución pronta.",
                filed_at=filed_at,
            )
            if not answered:
                continue
            response_send(
                complaint_id=complaint.pk,
                text=DEMO_ANSWER,
                channel=ResponseChannel.LETTER,
                scope=Scope.of(staff),
                communicated_at=filed_at + timedelta(days=5),
                now=filed_at + timedelta(days=5),
            )
            if detail in DEMO_SURVEYS:
                answered_days_ago, csat, nps, comment = DEMO_SURVEYS[detail]
                survey_answer(
                    complaint=complaint,
                    solved=csat >= 4,
                    csat=csat,
                    nps=nps,
                    comment=comment,
                    now=now - timedelta(days=answered_days_ago),
                )

    def _demo_council(self) -> None:
        """One meeting (today, agenda generated from the demo hojas) and the action item agreed in it; created
        once: a rerun finds them and changes nothing."""
        User = get_user_model()
        if not CouncilMeeting.objects.exists():
            meeting = CouncilMeeting.objects.create(
                held_on=timezone.localdate(),
                guests="Carla Ríos, jefa de logística (invitada)",
                minutes=DEMO_MINUTES,
            )
            meeting.attendees.set(User.objects.filter(username__in=["consejo", "supervisor", "auditor"]))
            if not ActionItem.objects.filter(title=DEMO_ACTION["title"]).exists():
                causes = Cause.objects.filter(code__in=DEMO_ACTION["causes"])
                action_create(
                    **{k: v for k, v in DEMO_ACTION.items() if k != "causes"},
                    causes=causes,
                    complaints=Complaint.objects.filter(cause__in=causes),
                    owner=User.objects.get(username="supervisor"),
                    due_date=timezone.localdate() + timedelta(days=21),
                    meeting=meeting,
                    created_by=User.objects.get(username="consejo"),
                )
            meeting_agenda_generate(meeting=meeting, scope=Scope.everything())
        self.stdout.write(
            f"  Consejo de mejora: {CouncilMeeting.objects.count()} reunión(es), "
            f"{ActionItem.objects.count()} acción(es) de mejora"
        )
