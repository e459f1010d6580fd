"""The ticket page tells the survey's story: the answer with its scores and comment, the
follow-up and its changes, and why a survey was skipped or withdrawn."""

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.models import EventKind
from surveys.models import InvitationStatus, SurveyInvitation
from surveys.services import answer_survey, deliver_invitation, update_follow_up
from tests.factories import CustomerFactory, make_ticket
from tests.surveys.test_responses_page import ESCAPED, PAYLOAD, answered


def page(client, user, ticket) -> str:
    client.force_login(user)
    response = client.get(reverse("cases:ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def event_html(html: str, kind: str) -> str:
    """The text of the (last) timeline event of `kind`."""
    start = html.rindex(f'data-event="{kind}"')
    return html[start : html.index("</li>", start)]


def test_agents_see_the_survey_answer_on_the_ticket_page(client, ana, bruno, team_n1):
    response = answered(by=ana, team=team_n1, csat=2, ces=3, nps=4, comment="Too slow\nreally")
    for agent in (ana, bruno):
        text = event_html(page(client, agent, response.ticket), "survey_answered")
        assert "The customer answered the survey" in text
        assert "CSAT 2/5</span> · <span" in text
        assert "CES 3/7</span> · <span" in text
        assert "NPS 4/10" in text
        assert "Too slow\nreally" in text


def test_scores_carry_their_group_colour(client, ana, team_n1):
    response = answered(by=ana, team=team_n1, csat=5, ces=6, nps=8)
    text = event_html(page(client, ana, response.ticket), "survey_answered")
    assert 'text-bg-success score-csat">CSAT 5/5' in text
    assert 'text-bg-success score-ces">CES 6/7' in text
    assert 'text-bg-warning score-nps">NPS 8/10' in text


def test_an_answer_to_some_questions_shows_only_those(client, ana, team_n1):
    response = answered(by=ana, team=team_n1, nps=9)
    text = event_html(page(client, ana, response.ticket), "survey_answered")
    assert "NPS 9/10" in text
    assert "CSAT" not in text and "CES" not in text and "·" not in text


def test_the_survey_comment_is_escaped_on_the_ticket_page(client, ana, team_n1):
    response = answered(by=ana, team=team_n1, csat=1, comment=PAYLOAD)
    html = page(client, ana, response.ticket)
    assert PAYLOAD not in html
    assert ESCAPED in event_html(html, "survey_answered")


def test_the_follow_up_shows_its_reasons_and_links_for_managers_only(client, ana, marta, team_n1):
    response = answered(by=ana, team=team_n1, csat=1, nps=2)
    link = reverse("surveys:follow_up_detail", args=[response.follow_up.pk])
    text = event_html(page(client, marta, response.ticket), "follow_up_opened")
    assert "Follow-up opened" in text
    assert "NPS detractor, Unhappy CSAT" in text
    assert link in text
    agent_text = event_html(page(client, ana, response.ticket), "follow_up_opened")
    assert "NPS detractor" in agent_text
    assert link not in agent_text


def test_follow_up_changes_and_notes_appear_on_the_timeline(client, ana, bruno, marta, team_n1):
    response = answered(by=ana, team=team_n1, nps=0)
    follow_up = response.follow_up
    update_follow_up(
        follow_up=follow_up, by=marta, owner=bruno, status="contacted", note=f"Called {PAYLOAD}"
    )
    html = page(client, ana, response.ticket)
    text = event_html(html, "follow_up_updated")
    assert "Follow-up updated." in text
    assert "Owner: Bruno Díaz." in text
    assert "Status: contacted." in text
    assert f"Called {ESCAPED}" in text
    assert PAYLOAD not in html
    update_follow_up(follow_up=follow_up, by=marta, owner=None, status="resolved")
    text = event_html(page(client, ana, response.ticket), "follow_up_updated")
    assert "No owner now." in text and "Status: resolved." in text


def test_a_customer_without_email_gets_no_survey_and_the_timeline_says_why(
    client, ana, team_n1, resolve
):
    ticket = make_ticket(by=ana, team=team_n1, customer=CustomerFactory(email=""), assignee=ana)
    resolve(ticket)
    text = event_html(page(client, ana, ticket), "survey_skipped")
    assert "No survey sent: the customer has no e-mail." in text


def test_a_customer_surveyed_recently_is_not_surveyed_again(
    client, ana, team_n1, customer, resolve
):
    resolve(make_ticket(by=ana, team=team_n1, customer=customer, assignee=ana))
    second = resolve(make_ticket(by=ana, team=team_n1, customer=customer, assignee=ana))
    text = event_html(page(client, ana, second), "survey_skipped")
    assert "No survey sent: the customer was surveyed recently." in text


def test_a_resolution_left_out_of_the_sample_says_so(client, ana, team_n1, resolve, settings):
    settings.SURVEY_SAMPLE_RATE = 0.0
    ticket = resolve(make_ticket(by=ana, team=team_n1, assignee=ana))
    text = event_html(page(client, ana, ticket), "survey_skipped")
    assert "No survey sent: not in the survey sample." in text


def test_reopening_before_sending_cancels_the_survey(client, ana, resolved_ticket):
    case_services.reopen_ticket(ticket=resolved_ticket, by=ana, reason="Still broken")
    assert SurveyInvitation.objects.get().status == InvitationStatus.CANCELLED
    text = event_html(page(client, ana, resolved_ticket), "survey_withdrawn")
    assert "Survey cancelled before sending: the ticket was reopened." in text


def test_reopening_after_sending_withdraws_the_survey(client, ana, resolve, team_n1, settings):
    settings.SURVEY_SEND_DELAY = 0
    ticket = resolve(make_ticket(by=ana, team=team_n1, assignee=ana))
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert deliver_invitation(invitation.pk)
    case_services.reopen_ticket(ticket=ticket, by=ana, reason="Still broken")
    text = event_html(page(client, ana, ticket), "survey_withdrawn")
    assert "Survey withdrawn after sending: the ticket was reopened." in text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"reason": "odd"}, "No survey sent: odd."),
        ({}, "No survey sent: —."),
    ],
)
def test_an_unknown_skip_reason_is_shown_as_recorded(client, ana, ticket, data, expected):
    case_services.record_ticket_event(ticket=ticket, kind=EventKind.SURVEY_SKIPPED, **data)
    assert expected in event_html(page(client, ana, ticket), "survey_skipped")


def test_an_answer_given_through_the_api_looks_the_same(client, ana, invitation):
    answer_survey(invitation=invitation, source="api", csat=4, comment="Via IVR")
    text = event_html(page(client, ana, invitation.ticket), "survey_answered")
    assert "CSAT 4/5" in text and "Via IVR" in text
