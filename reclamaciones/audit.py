"""The personal-data access log (Ley 29733; accountability under DS 016-2024-JUS): every staff view or export
of a hoja's personal data is one append-only row: who, what, which hoja or how many, when, from where. It sits
beside access.py because every context that shows personal data records into it (the back office, the admin,
the compliance desk); the compliance desk and auditors read it.

One INSERT per page view; the system (beat jobs, commands without a user) is not logged."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from .book.models import Complaint, Establishment
from .clientip import client_ip
from .records import AppendOnlyModel

if TYPE_CHECKING:
    from .access import Scope

DETAIL_MAX = 300


class PersonalDataAccess(AppendOnlyModel):
    """Who saw or exported consumers' personal data, what and when (Ley 29733; DS 016-2024-JUS accountability).
    Append-only; read newest first by primary key, so the page stays fast however long the log grows."""

    class What(models.TextChoices):
        DETAIL = "detail", "Vio la hoja"
        PDF = "pdf", "Descargó el PDF de la hoja"
        ANSWER = "answer", "Abrió la respuesta"
        EXPORT = "export", "Exportó hojas"
        SIREC = "sirec", "Exportó a SIREC"
        BUNDLE = "bundle", "Descargó un paquete de evidencias"
        ADMIN = "admin", "Vio la hoja en la administración"
        TRANSCRIBED = "transcribed", "Transcribió una hoja de respaldo"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="usuario", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("fecha y hora")
    what = models.CharField("acceso", max_length=20, choices=What)
    complaint = models.ForeignKey(
        Complaint, verbose_name="hoja", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    establishment = models.ForeignKey(
        Establishment, verbose_name="establecimiento", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hojas = models.PositiveIntegerField("hojas", default=1)
    detail = models.CharField("detalle", max_length=300, blank=True)
    ip = models.GenericIPAddressField("dirección IP", null=True, blank=True)

    class Meta:
        verbose_name = "acceso a datos personales"
        verbose_name_plural = "accesos a datos personales"
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["complaint", "id"], name="pdaccess_complaint_idx"),
            models.Index(fields=["user", "id"], name="pdaccess_user_idx"),
            models.Index(fields=["establishment", "id"], name="pdaccess_establishment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_what_display()} · {self.user} · {self.at:%Y-%m-%d %H:%M}"


What = PersonalDataAccess.What


def personal_data_access_record(
    *,
    scope: Scope,
    what: str,
    complaint=None,
    establishment_id: int | None = None,
    hojas: int = 1,
    detail: str = "",
    request=None,
    now: datetime | None = None,
) -> PersonalDataAccess | None:
    """Record that `scope.user` saw or exported personal data (`what`, a PersonalDataAccess.What): one hoja
    (`complaint`) or `hojas` of them (an export: `detail` says which filters). None for the system."""
    user = scope.user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if complaint is not None and establishment_id is None:
        establishment_id = complaint.establishment_id
    return PersonalDataAccess.objects.create(
        user=user,
        at=now or timezone.now(),
        what=what,
        complaint=complaint,
        establishment_id=establishment_id,
        hojas=hojas,
        detail=detail[:DETAIL_MAX],
        ip=client_ip(request) if request is not None else None,
    )
