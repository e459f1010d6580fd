from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.errors import ConflictError, PermissionDenied, ValidationError
from cases.models import (
    Channel,
    Customer,
    EventKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from cases.signals import ticket_resolved
from tests.factories import AgentFactory, CategoryFactory, UserFactory, make_ticket

from .lifecycle_helpers import bring_to


def kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


class TestRegistering:
    def test_a_registered_ticket_starts_new_at_the_teams_level(self, ana, team_n2, customer):
        ticket = make_ticket(by=ana, customer=customer, team=team_n2, priority=Priority.HIGH)
        assert (ticket.status, ticket.level, ticket.team) == (Status.NEW, 2, team_n2)
        assert ticket.reference == f"PUL-{ticket.pk:06d}"
        event = ticket.events.get()
        assert event.kind == EventKind.CREATED and event.actor == ana

    def test_without_a_team_the_categorys_default_team_takes_it(self, ana, team_n1, team_n2):
        category = CategoryFactory(name="Network", default_team=team_n2)
        ticket = make_ticket(by=ana, category=category)
        assert ticket.team == team_n2

    def test_without_team_or_category_the_first_level_one_team_takes_it(
        self, ana, team_n2, team_n1
    ):
        assert make_ticket(by=ana).team == team_n1

    def test_an_empty_subject_is_refused_and_nothing_is_written(self, ana, customer):
        with pytest.raises(ValidationError) as error:
            make_ticket(by=ana, customer=customer, subject="   ")
        assert error.value.field == "subject"
        assert not Ticket.objects.exists()

    def test_an_unknown_channel_is_refused(self, ana, customer):
        with pytest.raises(ValidationError):
            make_ticket(by=ana, customer=customer, channel="pigeon")

    def test_auto_assign_at_registration_picks_the_least_loaded_agent(self, ana, bruno, team_n1):
        make_ticket(by=ana, team=team_n1, assignee=ana)
        ticket = make_ticket(by=ana, team=team_n1, auto_assign=True)
        assert ticket.assignee == bruno
        assert kinds(ticket) == [EventKind.CREATED, EventKind.ASSIGNED]

    def test_a_user_without_a_role_cannot_register(self, customer, team_n1):
        with pytest.raises(PermissionDenied):
            make_ticket(by=UserFactory(username="visitor"), customer=customer)


class TestReplies:
    def test_the_first_public_agent_reply_sets_first_response_and_opens(self, ticket, ana):
        services.add_reply(ticket=ticket, by=ana, body="Hello!")
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        assert ticket.first_response_at is not None
        assert ticket.public_agent_replies == 1

    def test_an_internal_note_is_not_a_first_response(self, ticket, ana):
        services.add_reply(ticket=ticket, by=ana, body="Customer is VIP", public=False)
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW
        assert ticket.first_response_at is None
        assert ticket.public_agent_replies == 0

    def test_later_replies_keep_the_first_response_time(self, ticket, ana):
        first = timezone.now() - timedelta(hours=2)
        services.add_reply(ticket=ticket, by=ana, body="One", at=first)
        services.add_reply(ticket=ticket, by=ana, body="Two")
        ticket.refresh_from_db()
        assert ticket.first_response_at == first
        assert ticket.public_agent_replies == 2

    def test_a_customer_reply_on_a_pending_ticket_reopens_the_conversation(self, ticket, ana):
        ticket = bring_to(ticket, Status.PENDING, by=ana)
        services.add_customer_reply(ticket=ticket, body="Here is the photo")
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        assert ticket.reopen_count == 0

    def test_a_customer_reply_to_a_resolved_ticket_reopens_it(self, ticket, ana):
        ticket = bring_to(ticket, Status.RESOLVED, by=ana)
        services.add_customer_reply(ticket=ticket, body="It broke again")
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        assert ticket.reopen_count == 1
        lifecycle_kinds = [k for k in kinds(ticket) if not k.startswith("survey_")]
        assert lifecycle_kinds[-2:] == [EventKind.CUSTOMER_REPLIED, EventKind.REOPENED]

    def test_an_empty_message_is_refused(self, ticket, ana):
        with pytest.raises(ValidationError):
            services.add_reply(ticket=ticket, by=ana, body="  \n ")
        assert not ticket.replies.exists()


class TestAssigning:
    def test_assigning_records_who_and_from_whom(self, ticket, ana, bruno):
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
        services.assign_ticket(ticket=ticket, by=ana, assignee=bruno)
        event = ticket.events.filter(kind=EventKind.ASSIGNED).last()
        assert event.data["previous"] == ana.display_name
        assert event.data["assignee_id"] == bruno.pk
        assert Ticket.objects.get(pk=ticket.pk).assignee == bruno

    def test_assigning_to_the_same_agent_again_writes_nothing(self, ticket, ana):
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
        count = ticket.events.count()
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
        assert ticket.events.count() == count

    def test_an_agent_outside_the_team_cannot_be_assigned(self, ticket, ana, carla):
        with pytest.raises(ValidationError) as error:
            services.assign_ticket(ticket=ticket, by=ana, assignee=carla)
        assert error.value.field == "assignee"
        assert Ticket.objects.get(pk=ticket.pk).assignee is None

    def test_an_inactive_agent_cannot_be_assigned(self, ticket, ana, team_n1):
        gone = AgentFactory(username="gone", is_active=False, teams=[team_n1])
        with pytest.raises(ValidationError):
            services.assign_ticket(ticket=ticket, by=ana, assignee=gone)

    def test_unassigning(self, ticket, ana):
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
        services.assign_ticket(ticket=ticket, by=ana, assignee=None)
        assert Ticket.objects.get(pk=ticket.pk).assignee is None

    def test_auto_assign_picks_the_agent_with_fewest_active_tickets(
        self, ticket, ana, bruno, team_n1
    ):
        for _ in range(2):
            make_ticket(by=ana, team=team_n1, assignee=bruno)
        make_ticket(by=ana, team=team_n1, assignee=ana)
        services.auto_assign_ticket(ticket=ticket, by=ana)
        assert Ticket.objects.get(pk=ticket.pk).assignee == ana

    def test_resolved_tickets_do_not_count_as_load(self, ticket, ana, bruno, team_n1):
        for _ in range(3):
            done = make_ticket(by=ana, team=team_n1, assignee=bruno)
            bring_to(done, Status.RESOLVED, by=bruno)
        make_ticket(by=ana, team=team_n1, assignee=ana)
        services.auto_assign_ticket(ticket=ticket, by=ana)
        assert Ticket.objects.get(pk=ticket.pk).assignee == bruno


class TestEscalating:
    def test_escalation_raises_the_level_and_can_move_the_team(self, ticket, ana, team_n2):
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
        services.escalate_ticket(ticket=ticket, by=ana, reason="Router config", team=team_n2)
        ticket.refresh_from_db()
        assert (ticket.level, ticket.team, ticket.escalation_count) == (2, team_n2, 1)
        assert ticket.assignee is None, "Ana is not in Soporte N2"
        event = ticket.events.get(kind=EventKind.ESCALATED)
        assert event.data["from_level"] == 1 and event.data["to_level"] == 2
        assert event.data["reason"] == "Router config"
        assert event.data["to_team"] == "Soporte N2"

    def test_escalation_within_the_team_keeps_the_assignee(self, ticket, ana):
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
        services.escalate_ticket(ticket=ticket, by=ana, reason="Senior look")
        ticket.refresh_from_db()
        assert (ticket.level, ticket.assignee) == (2, ana)

    def test_a_reason_is_required(self, ticket, ana):
        with pytest.raises(ValidationError) as error:
            services.escalate_ticket(ticket=ticket, by=ana, reason=" ")
        assert error.value.field == "reason"
        assert Ticket.objects.get(pk=ticket.pk).level == 1

    def test_level_three_is_the_ceiling(self, ticket, marta):
        services.escalate_ticket(ticket=ticket, by=marta, reason="a")
        services.escalate_ticket(ticket=ticket, by=marta, reason="b")
        with pytest.raises(ValidationError):
            services.escalate_ticket(ticket=ticket, by=marta, reason="c")
        ticket.refresh_from_db()
        assert (ticket.level, ticket.escalation_count) == (3, 2)


class TestResolving:
    def test_resolving_records_time_text_and_event(self, ticket, ana):
        ticket = bring_to(ticket, Status.OPEN, by=ana)
        services.resolve_ticket(ticket=ticket, by=ana, resolution="Reset the router")
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED and ticket.resolved_at is not None
        assert ticket.resolution == "Reset the router"

    def test_a_resolution_text_is_required(self, ticket, ana):
        ticket = bring_to(ticket, Status.OPEN, by=ana)
        with pytest.raises(ValidationError):
            services.resolve_ticket(ticket=ticket, by=ana, resolution="")
        assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN

    def test_ticket_resolved_is_sent_inside_the_resolving_transaction(self, ticket, ana):
        ticket = bring_to(ticket, Status.OPEN, by=ana)
        seen = []

        def receiver(sender, ticket, by, at, **kwargs):
            seen.append((ticket.pk, by, transaction.get_connection().in_atomic_block))

        ticket_resolved.connect(receiver)
        try:
            services.resolve_ticket(ticket=ticket, by=ana, resolution="ok")
        finally:
            ticket_resolved.disconnect(receiver)
        assert seen == [(ticket.pk, ana, True)]

    def test_a_failing_receiver_rolls_the_resolution_back(self, ticket, ana):
        ticket = bring_to(ticket, Status.OPEN, by=ana)

        def broken(**kwargs):
            raise RuntimeError("survey outbox unavailable")

        ticket_resolved.connect(broken)
        try:
            with pytest.raises(RuntimeError):
                services.resolve_ticket(ticket=ticket, by=ana, resolution="ok")
        finally:
            ticket_resolved.disconnect(broken)
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN and ticket.resolved_at is None
        assert not ticket.events.filter(kind=EventKind.RESOLVED).exists()

    def test_reopening_counts_and_a_second_resolution_moves_resolved_at(self, ticket, ana):
        ticket = bring_to(ticket, Status.RESOLVED, by=ana)
        first = Ticket.objects.get(pk=ticket.pk).resolved_at
        services.reopen_ticket(ticket=ticket, by=ana, reason="Not fixed")
        later = first + timedelta(hours=3)
        services.resolve_ticket(ticket=ticket, by=ana, resolution="Now fixed", at=later)
        ticket.refresh_from_db()
        assert ticket.reopen_count == 1 and ticket.resolved_at == later

    def test_closing_sets_closed_at(self, ticket, ana):
        ticket = bring_to(ticket, Status.CLOSED, by=ana)
        assert ticket.closed_at is not None


class TestClassifying:
    def test_only_real_changes_are_recorded(self, ticket, ana, billing):
        services.classify_ticket(ticket=ticket, by=ana, priority=Priority.NORMAL)
        assert kinds(ticket) == [EventKind.CREATED]
        services.classify_ticket(
            ticket=ticket, by=ana, priority=Priority.HIGH, category=billing, channel=Channel.CHAT
        )
        event = ticket.events.get(kind=EventKind.CLASSIFIED)
        assert event.data["changes"] == {
            "priority": ["normal", "high"],
            "category": [None, "Billing"],
            "channel": ["phone", "chat"],
        }


class TestWhoMayAct:
    def test_an_agent_of_another_team_cannot_touch_the_ticket(self, ticket, carla):
        with pytest.raises(PermissionDenied):
            services.add_reply(ticket=ticket, by=carla, body="hi")
        assert not ticket.replies.exists()

    def test_the_assignee_may_act_even_outside_the_team(self, ticket, marta, carla, team_n2):
        services.escalate_ticket(ticket=ticket, by=marta, reason="x", team=team_n2)
        services.assign_ticket(ticket=ticket, by=marta, assignee=carla)
        services.add_reply(ticket=ticket, by=carla, body="Taking it")

    def test_a_manager_may_act_on_any_ticket(self, ticket, marta):
        services.add_reply(ticket=ticket, by=marta, body="hi")


class TestOptimisticConcurrency:
    def test_a_stale_version_is_a_conflict_and_changes_nothing(self, ticket, ana, bruno):
        seen = ticket.version
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana, expected_version=seen)
        with pytest.raises(ConflictError) as conflict:
            services.assign_ticket(ticket=ticket, by=bruno, assignee=bruno, expected_version=seen)
        assert conflict.value.status == Status.NEW
        assert Ticket.objects.get(pk=ticket.pk).assignee == ana


class TestCustomers:
    def test_customers_are_found_by_email_whatever_its_case(self, customer):
        again = services.find_or_create_customer(email="LUCIA@Example.com", name="Other")
        assert again == customer
        assert again.name == "Lucía Torres", "an existing name is not overwritten"

    def test_the_database_refuses_two_customers_with_the_same_email(self, customer):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError), transaction.atomic():
            Customer.objects.create(name="Copy", email="Lucia@EXAMPLE.com")

    def test_a_customer_cannot_churn_before_joining(self, customer):
        with pytest.raises(ValidationError):
            services.update_customer(
                customer=customer, by=None, churned_at=customer.active_since - timedelta(days=1)
            )


class TestSignals:
    def test_reopening_tells_receivers_whether_an_agent_or_the_customer_did_it(self, ticket, ana):
        from cases.signals import ticket_reopened

        seen = []

        def receiver(sender, ticket, by, at, replay, **kwargs):
            seen.append((by, replay))

        ticket_reopened.connect(receiver)
        try:
            ticket = bring_to(ticket, Status.RESOLVED, by=ana)
            services.reopen_ticket(ticket=ticket, by=ana)
            ticket = services.resolve_ticket(ticket=ticket, by=ana, resolution="again")
            services.add_customer_reply(ticket=ticket, body="Still broken")
        finally:
            ticket_reopened.disconnect(receiver)
        assert seen == [(ana, False), (None, False)]

    def test_replayed_history_is_flagged_to_receivers(self, ticket, ana):
        from cases.signals import replaying_history

        seen = []

        def receiver(sender, ticket, event, replay, **kwargs):
            seen.append((event.kind, replay))

        ticket_resolved.connect(receiver)
        try:
            ticket = bring_to(ticket, Status.OPEN, by=ana)
            with replaying_history():
                services.resolve_ticket(ticket=ticket, by=ana, resolution="in the past")
        finally:
            ticket_resolved.disconnect(receiver)
        assert seen == [(EventKind.RESOLVED, True)]

    def test_other_apps_append_facts_to_the_timeline_without_changing_the_ticket(self, ticket):
        version = ticket.version
        services.record_ticket_event(ticket=ticket, kind=EventKind.SURVEY_ANSWERED, csat=5)
        assert ticket.events.last().data == {"csat": 5}
        assert Ticket.objects.get(pk=ticket.pk).version == version
        with pytest.raises(ValidationError):
            services.record_ticket_event(ticket=ticket, kind="made_up")


def test_replayed_history_is_not_bound_by_todays_team_memberships(ticket, ana, team_n2):
    from cases.signals import replaying_history

    services.escalate_ticket(ticket=ticket, by=ana, reason="N2", team=team_n2)
    with pytest.raises(PermissionDenied):
        services.add_reply(ticket=ticket, by=ana, body="live: not my team any more")
    with replaying_history():
        services.add_reply(ticket=ticket, by=ana, body="history: it happened")
    assert ticket.replies.count() == 1
