"""One row per filing, 18 fields of the hoja's form's kinds (names, document, address, phone, e-mail, choices,
a decimal amount, text areas), found again by a unique random token."""

import secrets

from django.db import models


def token_new() -> str:
    return secrets.token_urlsafe(24)


class Filing(models.Model):
    class DocType(models.TextChoices):
        DNI = "dni", "DNI"
        CE = "ce", "Carné de extranjería"
        PASSPORT = "pasaporte", "Pasaporte"
        RUC = "ruc", "RUC"

    class GoodType(models.TextChoices):
        PRODUCT = "producto", "Producto"
        SERVICE = "servicio", "Servicio"

    class Currency(models.TextChoices):
        PEN = "PEN", "Soles"
        USD = "USD", "Dólares"

    class Kind(models.TextChoices):
        RECLAMO = "reclamo", "Reclamo"
        QUEJA = "queja", "Queja"

    consumer_name = models.CharField("nombre completo", max_length=200)
    doc_type = models.CharField("tipo de documento", max_length=12, choices=DocType.choices, default=DocType.DNI)
    doc_number = models.CharField("número de documento", max_length=15)
    consumer_address = models.CharField("domicilio", max_length=300, blank=True)
    consumer_phone = models.CharField("teléfono", max_length=30, blank=True)
    consumer_email = models.EmailField("correo electrónico", max_length=254, blank=True)
    is_minor = models.BooleanField("soy menor de edad", default=False)
    guardian_name = models.CharField("nombre del representante", max_length=200, blank=True)
    guardian_address = models.CharField("domicilio del representante", max_length=300, blank=True)
    guardian_phone = models.CharField("teléfono del representante", max_length=30, blank=True)
    guardian_email = models.EmailField("correo del representante", max_length=254, blank=True)
    good_type = models.CharField("producto o servicio", max_length=10, choices=GoodType.choices, blank=True)
    amount_claimed = models.DecimalField("monto reclamado", max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField("moneda", max_length=3, choices=Currency.choices, default=Currency.PEN)
    good_description = models.TextField("descripción", max_length=2000, blank=True)
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices, blank=True)
    detail = models.TextField("detalle", max_length=2000)
    request = models.TextField("pedido", max_length=2000, blank=True)
    token = models.CharField(max_length=64, unique=True, default=token_new, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.consumer_name} ({self.pk})"
