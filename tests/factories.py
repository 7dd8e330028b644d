"""Factories: configuration data, staff users, hojas in each state and action items. Hojas and actions are
built through the real services (the code path of the portal), never written to the database by hand."""

from __future__ import annotations

import itertools

import factory
from factory.django import DjangoModelFactory
from stdnum.pe import ruc as stdnum_ruc

from reclamaciones.access import Scope
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


STAFF_DOMAIN = "andina.example.pe"


def council_rights() -> list[str]:
    """Codenames of the admin rights the data migration grants the council group: give them again with
    staff_user(perms=...) where a page depends on them (the live-server and worker tests flush the grants, and
    pytest may run them first)."""
    import importlib

    return importlib.import_module("reclamaciones.migrations.0007_council_permissions").CODENAMES


def staff_user(
    username: str,
    role: str | None = None,
    *,
    establishments=(),
    all_establishments: bool = False,
    email: str | None = None,
    is_active: bool = True,
    is_staff: bool = True,
    profile: bool = True,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    perms=(),
    **fields,
):
    """A user in `role`'s group (none if `role` is None) with a StaffProfile scoped to `establishments` (or to
    all of them); `profile=False` leaves the profile out (owners, council members, users without a role).

    `perms` are codenames of this app's permissions given to the role's group: transactional tests flush the
    grants of data migrations, and groups too, hence get_or_create. Extra `fields` go to create_user
    (is_superuser=True, ...)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@{STAFF_DOMAIN}" if email is None else email,
        password=password,
        is_active=is_active,
        is_staff=is_staff,
        first_name=first_name,
        last_name=last_name,
        **fields,
    )
    if role:
        group = Group.objects.get_or_create(name=role)[0]
        if perms:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="reclamaciones", codename__in=perms)
            )
        user.groups.add(group)
    elif perms:
        raise ValueError("perms are given to the role's group: pass a role")
    if profile:
        staff_profile = StaffProfile.objects.create(user=user, all_establishments=all_establishments)
        staff_profile.establishments.set(establishments)
    return user


# Hojas in each state, built through the real services (the same code path as the back office) ---------------

ANSWER_TEXT = "Le devolvemos el importe pagado en su tarjeta en un plazo de 7 días."
OFFER_TEXT = "Te cambiamos la laptop por una nueva; la recoges en tienda desde el lunes."


def hoja_filed(establishment=None, **overrides):
    """A hoja filed through the filing service (in a new establishment unless one is given)."""
    from reclamaciones.book.services import complaint_file

    return complaint_file(**filing_kwargs(establishment=establishment or EstablishmentFactory(), **overrides))


def _scope(by) -> Scope:
    """Who acts: a staff member, or the system when nobody is named."""
    return Scope.everything() if by is None else Scope.of(by)


def _actor(complaint, by):
    """`by`, or a new agent of the hoja's establishment."""
    from reclamaciones.access import Role

    if by is not None:
        return by
    return staff_user(f"agente-{complaint.pk}", Role.AGENT, establishments=[complaint.establishment])


def _fresh(complaint):
    return type(complaint).objects.get(pk=complaint.pk)


def hoja_assigned(complaint=None, *, to=None, by=None, now=None, **filing):
    """`complaint` (or a new filed hoja) assigned to `to` by `by` (an agent in scope takes it by default): in
    progress."""
    from reclamaciones.handling.services import complaint_assign

    complaint = complaint or hoja_filed(**filing)
    by = _actor(complaint, by or to)
    complaint_assign(complaint_id=complaint.pk, assignee=to or by, scope=_scope(by), now=now)
    return _fresh(complaint)


def hoja_answered(
    complaint=None, *, channel="email", text=ANSWER_TEXT, by=None, communicated_at=None, now=None, **filing
):
    """`complaint` (or a new filed hoja) answered by `by` (an agent in scope by default), by e-mail or by letter
    (`channel="letter"`, delivered `communicated_at`, now by default). Its answer is `.response`."""
    from django.utils import timezone

    from reclamaciones.handling.services import response_send

    complaint = complaint or hoja_filed(**filing)
    if channel == "letter" and communicated_at is None:
        communicated_at = now or timezone.now()
    response_send(
        complaint_id=complaint.pk,
        text=text,
        channel=channel,
        scope=_scope(_actor(complaint, by)),
        communicated_at=communicated_at,
        now=now,
    )
    return _fresh(complaint)


def hoja_offered(complaint=None, *, text=OFFER_TEXT, by=None, now=None, **filing):
    """`complaint` (or a new filed reclamo) classified (under the first cause unless it has one) with a settlement
    offer e-mailed to the consumer and pending (the count suspended). The offer is `.settlement_offers.get()`."""
    from reclamaciones.handling.services import complaint_classify
    from reclamaciones.handling.settlement import settlement_offer_send

    complaint = _fresh(complaint) if complaint else hoja_filed(**filing)
    if complaint.cause_id is None:  # an offer needs the cause: its acceptance closes the hoja
        complaint_classify(complaint_id=complaint.pk, cause=cause_get(), scope=_scope(by), now=now)
    settlement_offer_send(complaint_id=complaint.pk, text=text, scope=_scope(by), now=now)
    return _fresh(complaint)


def hoja_closed(complaint=None, *, cause=None, by=None, now=None, **filing):
    """`complaint` (or a new filed hoja) answered by e-mail, classified under `cause` and closed."""
    from reclamaciones.handling.services import complaint_classify, complaint_close

    complaint = complaint or hoja_filed(**filing)
    by = _actor(complaint, by)
    if complaint.status != "answered":
        hoja_answered(complaint, by=by, now=now)
    complaint_classify(complaint_id=complaint.pk, cause=cause or cause_get(), scope=_scope(by), now=now)
    complaint_close(complaint_id=complaint.pk, scope=_scope(by), now=now)
    return _fresh(complaint)


# Action items, through the council's service -------------------------------------------------------------------


_owners = itertools.count(1)


def action_item(title: str = "Capacitar al personal de caja", *, owner=None, causes=None, due_in_days=14, **fields):
    """An action item created by the council's service (its baseline computed from the hojas of its causes),
    due `due_in_days` from today unless a `due_date` is given; `owner` defaults to a new owner without a role."""
    from datetime import timedelta

    from django.utils import timezone

    from reclamaciones.council.services import action_create

    if owner is None:
        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.create_user(f"responsable{next(_owners)}")
    fields.setdefault("due_date", timezone.localdate() + timedelta(days=due_in_days))
    return action_create(title=title, owner=owner, causes=causes or [cause_get()], **fields)
