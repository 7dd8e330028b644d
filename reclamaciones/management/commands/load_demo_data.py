"""Idempotent demo data for `make run`: a provider, two establishments, one staff user per role."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from config import celery_app
from reclamaciones.models import Complaint, Establishment, Provider, ResponseTemplate, StaffProfile
from reclamaciones.services.filing import complaint_file

DEMO_RUC = "20601457891"  # valid check digit (stdnum.pe.ruc)

# username, password, role group, Django permissions (app label reclamaciones unless dotted)
DEMO_NAMES = {
    "admin": ("Ana", "Administradora"),
    "agente": ("Rosa", "Quispe"),
    "supervisor": ("Jorge", "Salazar"),
    "consejo": ("Lucía", "Paredes"),
    "auditor": ("Martín", "Rojas"),
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
    ("consejo", "consejo-demo-2026", "council", ["view_complaint", "view_complaintevent", "view_establishment"]),
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
]


DEMO_TEMPLATES = [
    (
        "Reclamo procedente: cambio o devolución",
        "reclamo",
        "Estimado(a) cliente: revisamos su reclamo y le damos la razón. Hemos dispuesto el cambio del producto "
        "o, si lo prefiere, la devolución del importe pagado, dentro de los próximos 5 días hábiles. Lamentamos "
        "las molestias ocasionadas.",
    ),
    (
        "Reclamo no procedente (con explicación)",
        "reclamo",
        "Estimado(a) cliente: revisamos su reclamo con detalle. Según [explicar los hechos verificados], no "
        "corresponde [lo solicitado], porque [motivo]. Si tiene información adicional, puede responder a este "
        "correo y la evaluaremos.",
    ),
    (
        "Queja sobre la atención",
        "queja",
        "Estimado(a) cliente: gracias por contarnos su experiencia. Compartimos su queja con el equipo de la "
        "tienda y reforzaremos la capacitación en atención al público para que no vuelva a ocurrir.",
    ),
]


DEMO_HOJAS = [
    (1, "Carmen Huamán Torres", "reclamo", "Compré una licuadora que no enciende desde el primer día."),
    (12, "Luis Ñique Ramos", "queja", "El personal de caja me atendió con malos modos."),
    (19, "Patricia Vargas León", "reclamo", "Me cobraron dos veces la misma compra con tarjeta."),
    (26, "Jorge Cárdenas Soto", "reclamo", "El delivery nunca llegó y no me devuelven el dinero."),
]


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
            ResponseTemplate.objects.update_or_create(name=name, defaults={"kind": kind, "body": body})

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
        self._demo_hojas(Establishment.objects.get(slug="miraflores"))

    def _demo_hojas(self, establishment: Establishment) -> None:
        """A few hojas at different points of their deadline, only on an empty book (never duplicated)."""
        if not Complaint.objects.exists():
            self._file_demo_hojas(establishment)
        self.stdout.write(f"  Hojas en {establishment.name}: {establishment.complaints.count()}")

    def _file_demo_hojas(self, establishment: Establishment) -> None:
        # The worker is not running yet (make run starts it next): deliver the demo copies right here.
        celery_app.conf.task_always_eager = True
        today = timezone.localdate()
        for days_ago, name, kind, detail in DEMO_HOJAS:
            filed_at = timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(11, 0)))
            complaint_file(
                establishment=establishment,
                consumer_name=name,
                doc_number="4580568" + str(days_ago % 10),
                consumer_address="Av. Arequipa 1200, Lince, Lima",
                consumer_email=f"{name.split()[0].lower()}@example.pe",
                kind=kind,
                detail=detail,
                request="Una solución pronta.",
                filed_at=filed_at,
            )
