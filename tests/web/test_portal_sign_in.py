"""Signing in to the customer portal by e-mailed link: the customer types an address, gets a
single-use link that expires, and following it opens a session of limited length. The answer
never tells whether the address is known, asking is rate limited per address and per IP, and
the portal's session never mixes with the workspace's."""

import re
import statistics
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    CustomerAddress,
    NotificationKind,
    NotificationStatus,
    OutboundEmail,
    PortalSignIn,
)
from cases.portal_session import SESSION_KEY
from cases.services.notifications import hash_token
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("portal:sign_in")
SENT = reverse("portal:sign_in_sent")
MY_CASES = reverse("portal:my_cases")
LINK = re.compile(r"/support/sign-in/([A-Za-z0-9_-]{40,})/")
CSRF_VALUE = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]+')


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def ask(client, capture, email):
    """Ask for a link, running what the request left for after its commit (the send task
    runs eagerly in tests)."""
    with capture(execute=True):
        return client.post(SIGN_IN, {"email": email})


def sign_in_emails():
    return [m for m in mail.outbox if m.extra_headers.get("X-Pulso-Mail") == "portal-sign-in"]


def token_in(message) -> str:
    found = LINK.search(str(message.body))
    assert found is not None, f"the e-mail carries the sign-in link: {message.body!r}"
    return found.group(1)


def link_url(token: str) -> str:
    return reverse("portal:sign_in_link", kwargs={"token": token})


@pytest.fixture
def link(english, customer, django_capture_on_commit_callbacks):
    """A fresh sign-in link of Lucía's (customer), as e-mailed."""
    ask(english, django_capture_on_commit_callbacks, customer.email)
    return token_in(sign_in_emails()[-1])


# --- asking -----------------------------------------------------------------------------------


def test_a_customer_asks_for_a_link_and_gets_it_by_email_in_their_language(
    english, customer, django_capture_on_commit_callbacks
):
    response = ask(english, django_capture_on_commit_callbacks, "  LUCIA@example.com ")
    assert response.status_code == 302
    assert response.url == SENT

    (message,) = sign_in_emails()
    assert message.to == ["lucia@example.com"]
    assert "Tu enlace para entrar" in message.subject  # Lucía's language is Spanish
    assert "Hola, Lucía Torres:" in message.body
    assert "30 minutos" in message.body
    token = token_in(message)
    html = message.alternatives[0][0]
    assert f"http://testserver/support/sign-in/{token}/" in html or link_url(token) in html
    # Only the hash is stored; the row is the outbox's, sent.
    assert PortalSignIn.objects.get().token_hash == hash_token(token)
    assert not PortalSignIn.objects.filter(token_hash=token).exists()
    notice = OutboundEmail.objects.get(kind=NotificationKind.PORTAL_SIGN_IN)
    assert (notice.customer, notice.to_address, notice.status) == (
        customer,
        "lucia@example.com",
        NotificationStatus.SENT,
    )


def test_the_page_says_the_same_whatever_the_address(english):
    page = english.get(SENT).content.decode()
    assert "If this address is known to us, a sign-in link is on its way to it." in page
    assert "The link works once, for 30 minutes." in page


def test_another_address_of_the_customer_gets_the_link_there(
    english, customer, django_capture_on_commit_callbacks
):
    CustomerAddress.objects.create(customer=customer, email="Lucia.Torres@Work.example")
    ask(english, django_capture_on_commit_callbacks, "lucia.torres@work.example")
    (message,) = sign_in_emails()
    assert message.to == ["Lucia.Torres@Work.example"]
    english.post(link_url(token_in(message)))
    assert english.session[SESSION_KEY]["id"] == customer.pk


def test_known_and_unknown_addresses_get_identical_answers(
    customer, django_capture_on_commit_callbacks
):
    answers = []
    for address in ("lucia@example.com", "nobody@example.com"):
        client = Client()
        client.cookies["django_language"] = "en"
        response = ask(client, django_capture_on_commit_callbacks, address)
        followed = client.get(response.url)
        answers.append(
            (
                response.status_code,
                response.url,
                sorted(response.cookies.keys()),
                sorted(k for k in response.headers if k != "Date"),
                followed.status_code,
                # (The language switcher's form carries a CSRF token, masked afresh each time.)
                CSRF_VALUE.sub("", followed.content.decode()),
                dict(client.session.items()),
            )
        )
    assert answers[0] == answers[1]
    assert [m.to for m in sign_in_emails()] == [["lucia@example.com"]]


def test_a_malformed_address_gets_the_form_back_with_its_error(english):
    response = english.post(SIGN_IN, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert 'value="not an address"' in response.content.decode()


def test_known_and_unknown_addresses_take_about_as_long(customer):
    """The same work either way (one lookup of each kind of address, one publish after the
    commit; no e-mail, template or token in the request): the medians of interleaved
    requests stay close. Generous bounds: this machine is shared."""
    client = Client()
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    with override_settings(PORTAL_SIGN_IN_ADDRESS_RATE="1000/h", PORTAL_SIGN_IN_IP_RATE="1000/h"):
        for _round in range(15):
            for kind, address in (("known", customer.email), ("unknown", "nobody@example.com")):
                started = time.perf_counter()
                client.post(SIGN_IN, {"email": address})
                timings[kind].append(time.perf_counter() - started)
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    assert abs(known - unknown) < max(0.005, 0.5 * max(known, unknown)), (known, unknown)


# --- rate limits ------------------------------------------------------------------------------


@override_settings(PORTAL_SIGN_IN_ADDRESS_RATE="2/h", PORTAL_SIGN_IN_IP_RATE="100/h")
def test_one_address_gets_at_most_its_budget_of_links_and_the_same_page_after(
    customer, django_capture_on_commit_callbacks
):
    responses = []
    for typed in ("lucia@example.com", "Lucia@Example.com", " lucia@example.com"):
        # From different clients: the budget is the address's, however it is typed.
        client = Client(REMOTE_ADDR=f"10.0.0.{len(responses) + 1}")
        responses.append(ask(client, django_capture_on_commit_callbacks, typed))
    assert [(r.status_code, r.url) for r in responses] == [(302, SENT)] * 3
    assert len(sign_in_emails()) == 2
    # Another address has a budget of its own.
    other = CustomerFactory(email="mateo@example.com")
    ask(Client(), django_capture_on_commit_callbacks, other.email)
    assert len(sign_in_emails()) == 3


@override_settings(PORTAL_SIGN_IN_ADDRESS_RATE="2/h", PORTAL_SIGN_IN_IP_RATE="100/h")
def test_an_unknown_address_spends_its_budget_like_a_known_one(
    django_capture_on_commit_callbacks,
):
    """Over the budget the answer is the same page for any address: the limit tells nothing."""
    for _ in range(3):
        response = ask(Client(), django_capture_on_commit_callbacks, "nobody@example.com")
        assert (response.status_code, response.url) == (302, SENT)


@override_settings(PORTAL_SIGN_IN_IP_RATE="3/h", PORTAL_SIGN_IN_ADDRESS_RATE="100/h")
def test_one_client_may_ask_only_so_often_then_gets_429(english, customer):
    for n in range(3):
        assert english.post(SIGN_IN, {"email": f"someone{n}@example.com"}).status_code == 302
    response = english.post(SIGN_IN, {"email": customer.email})
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert not sign_in_emails()
    assert english.get(SIGN_IN).status_code == 200  # reading the form is not counted


# --- following the link -----------------------------------------------------------------------


def test_following_the_link_shows_a_button_and_only_the_post_signs_in(english, link):
    """Mail scanners open every link in an e-mail: a GET must not spend it."""
    for _ in range(2):
        page = english.get(link_url(link))
        assert page.status_code == 200
        assert "Hello Lucía Torres" in page.content.decode()
        assert page["Cache-Control"] == "no-store, private"
    assert PortalSignIn.objects.get().used_at is None
    assert SESSION_KEY not in english.session

    response = english.post(link_url(link))
    assert response.status_code == 302
    assert response.url == MY_CASES
    assert english.get(MY_CASES).status_code == 200


def test_a_link_signs_in_only_once(english, link, customer):
    english.post(link_url(link))
    other = Client()
    other.cookies["django_language"] = "en"
    for response in (other.get(link_url(link)), other.post(link_url(link))):
        assert response.status_code == 410
        page = response.content.decode()
        assert "It was already used" in page
        assert 'action="/support/sign-in/"' in page  # asking for a new one, right there
    assert SESSION_KEY not in other.session
    assert other.get(MY_CASES).url == SIGN_IN


def test_an_expired_link_is_refused_and_a_new_one_offered(english, link):
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = english.post(link_url(link))
    assert response.status_code == 410
    assert "It expired" in response.content.decode()
    assert "E-mail me a new link" in response.content.decode()
    assert SESSION_KEY not in english.session
    assert PortalSignIn.objects.get().used_at is None


def test_a_link_still_works_just_before_it_expires(english, link):
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert english.post(link_url(link)).url == MY_CASES


@pytest.mark.parametrize("mangle", ["truncate", "flip", "random"])
def test_a_link_never_issued_gets_a_plain_404_with_the_form(english, link, mangle):
    bad = {
        "truncate": link[:-3],
        "flip": link[:-1] + ("A" if link[-1] != "A" else "B"),
        "random": "x" * 43,
    }[mangle]
    for response in (english.get(link_url(bad)), english.post(link_url(bad))):
        assert response.status_code == 404
        assert "It is not a link we sent" in response.content.decode()
    assert PortalSignIn.objects.get().used_at is None


def test_asking_again_leaves_the_earlier_link_working_until_one_is_used(
    english, customer, link, django_capture_on_commit_callbacks
):
    ask(english, django_capture_on_commit_callbacks, customer.email)
    second = token_in(sign_in_emails()[-1])
    assert english.get(link_url(link)).status_code == 200
    assert english.get(link_url(second)).status_code == 200

    english.post(link_url(second))
    # Signing in spent every link still waiting.
    assert Client().post(link_url(link)).status_code == 410
    assert PortalSignIn.objects.filter(used_at__isnull=True).count() == 0


def test_a_link_that_could_not_be_sent_is_not_left_working(
    english, customer, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.web.test_portal_sign_in.FailingBackend"
    ask(english, django_capture_on_commit_callbacks, customer.email)
    assert not PortalSignIn.objects.exists()
    notice = OutboundEmail.objects.get(kind=NotificationKind.PORTAL_SIGN_IN)
    assert notice.status == NotificationStatus.FAILED


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ValueError("the mail server said no")


# --- the session ------------------------------------------------------------------------------


def test_signing_in_starts_a_new_session(english, link):
    session = english.session
    session["anything"] = "from before"
    session.save()
    before = english.cookies["sessionid"].value

    english.post(link_url(link))
    assert english.cookies["sessionid"].value != before
    assert "anything" not in english.session


def test_the_session_ends_after_its_hours(english, link):
    english.post(link_url(link))
    with time_machine.travel(timezone.now() + timedelta(hours=11, minutes=59)):
        assert english.get(MY_CASES).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=12, minutes=1)):
        response = english.get(MY_CASES)
    assert response.status_code == 302
    assert response.url == SIGN_IN
    assert SESSION_KEY not in english.session


@override_settings(PORTAL_SESSION_HOURS=1)
def test_the_session_length_is_a_setting(english, link):
    english.post(link_url(link))
    assert 3500 < english.session.get_expiry_age() <= 3600
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert english.get(MY_CASES).url == SIGN_IN


def test_signing_out_ends_the_session(english, link):
    english.post(link_url(link))
    response = english.post(reverse("portal:sign_out"))
    assert response.url == reverse("portal:signed_out")
    assert "You signed out" in english.get(response.url).content.decode()
    assert english.get(MY_CASES).url == SIGN_IN
    assert english.get(reverse("portal:sign_out")).status_code == 405  # a POST, with CSRF


def test_signing_out_needs_the_csrf_token(customer, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "en"
    page = client.get(SIGN_IN).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGN_IN, {"email": customer.email, "csrfmiddlewaretoken": csrf})
    token = token_in(sign_in_emails()[-1])
    client.post(link_url(token), {"csrfmiddlewaretoken": csrf})
    assert client.post(reverse("portal:sign_out")).status_code == 403
    assert client.get(MY_CASES).status_code == 200


def test_a_signed_in_customer_is_sent_from_the_sign_in_page_to_their_cases(english, link):
    english.post(link_url(link))
    assert english.get(SIGN_IN).url == MY_CASES


def test_a_customer_session_opens_nothing_in_the_workspace(english, link, ticket):
    english.post(link_url(link))
    login = reverse("login")
    for url in (reverse("cases:queue"), reverse("cases:ticket_detail", args=[ticket.pk])):
        response = english.get(url)
        assert response.status_code == 302
        assert response.url.startswith(login)
    assert english.get("/api/v1/tickets/").status_code in (401, 403)


def test_signing_in_to_the_portal_ends_a_staff_login_in_the_same_browser(english, link, ana):
    english.force_login(ana)
    assert english.get(reverse("cases:queue")).status_code == 200
    english.post(link_url(link))
    assert english.get(reverse("cases:queue")).url.startswith(reverse("login"))
    assert english.get(MY_CASES).status_code == 200


def test_a_staff_login_after_a_portal_sign_in_opens_nothing_in_the_portal(english, link, ana):
    english.post(link_url(link))
    english.force_login(ana)  # the same session now carries a staff login too
    assert english.get(MY_CASES).url == SIGN_IN


def test_the_links_page_speaks_the_customers_language(link):
    page = Client().get(link_url(link))  # no language chosen: Lucía's, Spanish
    assert "Hola, Lucía Torres" in page.content.decode()
    assert page["Content-Language"] == "es"
