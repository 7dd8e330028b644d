"""Product or service (issue 12, SIREC): when the consumer left it empty, staff record it so the hoja can be
reported (SIREC needs P, S or PS on every line); the consumer's own answer never changes."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.compliance.services import sirec_export
from reclamaciones.handling.services import WorkflowError, complaint_good_type_classify

from ..factories import staff_user

pytestmark = pytest.mark.django_db


def _export(establishment) -> tuple:
    out = io.BytesIO()
    today = timezone.localdate()
    result = sirec_export(
        scope=Scope.everything(), establishment=establishment, start=date(today.year, 1, 1), end=today, out=out
    )
    return result, out.getvalue().decode()


def test_a_hoja_without_product_or_service_is_reported_once_staff_say_it(file_complaint, establishment, agent):
    hoja = file_complaint(good_type="")
    result, _ = _export(establishment)
    assert dict(result.problems) == {hoja.display_number: ["falta tipo del bien"]}

    complaint_good_type_classify(complaint_id=hoja.pk, good_type="servicio", scope=Scope.of(agent))

    result, data = _export(establishment)
    assert data.split("|")[10] == "S"
    hoja = Complaint.objects.get(pk=hoja.pk)
    assert (hoja.good_type, hoja.good_type_classified) == ("", "servicio")
    event = ComplaintEvent.objects.get(complaint=hoja, type=ComplaintEvent.Type.GOOD_CLASSIFIED)
    assert (event.actor, event.data) == (agent, {"from": None, "to": "servicio"})


def test_the_consumers_answer_is_never_overridden(file_complaint, agent):
    hoja = file_complaint(good_type="producto")

    with pytest.raises(WorkflowError, match="ya indicó"):
        complaint_good_type_classify(complaint_id=hoja.pk, good_type="servicio", scope=Scope.of(agent))
    with pytest.raises(WorkflowError, match="Elige"):
        complaint_good_type_classify(complaint_id=hoja.pk, good_type="P", scope=Scope.of(agent))


def test_the_detail_page_offers_it_only_when_the_consumer_left_it_empty(client, file_complaint, agent):
    empty, given = file_complaint(good_type=""), file_complaint(good_type="producto")
    client.force_login(agent)

    assert (
        reverse("staff:good-type", args=[empty.pk])
        in client.get(reverse("staff:detail", args=[empty.pk])).content.decode()
    )
    assert (
        reverse("staff:good-type", args=[given.pk])
        not in client.get(reverse("staff:detail", args=[given.pk])).content.decode()
    )

    response = client.post(reverse("staff:good-type", args=[empty.pk]), {"good_type-good_type": "ambos"}, follow=True)
    assert "Registrado para SIREC: producto y servicio." in response.content.decode()
    assert Complaint.objects.get(pk=empty.pk).good_type_classified == "ambos"


@pytest.mark.parametrize("value", ["", "P", "<script>", "producto\x00"])
def test_a_bad_choice_is_shown_next_to_the_field(client, file_complaint, agent, value):
    hoja = file_complaint(good_type="")
    client.force_login(agent)

    response = client.post(reverse("staff:good-type", args=[hoja.pk]), {"good_type-good_type": value})

    assert response.status_code == 200
    assert "good_type-good_type-error" in response.content.decode()
    assert Complaint.objects.get(pk=hoja.pk).good_type_classified == ""


def test_readers_cannot_and_other_establishments_do_not_exist(client, file_complaint, establishment, agent_b):
    hoja = file_complaint(good_type="")
    auditor = staff_user("aurora", Role.AUDITOR, establishments=[establishment])

    client.force_login(auditor)
    assert client.post(reverse("staff:good-type", args=[hoja.pk]), {"good_type-good_type": "ambos"}).status_code == 403
    client.force_login(agent_b)
    assert client.post(reverse("staff:good-type", args=[hoja.pk]), {"good_type-good_type": "ambos"}).status_code == 404
    assert client.get(reverse("staff:good-type", args=[hoja.pk])).status_code in (404, 405)
    assert Complaint.objects.get(pk=hoja.pk).good_type_classified == ""


def test_the_history_says_it(client, file_complaint, agent):
    hoja = file_complaint(good_type="")
    complaint_good_type_classify(complaint_id=hoja.pk, good_type="servicio", scope=Scope.of(agent))
    client.force_login(agent)

    html = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()

    assert "Producto o servicio clasificado" in html
    assert "Servicio: el consumidor no lo indicó; SIREC lo pide." in html
