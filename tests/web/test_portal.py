"""The public portal: a customer opens a case without an account, gets an e-mail with a private
link, follows the case and replies — and sees nothing that is not theirs."""

import re
import secrets

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from cases.models import (
    Channel,
    Customer,
    EventKind,
    NotificationStatus,
    OutboundEmail,
    Reply,
    Status,
    Ticket,
    TicketEvent,
)
from cases.services import (
    add_reply,
    close_ticket,
    issue_access_token,
    resolve_ticket,
)
from tests.factories import CategoryFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

NEW_CASE = reverse("portal:new_case")
THANKS = reverse("portal:case_submitted")
LINK = re.compile(r"/support/c/[A-Za-z0-9_-]+/")


def case_form(**overrides):
    data = {
        "name": "Sofía Herrera",
        "email": "sofia@example.com",
        "subject": "My invoice is charged twice",
        "description": "Invoice 4471 appears twice on my card statement.",
        "category": "",
        "website": "",
    }
    data.update(overrides)
    return data


def submit(client, capture, **overrides):
    """POST the form, running the on-commit hooks (the e-mail task runs eagerly in tests)."""
    with capture(execute=True):
        return client.post(NEW_CASE, case_form(**overrides))


def link_in(message: mail.EmailMessage) -> str:
    body = str(message.body)  # str already; the stubs allow a lazy string too
    found = LINK.search(body)
    assert found is not None, f"the e-mail carries the customer's private link: {body!r}"
    return found.group(0)


def page_of(ticket) -> str:
    return reverse("portal:ticket", kwargs={"token": issue_access_token(ticket)})


@pytest.fixture
def reader(client):
    """A customer who picked English with the language switcher: the case page otherwise
    speaks the customer's preferred language (Lucía's is Spanish)."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def open_ticket(ticket, ana):
    """Lucía's ticket after Ana's first public reply: open, assigned to nobody."""
    add_reply(ticket=ticket, by=ana, body="Could you send us a photo of the label?")
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def resolved_ticket(open_ticket, ana):
    return resolve_ticket(ticket=open_ticket, by=ana, resolution="We replaced the toner.")


# --- the form ---------------------------------------------------------------------------------


def test_the_form_page_has_labelled_fields_and_a_hidden_honeypot(client, billing):
    response = client.get(NEW_CASE)
    html = response.content.decode()
    assert response.status_code == 200
    for field in ("name", "email", "subject", "description", "category"):
        assert f'for="id_{field}"' in html
    assert re.search(r'<div class="hp-field" aria-hidden="true">', html)
    assert re.search(r'<input[^>]*name="website"[^>]*autocomplete="off"', html)
    assert 'tabindex="-1"' in html
    assert "Billing" in html


def test_inactive_categories_are_not_offered(client, billing):
    CategoryFactory(name="Old topic", is_active=False)
    html = client.get(NEW_CASE).content.decode()
    assert "Billing" in html
    assert "Old topic" not in html


def test_a_customer_opens_a_case_and_follows_the_link_from_the_confirmation_email(
    client, django_capture_on_commit_callbacks, team_n1, billing, settings
):
    response = submit(client, django_capture_on_commit_callbacks, category=billing.pk)

    assert response.status_code == 302
    assert response["Location"] == THANKS
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB
    assert ticket.status == Status.NEW
    assert ticket.category == billing
    assert ticket.customer.email == "sofia@example.com"
    assert ticket.customer.name == "Sofía Herrera"
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor is None

    thanks = client.get(THANKS).content.decode()
    assert ticket.reference in thanks
    assert "sofia@example.com" in thanks

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sofia@example.com"]
    assert message.subject == (
        f"[{ticket.reference}] We received your case: My invoice is charged twice"
    )
    assert "Hello Sofía Herrera," in message.body
    link = link_in(message)
    assert f"{settings.SITE_URL}{link}" in message.body
    html_body = message.alternatives[0][0]
    assert f'href="{settings.SITE_URL}{link}"' in html_body
    assert OutboundEmail.objects.get(ticket=ticket).status == NotificationStatus.SENT

    page = client.get(link)
    assert page.status_code == 200
    assert "My invoice is charged twice" in page.content.decode()
    assert "Invoice 4471 appears twice" in page.content.decode()


def test_a_returning_customer_is_found_by_email_whatever_its_case_and_keeps_their_name(
    client, django_capture_on_commit_callbacks, customer
):
    submit(client, django_capture_on_commit_callbacks, email="LUCIA@Example.COM", name="Lu")

    assert Customer.objects.count() == 1
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    customer.refresh_from_db()
    assert customer.name == "Lucía Torres"
    assert mail.outbox[0].to == ["lucia@example.com"]


def test_a_new_customer_gets_the_language_they_used_on_the_form(
    client, django_capture_on_commit_callbacks
):
    client.cookies["django_language"] = "es"
    submit(client, django_capture_on_commit_callbacks)
    assert Customer.objects.get().language == "es"


def test_visiting_the_thanks_page_directly_shows_a_generic_thanks(client):
    response = client.get(THANKS)
    assert response.status_code == 200
    assert "PUL-" not in response.content.decode()
    assert "we received your case" in response.content.decode()


def test_validation_errors_keep_what_was_typed_and_create_nothing(client):
    response = client.post(NEW_CASE, case_form(email="not-an-email", description=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Sofía Herrera"' in html
    assert 'value="not-an-email"' in html
    assert 'value="My invoice is charged twice"' in html
    assert "is-invalid" in html
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_a_filled_honeypot_pretends_success_but_creates_nothing(
    client, django_capture_on_commit_callbacks
):
    response = submit(client, django_capture_on_commit_callbacks, website="http://spam.test")
    assert response.status_code == 302
    assert response["Location"] == THANKS
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()
    assert mail.outbox == []


@override_settings(PUBLIC_FORM_RATE="2/m")
def test_the_form_answers_429_after_too_many_submissions_from_one_address(client):
    for _ in range(2):
        assert client.post(NEW_CASE, case_form()).status_code == 302
    blocked = client.post(NEW_CASE, case_form(subject="Third"))
    assert blocked.status_code == 429
    assert not Ticket.objects.filter(subject="Third").exists()
    assert client.get(NEW_CASE).status_code == 200


def test_the_form_refuses_a_post_without_csrf_token(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(NEW_CASE, case_form())
    assert response.status_code == 403
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "evil",
    [f"Hi{breaker}Bcc: evil@example.com" for breaker in ("\r\n", "%0d%0a", "\u2028")],
)
def test_line_breaks_in_name_and_subject_do_not_break_the_email_headers(
    client, django_capture_on_commit_callbacks, evil
):
    submit(client, django_capture_on_commit_callbacks, name=evil, subject=evil)

    ticket = Ticket.objects.get()
    assert "\n" not in ticket.subject and "\u2028" not in ticket.subject
    assert "\n" not in ticket.customer.name
    (message,) = mail.outbox
    assert message.bcc == []
    headers = message.message()
    assert "Bcc" not in headers
    assert "\n" not in headers["Subject"] and "\r" not in headers["Subject"]
    assert "\u2028" not in str(headers["Subject"])
    assert message.to == ["sofia@example.com"]


# --- the customer's case page -----------------------------------------------------------------


def test_the_case_page_shows_the_public_conversation_but_never_internal_notes(
    reader, open_ticket, ana
):
    add_reply(ticket=open_ticket, by=ana, body="INTERNAL: customer is a reseller", public=False)
    html = reader.get(page_of(open_ticket)).content.decode()

    assert open_ticket.reference in html
    assert "The printer does not print" in html
    assert "It blinks orange and nothing comes out." in html
    assert "Could you send us a photo of the label?" in html
    assert "INTERNAL" not in html
    assert '<span class="fw-semibold">Ana</span>' in html
    assert "Pérez" not in html
    assert ana.email not in html
    assert "In progress" in html


def test_the_case_page_never_shows_another_tickets_conversation(client, open_ticket, ana):
    other = make_ticket(by=ana, customer=CustomerFactory(), subject="Someone else's case")
    add_reply(ticket=other, by=ana, body="A reply on the other case")
    html = client.get(page_of(open_ticket)).content.decode()
    assert "Someone else" not in html
    assert "A reply on the other case" not in html


def test_the_case_page_is_private_no_referrer_and_no_cache(client, ticket):
    response = client.get(page_of(ticket))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store, private"
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_the_case_page_speaks_the_customers_language_unless_they_chose_one(client, ticket):
    page = page_of(ticket)
    response = client.get(page)
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()

    client.cookies["django_language"] = "en"
    response = client.get(page)
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


def test_a_customer_reply_appears_on_the_page(reader, open_ticket):
    page = page_of(open_ticket)
    response = reader.post(page, {"body": "Here is the photo you asked for."})

    assert response.status_code == 302
    assert response["Location"] == page
    reply = Reply.objects.get(body="Here is the photo you asked for.")
    assert reply.author is None and reply.public
    html = reader.get(page).content.decode()
    assert "Here is the photo you asked for." in html
    assert "Your message was added to your case." in html


def test_a_customer_reply_reopens_a_resolved_case(client, resolved_ticket):
    page = page_of(resolved_ticket)
    assert "We replaced the toner." in client.get(page).content.decode()

    response = client.post(page, {"body": "It is blinking again."})

    assert response.status_code == 302
    resolved_ticket.refresh_from_db()
    assert resolved_ticket.status == Status.OPEN
    assert resolved_ticket.reopen_count == 1
    kinds = [
        kind
        for kind in resolved_ticket.events.values_list("kind", flat=True)
        if not kind.startswith("survey_")
    ]
    assert kinds[-2:] == [EventKind.CUSTOMER_REPLIED, EventKind.REOPENED]


def test_an_empty_reply_is_refused_and_nothing_is_written(reader, open_ticket):
    before = TicketEvent.objects.count()
    response = reader.post(page_of(open_ticket), {"body": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert TicketEvent.objects.count() == before


def test_a_closed_case_has_no_reply_box_and_refuses_a_reply(reader, resolved_ticket):
    closed = close_ticket(ticket=resolved_ticket, by=None)
    page = page_of(closed)
    html = reader.get(page).content.decode()
    assert 'name="body"' not in html
    assert "This case is closed" in html
    assert reverse("portal:new_case") in html

    replies, events = Reply.objects.count(), TicketEvent.objects.count()
    response = reader.post(page, {"body": "Hello?"})

    assert response.status_code == 409
    assert "cannot be replied to" in response.content.decode()
    assert Reply.objects.count() == replies
    assert TicketEvent.objects.count() == events
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def _normalised(body: bytes) -> str:
    """The 404 page echoes the requested path (language switcher's `next`) and a fresh CSRF
    mask on every render; nothing else may differ."""
    html = body.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)
    return re.sub(r'name="next" type="hidden" value="[^"]*"', "NEXT", html)


def test_every_bad_token_gets_the_same_plain_404(client, ticket):
    token = issue_access_token(ticket)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    bad = [
        secrets.token_urlsafe(32),
        token[:-1],
        token[:20],
        flipped,
        token + "x",
        "x",
        "%20",
        "a" * 5000,
        "..%2F..%2Fx",
        "../../x",
    ]
    bodies = set()
    for value in bad:
        response = client.get(f"/support/c/{value}/")
        assert response.status_code == 404, value
        assert ticket.subject not in response.content.decode()
        bodies.add(_normalised(response.content))
    assert len(bodies) == 1


@override_settings(CUSTOMER_LINK_RATE="3/m")
def test_guessing_tokens_is_rate_limited_per_ip(client, ticket):
    for _ in range(3):
        assert client.get(f"/support/c/{secrets.token_urlsafe(32)}/").status_code == 404
    assert client.get(page_of(ticket)).status_code == 429


def test_a_subject_with_markup_is_shown_as_text(reader, customer, ana, team_n1):
    evil = make_ticket(by=ana, customer=customer, subject='<img src=x onerror="alert(1)">')
    html = reader.get(page_of(evil)).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
