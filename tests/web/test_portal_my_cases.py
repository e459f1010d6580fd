"""'My cases': a signed-in customer sees every case of theirs — an organisation's admin every
case of the organisation's contacts — with its status in their words and its last update,
opens one as the private link shows it, replies, and answers its pending survey. Nobody opens
a case that is not theirs to see."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Attachment, Organisation, Reply, Status, Ticket
from cases.portal_session import sign_in
from cases.services import (
    add_reply,
    close_ticket,
    issue_access_token,
    merge_tickets,
    resolve_ticket,
)
from surveys.models import InvitationStatus, SurveyInvitation
from surveys.services import answer_survey, survey_path
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

MY_CASES = reverse("portal:my_cases")


def case_url(ticket: Ticket) -> str:
    return reverse("portal:my_case", kwargs={"reference": ticket.reference})


def signed_in_as(customer) -> Client:
    """A browser in English whose portal session is `customer`'s (as following a sign-in
    link leaves it: cases/portal_session.py)."""
    client = Client()
    client.cookies["django_language"] = "en"
    request = type("Request", (), {"session": client.session})()
    sign_in(request, customer)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    return client


@pytest.fixture
def lucia(customer):
    return signed_in_as(customer)


@pytest.fixture
def acme():
    return Organisation.objects.create(name="Acme Ltda")


@pytest.fixture
def admin_contact(acme):
    return CustomerFactory(
        name="Elena Admin", email="elena@acme.example", organisation=acme,
        is_organisation_admin=True,
    )  # fmt: skip


@pytest.fixture
def colleague(acme):
    return CustomerFactory(name="Tomás Colega", email="tomas@acme.example", organisation=acme)


def listed(client) -> list[str]:
    page = client.get(MY_CASES).content.decode()
    return re.findall(r'data-reference="([^"]+)"', page)


def test_my_cases_lists_every_case_of_the_customer_last_updated_first(
    lucia, customer, ana, team_n1
):
    first = make_ticket(by=ana, customer=customer, team=team_n1, subject="Old printer")
    second = make_ticket(by=ana, customer=customer, team=team_n1, subject="Invoice twice")
    add_reply(ticket=first, by=ana, body="On it")  # first is now the last updated
    someone_else = make_ticket(by=ana, customer=CustomerFactory(), team=team_n1)

    assert listed(lucia) == [first.reference, second.reference]
    page = lucia.get(MY_CASES).content.decode()
    assert "Old printer" in page and "Invoice twice" in page
    assert "In progress" in page  # first: open, in the customer's words
    assert "Received — waiting for an agent" in page  # second: new
    assert someone_else.reference not in page
    assert "Signed in as Lucía Torres" in page
    assert lucia.get(MY_CASES)["Cache-Control"] == "no-store, private"


def test_my_cases_is_paginated(lucia, customer, ana, team_n1):
    for n in range(22):
        make_ticket(by=ana, customer=customer, team=team_n1, subject=f"Case {n}")
    assert len(listed(lucia)) == 20
    second = lucia.get(MY_CASES, {"page": 2}).content.decode()
    assert len(re.findall(r'data-reference="', second)) == 2
    assert "21–22 of 22" in second


def test_a_customer_without_cases_is_invited_to_open_one(lucia):
    page = lucia.get(MY_CASES).content.decode()
    assert "You have no cases with us yet." in page


def test_my_cases_needs_a_session(client, ticket):
    assert client.get(MY_CASES).url == reverse("portal:sign_in")
    assert client.get(case_url(ticket)).url == reverse("portal:sign_in")


def test_a_case_opens_as_the_private_link_shows_it(lucia, customer, ticket, ana):
    add_reply(ticket=ticket, by=ana, body="Please send a photo of the label.")
    add_reply(ticket=ticket, by=ana, body="Internal: customer called twice", public=False)
    page = lucia.get(case_url(ticket))
    assert page.status_code == 200
    html = page.content.decode()
    assert ticket.subject in html
    assert "Please send a photo of the label." in html
    assert "Internal: customer called twice" not in html
    assert "In progress" in html
    assert 'enctype="multipart/form-data"' in html
    assert "Do not share its address" not in html  # that note is the private link's
    assert page["Cache-Control"] == "no-store, private"


def test_another_customers_case_is_a_404_like_one_that_does_not_exist(lucia, ana, team_n1):
    theirs = make_ticket(by=ana, customer=CustomerFactory(), team=team_n1)
    add_reply(ticket=theirs, by=ana, body="Here is the file", files=[_png("label.png")])
    attachment = Attachment.objects.get()
    for url in (
        case_url(theirs),
        reverse("portal:my_case", kwargs={"reference": "PUL-999999"}),
        reverse("portal:my_case", kwargs={"reference": "nonsense"}),
        reverse(
            "portal:my_case_attachment",
            kwargs={"reference": theirs.reference, "attachment_id": attachment.pk},
        ),
    ):
        assert lucia.get(url).status_code == 404, url
    response = lucia.post(case_url(theirs), {"body": "Not mine"})
    assert response.status_code == 404
    assert not Reply.objects.filter(body="Not mine").exists()


def test_the_customer_replies_on_a_case_from_my_cases(lucia, ticket, ana):
    add_reply(ticket=ticket, by=ana, body="Is it plugged in?")
    response = lucia.post(case_url(ticket), {"body": "Yes, it is."})
    assert response.status_code == 302
    assert response.url == case_url(ticket)
    reply = Reply.objects.get(body="Yes, it is.")
    assert reply.by_customer
    assert "Your message was added to your case." in lucia.get(response.url).content.decode()


def test_files_of_the_case_download_through_the_session(lucia, ticket, ana):
    add_reply(ticket=ticket, by=ana, body="The label", files=[_png("label.png")])
    add_reply(ticket=ticket, by=ana, body="Note", public=False, files=[_png("secret.png")])
    public, note = Attachment.objects.order_by("pk")
    page = lucia.get(case_url(ticket)).content.decode()
    url = reverse(
        "portal:my_case_attachment",
        kwargs={"reference": ticket.reference, "attachment_id": public.pk},
    )
    assert url in page
    assert "secret.png" not in page
    assert lucia.get(url).status_code == 200
    hidden = reverse(
        "portal:my_case_attachment",
        kwargs={"reference": ticket.reference, "attachment_id": note.pk},
    )
    assert lucia.get(hidden).status_code == 404
    assert Client().get(url).status_code == 302  # no session: to the sign-in page


def test_a_plain_contact_of_an_organisation_sees_only_their_own_cases(
    admin_contact, colleague, ana, team_n1
):
    own = make_ticket(by=ana, customer=colleague, team=team_n1)
    boss = make_ticket(by=ana, customer=admin_contact, team=team_n1)
    client = signed_in_as(colleague)
    assert listed(client) == [own.reference]
    assert client.get(case_url(boss)).status_code == 404


def test_an_organisation_admin_sees_every_case_of_the_organisation_marked_with_who_opened_it(
    admin_contact, colleague, ana, team_n1
):
    outsider = make_ticket(by=ana, customer=CustomerFactory(), team=team_n1)
    mine = make_ticket(by=ana, customer=admin_contact, team=team_n1, subject="Mine")
    theirs = make_ticket(by=ana, customer=colleague, team=team_n1, subject="Theirs")
    client = signed_in_as(admin_contact)

    assert listed(client) == [theirs.reference, mine.reference]
    page = client.get(MY_CASES).content.decode()
    assert "Every case of Acme Ltda: yours and your colleagues'." in page
    assert "Opened by Tomás Colega" in page
    assert "Opened by you" in page
    assert client.get(case_url(outsider)).status_code == 404

    colleague_case = client.get(case_url(theirs)).content.decode()
    assert "by Tomás Colega" in colleague_case
    assert "Tomás Colega opened this case: only they can reply on it." in colleague_case
    assert 'name="body"' not in colleague_case


def test_an_organisation_admin_cannot_write_on_a_colleagues_case(
    admin_contact, colleague, ana, team_n1
):
    theirs = make_ticket(by=ana, customer=colleague, team=team_n1)
    client = signed_in_as(admin_contact)
    response = client.post(case_url(theirs), {"body": "Written by the boss"})
    assert response.status_code == 403
    assert "Only the person who opened this case can reply on it." in response.content.decode()
    assert not Reply.objects.filter(body="Written by the boss").exists()


def test_the_admin_flag_without_an_organisation_shows_only_their_own_cases(ana, team_n1):
    loner = CustomerFactory(is_organisation_admin=True, organisation=None)
    own = make_ticket(by=ana, customer=loner, team=team_n1)
    make_ticket(by=ana, customer=CustomerFactory(organisation=None), team=team_n1)
    assert listed(signed_in_as(loner)) == [own.reference]


def test_a_case_merged_into_another_of_the_customer_shows_that_one(lucia, customer, ana, team_n1):
    duplicate = make_ticket(by=ana, customer=customer, team=team_n1, subject="Same again")
    kept = make_ticket(by=ana, customer=customer, team=team_n1, subject="The original")
    merge_tickets(source=duplicate, target=kept, by=ana)
    html = lucia.get(case_url(duplicate)).content.decode()
    assert "The original" in html
    assert f"Your case {duplicate.reference} was about the same matter" in html
    assert "Joined with another case" in lucia.get(MY_CASES).content.decode()
    # A reply there goes to the case it was merged into, like a reply by private link.
    lucia.post(case_url(duplicate), {"body": "Any news?"})
    assert Reply.objects.get(body="Any news?").ticket_id == kept.pk


def test_the_cases_pending_survey_is_offered_until_it_is_answered(lucia, ticket, ana):
    add_reply(ticket=ticket, by=ana, body="Fixed")
    resolve_ticket(ticket=ticket, by=ana, resolution="Replaced the cable.")
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    survey = survey_path(invitation)

    page = lucia.get(case_url(ticket)).content.decode()
    assert f'href="{survey}"' in page
    assert "How did we do? Answer our short survey" in page
    # The same on the private link's page.
    link_page = Client().get(reverse("portal:ticket", args=[issue_access_token(ticket)]))
    assert f'href="{survey}"' in link_page.content.decode()

    answer_survey(invitation=invitation, csat=5)
    assert survey not in lucia.get(case_url(ticket)).content.decode()


def test_an_expired_or_withdrawn_survey_is_not_offered(lucia, ticket, ana):
    add_reply(ticket=ticket, by=ana, body="Fixed")
    resolve_ticket(ticket=ticket, by=ana, resolution="Done.")
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert "Answer our short survey" not in lucia.get(case_url(ticket)).content.decode()
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1), status=InvitationStatus.CANCELLED
    )
    assert "Answer our short survey" not in lucia.get(case_url(ticket)).content.decode()


def test_a_colleagues_survey_is_not_offered_to_the_organisation_admin(
    admin_contact, colleague, ana, team_n1
):
    theirs = make_ticket(by=ana, customer=colleague, team=team_n1)
    add_reply(ticket=theirs, by=ana, body="Fixed")
    resolve_ticket(ticket=theirs, by=ana, resolution="Done.")
    page = signed_in_as(admin_contact).get(case_url(theirs)).content.decode()
    assert "Answer our short survey" not in page


def test_a_closed_case_shows_without_a_reply_box(lucia, ticket, ana):
    add_reply(ticket=ticket, by=ana, body="Fixed")
    resolve_ticket(ticket=ticket, by=ana, resolution="Done.")
    close_ticket(ticket=Ticket.objects.get(pk=ticket.pk), by=ana)
    html = lucia.get(case_url(ticket)).content.decode()
    assert "This case is closed and can no longer receive replies." in html
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def _png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 24, content_type="image/png")
