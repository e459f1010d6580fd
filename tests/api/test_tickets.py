from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from cases.models import Customer, EventKind, SLAPolicy, Status, Ticket
from tests.factories import CategoryFactory, CustomerFactory, make_ticket

from .helpers import bring_to, url

TICKET_FIELDS = {
    "id", "reference", "subject", "description", "status", "priority", "channel", "category",
    "level", "team", "assignee", "customer", "resolution", "version", "escalation_count",
    "reopen_count", "public_agent_replies", "allowed_actions", "tags", "created_at",
    "updated_at", "first_response_at", "resolved_at", "closed_at", "merged_into", "sla",
}  # fmt: skip


def new_ticket_body(**overrides):
    body = {
        "subject": "Cannot log in",
        "description": "The portal says my password expired.",
        "channel": "email",
        "customer": {"email": "lucia@example.com", "name": "Lucía Torres"},
    }
    return body | overrides


class TestRegisteringATicket:
    def test_a_registered_ticket_comes_back_201_with_the_contract_fields(
        self, as_ana, ana, team_n1, billing
    ):
        response = as_ana.post(
            url("ticket-list"),
            new_ticket_body(category=billing.pk, team=team_n1.pk, priority="high"),
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert set(body) == TICKET_FIELDS
        ticket = Ticket.objects.get(pk=body["id"])
        assert body["reference"] == ticket.reference == f"PUL-{ticket.pk:06d}"
        assert (body["status"], body["priority"], body["channel"]) == ("new", "high", "email")
        assert (body["category"], body["team"], body["assignee"], body["level"]) == (
            billing.pk, team_n1.pk, None, 1,
        )  # fmt: skip
        assert body["customer"] == {
            "id": ticket.customer_id, "name": "Lucía Torres", "email": "lucia@example.com",
            "phone": "", "company": "", "language": "es",
        }  # fmt: skip
        assert body["first_response_at"] is None and body["resolved_at"] is None
        assert body["version"] == 1
        assert "reply" in body["allowed_actions"] and "close" not in body["allowed_actions"]
        assert ticket.events.get().kind == EventKind.CREATED
        assert ticket.events.get().actor == ana
        assert body["sla"] == {
            "policy": None, "first_response_due_at": None, "resolution_due_at": None,
            "first_response_breached_at": None, "resolution_breached_at": None, "paused": False,
        }  # fmt: skip

    def test_a_ticket_under_an_sla_policy_shows_its_clocks(self, as_ana, team_n1):
        policy = SLAPolicy.objects.create(
            name="High", priority="high", first_response_minutes=60, resolution_minutes=480
        )
        response = as_ana.post(
            url("ticket-list"), new_ticket_body(team=team_n1.pk, priority="high"), format="json"
        )
        assert response.status_code == 201, response.json()
        sla = response.json()["sla"]
        ticket = Ticket.objects.get(pk=response.json()["id"])
        assert sla["policy"] == policy.pk
        due = datetime.fromisoformat(sla["first_response_due_at"])
        assert due == ticket.created_at + timedelta(hours=1)  # no calendar: around the clock
        assert sla["paused"] is False and sla["first_response_breached_at"] is None

    def test_an_existing_customer_is_found_by_email_in_any_case(self, as_ana, team_n1, customer):
        response = as_ana.post(
            url("ticket-list"),
            new_ticket_body(customer={"email": "LUCIA@example.com", "name": "Someone else"}),
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["customer"]["id"] == customer.pk
        assert Customer.objects.count() == 1
        assert Customer.objects.get().name == "Lucía Torres"

    def test_a_customer_without_email_needs_a_name(self, as_ana, team_n1):
        response = as_ana.post(
            url("ticket-list"), new_ticket_body(customer={"phone": "555-0101"}), format="json"
        )
        assert response.status_code == 400
        assert "email" in response.json()["customer"]
        assert not Customer.objects.exists()

    def test_a_ticket_can_be_assigned_when_registered(self, as_ana, bruno, team_n1):
        response = as_ana.post(
            url("ticket-list"),
            new_ticket_body(team=team_n1.pk, assignee=bruno.pk),
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["assignee"] == bruno.pk

    def test_a_refused_ticket_leaves_no_customer_behind(self, as_ana, carla, team_n1):
        # Carla is not in Soporte N1: the service refuses the assignee.
        response = as_ana.post(
            url("ticket-list"),
            new_ticket_body(team=team_n1.pk, assignee=carla.pk),
            format="json",
        )
        assert response.status_code == 400
        assert "assignee" in response.json()
        assert not Customer.objects.exists() and not Ticket.objects.exists()

    @pytest.mark.parametrize("field", ["status", "level", "version", "first_response_at"])
    def test_read_only_fields_are_refused_not_ignored(self, as_ana, team_n1, field):
        response = as_ana.post(url("ticket-list"), new_ticket_body(**{field: "x"}), format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert not Ticket.objects.exists()

    def test_markup_is_stored_verbatim_and_returned_as_json_data(self, as_ana, team_n1):
        payload = "<img src=x onerror=alert(1)>"
        response = as_ana.post(
            url("ticket-list"),
            new_ticket_body(
                subject=payload,
                description=payload,
                customer={"email": "x@example.com", "name": payload},
            ),
            format="json",
        )
        assert response.status_code == 201
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["subject"] == payload
        assert response.json()["customer"]["name"] == payload
        assert Ticket.objects.get().subject == payload
        detail = as_ana.get(url("ticket-detail", response.json()["id"]))
        assert detail.headers["Content-Type"] == "application/json"
        assert detail.json()["description"] == payload


class TestListingTickets:
    def test_the_list_is_paginated_with_count_next_previous_results(self, as_ana, ana, team_n1):
        for _ in range(3):
            make_ticket(by=ana, team=team_n1)
        response = as_ana.get(url("ticket-list"), {"page_size": 2})
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert body["count"] == 3 and len(body["results"]) == 2
        assert body["previous"] is None and "page=2" in body["next"]
        second = as_ana.get(body["next"]).json()
        assert len(second["results"]) == 1 and second["next"] is None

    def test_the_newest_ticket_comes_first(self, as_ana, ana, team_n1):
        older = make_ticket(by=ana, team=team_n1, at=timezone.now() - timedelta(days=1))
        newer = make_ticket(by=ana, team=team_n1)
        ids = [t["id"] for t in as_ana.get(url("ticket-list")).json()["results"]]
        assert ids == [newer.pk, older.pk]

    def test_ordering_can_be_asked_for(self, as_ana, ana, team_n1):
        older = make_ticket(by=ana, team=team_n1, at=timezone.now() - timedelta(days=1))
        newer = make_ticket(by=ana, team=team_n1)
        response = as_ana.get(url("ticket-list"), {"ordering": "created_at"})
        assert [t["id"] for t in response.json()["results"]] == [older.pk, newer.pk]

    def test_an_agent_lists_their_teams_tickets_and_those_assigned_to_them(
        self, as_ana, ana, bruno, carla, team_n1, team_n2
    ):
        ours = make_ticket(by=ana, team=team_n1)
        theirs = make_ticket(by=carla, team=team_n2)
        # Assigned to Ana while she was in N2 too; she keeps seeing it after leaving N2.
        team_n2.members.add(ana)
        held = make_ticket(by=carla, team=team_n2, assignee=ana)
        team_n2.members.remove(ana)
        ids = {t["id"] for t in as_ana.get(url("ticket-list")).json()["results"]}
        assert ids == {ours.pk, held.pk}
        assert theirs.pk not in ids

    def test_a_manager_lists_every_ticket(self, as_marta, ana, carla, team_n1, team_n2):
        make_ticket(by=ana, team=team_n1)
        make_ticket(by=carla, team=team_n2)
        assert as_marta.get(url("ticket-list")).json()["count"] == 2

    def test_the_list_costs_a_fixed_number_of_queries(
        self, as_marta, ana, team_n1, billing, django_assert_max_num_queries
    ):
        for _ in range(10):
            make_ticket(by=ana, team=team_n1, category=billing, assignee=ana)
        # auth token, user, groups, count, page — not one per ticket.
        with django_assert_max_num_queries(6):
            response = as_marta.get(url("ticket-list"))
        assert len(response.json()["results"]) == 10


class TestFilteringTickets:
    @pytest.fixture
    def tickets(self, ana, bruno, carla, team_n1, team_n2, billing):
        """Four tickets differing in every filtered field."""
        lucia = CustomerFactory(name="Lucía", email="lucia@example.com")
        return {
            "phone": make_ticket(by=ana, team=team_n1, customer=lucia, subject="Printer jam",
                                 at=timezone.now() - timedelta(days=10)),
            "chat": bring_to(
                make_ticket(by=ana, team=team_n1, channel="chat", priority="urgent",
                            category=billing, assignee=bruno, subject="Invoice twice",
                            description="Charged twice for March."),
                Status.OPEN, by=ana,
            ),
            "email": bring_to(make_ticket(by=ana, team=team_n1, channel="email",
                                          subject="Refund"), Status.RESOLVED, by=ana),
            "n2": make_ticket(by=carla, team=team_n2, priority="high", subject="Server down"),
        }  # fmt: skip

    def ids(self, client, **params):
        response = client.get(url("ticket-list"), params)
        assert response.status_code == 200, response.json()
        return {t["id"] for t in response.json()["results"]}

    def test_by_status_one_or_several(self, as_marta, tickets):
        assert self.ids(as_marta, status="open") == {tickets["chat"].pk}
        assert self.ids(as_marta, status=["new", "resolved"]) == {
            tickets["phone"].pk, tickets["email"].pk, tickets["n2"].pk,
        }  # fmt: skip

    def test_by_priority_channel_and_category(self, as_marta, tickets, billing):
        assert self.ids(as_marta, priority="urgent") == {tickets["chat"].pk}
        assert self.ids(as_marta, channel="email") == {tickets["email"].pk}
        assert self.ids(as_marta, category=billing.pk) == {tickets["chat"].pk}

    def test_by_team_level_and_assignee(self, as_marta, tickets, team_n2, bruno):
        assert self.ids(as_marta, team=team_n2.pk) == {tickets["n2"].pk}
        assert self.ids(as_marta, level=2) == {tickets["n2"].pk}
        assert self.ids(as_marta, assignee=bruno.pk) == {tickets["chat"].pk}
        assert tickets["chat"].pk not in self.ids(as_marta, unassigned="true")

    def test_by_creation_time(self, as_marta, tickets):
        cutoff = (timezone.now() - timedelta(days=5)).isoformat()
        assert self.ids(as_marta, created_before=cutoff) == {tickets["phone"].pk}
        assert tickets["phone"].pk not in self.ids(as_marta, created_after=cutoff)
        assert len(self.ids(as_marta, created_after=cutoff)) == 3

    def test_a_date_without_time_is_accepted(self, as_marta, tickets):
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        assert len(self.ids(as_marta, created_before=tomorrow)) == 4

    def test_filters_combine(self, as_marta, tickets, team_n1):
        assert self.ids(as_marta, team=team_n1.pk, status="new") == {tickets["phone"].pk}

    def test_filters_apply_within_what_the_caller_sees(self, as_ana, tickets, team_n2):
        assert self.ids(as_ana, team=team_n2.pk) == set()

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "bogus"},
            {"level": "abc"},
            {"level": "9"},
            {"team": "abc"},
            {"team": "999999"},
            {"category": "1.5"},
            {"assignee": "99999999999999999999999999"},
            {"created_after": "yesterday"},
            {"ordering": "password"},
        ],
    )
    def test_a_malformed_filter_is_a_400_naming_the_parameter(self, as_marta, tickets, params):
        response = as_marta.get(url("ticket-list"), params)
        assert response.status_code == 400
        assert set(response.json()) == set(params)


class TestSearchingTickets:
    @pytest.fixture
    def tickets(self, ana, team_n1):
        lucia = CustomerFactory(email="lucia@example.com")
        return [
            make_ticket(by=ana, team=team_n1, subject="Printer jam", customer=lucia),
            make_ticket(by=ana, team=team_n1, subject="Invoice", description="Printed twice"),
            make_ticket(by=ana, team=team_n1, subject="Wi-Fi drops"),
        ]

    def found(self, client, text):
        response = client.get(url("ticket-list"), {"search": text})
        return [t["id"] for t in response.json()["results"]]

    def test_by_full_reference(self, as_ana, tickets):
        assert self.found(as_ana, tickets[2].reference) == [tickets[2].pk]
        assert self.found(as_ana, tickets[2].reference.lower()) == [tickets[2].pk]

    def test_by_bare_number(self, as_ana, tickets):
        assert tickets[1].pk in self.found(as_ana, str(tickets[1].pk))

    def test_by_subject_description_and_customer_email(self, as_ana, tickets):
        assert set(self.found(as_ana, "print")) == {tickets[0].pk, tickets[1].pk}
        assert self.found(as_ana, "LUCIA@") == [tickets[0].pk]

    def test_nothing_found_is_an_empty_page(self, as_ana, tickets):
        assert self.found(as_ana, "nothing like this") == []

    def test_search_never_reveals_invisible_tickets(self, as_carla, tickets):
        assert self.found(as_carla, tickets[0].reference) == []


class TestReadingATicket:
    def test_the_detail_has_the_contract_fields(self, as_ana, ticket):
        response = as_ana.get(url("ticket-detail", ticket.pk))
        assert response.status_code == 200
        assert set(response.json()) == TICKET_FIELDS
        assert response.json()["reference"] == ticket.reference

    def test_an_unknown_id_is_404(self, as_marta, db):
        assert as_marta.get(url("ticket-detail", 424242)).status_code == 404

    def test_a_huge_id_is_404_not_500(self, as_marta, db):
        assert as_marta.get(f"/api/v1/tickets/{10**30}/").status_code == 404

    def test_an_agent_of_another_team_gets_404(self, as_carla, ticket):
        response = as_carla.get(url("ticket-detail", ticket.pk))
        assert response.status_code == 404


class TestClassifying:
    def test_patch_classifies_and_writes_a_classified_event(self, as_ana, ana, ticket, billing):
        response = as_ana.patch(
            url("ticket-detail", ticket.pk),
            {"subject": "Printer offline", "category": billing.pk, "priority": "urgent",
             "channel": "email"},
            format="json",
        )  # fmt: skip
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["subject"], body["category"], body["priority"], body["channel"]) == (
            "Printer offline", billing.pk, "urgent", "email",
        )  # fmt: skip
        assert body["version"] == ticket.version + 1
        event = ticket.events.get(kind=EventKind.CLASSIFIED)
        assert event.actor == ana
        assert event.data["changes"]["priority"] == ["normal", "urgent"]

    def test_a_partial_patch_changes_only_what_it_names(self, as_ana, ticket):
        response = as_ana.patch(url("ticket-detail", ticket.pk), {"priority": "low"}, format="json")
        assert response.json()["subject"] == ticket.subject
        assert response.json()["priority"] == "low"

    def test_category_can_be_cleared_with_null(self, as_ana, ana, team_n1, billing):
        ticket = make_ticket(by=ana, team=team_n1, category=billing)
        response = as_ana.patch(url("ticket-detail", ticket.pk), {"category": None}, format="json")
        assert response.status_code == 200 and response.json()["category"] is None

    def test_a_patch_that_changes_nothing_writes_no_event(self, as_ana, ticket):
        response = as_ana.patch(
            url("ticket-detail", ticket.pk), {"priority": "normal"}, format="json"
        )
        assert response.status_code == 200
        assert not ticket.events.filter(kind=EventKind.CLASSIFIED).exists()

    @pytest.mark.parametrize(
        ("field", "hint"),
        [("status", "actions"), ("assignee", "assign"),
         ("level", "escalate"), ("resolved_at", "cannot be set")],
    )  # fmt: skip
    def test_fields_that_change_elsewhere_are_refused_with_a_hint(
        self, as_ana, ticket, field, hint
    ):
        response = as_ana.patch(url("ticket-detail", ticket.pk), {field: "resolved"}, format="json")
        assert response.status_code == 400
        assert hint in response.json()[field][0]
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW and ticket.version == 1

    def test_a_closed_ticket_cannot_be_classified(self, as_ana, ana, ticket):
        ticket = bring_to(ticket, Status.CLOSED, by=ana)
        response = as_ana.patch(
            url("ticket-detail", ticket.pk), {"priority": "high"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["status"] == "closed"

    def test_a_stale_version_is_409(self, as_ana, ticket):
        response = as_ana.patch(
            url("ticket-detail", ticket.pk), {"priority": "high", "version": 7}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["status"] == "new"
        ticket.refresh_from_db()
        assert ticket.priority == "normal"

    def test_an_inactive_category_is_refused_by_the_service(self, as_ana, ticket):
        old = CategoryFactory(name="Legacy", is_active=False)
        response = as_ana.patch(
            url("ticket-detail", ticket.pk), {"category": old.pk}, format="json"
        )
        assert response.status_code == 400
        assert "category" in response.json()
