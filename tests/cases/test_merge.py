"""Merging a duplicate into the ticket that carries on: everything moves, the duplicate ends
merged, later mail and customer replies follow, surveys and KPIs count it once."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle, services
from cases.errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from cases.models import (
    Attachment,
    EventKind,
    NotificationKind,
    OutboundEmail,
    Reply,
    Status,
    Ticket,
    TicketEvent,
)
from cases.services.inbound import ingest_email
from cases.services.notifications import issue_access_token
from metrics import kpis, rollups
from surveys.models import InvitationStatus, SurveyInvitation
from tests.factories import CustomerFactory, make_ticket

from .lifecycle_helpers import bring_to
from .test_inbound_email import mail

pytestmark = pytest.mark.django_db


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def duplicate(ana, team_n1, customer):
    return make_ticket(
        by=ana,
        customer=customer,
        team=team_n1,
        subject="Printer still blinking",
        description="Same problem as yesterday: the orange light.",
    )


def test_merging_moves_the_conversation_and_ends_the_duplicate(ana, ticket, duplicate):
    services.add_reply(ticket=duplicate, by=ana, body="Did you restart it?")
    services.add_reply(ticket=duplicate, by=ana, body="Customer is a VIP.", public=False)
    services.add_customer_reply(ticket=duplicate, body="Yes, twice.")
    opening = Attachment(ticket=duplicate, filename="photo.png", content_type="image/png")
    opening.size, opening.sha256 = 3, "0" * 64
    opening.file.save("photo.png", ContentFile(b"png"), save=True)
    target_version = fresh(ticket).version

    result = services.merge_tickets(source=duplicate, target=ticket, by=ana)

    assert result.pk == ticket.pk
    source = fresh(duplicate)
    assert (source.status, source.merged_into_id) == (Status.MERGED, ticket.pk)
    assert source.merged_at is not None
    assert not Reply.objects.filter(ticket=source).exists()
    bodies = list(
        Reply.objects.filter(ticket=ticket)
        .order_by("created_at", "pk")
        .values_list("body", "public")
    )
    assert bodies[0] == (
        f"[{source.reference}] Printer still blinking\n\n"
        "Same problem as yesterday: the orange light.",
        True,
    )
    assert ("Did you restart it?", True) in bodies
    assert ("Customer is a VIP.", False) in bodies  # the note stays a note
    assert ("Yes, twice.", True) in bodies
    first_message = Reply.objects.filter(ticket=ticket).order_by("created_at", "pk").first()
    assert Attachment.objects.get(pk=opening.pk).reply == first_message
    assert Attachment.objects.get(pk=opening.pk).ticket_id == ticket.pk
    assert fresh(ticket).version == target_version + 1
    merged = TicketEvent.objects.get(ticket=source, kind=EventKind.MERGED)
    assert merged.data["into"] == ticket.pk and merged.data["messages"] == 4
    merged_in = TicketEvent.objects.get(ticket=ticket, kind=EventKind.MERGED_IN)
    assert merged_in.data["source"] == source.pk and merged_in.actor == ana
    # the target keeps its own status and clocks
    assert fresh(ticket).status == Status.NEW and fresh(ticket).first_response_at is None


def test_a_merged_ticket_is_final_in_the_lifecycle(ana, ticket, duplicate):
    services.merge_tickets(source=duplicate, target=ticket, by=ana)
    assert lifecycle.allowed_actions(Status.MERGED) == []
    with pytest.raises(TransitionError):
        services.add_reply(ticket=fresh(duplicate), by=ana, body="Hello?")
    with pytest.raises(TransitionError):
        services.reopen_ticket(ticket=fresh(duplicate), by=ana)


@pytest.mark.parametrize("status", [Status.CLOSED])
def test_a_closed_ticket_cannot_be_merged_nor_take_a_merge(ana, ticket, duplicate, status):
    closed = bring_to(duplicate, status, by=ana)
    with pytest.raises(TransitionError):
        services.merge_tickets(source=closed, target=ticket, by=ana)
    with pytest.raises(ValidationError) as refused:
        services.merge_tickets(source=ticket, target=closed, by=ana)
    assert refused.value.field == "into"
    assert fresh(ticket).status == Status.NEW
    assert not TicketEvent.objects.filter(kind__in=[EventKind.MERGED, EventKind.MERGED_IN])


def test_a_resolved_duplicate_merges_into_an_open_ticket(ana, ticket, duplicate):
    resolved = bring_to(duplicate, Status.RESOLVED, by=ana)
    services.merge_tickets(source=resolved, target=ticket, by=ana)
    assert fresh(duplicate).status == Status.MERGED
    assert fresh(duplicate).resolved_at is not None  # its history stays true


def test_refusals_change_nothing(ana, carla, ticket, duplicate, team_n2):
    before = list(Reply.objects.values_list("pk", "ticket_id"))
    with pytest.raises(ValidationError):
        services.merge_tickets(source=ticket, target=ticket, by=ana)
    with pytest.raises(ConflictError):
        services.merge_tickets(source=duplicate, target=ticket, by=ana, expected_version=99)
    elsewhere = make_ticket(by=carla, team=team_n2, customer=duplicate.customer)
    with pytest.raises(PermissionDenied):
        services.merge_tickets(source=duplicate, target=elsewhere, by=ana)
    already = services.merge_tickets(source=duplicate, target=ticket, by=ana)
    with pytest.raises(TransitionError):
        services.merge_tickets(source=fresh(duplicate), target=already, by=ana)
    assert fresh(ticket).status == Status.NEW
    assert Reply.objects.exclude(pk__in=[pk for pk, _ in before]).count() == 1  # the one merge


def test_another_customers_ticket_needs_an_explicit_confirmation(ana, ticket, team_n1):
    stranger = CustomerFactory.create(name="Otro Cliente")
    other = make_ticket(by=ana, customer=stranger, team=team_n1)

    with pytest.raises(ValidationError) as refused:
        services.merge_tickets(source=other, target=ticket, by=ana)
    assert refused.value.field == "confirm_other_customer"
    assert fresh(other).status == Status.NEW

    services.merge_tickets(source=other, target=ticket, by=ana, other_customer_confirmed=True)
    first = Reply.objects.filter(ticket=ticket).get()
    assert "Otro Cliente" in first.body.splitlines()[0]
    assert stranger.email not in first.body  # the target's customer reads it: no address
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.MERGED_IN).data["other_customer"]


def test_mail_answering_the_duplicate_threads_into_the_target(ana, team_n1):
    duplicate = ingest_email(
        mail(
            {
                "From": "Lucía <lucia@example.com>",
                "Subject": "Impresora",
                "Message-ID": "<dup-1@mail.example>",
            }
        )
    ).ticket
    target = make_ticket(by=ana, customer=duplicate.customer, team=team_n1)
    services.merge_tickets(source=duplicate, target=target, by=ana)

    by_thread = ingest_email(
        mail(
            {
                "From": "Lucía <lucia@example.com>",
                "Subject": "Re: Impresora",
                "Message-ID": "<dup-2@mail.example>",
                "In-Reply-To": "<dup-1@mail.example>",
            },
            "Sigue igual.\r\n",
        )
    )
    by_reference = ingest_email(
        mail(
            {
                "From": "Lucía <lucia@example.com>",
                "Subject": f"Re: [{duplicate.reference}] Impresora",
                "Message-ID": "<dup-3@mail.example>",
            },
            "¿Alguna novedad?\r\n",
        )
    )

    assert by_thread.outcome == by_reference.outcome == "threaded"
    assert by_thread.ticket == by_reference.ticket == target
    assert set(Reply.objects.filter(ticket=target).values_list("body", flat=True)) >= {
        "Sigue igual.",
        "¿Alguna novedad?",
    }


def test_the_customers_link_to_the_duplicate_shows_and_answers_the_target(
    client, ana, ticket, duplicate
):
    token = issue_access_token(duplicate)
    services.merge_tickets(source=duplicate, target=ticket, by=ana)

    page = client.get(reverse("portal:ticket", args=[token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert ticket.reference in html and "merged-note" in html
    assert "Same problem as yesterday" in html  # the moved first message

    client.post(reverse("portal:ticket", args=[token]), {"body": "Thanks, waiting."})
    assert Reply.objects.filter(ticket=ticket, body="Thanks, waiting.", author=None).exists()


def test_an_unanswered_survey_of_the_duplicate_is_withdrawn(ana, ticket, duplicate):
    resolved = bring_to(duplicate, Status.RESOLVED, by=ana)
    invitation = SurveyInvitation.objects.get(ticket=resolved)

    services.merge_tickets(source=resolved, target=ticket, by=ana)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.CANCELLED
    assert invitation.withdrawn_reason == "ticket_merged"
    event = TicketEvent.objects.get(ticket=resolved, kind=EventKind.SURVEY_WITHDRAWN)
    assert event.data["reason"] == "ticket_merged"


def test_the_customer_is_told_only_when_the_agent_asks(ana, ticket, duplicate, team_n1):
    services.merge_tickets(source=duplicate, target=ticket, by=ana)
    assert not OutboundEmail.objects.filter(kind=NotificationKind.TICKET_MERGED).exists()

    another = make_ticket(by=ana, customer=ticket.customer, team=team_n1)
    services.merge_tickets(source=another, target=ticket, by=ana, notify_customer=True)
    notice = OutboundEmail.objects.get(kind=NotificationKind.TICKET_MERGED)
    assert notice.ticket_id == ticket.pk and notice.recipient is None


def test_merged_tickets_count_only_through_their_target(ana, ticket, duplicate):
    period = kpis.Period.of(
        timezone.localdate() - timedelta(days=1), timezone.localdate() + timedelta(days=1)
    )
    assert kpis.summary(period)["volume"] == 2
    services.merge_tickets(source=duplicate, target=ticket, by=ana)
    assert kpis.summary(period)["volume"] == 1
    assert kpis.summary(period)["backlog"]["total"] == 1
    rollups.rebuild()
    assert kpis.summary(period)["volume"] == 1
    assert kpis.summary(period)["backlog"]["total"] == 1


def test_an_agent_merges_from_the_ticket_page_and_lands_on_the_target(
    client, ana, ticket, duplicate
):
    client.force_login(ana)
    url = reverse("cases:ticket_action", args=[duplicate.pk, "merge"])

    refused = client.post(url, {"version": duplicate.version, "into": "PUL-999999"})
    assert refused.status_code == 400
    assert "PUL-999999" in refused.content.decode()  # what was typed is kept
    assert fresh(duplicate).status == Status.NEW

    done = client.post(
        url, {"version": duplicate.version, "into": ticket.reference, "notify_customer": ""}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("cases:ticket_detail", args=[ticket.pk])
    source_page = client.get(reverse("cases:ticket_detail", args=[duplicate.pk])).content.decode()
    assert "merged-banner" in source_page and ticket.reference in source_page
    assert 'data-action="merge"' not in source_page  # nothing more to do on it
    target_page = client.get(done["Location"]).content.decode()
    assert duplicate.reference in target_page and "merged-in" in target_page


def test_the_page_asks_to_confirm_another_customers_ticket_and_keeps_the_choice(
    client, ana, ticket, team_n1
):
    other = make_ticket(by=ana, customer=CustomerFactory.create(), team=team_n1)
    client.force_login(ana)
    url = reverse("cases:ticket_action", args=[other.pk, "merge"])
    asked = client.post(url, {"version": other.version, "into": str(ticket.pk)})
    assert asked.status_code == 400
    assert "belongs to another customer" in asked.content.decode()
    confirmed = client.post(
        url, {"version": other.version, "into": str(ticket.pk), "confirm_other_customer": "on"}
    )
    assert confirmed.status_code == 302
    assert fresh(other).merged_into_id == ticket.pk


def test_the_api_merges_and_explains_refusals(client, ana, ticket, duplicate):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(ana)
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    url = reverse("api:ticket-merge", args=[duplicate.pk])

    missing = client.post(url, {}, content_type="application/json", **headers)
    assert missing.status_code == 400 and "into" in missing.json()
    nobody = client.post(url, {"into": 999999}, content_type="application/json", **headers)
    assert nobody.status_code == 400 and "into" in nobody.json()
    itself = client.post(url, {"into": duplicate.pk}, content_type="application/json", **headers)
    assert itself.status_code == 400 and "into" in itself.json()

    done = client.post(
        url,
        {"into": ticket.pk, "version": duplicate.version},
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 200 and done.json()["id"] == ticket.pk
    merged = client.get(reverse("api:ticket-detail", args=[duplicate.pk]), **headers).json()
    assert (merged["status"], merged["merged_into"], merged["allowed_actions"]) == (
        "merged",
        ticket.pk,
        [],
    )
    again = client.post(url, {"into": ticket.pk}, content_type="application/json", **headers)
    assert again.status_code == 409


def test_an_answer_given_before_the_merge_stays_counted_live_and_in_rollups(
    ana, ticket, duplicate, settings
):
    from surveys.services import answer_survey

    resolved = bring_to(duplicate, Status.RESOLVED, by=ana)
    invitation = SurveyInvitation.objects.get(ticket=resolved)
    invitation.status = InvitationStatus.SENT
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["status", "sent_at"])
    answer_survey(invitation=invitation, csat=5, nps=10)
    period = kpis.Period.of(
        timezone.localdate() - timedelta(days=1), timezone.localdate() + timedelta(days=1)
    )
    before = kpis.summary(period)

    services.merge_tickets(source=fresh(duplicate), target=ticket, by=ana)

    live = kpis.summary(period)
    assert live["csat"] == before["csat"] and live["nps"] == before["nps"]
    assert live["csat"]["responses"] == before["csat"]["responses"] == 1
    rollups.rebuild()
    assert kpis.summary(period)["csat"] == before["csat"]
    assert kpis.summary(period)["nps"] == before["nps"]
