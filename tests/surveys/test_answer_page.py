"""The public survey page: the customer opens the link from the e-mail, sees the case's
reference and subject and the questions, and answers once — a GET never records anything."""

import re
import secrets

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import EventKind, TicketEvent
from surveys.models import (
    FollowUp,
    InvitationStatus,
    Source,
    SurveyInvitation,
    SurveyResponse,
)
from surveys.services import expire_invitations, token_for
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


def page_of(token: str) -> str:
    return reverse("surveys:answer", kwargs={"token": token})


def thanks_of(token: str) -> str:
    return reverse("surveys:thanks", kwargs={"token": token})


def checked(html: str, name: str) -> list[str]:
    """The values of the radio buttons of `name` that are checked."""
    return re.findall(rf'name="{name}" id="{name}-\d+" value="(\d+)"[^>]* checked', html)


def snapshot():
    """What a refused or read-only request must leave untouched."""
    return (
        SurveyResponse.objects.count(),
        FollowUp.objects.count(),
        TicketEvent.objects.count(),
        list(SurveyInvitation.objects.values_list("pk", "status", "answered_at")),
    )


@pytest.fixture
def reader(client):
    """Lucía prefers Spanish; this reader chose English with the language switcher."""
    client.cookies["django_language"] = "en"
    return client


# --- what the page shows ----------------------------------------------------------------------


def test_the_page_asks_the_three_questions_on_their_scales_with_the_end_labels(reader, token):
    response = reader.get(page_of(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<fieldset") == 3
    assert "<legend" in html
    for name, scores in (("csat", range(1, 6)), ("ces", range(1, 8)), ("nps", range(0, 11))):
        values = re.findall(rf'<input type="radio" class="btn-check" name="{name}"[^>]*', html)
        assert [re.search(r'value="(\d+)"', v).group(1) for v in values] == [str(s) for s in scores]
        for score in scores:
            assert f'<label class="btn btn-outline-primary survey-score" for="{name}-{score}">' in (
                html
            )
    assert "How satisfied are you with the service you received?" in html
    assert "How easy was it to get your issue resolved?" in html
    assert "How likely are you to recommend us to a friend or colleague?" in html
    for label in (
        "Very dissatisfied",
        "Very satisfied",
        "Very difficult",
        "Very easy",
        "Not at all likely",
        "Extremely likely",
    ):
        assert f'<span class="visually-hidden">: {label}</span>' in html
    assert 'name="comment"' in html
    assert 'for="id_comment"' in html
    assert checked(html, "csat") == checked(html, "ces") == checked(html, "nps") == []


def test_the_page_shows_the_case_reference_and_subject_and_nothing_else_private(
    reader, invitation, token
):
    ticket = invitation.ticket
    html = reader.get(page_of(token)).content.decode()

    assert ticket.reference in html
    assert ticket.subject in html
    for private in (
        ticket.customer.name,
        ticket.customer.email,
        ticket.description,
        ticket.resolution,
        "Here is the fix.",
        "Ana",
        "Soporte N1",
    ):
        assert private not in html, private


def test_the_page_is_private_no_referrer_no_cache_and_not_indexed(client, token):
    response = client.get(page_of(token))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store, private"
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_markup_in_the_subject_is_shown_as_text(reader, customer, ana, team_n1, resolve):
    ticket = make_ticket(
        by=ana, customer=customer, team=team_n1, subject='<img src=x onerror="alert(1)">'
    )
    resolve(ticket)
    token = token_for(SurveyInvitation.objects.get(ticket=ticket))

    html = reader.get(page_of(token)).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


# --- a GET never records ----------------------------------------------------------------------


def test_a_score_from_the_email_link_is_preselected_and_nothing_is_recorded(reader, token):
    before = snapshot()

    response = reader.get(page_of(token) + "?csat=4")

    assert response.status_code == 200
    html = response.content.decode()
    assert checked(html, "csat") == ["4"]
    assert checked(html, "ces") == checked(html, "nps") == []
    assert "not sent yet" in html
    assert snapshot() == before


def test_a_score_outside_the_scale_in_the_link_preselects_nothing(reader, token):
    before = snapshot()
    for query in ("?csat=9", "?csat=abc", "?csat=", "?csat=4.0", "?nps=-1"):
        response = reader.get(page_of(token) + query)
        assert response.status_code == 200, query
        html = response.content.decode()
        assert checked(html, "csat") == checked(html, "nps") == [], query
    assert snapshot() == before


# --- answering --------------------------------------------------------------------------------


def test_posting_the_answers_records_them_from_the_web_and_shows_the_thanks_page(
    reader, invitation, token, ana, team_n1
):
    response = reader.post(
        page_of(token), {"csat": "4", "ces": "6", "nps": "9", "comment": "  Quick and kind.  "}
    )

    assert response.status_code == 302
    assert response["Location"] == thanks_of(token)
    answer = SurveyResponse.objects.get()
    assert (answer.csat, answer.ces, answer.nps) == (4, 6, 9)
    assert answer.comment == "Quick and kind."
    assert answer.source == Source.WEB
    assert (answer.ticket, answer.agent, answer.team) == (invitation.ticket, ana, team_n1)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert not FollowUp.objects.exists()  # a promoter needs no call back

    thanks = reader.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you for your answers!" in thanks.content.decode()
    assert thanks["Cache-Control"] == "no-store, private"


def test_every_question_is_optional_but_one_answer_is_needed(reader, token):
    response = reader.post(page_of(token), {"csat": "", "ces": "", "nps": "", "comment": " "})

    assert response.status_code == 400
    assert "Answer at least one question." in response.content.decode()
    assert not SurveyResponse.objects.exists()

    assert reader.post(page_of(token), {"ces": "7"}).status_code == 302
    assert SurveyResponse.objects.get().ces == 7


def test_the_thanks_page_before_answering_sends_back_to_the_form(reader, token):
    response = reader.get(thanks_of(token))
    assert response.status_code == 302
    assert response["Location"] == page_of(token)


def test_a_second_answer_changes_nothing_and_says_already_answered(reader, token):
    reader.post(page_of(token), {"csat": "5", "comment": "Great"})
    before = snapshot()

    again = reader.post(page_of(token), {"csat": "1", "nps": "0", "comment": "Changed my mind"})

    assert again.status_code == 200
    assert "You already answered this survey. Thank you!" in again.content.decode()
    assert snapshot() == before
    answer = SurveyResponse.objects.get()
    assert (answer.csat, answer.nps, answer.comment) == (5, None, "Great")

    later = reader.get(page_of(token) + "?csat=1")
    assert later.status_code == 200
    assert "You already answered this survey. Thank you!" in later.content.decode()
    assert 'name="csat"' not in later.content.decode()
    assert snapshot() == before


BAD_SCORES = [
    ("csat", "6", "Choose a whole number from 1 to 5."),
    ("csat", "0", "Choose a whole number from 1 to 5."),
    ("csat", "abc", "Choose a whole number from 1 to 5."),
    ("csat", "4.5", "Choose a whole number from 1 to 5."),
    ("csat", "-1", "Choose a whole number from 1 to 5."),
    ("csat", "٣", "Choose a whole number from 1 to 5."),  # an Arabic-Indic digit
    ("ces", "8", "Choose a whole number from 1 to 7."),
    ("nps", "11", "Choose a whole number from 0 to 10."),
    ("nps", "9999999999", "Choose a whole number from 0 to 10."),
    ("nps", "9" * 5000, "That is not one of the scores."),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_SCORES)
def test_a_score_off_its_scale_is_refused_and_what_was_typed_is_kept(
    reader, token, name, value, message
):
    before = snapshot()
    answers = {"csat": "2", "ces": "3", "nps": "5", "comment": "The <b>printer</b> still smells"}
    answers[name] = value

    response = reader.post(page_of(token), answers)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'aria-describedby="{name}-errors"' in html
    assert "The &lt;b&gt;printer&lt;/b&gt; still smells</textarea>" in html
    for other in {"csat", "ces", "nps"} - {name}:
        assert checked(html, other) == [answers[other]]
    assert snapshot() == before


def test_a_comment_over_the_limit_is_refused_and_kept(reader, token):
    response = reader.post(page_of(token), {"csat": "4", "comment": "x" * 5001})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Please keep the comment under 5000 characters." in html
    assert "x" * 5001 + "</textarea>" in html
    assert checked(html, "csat") == ["4"]
    assert not SurveyResponse.objects.exists()


def test_the_answer_needs_the_pages_csrf_token(invitation, token):
    client = Client(enforce_csrf_checks=True)
    response = client.post(page_of(token), {"csat": "5"})
    assert response.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_only_the_questions_the_invitation_asks_are_shown_and_accepted(
    reader, settings, customer, ana, team_n1, resolve
):
    settings.SURVEY_QUESTIONS = ["csat", "ces"]
    # The invitation keeps the questions of its creation: create it after the override.
    ticket = resolve(make_ticket(by=ana, customer=customer, team=team_n1))
    token = token_for(SurveyInvitation.objects.get(ticket=ticket))

    html = reader.get(page_of(token) + "?nps=3&csat=2").content.decode()
    assert html.count("<fieldset") == 2
    assert 'name="nps"' not in html
    assert "recommend us" not in html
    assert checked(html, "csat") == ["2"]

    before = snapshot()
    refused = reader.post(page_of(token), {"csat": "4", "nps": "3"})
    assert refused.status_code == 400
    assert "This question is not part of the survey." in refused.content.decode()
    huge = reader.post(page_of(token), {"csat": "4", "nps": "9" * 50})
    assert huge.status_code == 400
    assert "Recommendation (NPS): That is not one of the scores." in huge.content.decode()
    assert snapshot() == before

    settings.SURVEY_QUESTIONS = ["csat", "ces", "nps"]  # a later change leaves it as it was
    assert reader.post(page_of(token), {"csat": "4", "ces": "5"}).status_code == 302
    assert (SurveyResponse.objects.get().csat, SurveyResponse.objects.get().nps) == (4, None)


# --- expired, withdrawn, unknown --------------------------------------------------------------


def test_an_expired_survey_shows_a_polite_page_with_410_and_refuses_answers(
    reader, invitation, token
):
    before = snapshot()
    with time_machine.travel(invitation.expires_at, tick=False):
        page = reader.get(page_of(token) + "?csat=5")
        answer = reader.post(page_of(token), {"csat": "5"})

    for response in (page, answer):
        assert response.status_code == 410
        html = response.content.decode()
        assert "This survey has closed" in html
        assert invitation.ticket.reference in html
        assert 'name="csat"' not in html
    assert snapshot() == before

    expire_invitations(now=invitation.expires_at)
    assert reader.get(page_of(token)).status_code == 410


def test_a_sent_survey_withdrawn_by_a_reopening_is_expired(reader, invitation, token, ana):
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.SENT)
    case_services.reopen_ticket(ticket=invitation.ticket, by=ana, reason="Still broken")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED

    response = reader.post(page_of(token), {"csat": "1"})

    assert response.status_code == 410
    assert not SurveyResponse.objects.exists()


def _normalised(body: bytes) -> str:
    """The 404 page echoes the requested path (language switcher's `next`) and a fresh CSRF
    mask on every render; nothing else may differ."""
    html = body.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)
    return re.sub(r'name="next" type="hidden" value="[^"]*"', "NEXT", html)


def test_unknown_malformed_and_withdrawn_links_all_get_the_same_plain_404(
    client, settings, invitation, token, ana
):
    settings.SURVEY_RATE = "1000/m"
    # Withdrawn before it was ever sent: the customer never had this link.
    case_services.reopen_ticket(ticket=invitation.ticket, by=ana, reason="Not fixed")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.CANCELLED

    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    bad = [
        token,  # cancelled
        secrets.token_urlsafe(32),
        token[:-1],
        token[:20],
        flipped,
        token + "x",
        "x",
        "%20",
        "a" * 5000,
        invitation.nonce,
        invitation.token_hash,
    ]
    bodies = set()
    for value in bad:
        for response in (
            client.get(f"/s/{value}/"),
            client.get(f"/s/{value}/?csat=5"),
            client.post(f"/s/{value}/", {"csat": "5"}),
            client.get(f"/s/{value}/thanks/"),
        ):
            assert response.status_code == 404, value
            assert invitation.ticket.subject not in response.content.decode()
            bodies.add(_normalised(response.content))
    assert len(bodies) == 1
    assert not SurveyResponse.objects.exists()


def test_guessing_tokens_is_rate_limited_per_ip(client, settings, token):
    settings.SURVEY_RATE = "3/m"
    assert client.get(f"/s/{secrets.token_urlsafe(32)}/").status_code == 404
    assert client.post(f"/s/{secrets.token_urlsafe(32)}/", {"csat": "5"}).status_code == 404
    assert client.get(f"/s/{secrets.token_urlsafe(32)}/thanks/").status_code == 404

    assert client.get(page_of(token)).status_code == 429
    assert client.post(page_of(token), {"csat": "5"}).status_code == 429
    assert not SurveyResponse.objects.exists()

    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.get(page_of(token)).status_code == 200


# --- language ---------------------------------------------------------------------------------


def test_a_spanish_customer_gets_the_page_in_spanish_unless_they_chose_english(client, token):
    response = client.get(page_of(token))
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()
    assert "Idioma" in response.content.decode()

    client.cookies["django_language"] = "en"
    response = client.get(page_of(token))
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


def test_an_english_customer_gets_the_page_in_english_whatever_the_browser_says(
    client, ana, team_n1, resolve
):
    customer = CustomerFactory(name="John Smith", email="john@example.com", language="en")
    ticket = resolve(make_ticket(by=ana, customer=customer, team=team_n1))
    token = token_for(SurveyInvitation.objects.get(ticket=ticket))

    response = client.get(page_of(token), HTTP_ACCEPT_LANGUAGE="es")

    assert response["Content-Language"] == "en"
    assert "How satisfied are you with the service you received?" in response.content.decode()


# --- the closed loop --------------------------------------------------------------------------


def test_a_detractors_answer_opens_a_follow_up_on_the_tickets_timeline(
    reader, invitation, token, marta, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reader.post(page_of(token), {"csat": "2", "nps": "3", "comment": "Slow."})

    assert response.status_code == 302
    answer = SurveyResponse.objects.get()
    follow_up = FollowUp.objects.get()
    assert follow_up.response == answer
    assert follow_up.ticket == invitation.ticket
    assert sorted(follow_up.reasons) == ["detractor", "unhappy_csat"]
    kinds = list(invitation.ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.SURVEY_ANSWERED, EventKind.FOLLOW_UP_OPENED]
    answered = invitation.ticket.events.get(kind=EventKind.SURVEY_ANSWERED)
    assert (answered.data["csat"], answered.data["nps"]) == (2, 3)
    assert [m.to for m in mail.outbox] == [[marta.email]]
