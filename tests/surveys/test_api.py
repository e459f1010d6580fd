"""The survey API: other channels answer with the link's token; staff read the answers their
role lets them see; managers work the follow-ups."""

import secrets
from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Channel, EventKind, Priority, TicketEvent
from surveys.models import (
    FollowUp,
    FollowUpStatus,
    InvitationStatus,
    Source,
    SurveyInvitation,
    SurveyResponse,
)
from surveys.services import answer_survey, token_for
from tests.api.helpers import token_client
from tests.factories import CustomerFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db


def answer_url(token: str) -> str:
    return reverse("surveys_api:survey-answer", kwargs={"token": token})


RESPONSES = reverse("surveys_api:response-list")
FOLLOW_UPS = reverse("surveys_api:follow-up-list")


def follow_up_url(pk: int) -> str:
    return reverse("surveys_api:follow-up-detail", kwargs={"id": pk})


def snapshot():
    return (
        list(SurveyResponse.objects.values_list("pk", "csat", "ces", "nps", "comment")),
        list(SurveyInvitation.objects.values_list("pk", "status")),
        list(FollowUp.objects.values_list("pk", "owner", "status")),
        TicketEvent.objects.count(),
    )


@pytest.fixture
def public():
    """The IVR or chat widget: no session, no token, CSRF checks on."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def nobody(db):
    return UserFactory(username="nadie")


# --- answering with the token -----------------------------------------------------------------


def test_an_answer_through_the_api_is_stored_with_source_api(public, invitation, token, ana):
    response = public.post(
        answer_url(token),
        {"csat": 5, "ces": 6, "nps": 10, "comment": " Great help "},
        format="json",
    )

    assert response.status_code == 201, response.content
    answer = SurveyResponse.objects.get()
    assert response.json() == {
        "id": answer.pk,
        "reference": invitation.ticket.reference,
        "csat": 5,
        "ces": 6,
        "nps": 10,
        "comment": "Great help",
        "source": "api",
        "answered_at": response.json()["answered_at"],
    }
    assert answer.source == Source.API
    assert answer.agent == ana
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED


def test_the_answer_endpoint_ignores_a_session_and_needs_no_csrf_token(public, token, ana):
    public.login(username="ana", password="pulso-test")
    response = public.post(answer_url(token), {"csat": 4}, format="json")
    assert response.status_code == 201
    assert SurveyResponse.objects.get().csat == 4


def test_null_means_not_answered(public, token):
    response = public.post(
        answer_url(token), {"csat": 3, "ces": None, "nps": None, "comment": None}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["ces"] is None
    assert response.json()["comment"] == ""


def test_a_second_answer_is_409_and_changes_nothing(public, token):
    public.post(answer_url(token), {"csat": 5}, format="json")
    before = snapshot()

    response = public.post(answer_url(token), {"csat": 1, "nps": 0}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "This survey was already answered. Thank you!"}
    assert snapshot() == before


BAD_BODIES = [
    ({"csat": 6}, "csat"),
    ({"csat": 0}, "csat"),
    ({"csat": -1}, "csat"),
    ({"csat": "abc"}, "csat"),
    ({"csat": 4.5}, "csat"),
    ({"csat": 4.0}, "csat"),
    ({"csat": True}, "csat"),
    ({"ces": 8}, "ces"),
    ({"ces": [5]}, "ces"),
    ({"ces": {"score": 5}}, "ces"),
    ({"nps": 11}, "nps"),
    ({"nps": 10**30}, "nps"),
    ({"nps": "9" * 5000}, "nps"),
    ({"csat": 4, "comment": "x" * 5001}, "comment"),
    ({"csat": 4, "comment": True}, "comment"),
    ({"csat": 4, "score": 5}, "score"),
    ({}, "non_field_errors"),
    ({"csat": None, "ces": None, "nps": None, "comment": "  "}, "non_field_errors"),
    ([4, 5], "non_field_errors"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_a_bad_answer_is_400_with_the_field_and_nothing_is_stored(public, token, body, field):
    before = snapshot()

    response = public.post(answer_url(token), body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)
    assert snapshot() == before


def test_a_huge_number_that_is_not_json_is_400(public, token):
    response = public.post(
        answer_url(token), '{"nps": ' + "9" * 5000 + "}", content_type="application/json"
    )
    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_the_range_message_names_the_scale(public, token):
    response = public.post(answer_url(token), {"ces": 0}, format="json")
    assert response.json() == {"ces": ["Choose a whole number from 1 to 7."]}


def test_a_form_encoded_body_is_refused(public, token):
    response = public.post(answer_url(token), {"csat": "4"})
    assert response.status_code == 415
    assert not SurveyResponse.objects.exists()


def test_a_question_the_survey_does_not_ask_is_refused(
    public, settings, customer, ana, team_n1, resolve
):
    settings.SURVEY_QUESTIONS = ["nps"]
    ticket = resolve(make_ticket(by=ana, customer=customer, team=team_n1))
    token = token_for(SurveyInvitation.objects.get(ticket=ticket))

    refused = public.post(answer_url(token), {"nps": 9, "csat": 5}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"csat": ["This question is not part of the survey."]}

    assert public.post(answer_url(token), {"nps": 9}, format="json").status_code == 201


def test_an_expired_survey_is_410(public, invitation, token):
    with time_machine.travel(invitation.expires_at, tick=False):
        response = public.post(answer_url(token), {"csat": 5}, format="json")
    assert response.status_code == 410
    assert response.json() == {"detail": "This survey has expired."}
    assert not SurveyResponse.objects.exists()


def test_unknown_malformed_and_withdrawn_tokens_are_404_alike(
    public, settings, invitation, token, ana
):
    settings.SURVEY_RATE = "1000/m"
    case_services.reopen_ticket(ticket=invitation.ticket, by=ana, reason="Not fixed")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.CANCELLED
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]

    bodies = set()
    for value in (
        token,
        secrets.token_urlsafe(32),
        token[:-1],
        flipped,
        "x",
        "a" * 500,
        invitation.token_hash,
    ):
        response = public.post(answer_url(value), {"csat": 5}, format="json")
        assert response.status_code == 404, value
        bodies.add(response.content)
    assert len(bodies) == 1
    assert not SurveyResponse.objects.exists()


def test_the_answer_endpoint_is_throttled_per_client_ip(public, settings, token):
    settings.SURVEY_RATE = "2/m"
    for _ in range(2):
        bad = public.post(answer_url(secrets.token_urlsafe(32)), {"csat": 5}, format="json")
        assert bad.status_code == 404

    response = public.post(answer_url(token), {"csat": 5}, format="json")

    assert response.status_code == 429
    assert "Retry-After" in response
    assert not SurveyResponse.objects.exists()
    other = APIClient(REMOTE_ADDR="192.0.2.8")
    assert other.post(answer_url(token), {"csat": 5}, format="json").status_code == 201


def test_the_rate_accepts_django_ratelimits_multi_unit_syntax(public, settings, token):
    settings.SURVEY_RATE = "1/5m"
    public.post(answer_url(secrets.token_urlsafe(32)), {"csat": 5}, format="json")
    assert public.post(answer_url(token), {"csat": 5}, format="json").status_code == 429


def test_a_detractors_api_answer_opens_a_follow_up(public, invitation, token):
    response = public.post(answer_url(token), {"nps": 2}, format="json")

    assert response.status_code == 201
    follow_up = FollowUp.objects.get()
    assert follow_up.reasons == ["detractor"]
    kinds = list(invitation.ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.SURVEY_ANSWERED, EventKind.FOLLOW_UP_OPENED]


# --- the responses list -----------------------------------------------------------------------


def answered(*, agent, team, channel=Channel.PHONE, priority=Priority.NORMAL, **scores):
    """A ticket of `team` held and resolved by `agent`, whose customer answered `scores`."""
    ticket = make_ticket(
        by=agent,
        customer=CustomerFactory(),
        team=team,
        assignee=agent,
        channel=channel,
        priority=priority,
        category=scores.pop("category", None),
    )
    case_services.add_reply(ticket=ticket, by=agent, body="Fixed.")
    case_services.resolve_ticket(ticket=ticket, by=agent, resolution="Fixed.")
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    return answer_survey(invitation=invitation, source=Source.WEB, **scores)


@pytest.fixture
def answers(ana, carla, team_n1, team_n2, billing):
    """Two answers about Soporte N1 (Ana's), one about Soporte N2 (Carla's)."""
    return {
        "promoter": answered(
            agent=ana, team=team_n1, csat=5, nps=10, comment="Great", category=billing
        ),
        "detractor": answered(
            agent=ana, team=team_n1, csat=2, nps=3, channel=Channel.EMAIL, priority=Priority.HIGH
        ),
        "n2": answered(agent=carla, team=team_n2, ces=6),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def test_agents_see_their_teams_answers_managers_and_admins_all(
    answers, ana, bruno, carla, marta, adrian
):
    n1 = {answers["promoter"].pk, answers["detractor"].pk}
    assert ids(token_client(ana).get(RESPONSES)) == n1
    assert ids(token_client(bruno).get(RESPONSES)) == n1
    assert ids(token_client(carla).get(RESPONSES)) == {answers["n2"].pk}
    everything = {a.pk for a in answers.values()}
    assert ids(token_client(marta).get(RESPONSES)) == everything
    assert ids(token_client(adrian).get(RESPONSES)) == everything


def test_a_user_without_a_role_gets_403_and_anonymous_401(answers, nobody):
    assert token_client(nobody).get(RESPONSES).status_code == 403
    assert token_client(None).get(RESPONSES).status_code == 401


def test_an_answer_in_the_list_carries_its_ticket_people_scores_and_follow_up(answers, marta):
    body = token_client(marta).get(RESPONSES).json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    detractor = answers["detractor"]
    item = next(i for i in body["results"] if i["id"] == detractor.pk)
    follow_up = FollowUp.objects.get(response=detractor)
    ticket = detractor.ticket
    assert item == {
        "id": detractor.pk,
        "ticket": {"id": ticket.pk, "reference": ticket.reference, "subject": ticket.subject},
        "customer": {"id": ticket.customer.pk, "name": ticket.customer.name},
        "agent": {"id": detractor.agent.pk, "name": "Ana Pérez"},
        "team": {"id": detractor.team.pk, "name": "Soporte N1"},
        "csat": 2,
        "ces": None,
        "nps": 3,
        "comment": "",
        "source": "web",
        "answered_at": item["answered_at"],
        "follow_up": {"id": follow_up.pk, "status": "open"},
    }
    promoter = next(i for i in body["results"] if i["id"] == answers["promoter"].pk)
    assert promoter["follow_up"] is None


def test_the_list_filters_like_the_responses_page(answers, marta, ana, carla, team_n2, billing):
    client = token_client(marta)
    a = {name: answer.pk for name, answer in answers.items()}
    assert ids(client.get(RESPONSES, {"team": team_n2.pk})) == {a["n2"]}
    assert ids(client.get(RESPONSES, {"agent": ana.pk})) == {a["promoter"], a["detractor"]}
    assert ids(client.get(RESPONSES, {"csat": 2})) == {a["detractor"]}
    assert ids(client.get(RESPONSES, {"ces": 6})) == {a["n2"]}
    assert ids(client.get(RESPONSES, {"nps": 10})) == {a["promoter"]}
    assert ids(client.get(RESPONSES, {"group": "detractor"})) == {a["detractor"]}
    assert ids(client.get(RESPONSES, {"group": "commented"})) == {a["promoter"]}
    assert ids(client.get(RESPONSES, {"channel": "email"})) == {a["detractor"]}
    assert ids(client.get(RESPONSES, {"priority": "high"})) == {a["detractor"]}
    assert ids(client.get(RESPONSES, {"category": billing.pk})) == {a["promoter"]}
    # An agent's filters narrow what they may see; they never widen it.
    assert ids(token_client(ana).get(RESPONSES, {"team": team_n2.pk})) == set()
    assert ids(token_client(carla).get(RESPONSES, {"agent": ana.pk})) == set()


def test_the_list_filters_by_answer_date(ana, team_n1, marta):
    tz = timezone.get_current_timezone()
    with time_machine.travel(datetime(2030, 3, 1, 12, tzinfo=tz), tick=False):
        early = answered(agent=ana, team=team_n1, csat=4)
    with time_machine.travel(datetime(2030, 3, 5, 12, tzinfo=tz), tick=False):
        late = answered(agent=ana, team=team_n1, csat=4)
    client = token_client(marta)
    assert ids(client.get(RESPONSES, {"answered_after": "2030-03-02"})) == {late.pk}
    assert ids(client.get(RESPONSES, {"answered_before": "2030-03-02"})) == {early.pk}
    params = {"answered_after": "2030-03-01", "answered_before": "2030-03-06"}
    assert ids(client.get(RESPONSES, params)) == {early.pk, late.pk}


@pytest.mark.parametrize(
    "params",
    [{"team": "abc"}, {"team": 999999}, {"csat": "x"}, {"group": "happy"}, {"answered_after": "1"}],
)
def test_a_bad_filter_is_400(answers, marta, params):
    response = token_client(marta).get(RESPONSES, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_the_list_is_paginated(answers, marta):
    body = token_client(marta).get(RESPONSES, {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"] is None


def test_the_list_costs_the_same_queries_for_many_answers(ana, team_n1, marta):
    client = token_client(marta)
    answered(agent=ana, team=team_n1, csat=1, nps=0)

    with CaptureQueriesContext(connection) as one:
        assert client.get(RESPONSES).status_code == 200
    for score in range(5):
        answered(agent=ana, team=team_n1, csat=score + 1, nps=score, comment="Hm")
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(RESPONSES).json()["results"]) == 6

    assert len(six) == len(one)


# --- follow-ups -------------------------------------------------------------------------------


@pytest.fixture
def follow_up(answers) -> FollowUp:
    return FollowUp.objects.get(response=answers["detractor"])


def test_managers_and_admins_list_follow_ups_agents_and_no_role_get_403(
    follow_up, marta, adrian, ana, nobody
):
    for user in (marta, adrian):
        assert ids(token_client(user).get(FOLLOW_UPS)) == {follow_up.pk}
    for user in (ana, nobody):
        response = token_client(user).get(FOLLOW_UPS)
        assert response.status_code == 403
        assert "detail" in response.json()
    assert token_client(None).get(FOLLOW_UPS).status_code == 401


def test_a_follow_up_in_the_list_has_its_ticket_team_owner_status_reasons_and_scores(
    follow_up, marta
):
    item = token_client(marta).get(FOLLOW_UPS).json()["results"][0]
    ticket = follow_up.ticket
    assert item == {
        "id": follow_up.pk,
        "ticket": {"id": ticket.pk, "reference": ticket.reference, "subject": ticket.subject},
        "team": {"id": follow_up.team_id, "name": "Soporte N1"},
        "owner": None,
        "status": "open",
        "reasons": ["detractor", "unhappy_csat"],
        "response": {
            "id": follow_up.response_id,
            "csat": 2,
            "ces": None,
            "nps": 3,
            "comment": "",
            "answered_at": item["response"]["answered_at"],
        },
        "notes": [],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "closed_at": None,
    }


def test_follow_ups_filter_by_status_team_and_owner(ana, carla, team_n1, team_n2, marta, adrian):
    n1 = answered(agent=ana, team=team_n1, nps=1).follow_up
    n2 = answered(agent=carla, team=team_n2, csat=1).follow_up
    client = token_client(marta)
    client.patch(follow_up_url(n2.pk), {"owner": marta.pk, "status": "contacted"}, format="json")

    assert ids(client.get(FOLLOW_UPS, {"team": team_n1.pk})) == {n1.pk}
    assert ids(client.get(FOLLOW_UPS, {"status": "contacted"})) == {n2.pk}
    assert ids(client.get(FOLLOW_UPS, {"status": "open"})) == {n1.pk}
    assert ids(client.get(FOLLOW_UPS, {"owner": marta.pk})) == {n2.pk}
    assert ids(client.get(FOLLOW_UPS, {"owner": adrian.pk})) == set()
    assert client.get(FOLLOW_UPS, {"status": "closed"}).status_code == 400


def test_the_follow_up_list_costs_the_same_queries_for_many(ana, team_n1, marta):
    client = token_client(marta)
    first = answered(agent=ana, team=team_n1, nps=0).follow_up
    client.patch(follow_up_url(first.pk), {"note": "Called, no answer"}, format="json")
    with CaptureQueriesContext(connection) as one:
        assert client.get(FOLLOW_UPS).status_code == 200
    for _ in range(4):
        other = answered(agent=ana, team=team_n1, nps=2).follow_up
        client.patch(follow_up_url(other.pk), {"owner": marta.pk, "note": "Mine"}, format="json")
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(FOLLOW_UPS).json()["results"]) == 5
    assert len(five) == len(one)


def test_a_manager_takes_a_follow_up_contacts_the_customer_and_notes_it(follow_up, marta):
    response = token_client(marta).patch(
        follow_up_url(follow_up.pk),
        {"owner": marta.pk, "status": "contacted", "note": "Called her; sending a voucher."},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["owner"] == {"id": marta.pk, "name": "Marta Gómez"}
    assert body["status"] == "contacted"
    assert [n["body"] for n in body["notes"]] == ["Called her; sending a voucher."]
    assert body["notes"][0]["author"] == {"id": marta.pk, "name": "Marta Gómez"}
    follow_up.refresh_from_db()
    assert (follow_up.owner, follow_up.status) == (marta, FollowUpStatus.CONTACTED)
    event = follow_up.ticket.events.filter(kind=EventKind.FOLLOW_UP_UPDATED).get()
    assert event.actor == marta
    assert event.data["status"] == "contacted"

    done = token_client(marta).patch(
        follow_up_url(follow_up.pk), {"status": "resolved", "owner": None}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["owner"] is None
    assert done.json()["closed_at"] is not None


def test_a_manager_reads_one_follow_up(follow_up, marta, ana):
    assert token_client(marta).get(follow_up_url(follow_up.pk)).json()["id"] == follow_up.pk
    assert token_client(ana).get(follow_up_url(follow_up.pk)).status_code == 403
    assert token_client(marta).get(follow_up_url(987654)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "detail"),
        ({"note": "   "}, "detail"),
        ({"status": "closed"}, "status"),
        ({"status": None}, "status"),
        ({"owner": 987654}, "owner"),
        ({"owner": "marta"}, "owner"),
        ({"owner": True}, "owner"),
        ({"owner": "nobody"}, "owner"),  # replaced by the id of a user without a role
        ({"reasons": ["none"]}, "reasons"),
    ],
)
def test_a_bad_follow_up_change_is_400_and_changes_nothing(follow_up, marta, nobody, body, field):
    if body.get("owner") == "nobody":
        body = {"owner": nobody.pk}
    before = snapshot()

    response = token_client(marta).patch(follow_up_url(follow_up.pk), body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert snapshot() == before


def test_agents_and_people_without_a_role_cannot_change_a_follow_up(follow_up, ana, nobody, marta):
    before = snapshot()
    body = {"owner": ana.pk, "status": "resolved", "note": "Done"}
    path = follow_up_url(follow_up.pk)
    for user, code in ((ana, 403), (nobody, 403), (None, 401)):
        assert token_client(user).patch(path, body, format="json").status_code == code
    unknown = token_client(marta).patch(follow_up_url(987654), body, format="json")
    assert unknown.status_code == 404
    assert snapshot() == before


def test_the_survey_endpoints_are_in_the_schema(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    schema = (tmp_path / "s.yml").read_text()
    for path in (
        "/api/v1/surveys/{token}/responses/",
        "/api/v1/surveys/responses/",
        "/api/v1/surveys/follow-ups/",
        "/api/v1/surveys/follow-ups/{id}/",
    ):
        assert f"  {path}:" in schema
