"""Every action against every status: the allowed ones move as the table says and write an
event; the refused ones raise TransitionError and write nothing."""

import pytest

from cases import lifecycle, services
from cases.errors import TransitionError
from cases.lifecycle import Action
from cases.models import Priority, Reply, Status, Ticket, TicketEvent, TicketFollower

from .lifecycle_helpers import a_twin_of, bring_to


def perform(action, ticket, *, by, other_agent):
    match action:
        case Action.CLASSIFY:
            return services.classify_ticket(ticket=ticket, by=by, priority=Priority.URGENT)
        case Action.TAG:
            return services.change_tags(ticket=ticket, by=by, add=["vip"])
        case Action.ASSIGN:
            return services.assign_ticket(ticket=ticket, by=by, assignee=other_agent)
        case Action.REPLY:
            return services.add_reply(ticket=ticket, by=by, body="More details", public=True)
        case Action.NOTE:
            return services.add_reply(ticket=ticket, by=by, body="Call back", public=False)
        case Action.CUSTOMER_REPLY:
            return services.add_customer_reply(ticket=ticket, body="Still broken")
        case Action.ESCALATE:
            return services.escalate_ticket(ticket=ticket, by=by, reason="Needs a technician")
        case Action.PENDING:
            return services.set_pending(ticket=ticket, by=by)
        case Action.RESUME:
            return services.resume_ticket(ticket=ticket, by=by)
        case Action.RESOLVE:
            return services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed")
        case Action.REOPEN:
            return services.reopen_ticket(ticket=ticket, by=by, reason="Came back")
        case Action.CLOSE:
            return services.close_ticket(ticket=ticket, by=by)
        case Action.FOLLOWER_REPLY:
            follower = TicketFollower.objects.get_or_create(
                ticket=ticket, email="jefe@empresa.example"
            )[0]
            return services.add_follower_reply(ticket=ticket, follower=follower, body="Autorizo")
        case Action.MERGE:
            return services.merge_tickets(source=ticket, target=a_twin_of(ticket, by=by), by=by)
    raise AssertionError(action)


CASES = [(action, status) for action in lifecycle.TRANSITIONS for status in Status.values]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_each_action_in_each_status_follows_the_transition_table(
    action, status, ticket, ana, bruno
):
    ticket = bring_to(ticket, status, by=ana)
    before_events = TicketEvent.objects.filter(ticket=ticket).count()
    before_replies = Reply.objects.filter(ticket=ticket).count()
    before = Ticket.objects.get(pk=ticket.pk)

    if action in (Action.CUSTOMER_REPLY, Action.FOLLOWER_REPLY) and status == Status.MERGED:
        # The customer's words go to the ticket it was merged into; this one stays as it is.
        reply = perform(action, before, by=ana, other_agent=bruno)
        assert reply.ticket_id == before.merged_into_id
        assert Ticket.objects.get(pk=ticket.pk).version == before.version
    elif lifecycle.is_allowed(action, status):
        perform(action, before, by=ana, other_agent=bruno)
        after = Ticket.objects.get(pk=ticket.pk)
        assert after.status == lifecycle.TRANSITIONS[action][status]
        assert TicketEvent.objects.filter(ticket=ticket).count() > before_events
        assert after.version > before.version
    else:
        with pytest.raises(TransitionError) as refused:
            perform(action, before, by=ana, other_agent=bruno)
        assert refused.value.status == status
        after = Ticket.objects.get(pk=ticket.pk)
        assert after.status == status
        assert after.version == before.version
        assert TicketEvent.objects.filter(ticket=ticket).count() == before_events
        assert Reply.objects.filter(ticket=ticket).count() == before_replies


def test_every_status_change_in_the_table_is_an_edge_of_the_status_graph():
    for moves in lifecycle.TRANSITIONS.values():
        for source, target in moves.items():
            assert source == target or (source, target) in lifecycle.STATUS_EDGES


def test_closed_is_final():
    assert lifecycle.allowed_actions(Status.CLOSED) == []


def test_resolving_a_new_ticket_is_refused(ticket, ana):
    with pytest.raises(TransitionError):
        services.resolve_ticket(ticket=ticket, by=ana, resolution="Done")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_a_new_ticket_can_only_become_open_or_be_merged_as_a_duplicate():
    reachable = {
        moves[Status.NEW] for moves in lifecycle.TRANSITIONS.values() if Status.NEW in moves
    }
    assert reachable == {Status.NEW, Status.OPEN, Status.MERGED}


def test_nothing_leaves_merged_and_a_closed_ticket_cannot_be_merged():
    assert not any(Status.MERGED in moves for moves in lifecycle.TRANSITIONS.values())
    assert Status.CLOSED not in lifecycle.TRANSITIONS[Action.MERGE]
