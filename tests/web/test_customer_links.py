"""Customers' private links: they open the case while it is open and for
CUSTOMER_LINK_DAYS_AFTER_CLOSE days after it closed; an agent can withdraw them; an expired or
withdrawn link shows a page that offers a new link, e-mailed only to the case's customer
address on file, the same answer whatever happened, rate limited."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cases.errors import PermissionDenied
from cases.models import (
    EventKind,
    NotificationKind,
    OutboundEmail,
    Reply,
    Status,
    TicketAccessToken,
    TicketEvent,
)
from cases.services import add_reply, issue_access_token, revoke_customer_links
from cases.services.notifications import hash_token
from tests.factories import CustomerFactory, make_ticket
from tests.web.test_workspace_support import move_to

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/support/c/([A-Za-z0-9_-]+)/")
SENT = reverse("portal:new_link_sent")


def page(token: str) -> str:
    return reverse("portal:ticket", kwargs={"token": token})


def new_link_url(token: str) -> str:
    return reverse("portal:new_link", kwargs={"token": token})


@pytest.fixture
def closed(ticket, ana):
    """Lucía's case, worked, resolved and closed now."""
    return move_to(ticket, Status.CLOSED, by=ana)


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def ask_new_link(client, capture, token: str, **data):
    with capture(execute=True):
        return client.post(new_link_url(token), data)


def links_in(message) -> list[str]:
    return LINK.findall(message.body)


# --- lifetime ---------------------------------------------------------------------------------


def test_a_link_to_a_case_that_is_not_closed_keeps_working(english, ticket, ana):
    token = issue_access_token(ticket)
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert english.get(page(token)).status_code == 200
    resolved = move_to(ticket, Status.RESOLVED, by=ana)
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert english.get(page(token)).status_code == 200, resolved.status


def test_a_link_works_until_90_days_after_the_close_then_shows_nothing_of_the_case(
    english, ticket, ana
):
    token = issue_access_token(ticket)
    add_reply(ticket=ticket, by=ana, body="A reply with private details")
    closed = move_to(ticket, Status.CLOSED, by=ana)

    with time_machine.travel(closed.closed_at + timedelta(days=89, hours=23)):
        assert english.get(page(token)).status_code == 200
    with time_machine.travel(closed.closed_at + timedelta(days=90)):
        response = english.get(page(token))
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link no longer works" in html
        assert "90 days after it is closed" in html
        for secret in (closed.subject, closed.description, "private details", closed.reference):
            assert secret not in html
        assert new_link_url(token) in html
        assert 'name="email"' not in html, "the visitor never types an address"
        assert response["Cache-Control"] == "no-store, private"
        assert response["Referrer-Policy"] == "same-origin"


@override_settings(CUSTOMER_LINK_DAYS_AFTER_CLOSE=0)
def test_with_no_days_after_the_close_links_die_with_the_case(english, closed):
    token = issue_access_token(closed)
    assert english.get(page(token)).status_code == 410


def test_an_expired_link_takes_no_reply_and_opens_no_file(english, ticket, ana):
    token = issue_access_token(ticket)
    closed = move_to(ticket, Status.CLOSED, by=ana)
    replies, events = Reply.objects.count(), TicketEvent.objects.count()
    with time_machine.travel(closed.closed_at + timedelta(days=91)):
        assert english.post(page(token), {"body": "Hello?"}).status_code == 410
        files = reverse("portal:attachment", kwargs={"token": token, "attachment_id": 1})
        assert english.get(files).status_code == 404
    assert (Reply.objects.count(), TicketEvent.objects.count()) == (replies, events)


def test_links_are_stored_only_as_hashes(ticket):
    token = issue_access_token(ticket)
    stored = TicketAccessToken.objects.get(ticket=ticket)
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert len(token) >= 43  # 256 random bits


# --- withdrawing ------------------------------------------------------------------------------


def test_an_agent_withdraws_every_link_of_the_case_from_the_ticket_page(
    client, english, ticket, ana, django_capture_on_commit_callbacks
):
    first, second = issue_access_token(ticket), issue_access_token(ticket)
    other_case = make_ticket(by=ana, customer=ticket.customer, team=ticket.team)
    other = issue_access_token(other_case)
    client.force_login(ana)
    detail = reverse("cases:ticket_detail", args=[ticket.pk])
    assert reverse("cases:revoke_links", args=[ticket.pk]) in client.get(detail).content.decode()

    response = client.post(reverse("cases:revoke_links", args=[ticket.pk]))

    assert response.status_code == 302 and response["Location"] == detail
    for token in (first, second):
        gone = english.get(page(token))
        assert gone.status_code == 410
        assert "Our support team withdrew this link" in gone.content.decode()
    assert english.get(page(other)).status_code == 200, "another case's links are untouched"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.LINKS_REVOKED)
    assert (event.actor, event.data) == (ana, {"count": 2})
    timeline = client.get(detail).content.decode()
    assert "The customer's private links were withdrawn (2 links)." in timeline

    # The next e-mail to the customer carries a new link that works.
    with django_capture_on_commit_callbacks(execute=True):
        add_reply(ticket=ticket, by=ana, body="Here is the update.")
    (token,) = links_in(mail.outbox[-1])
    assert english.get(page(token)).status_code == 200


def test_an_agent_of_another_team_cannot_withdraw_the_links(client, ticket, carla):
    token = issue_access_token(ticket)
    client.force_login(carla)
    assert client.post(reverse("cases:revoke_links", args=[ticket.pk])).status_code == 404
    assert client.get(page(token)).status_code == 200
    assert not TicketEvent.objects.filter(kind=EventKind.LINKS_REVOKED).exists()


def test_withdrawing_needs_a_logged_in_agent_and_a_post(client, ticket, ana):
    url = reverse("cases:revoke_links", args=[ticket.pk])
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(ana)
    assert client.get(url).status_code == 405
    assert not TicketEvent.objects.filter(kind=EventKind.LINKS_REVOKED).exists()


def test_the_service_refuses_someone_who_cannot_see_the_ticket(ticket, carla):
    issue_access_token(ticket)
    with pytest.raises(PermissionDenied):
        revoke_customer_links(ticket=ticket, by=carla)
    assert not TicketAccessToken.objects.filter(revoked_at__isnull=False).exists()


# --- a new link on request --------------------------------------------------------------------


def test_an_expired_link_gets_a_new_one_by_email_to_the_address_on_file(
    english, ticket, ana, django_capture_on_commit_callbacks
):
    token = issue_access_token(ticket)
    closed = move_to(ticket, Status.CLOSED, by=ana)
    later = closed.closed_at + timedelta(days=120)
    with time_machine.travel(later):
        mail.outbox.clear()
        response = ask_new_link(
            english, django_capture_on_commit_callbacks, token, email="attacker@evil.example"
        )
        assert response.status_code == 302 and response["Location"] == SENT
        assert "we are sending a new one" in english.get(SENT).content.decode()

        (message,) = mail.outbox
        assert message.to == ["lucia@example.com"]
        assert "attacker" not in str(message.message())
        # In Lucía's language (Spanish), about her case.
        assert message.subject == f"[{closed.reference}] Tu nuevo enlace al caso: {closed.subject}"
        (fresh,) = links_in(message)
        assert fresh != token
        assert english.get(page(fresh)).status_code == 200
        assert english.get(page(token)).status_code == 410, "the old link stays dead"
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.LINK_RESENT)
        assert event.actor is None and event.data == {"because": "expired"}
    # The new link lives its own 90 days from when it was sent.
    with time_machine.travel(later + timedelta(days=89)):
        assert english.get(page(fresh)).status_code == 200
    with time_machine.travel(later + timedelta(days=91)):
        assert english.get(page(fresh)).status_code == 410


def test_a_withdrawn_link_gets_a_new_one_too(
    client, ticket, ana, django_capture_on_commit_callbacks
):
    token = issue_access_token(ticket)
    revoke_customer_links(ticket=ticket, by=ana)
    mail.outbox.clear()
    ask_new_link(client, django_capture_on_commit_callbacks, token)
    (message,) = mail.outbox
    assert message.to == ["lucia@example.com"]
    assert client.get(page(links_in(message)[0])).status_code == 200
    assert TicketEvent.objects.get(kind=EventKind.LINK_RESENT).data == {"because": "revoked"}


@override_settings(CUSTOMER_LINK_RESEND_RATE="100/m")
def test_the_answer_is_the_same_whatever_the_token_and_whatever_was_sent(
    client, ticket, ana, team_n1, django_capture_on_commit_callbacks
):
    expired = issue_access_token(ticket)
    closed = move_to(ticket, Status.CLOSED, by=ana)
    valid = issue_access_token(make_ticket(by=ana, team=team_n1))
    phone_customer = CustomerFactory(email="", name="Only by phone")
    no_email = issue_access_token(make_ticket(by=ana, team=team_n1, customer=phone_customer))
    revoke_customer_links(ticket=phone_customer.tickets.get(), by=ana)
    flipped = expired[:5] + ("A" if expired[5] != "A" else "B") + expired[6:]
    tokens = [expired, expired, valid, no_email, flipped, "x", "a" * 500, "%20"]

    with time_machine.travel(closed.closed_at + timedelta(days=100)):
        mail.outbox.clear()
        answers = {
            (r.status_code, r["Location"])
            for r in (ask_new_link(client, django_capture_on_commit_callbacks, t) for t in tokens)
        }
    assert answers == {(302, SENT)}
    assert [m.to for m in mail.outbox] == [["lucia@example.com"]], "one e-mail, for one case"
    assert OutboundEmail.objects.filter(kind=NotificationKind.CUSTOMER_LINK).count() == 1


def test_a_case_gets_at_most_one_new_link_an_hour(
    client, closed, django_capture_on_commit_callbacks
):
    token = issue_access_token(closed)
    start = closed.closed_at + timedelta(days=100)
    sent = []
    for minutes in (0, 10, 59, 61):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            mail.outbox.clear()
            client.cookies.clear()
            cache.clear()  # the per-IP limit is not what this test is about
            ask_new_link(client, django_capture_on_commit_callbacks, token)
            sent.append(len(mail.outbox))
    assert sent == [1, 0, 0, 1]


@override_settings(CUSTOMER_LINK_RESEND_RATE="2/m")
def test_asking_for_new_links_is_rate_limited_per_ip(client, closed):
    token = issue_access_token(closed)
    with time_machine.travel(closed.closed_at + timedelta(days=100)):
        assert client.post(new_link_url(token)).status_code == 302
        assert client.post(new_link_url("x" * 43)).status_code == 302
        assert client.post(new_link_url(token)).status_code == 429


def test_asking_for_a_new_link_needs_a_post_with_the_csrf_token(closed):
    browser = Client(enforce_csrf_checks=True)
    token = issue_access_token(closed)
    with time_machine.travel(closed.closed_at + timedelta(days=100)):
        assert browser.get(new_link_url(token)).status_code == 405
        assert browser.post(new_link_url(token)).status_code == 403
        page_html = browser.get(page(token)).content.decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_html).group(1)
        assert browser.post(new_link_url(token), {"csrfmiddlewaretoken": csrf}).status_code == 302


def test_the_expired_page_speaks_the_visitors_language(client, closed):
    """The visitor may not be the customer: their browser's language, not Lucía's."""
    token = issue_access_token(closed)
    closed.customer.language = "es"
    closed.customer.save(update_fields=["language"])
    with time_machine.travel(closed.closed_at + timedelta(days=100)):
        english = client.get(page(token), HTTP_ACCEPT_LANGUAGE="en")
        spanish = client.get(page(token), HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="en">' in english.content.decode()
    assert "This link no longer works" in english.content.decode()
    assert '<html lang="es">' in spanish.content.decode()
    assert "Este enlace ya no funciona" in spanish.content.decode()


def test_a_bit_flipped_withdrawn_link_is_a_plain_404(client, ticket, ana):
    token = issue_access_token(ticket)
    revoke_customer_links(ticket=ticket, by=ana)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = client.get(page(flipped))
    assert response.status_code == 404
    assert "new-link" not in response.content.decode()
