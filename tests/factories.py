"""Factories for configuration data. Hojas are created through the filing service (real code path)."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory
from stdnum.pe import ruc as stdnum_ruc

from reclamaciones.book.models import Establishment, Provider
from reclamaciones.handling.models import Cause, StaffProfile


def _valid_ruc(n: int) -> str:
    base = f"20{60000000 + n:08d}"
    return base + stdnum_ruc.calc_check_digit(base)


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    legal_name = factory.Sequence(lambda n: f"Comercial Ñandú {n} S.A.C.")
    ruc = factory.Sequence(_valid_ruc)
    address = "Jr. Los Ficus 1356, Santa Anita, Lima"
    contact_email = "datos@nandu.example.pe"


class EstablishmentFactory(DjangoModelFactory):
    class Meta:
        model = Establishment

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Tienda Surquillo {n}")
    address = "Av. Angamos Este 1805, Surquillo, Lima"
    code = factory.Sequence(lambda n: f"LR-{n:03d}")
    sirec_code = factory.Sequence(lambda n: f"{n + 1:06d}")
    slug = factory.Sequence(lambda n: f"tienda-{n}")
    kind = Establishment.Kind.PHYSICAL
    is_active = True


VALID_FILING = {
    "consumer_name": "María Núñez Ñahui",
    "doc_type": "dni",
    "doc_number": "45805689",
    "consumer_address": "Jr. Los Ficus 1356, Santa Anita",
    "consumer_phone": "987 654 321",
    "consumer_email": "maria.nunez@example.pe",
    "good_type": "producto",
    "amount_claimed": "1250.50",
    "currency": "PEN",
    "good_description": "Laptop Toshiba, boleta B001-4521",
    "kind": "reclamo",
    "detail": "La laptop presenta fallas en la pantalla desde el día de la compra. ¿Cómo procedo?",
    "request": "Se solicita cambio del equipo o la devolución del dinero.",
}


def filing_kwargs(**overrides) -> dict:
    """VALID_FILING as keyword arguments of services.filing.complaint_file."""
    from decimal import Decimal

    return {**VALID_FILING, "amount_claimed": Decimal(VALID_FILING["amount_claimed"]), **overrides}


def cause_get(code: str = "TST-01") -> Cause:
    """A leaf cause of the taxonomy (get_or_create: transactional tests flush the seeded ones)."""
    category, _ = Cause.objects.get_or_create(code="TST", defaults={"name": "Categoría de prueba"})
    cause, _ = Cause.objects.get_or_create(code=code, defaults={"name": f"Causa {code}", "parent": category})
    return cause


def staff_user(
    username: str,
    role: str | None,
    *,
    establishments=(),
    all_establishments: bool = False,
    email: str | None = None,
    is_active: bool = True,
    profile: bool = True,
    password: str | None = None,
):
    """A staff user in `role`'s group with a StaffProfile scoped to `establishments` (or to all of them).
    Groups come from a data migration that transactional tests flush: get_or_create."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@nandu.example.pe" if email is None else email,
        password=password,
        is_active=is_active,
        is_staff=True,
    )
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if profile:
        staff_profile = StaffProfile.objects.create(user=user, all_establishments=all_establishments)
        staff_profile.establishments.set(establishments)
    return user
