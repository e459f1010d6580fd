"""The survey journey of issue 3 in headless Chromium: from the e-mail's one-click link to the
thank-you page, through the real page (no inline script or style may trip the CSP)."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from cases import services
from surveys.models import FollowUp, InvitationStatus, Source, SurveyResponse
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCORE_LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+/\?csat=(\d)")


def test_a_customer_answers_the_survey_from_the_email_and_cannot_answer_twice(
    page, settings, ana, team_n1
):
    settings.SURVEY_SEND_DELAY = 0
    customer = CustomerFactory(name="Grace Hopper", email="grace@example.com", language="en")
    ticket = make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana)
    services.add_reply(ticket=ticket, by=ana, body="Here is the fix.")
    services.resolve_ticket(ticket=ticket, by=ana, resolution="Replaced the fuser.")

    [email] = [m for m in mail.outbox if m.to == ["grace@example.com"] and "/s/" in m.body]
    links = {m.group(1): m.group(0) for m in SCORE_LINK.finditer(email.body)}
    assert sorted(links) == ["1", "2", "3", "4", "5"]
    link = urlsplit(links["4"])
    page.goto(f"{link.path}?{link.query}")

    page.get_by_text(ticket.reference).wait_for()
    assert page.locator("#csat-4").is_checked()
    assert not page.locator("#ces-6").is_checked()
    assert not SurveyResponse.objects.exists()  # opening the link records nothing

    page.click("label[for=ces-6]")
    page.click("label[for=nps-9]")
    page.fill("#id_comment", "Fast and friendly, thank you!")
    assert page.locator("#csat-4").is_checked() and page.locator("#nps-9").is_checked()
    page.get_by_role("button", name="Send my answers").click()

    page.wait_for_url(re.compile(r".*/s/[A-Za-z0-9_-]+/thanks/$"))
    page.get_by_text("Thank you for your answers!").wait_for()
    answer = SurveyResponse.objects.get()
    assert (answer.csat, answer.ces, answer.nps) == (4, 6, 9)
    assert answer.comment == "Fast and friendly, thank you!"
    assert answer.source == Source.WEB
    assert answer.invitation.status == InvitationStatus.ANSWERED
    assert not FollowUp.objects.exists()

    page.goto(f"{link.path}?{link.query}")
    page.get_by_text("You already answered this survey. Thank you!").wait_for()
    assert page.locator("input[name=csat]").count() == 0
    assert SurveyResponse.objects.count() == 1
