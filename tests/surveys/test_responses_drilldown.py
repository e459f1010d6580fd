"""The responses list's drill-down parameters (surveys/filters.py): answers placed to the
second as the KPIs place them, of one question, of one value of each driver that
metrics/definitions.py computes (the same answers, at the buckets' edges too), of tagged
tickets, without a team or agent."""

from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from cases import services as case_services
from cases.models import Ticket
from metrics import definitions
from surveys.filters import ResponseFilter
from surveys.models import SurveyResponse
from tests.surveys.test_responses_page import answered

pytestmark = pytest.mark.django_db

LIST_URL = reverse("surveys:response_list")


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(settings.TIME_ZONE))


def listed(client, query: str) -> set[int]:
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 200
    assert "drill-down-error" not in response.content.decode()
    return {r.pk for r in response.context["page_obj"]}


def at(response: SurveyResponse, moment: datetime) -> SurveyResponse:
    SurveyResponse.objects.filter(pk=response.pk).update(answered_at=moment)
    return response


def test_answered_from_and_until_place_answers_to_the_second(client, marta, ana, team_n1):
    client.force_login(marta)
    early = at(answered(by=ana, team=team_n1, csat=5), local(2026, 11, 1) - timedelta(seconds=1))
    first = at(answered(by=ana, team=team_n1, nps=9), local(2026, 11, 1))
    late = at(answered(by=ana, team=team_n1, ces=6), local(2026, 11, 30, 23, 59, 59))
    assert listed(client, "answered_from=2026-11-01&answered_until=2026-12-01") == {
        first.pk,
        late.pk,
    }
    assert listed(client, "answered_from=2026-10-31T23:59:59&answered_until=2026-11-01") == {
        early.pk
    }
    # The whole-day filters keep working beside them.
    assert listed(client, "answered_after=2026-11-01&answered_before=2026-12-01") == {
        first.pk,
        late.pk,
    }


def test_a_question_and_the_easy_group(client, marta, ana, team_n1):
    client.force_login(marta)
    csat = answered(by=ana, team=team_n1, csat=4)
    nps = answered(by=ana, team=team_n1, nps=3)
    easy = answered(by=ana, team=team_n1, ces=5)
    hard = answered(by=ana, team=team_n1, ces=4)
    assert listed(client, "question=csat") == {csat.pk}
    assert listed(client, "question=nps") == {nps.pk}
    assert listed(client, "question=ces") == {easy.pk, hard.pk}
    assert listed(client, "group=easy") == {easy.pk}


@pytest.fixture
def driver_answers(ana, team_n1):
    """Answers whose tickets sit on each driver's edges: first responses exactly at 0 s, 1 h
    less a second, 1 h, 4 h, 24 h and never; escalated, reopened; 0–6 public replies."""
    made = []
    for seconds, escalations, reopens, replies in (
        (0, 0, 0, 0),
        (3599, 1, 0, 1),
        (3600, 0, 2, 2),
        (4 * 3600, 0, 0, 3),
        (86399, 2, 1, 4),
        (86400, 0, 0, 5),
        (None, 0, 0, 6),
    ):
        response = answered(by=ana, team=team_n1, csat=4)
        ticket = response.ticket
        first = None if seconds is None else ticket.created_at + timedelta(seconds=seconds)
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_at=first,
            escalation_count=escalations,
            reopen_count=reopens,
            public_agent_replies=replies,
        )
        made.append(response.pk)
    return made


def test_each_driver_value_lists_the_answers_the_driver_tables_count(client, marta, driver_answers):
    client.force_login(marta)
    responses = SurveyResponse.objects.filter(pk__in=driver_answers)
    parameters = {"frt": "frt", "escalated": "escalated", "reopened": "reopened"}
    parameters |= {"public_replies": "public_replies", "channel": "channel"}
    checked = 0
    for name in definitions.DRIVER_NAMES:
        annotated, expression = definitions.driver_values(responses, name)
        by_value: dict[str | None, set[int]] = {}
        for pk, value in annotated.annotate(value=expression).values_list("pk", "value"):
            by_value.setdefault(value, set()).add(pk)
        for value, pks in by_value.items():
            if name == "category":
                query = f"category_name={quote(value)}" if value else "without=category"
            else:
                query = f"{parameters[name]}={quote(str(value))}"
            assert listed(client, query) == pks, (name, value)
            checked += 1
    assert checked >= 5 + 2 + 2 + 4 + 1 + 1


def test_tags_and_without(client, marta, ana, team_n1):
    client.force_login(marta)
    vip = answered(by=ana, team=team_n1, csat=5)
    case_services.change_tags(ticket=vip.ticket, by=ana, add=["vip", "envío"])
    other = answered(by=ana, team=team_n1, csat=2)
    SurveyResponse.objects.filter(pk=other.pk).update(agent=None, team=None)
    assert listed(client, "tag=vip") == {vip.pk}
    assert listed(client, "tag=vip&tag=env%C3%ADo") == {vip.pk}
    assert listed(client, "tag=vip&tag=nunca") == set()
    assert listed(client, "without=agent") == {other.pk}
    assert listed(client, "without=team&without=agent") == {other.pk}


def test_the_drill_down_is_said_and_kept(client, marta, ana, team_n1):
    client.force_login(marta)
    answered(by=ana, team=team_n1, csat=5)
    query = "answered_from=2026-11-01&answered_until=2026-12-01&question=csat&escalated=no"
    page = client.get(f"{LIST_URL}?{query}").content.decode()
    assert "Answered 1 Nov 2026 – 30 Nov 2026 · CSAT answers · Not escalated" in page
    assert 'type="hidden" name="question" value="csat"' in page
    assert f'drill-down-clear" href="{LIST_URL}"' in page  # the way out


@pytest.mark.parametrize(
    "query",
    [
        "answered_from=soon",
        "answered_until=2026-02-30",
        "question=mood",
        "frt=forever",
        "escalated=maybe",
        "public_replies=9",
        "without=moon",
        "customer=abc",
        "customer=99999999999999999999",
    ],
)
def test_invalid_values_are_reported(client, marta, query):
    client.force_login(marta)
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 200
    assert "drill-down-error" in response.content.decode()


def test_the_filters_are_the_apis_too(marta, ana, team_n1):
    from tests.api.helpers import token_client

    csat = answered(by=ana, team=team_n1, csat=4)
    answered(by=ana, team=team_n1, nps=10)
    api = token_client(marta)
    response = api.get("/api/v1/surveys/responses/", {"question": "csat"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [csat.pk]
    assert api.get("/api/v1/surveys/responses/", {"frt": "soon"}).status_code == 400
    # The filter set itself, as the page and the export use it.
    assert ResponseFilter({"question": "csat"}, queryset=SurveyResponse.objects.all()).qs.count()


def test_a_deactivated_agents_answers_still_open(client, marta, ana, bruno, team_n1):
    client.force_login(marta)
    theirs = answered(by=ana, team=team_n1, csat=5)
    answered(by=bruno, team=team_n1, csat=3)
    ana.is_active = False
    ana.save()
    assert listed(client, f"agent={ana.pk}") == {theirs.pk}
