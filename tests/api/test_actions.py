import pytest

from cases.models import EventKind, Reply, Status
from tests.factories import make_ticket

from .helpers import bring_to, url


def post(client, ticket, action, body=None):
    return client.post(url(f"ticket-{action}", ticket.pk), body or {}, format="json")


class TestAssigning:
    def test_assigning_to_a_team_mate(self, as_ana, ana, bruno, ticket):
        response = post(as_ana, ticket, "assign", {"assignee": bruno.pk})
        assert response.status_code == 200
        assert response.json()["assignee"] == bruno.pk
        event = ticket.events.get(kind=EventKind.ASSIGNED)
        assert event.actor == ana and event.data["assignee_id"] == bruno.pk

    def test_null_unassigns(self, as_ana, ana, bruno, ticket):
        post(as_ana, ticket, "assign", {"assignee": bruno.pk})
        response = post(as_ana, ticket, "assign", {"assignee": None})
        assert response.status_code == 200 and response.json()["assignee"] is None

    def test_auto_picks_the_least_loaded_agent_of_the_team(
        self, as_ana, ana, bruno, team_n1, ticket
    ):
        make_ticket(by=ana, team=team_n1, assignee=ana)  # Ana carries one ticket, Bruno none
        response = post(as_ana, ticket, "assign", {"auto": True})
        assert response.status_code == 200
        assert response.json()["assignee"] == bruno.pk
        assert ticket.events.get(kind=EventKind.ASSIGNED).data["auto"] is True

    def test_an_agent_of_another_team_is_refused_as_a_field_error(self, as_ana, carla, ticket):
        response = post(as_ana, ticket, "assign", {"assignee": carla.pk})
        assert response.status_code == 400
        assert "not a member" in response.json()["assignee"][0]
        ticket.refresh_from_db()
        assert ticket.assignee is None

    def test_an_empty_body_says_what_is_missing(self, as_ana, ticket):
        response = post(as_ana, ticket, "assign")
        assert response.status_code == 400 and "assignee" in response.json()

    def test_assignee_and_auto_together_are_refused(self, as_ana, bruno, ticket):
        response = post(as_ana, ticket, "assign", {"assignee": bruno.pk, "auto": True})
        assert response.status_code == 400 and "auto" in response.json()

    def test_a_closed_ticket_cannot_be_assigned(self, as_ana, ana, bruno, ticket):
        ticket = bring_to(ticket, Status.CLOSED, by=ana)
        response = post(as_ana, ticket, "assign", {"assignee": bruno.pk})
        assert response.status_code == 409
        assert response.json()["status"] == "closed"


class TestReplies:
    def test_a_public_reply_is_201_and_opens_a_new_ticket(self, as_ana, ana, ticket):
        response = post(as_ana, ticket, "replies", {"body": "We are on it."})
        assert response.status_code == 201
        reply = Reply.objects.get()
        assert response.json() == {
            "id": reply.pk, "ticket": ticket.pk, "author": {"id": ana.pk, "name": "Ana Pérez"},
            "body": "We are on it.", "public": True, "by_customer": False,
            "created_at": response.json()["created_at"], "attachments": [],
        }  # fmt: skip
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN and ticket.first_response_at is not None

    def test_an_internal_note_leaves_the_status_alone(self, as_ana, ticket):
        response = post(as_ana, ticket, "replies", {"body": "Call back at 5.", "public": False})
        assert response.status_code == 201 and response.json()["public"] is False
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW and ticket.public_agent_replies == 0
        assert ticket.events.filter(kind=EventKind.NOTE).exists()

    def test_the_reply_list_includes_notes_and_customer_messages(self, as_ana, ticket):
        from cases.services import add_customer_reply

        post(as_ana, ticket, "replies", {"body": "Public"})
        post(as_ana, ticket, "replies", {"body": "Note", "public": False})
        add_customer_reply(ticket=ticket, body="Thanks")
        response = as_ana.get(url("ticket-replies", ticket.pk))
        assert response.status_code == 200
        assert [(r["body"], r["public"], r["by_customer"]) for r in response.json()] == [
            ("Public", True, False), ("Note", False, False), ("Thanks", True, True),
        ]  # fmt: skip
        assert response.json()[2]["author"] is None

    def test_a_public_reply_on_a_resolved_ticket_is_refused(self, as_ana, ana, ticket):
        ticket = bring_to(ticket, Status.RESOLVED, by=ana)
        response = post(as_ana, ticket, "replies", {"body": "One more thing"})
        assert response.status_code == 409
        assert response.json()["status"] == "resolved"
        assert ticket.replies.count() == 1

    def test_an_empty_body_is_a_field_error(self, as_ana, ticket):
        for body in ({}, {"body": ""}, {"body": None}):
            response = post(as_ana, ticket, "replies", body)
            assert response.status_code == 400 and "body" in response.json()
        assert not ticket.replies.exists()

    def test_a_whitespace_body_is_refused_by_the_service(self, as_ana, ticket):
        response = post(as_ana, ticket, "replies", {"body": "   "})
        assert response.status_code == 400 and "body" in response.json()


class TestEscalating:
    def test_escalation_raises_the_level_and_can_hand_over_the_team(
        self, as_ana, ana, ticket, team_n2
    ):
        response = post(as_ana, ticket, "escalate", {"reason": "Needs N2", "team": team_n2.pk})
        assert response.status_code == 200
        body = response.json()
        assert (body["level"], body["team"], body["escalation_count"]) == (2, team_n2.pk, 1)
        event = ticket.events.get(kind=EventKind.ESCALATED)
        assert event.data["reason"] == "Needs N2" and event.actor == ana

    def test_escalation_needs_a_reason(self, as_ana, ticket):
        response = post(as_ana, ticket, "escalate", {})
        assert response.status_code == 400 and "reason" in response.json()

    def test_a_resolved_ticket_cannot_be_escalated(self, as_ana, ana, ticket):
        ticket = bring_to(ticket, Status.RESOLVED, by=ana)
        response = post(as_ana, ticket, "escalate", {"reason": "Late"})
        assert response.status_code == 409 and response.json()["status"] == "resolved"

    def test_beyond_level_three_is_a_400(self, as_marta, ticket):
        post(as_marta, ticket, "escalate", {"reason": "one"})
        post(as_marta, ticket, "escalate", {"reason": "two"})
        response = post(as_marta, ticket, "escalate", {"reason": "three"})
        assert response.status_code == 400 and "level" in response.json()


class TestStatusActions:
    @pytest.mark.parametrize(
        ("action", "start", "body", "end", "event"),
        [
            ("pending", Status.OPEN, {}, Status.PENDING, EventKind.PENDING),
            ("resume", Status.PENDING, {}, Status.OPEN, EventKind.RESUMED),
            ("resolve", Status.OPEN, {"resolution": "Reset it"}, Status.RESOLVED,
             EventKind.RESOLVED),
            ("resolve", Status.PENDING, {"resolution": "Reset it"}, Status.RESOLVED,
             EventKind.RESOLVED),
            ("reopen", Status.RESOLVED, {"reason": "Broke again"}, Status.OPEN,
             EventKind.REOPENED),
            ("reopen", Status.RESOLVED, {}, Status.OPEN, EventKind.REOPENED),
            ("close", Status.RESOLVED, {}, Status.CLOSED, EventKind.CLOSED),
        ],
    )  # fmt: skip
    def test_the_happy_path(self, as_ana, ana, ticket, action, start, body, end, event):
        ticket = bring_to(ticket, start, by=ana)
        response = post(as_ana, ticket, action, body)
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == end
        assert response.json()["version"] == ticket.version + 1
        assert ticket.events.filter(kind=event, actor=ana).exists()

    @pytest.mark.parametrize(
        ("action", "start", "body"),
        [
            ("pending", Status.NEW, {}),
            ("pending", Status.RESOLVED, {}),
            ("resume", Status.OPEN, {}),
            ("resolve", Status.NEW, {"resolution": "x"}),
            ("resolve", Status.CLOSED, {"resolution": "x"}),
            ("reopen", Status.OPEN, {}),
            ("reopen", Status.CLOSED, {}),
            ("close", Status.OPEN, {}),
            ("close", Status.CLOSED, {}),
        ],
    )
    def test_the_lifecycle_refuses_with_409_and_the_current_status(
        self, as_ana, ana, ticket, action, start, body
    ):
        ticket = bring_to(ticket, start, by=ana)
        events = ticket.events.count()
        response = post(as_ana, ticket, action, body)
        assert response.status_code == 409
        assert response.json()["status"] == start
        assert "cannot be" in response.json()["detail"]
        assert ticket.events.count() == events

    def test_resolve_needs_a_resolution(self, as_ana, ana, ticket):
        ticket = bring_to(ticket, Status.OPEN, by=ana)
        response = post(as_ana, ticket, "resolve", {})
        assert response.status_code == 400 and "resolution" in response.json()

    def test_allowed_actions_follow_the_status(self, as_ana, ana, ticket):
        ticket = bring_to(ticket, Status.RESOLVED, by=ana)
        allowed = as_ana.get(url("ticket-detail", ticket.pk)).json()["allowed_actions"]
        assert {"reopen", "close"} <= set(allowed)
        assert "resolve" not in allowed


class TestVersions:
    @pytest.mark.parametrize(
        ("action", "start", "body"),
        [
            ("assign", Status.NEW, {"auto": True}),
            ("replies", Status.NEW, {"body": "Hi"}),
            ("escalate", Status.NEW, {"reason": "Hard"}),
            ("pending", Status.OPEN, {}),
            ("resume", Status.PENDING, {}),
            ("resolve", Status.OPEN, {"resolution": "Done"}),
            ("reopen", Status.RESOLVED, {}),
            ("close", Status.RESOLVED, {}),
        ],
    )
    def test_a_stale_version_is_409_and_writes_nothing(
        self, as_ana, ana, ticket, action, start, body
    ):
        ticket = bring_to(ticket, start, by=ana)
        events = ticket.events.count()
        response = post(as_ana, ticket, action, body | {"version": ticket.version - 1 or 99})
        assert response.status_code == 409
        assert response.json()["status"] == start
        assert "changed" in response.json()["detail"]
        assert ticket.events.count() == events

    def test_the_current_version_goes_through(self, as_ana, ana, ticket):
        ticket = bring_to(ticket, Status.OPEN, by=ana)
        response = post(as_ana, ticket, "pending", {"version": ticket.version})
        assert response.status_code == 200


class TestTimeline:
    def test_events_list_the_history_oldest_first_with_actors(self, as_ana, ana, ticket):
        post(as_ana, ticket, "replies", {"body": "Hello"})
        response = as_ana.get(url("ticket-events", ticket.pk))
        assert response.status_code == 200
        events = response.json()
        assert [e["kind"] for e in events] == ["created", "replied"]
        assert set(events[0]) == {"id", "kind", "actor", "data", "at"}
        assert events[0]["actor"] == {"id": ana.pk, "name": "Ana Pérez"}
        assert events[1]["data"]["to"] == "open"

    def test_events_by_the_customer_have_no_actor(self, as_ana, customer, team_n1):
        ticket = make_ticket(by=None, customer=customer, team=team_n1)
        assert as_ana.get(url("ticket-events", ticket.pk)).json()[0]["actor"] is None
