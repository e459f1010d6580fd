"""Bulk work from the queue: each ticket through its own service call with its version, and a
result page that names every refusal — never a silent partial success."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import EventKind, Reply, Status, Ticket, TicketEvent
from cases.services.bulk import BULK_MAX
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(ana, team_n1):
    customer = CustomerFactory.create(name="Lucía Torres", language="es")
    return [
        make_ticket(by=ana, team=team_n1, customer=customer, subject=f"Caso {n}") for n in range(3)
    ]


def selection(tickets):
    return [f"{t.pk}:{Ticket.objects.get(pk=t.pk).version}" for t in tickets]


def post_bulk(client, tickets, **data):
    return client.post(reverse("cases:bulk"), {"ticket": selection(tickets), **data})


def test_the_queue_offers_a_checkbox_per_ticket_and_the_bulk_bar(client, ana, three):
    client.force_login(ana)
    page = client.get(reverse("cases:queue"), {"queue": "all"}).content.decode()
    for ticket in three:
        assert f'value="{ticket.pk}:{ticket.version}"' in page
    assert "data-bulk-all" in page and 'action="/tickets/bulk/"' in page


def test_an_agent_assigns_several_tickets_to_themselves(client, ana, three):
    client.force_login(ana)
    response = post_bulk(client, three, action="assign", assignee=ana.pk)
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 tickets done" in html and "refused" not in html.split("bulk-results")[0]
    assert all(Ticket.objects.get(pk=t.pk).assignee == ana for t in three)
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED, ticket__in=three).count() == 3


def test_a_ticket_changed_meanwhile_is_refused_and_named_the_others_done(client, ana, bruno, three):
    client.force_login(ana)
    seen = selection(three)
    services.add_reply(ticket=three[1], by=bruno, body="I'm on it.")  # after the page loaded

    response = client.post(
        reverse("cases:bulk"), {"ticket": seen, "action": "priority", "priority": "urgent"}
    )

    html = response.content.decode()
    assert "2 tickets done" in html and "1 refused" in html
    assert "Someone else changed this ticket" in html
    priorities = [Ticket.objects.get(pk=t.pk).priority for t in three]
    assert priorities == ["urgent", "normal", "urgent"]


def test_tickets_the_agent_cannot_see_are_refused_as_not_found(client, ana, carla, team_n2, three):
    theirs = make_ticket(by=carla, team=team_n2)
    client.force_login(ana)
    response = post_bulk(client, [three[0], theirs], action="add_tags", tags="vip")
    html = response.content.decode()
    assert "1 ticket done" in html and "No ticket you can see." in html
    assert not Ticket.objects.get(pk=theirs.pk).tags.exists()
    assert list(Ticket.objects.get(pk=three[0].pk).tags.values_list("name", flat=True)) == ["vip"]


def test_tags_are_added_and_removed_in_bulk(client, ana, three):
    client.force_login(ana)
    post_bulk(client, three, action="add_tags", tags="VIP, envío")
    assert all(
        sorted(Ticket.objects.get(pk=t.pk).tags.values_list("name", flat=True)) == ["envío", "vip"]
        for t in three
    )
    post_bulk(client, three[:2], action="remove_tags", tags="vip")
    assert [
        sorted(Ticket.objects.get(pk=t.pk).tags.values_list("name", flat=True)) for t in three
    ] == [["envío"], ["envío"], ["envío", "vip"]]


def test_moving_to_another_team_is_a_transfer_not_an_escalation(client, ana, carla, three, team_n2):
    services.assign_ticket(ticket=three[0], by=ana, assignee=ana)
    client.force_login(ana)
    post_bulk(client, three, action="team", team=team_n2.pk)
    moved = Ticket.objects.get(pk=three[0].pk)
    assert moved.team == team_n2 and moved.level == three[0].level
    assert moved.escalation_count == 0
    assert moved.assignee is None  # Ana is not in N2 and N2 assigns by hand
    event = TicketEvent.objects.filter(ticket=moved, kind=EventKind.CLASSIFIED).latest("pk")
    assert event.data["changes"]["team"][1] == team_n2.name
    assert event.data["changes"]["assignee"] == [ana.display_name, None]


def test_a_missing_resolution_refuses_everything_and_keeps_the_selection(client, ana, three):
    client.force_login(ana)
    response = post_bulk(client, three, action="resolve", resolution="  ")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say how these tickets were resolved." in html
    for ticket in three:
        assert f'value="{ticket.pk}:{ticket.version}" checked' in html
    assert not Ticket.objects.filter(status=Status.RESOLVED).exists()


def test_resolving_in_bulk_refuses_what_the_lifecycle_does_not_allow(client, ana, three):
    services.add_reply(ticket=three[0], by=ana, body="Fixed.")
    client.force_login(ana)
    response = post_bulk(client, three, action="resolve", resolution="Firmware updated.")
    html = response.content.decode()
    # a new ticket cannot be resolved before anyone answered it
    assert Ticket.objects.get(pk=three[0].pk).status == Status.RESOLVED
    assert Ticket.objects.get(pk=three[1].pk).status == Status.NEW
    assert "1 ticket done" in html and "2 refused" in html


def test_merging_a_selection_into_one_of_them(client, ana, three):
    client.force_login(ana)
    response = post_bulk(client, three, action="merge", into=three[0].reference)
    html = response.content.decode()
    assert "3 tickets done" in html and "Kept: the merge target." in html
    statuses = [Ticket.objects.get(pk=t.pk).status for t in three]
    assert statuses == [Status.NEW, Status.MERGED, Status.MERGED]
    assert Ticket.objects.get(pk=three[2].pk).merged_into_id == three[0].pk


def test_a_macro_applied_in_bulk_speaks_to_each_customer(client, ana, marta, three, team_n1):
    other = make_ticket(
        by=ana, team=team_n1, customer=CustomerFactory.create(name="Pedro Gómez", language="es")
    )
    macro = services.save_macro(
        by=marta,
        shared=True,
        title="Recibido",
        body_es="Hola {{ customer.first_name }}, revisamos {{ ticket.reference }}.",
        add_tags="en-revision",
    )
    client.force_login(ana)
    response = post_bulk(client, [three[0], other], action="macro", macro=macro.pk)
    assert "2 tickets done" in response.content.decode()
    assert Reply.objects.get(ticket=three[0]).body == f"Hola Lucía, revisamos {three[0].reference}."
    assert Reply.objects.get(ticket=other).body == f"Hola Pedro, revisamos {other.reference}."
    assert Ticket.objects.get(pk=other.pk).tags.filter(name="en-revision").exists()


def test_another_agents_personal_macro_cannot_be_applied(client, ana, bruno, three):
    theirs = services.save_macro(by=bruno, title="De Bruno", body_es="Hola")
    client.force_login(ana)
    response = post_bulk(client, three, action="macro", macro=theirs.pk)
    assert response.status_code == 400  # not among the choices offered to Ana
    assert not Reply.objects.exists()


@pytest.mark.parametrize(
    "tickets",
    [[], ["12:abc"], ["x"], [f"{n}:1" for n in range(1, BULK_MAX + 2)]],
    ids=["none", "bad-version", "bad-id", "too-many"],
)
def test_a_malformed_or_oversized_selection_is_refused(client, ana, tickets):
    client.force_login(ana)
    response = client.post(
        reverse("cases:bulk"), {"ticket": tickets, "action": "priority", "priority": "low"}
    )
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()


def test_customers_and_anonymous_visitors_cannot_bulk(client, three):
    response = client.post(
        reverse("cases:bulk"), {"ticket": selection(three), "action": "priority", "priority": "low"}
    )
    assert response.status_code in (302, 403)
    assert all(Ticket.objects.get(pk=t.pk).priority == "normal" for t in three)


def test_the_api_runs_a_bulk_action_and_reports_each_ticket(client, ana, carla, team_n2, three):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(ana)
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    theirs = make_ticket(by=carla, team=team_n2)
    url = reverse("api:ticket-bulk")
    body = {
        "action": "priority",
        "priority": "high",
        "tickets": [{"id": t.pk, "version": t.version} for t in three] + [{"id": theirs.pk}],
    }

    response = client.post(url, body, content_type="application/json", **headers)

    assert response.status_code == 200
    result = response.json()
    assert (result["done"], result["refused"]) == (3, 1)
    assert result["results"][-1] == {
        "id": theirs.pk,
        "reference": f"#{theirs.pk}",
        "done": False,
        "reason": "No ticket you can see.",
    }
    assert Ticket.objects.get(pk=theirs.pk).priority == "normal"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"action": "priority", "tickets": [{"id": 1}]},
        {"action": "dance", "priority": "high", "tickets": [{"id": 1}]},
        {"action": "priority", "priority": "high", "tickets": []},
        {"action": "priority", "priority": "high", "tickets": [{"id": "x"}]},
        {"action": "add_tags", "tickets": [{"id": 1}]},
        {"action": "resolve", "resolution": " ", "tickets": [{"id": 1}]},
        {"action": "merge", "into": 999999, "tickets": [{"id": 1}]},
        {"action": "priority", "priority": "high", "tickets": [{"id": 1}], "colour": "red"},
        {
            "action": "priority",
            "priority": "high",
            "tickets": [{"id": n} for n in range(1, BULK_MAX + 2)],
        },
    ],
)
def test_the_api_refuses_a_malformed_bulk_request_with_the_reason(client, ana, body):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(ana)
    response = client.post(
        reverse("api:ticket-bulk"),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 400
    assert response.json()
