"""`seed_bench --conversations`: the search benchmark's desk — what people write, about five
messages a ticket with their timeline events, every ticket searchable."""

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from cases.models import EventKind, Reply, Ticket, TicketEvent
from cases.selectors import ticket_search
from metrics.seed_text import RARE_WORDS

pytestmark = pytest.mark.django_db


def test_the_conversations_are_written_with_their_events_and_are_searchable(capsys):
    call_command("seed_bench", "--tickets", "300", "--conversations", "--quiet")

    assert "tickets 300" in capsys.readouterr().out
    replies = Reply.objects.count()
    assert 4 * 300 <= replies <= 6 * 300
    assert Reply.objects.filter(public=False, author__isnull=False).exists()  # notes
    assert Reply.objects.filter(author__isnull=True).exists()  # the customers' follow-ups
    assert not Reply.objects.filter(body__in=["Reply", ""]).exists()
    # One event per message, naming it.
    kinds = [EventKind.REPLIED, EventKind.NOTE, EventKind.CUSTOMER_REPLIED]
    assert TicketEvent.objects.filter(kind__in=kinds).count() == replies
    # Customers write while the case waits for its first answer: a new ticket stays new.
    follow_ups = TicketEvent.objects.filter(kind=EventKind.CUSTOMER_REPLIED).values_list(
        "data__reply_id", flat=True
    )
    assert follow_ups
    after_the_answer = Reply.objects.filter(
        pk__in=list(follow_ups), ticket__first_response_at__lt=F("created_at")
    )
    assert not after_the_answer.exists()
    # Every ticket is found by the words of its subject, accents or not.
    ticket = Ticket.objects.exclude(subject__startswith="Bench").order_by("pk").first()
    assert ticket is not None
    words = [word for word in ticket.subject.split() if len(word) > 4][:2]
    assert ticket in Ticket.objects.filter(ticket_search(" ".join(words)))


def test_the_default_seed_writes_no_conversation():
    call_command("seed_bench", "--tickets", "50", "--quiet")

    assert not Ticket.objects.exclude(subject__startswith="Bench case").exists()
    counted = Ticket.objects.annotate(notes=Count("replies", filter=Q(replies__public=False)))
    assert not counted.filter(notes__gt=0).exists()
    assert not Ticket.objects.filter(
        Q(description__icontains=RARE_WORDS[0]) | Q(replies__body__icontains=RARE_WORDS[0])
    ).exists()
