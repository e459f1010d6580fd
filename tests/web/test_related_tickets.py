"""Related tickets: linked both ways with a note, shown on both ticket pages and in both
timelines, refused with the reason (itself, twice, a reference nobody may see) and undone."""

import pytest
from django.urls import reverse

from cases import services
from cases.errors import PermissionDenied, ValidationError
from cases.models import EventKind, TicketEvent, TicketRelation
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(ana, team_n1):
    return make_ticket(by=ana, team=team_n1, subject="Caída del portal de pagos")


def page_of(client, ticket):
    return client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()


def test_relating_shows_each_ticket_on_the_others_page(client, ana, ticket, outage):
    client.force_login(ana)
    response = client.post(
        reverse("cases:relate", args=[ticket.pk]),
        {"reference": outage.reference, "note": "Misma caída"},
    )
    assert response.status_code == 302
    for here, there in ((ticket, outage), (outage, ticket)):
        page = page_of(client, here)
        assert (
            f'class="d-flex align-items-start gap-2 mb-1 related-ticket" data-ticket="{there.pk}"'
            in page
        )
        assert "Misma caída" in page
        event = TicketEvent.objects.get(ticket=here, kind=EventKind.RELATED)
        assert event.data == {
            "other": there.pk,
            "reference": there.reference,
            "note": "Misma caída",
        }


def test_what_cannot_be_related_is_refused_on_the_form_keeping_what_was_typed(
    client, ana, carla, ticket, outage, team_n2
):
    elsewhere = make_ticket(by=carla, team=team_n2, subject="De otro equipo")
    client.force_login(ana)
    url = reverse("cases:relate", args=[ticket.pk])
    for reference, message in (
        (ticket.reference, "cannot be related to itself"),
        (elsewhere.reference, "No ticket you can see has this reference."),
        ("PUL-999999", "No ticket you can see has this reference."),
        ("not a reference", "Write a ticket"),
    ):
        response = client.post(url, {"reference": reference, "note": "nota escrita"})
        assert response.status_code == 400, reference
        html = response.content.decode()
        assert message in html and "nota escrita" in html
    client.post(url, {"reference": outage.reference})
    again = client.post(url, {"reference": str(outage.pk)})
    assert again.status_code == 400 and "already related" in again.content.decode()
    assert TicketRelation.objects.count() == 1


def test_undoing_a_relation_removes_it_from_both(client, ana, ticket, outage):
    relation = services.relate_tickets(ticket=ticket, other=outage, by=ana)
    client.force_login(ana)
    response = client.post(reverse("cases:unrelate", args=[outage.pk, relation.pk]))
    assert response.status_code == 302
    assert not TicketRelation.objects.exists()
    assert TicketEvent.objects.filter(kind=EventKind.UNRELATED).count() == 2


def test_only_people_who_see_both_tickets_relate_them(ana, carla, ticket, team_n2):
    elsewhere = make_ticket(by=carla, team=team_n2)
    with pytest.raises(PermissionDenied):
        services.relate_tickets(ticket=ticket, other=elsewhere, by=ana)
    with pytest.raises(ValidationError):
        services.relate_tickets(ticket=ticket, other=ticket, by=ana)
    assert not TicketRelation.objects.exists()


def test_a_relation_to_a_ticket_the_viewer_cannot_see_is_only_counted(
    client, ana, marta, carla, ticket, team_n2
):
    elsewhere = make_ticket(by=carla, team=team_n2, subject="Secreto de N2")
    services.relate_tickets(ticket=ticket, other=elsewhere, by=marta)
    client.force_login(ana)
    page = page_of(client, ticket)
    assert "Secreto de N2" not in page
    assert "And 1 related ticket you cannot see." in page
    # ... and Ana cannot undo it.
    relation = TicketRelation.objects.get()
    response = client.post(reverse("cases:unrelate", args=[ticket.pk, relation.pk]))
    assert response.status_code == 403
    assert TicketRelation.objects.exists()
