"""The survey responses page's summary from the KPI rollups (metrics.receivers answering
`surveys.signals.summarise_responses`): whenever the filters in force can be answered from
the rollups it equals the live `response_summary` to the last digit, without counting the
responses — a manager's, and an agent's own set (their teams' answers or their own, in
two disjoint parts); any other question (a score filter, an agent filtering on a team or an
agent, a combination no grain keeps, rollups off or not built) is counted live."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Channel, Priority
from metrics import rollups
from metrics.models import RollupChange, SurveyRollup
from metrics.receivers import on_summarise_responses
from surveys import selectors
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import answer_survey
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

LIST_URL = reverse("surveys:response_list")
BOGOTA = ZoneInfo("America/Bogota")  # no daylight saving time: every day is 24 hours
NOW = datetime(2025, 3, 14, 15, 0, tzinfo=BOGOTA)  # a Friday afternoon

# Scores at the boundaries of each group: CSAT 3 | 4, NPS 6 | 7, 8 | 9; some left unanswered.
CSAT = [4, 3, 5, None, 1, 4, 2, 3, 5, 4, None]
NPS = [9, 6, 7, 8, 10, 0, 9, None, 6, 3, 8, 9, 7]
CES = [7, None, 4, 1, 5, None, 6, 2, 3]
CHANNELS = [Channel.PHONE, Channel.EMAIL, Channel.CHAT]
PRIORITIES = [Priority.NORMAL, Priority.URGENT, Priority.LOW, Priority.HIGH]
# Local hours of the day, the first and last ones on either side of local midnight (the UTC
# date differs from the local one after 19:00 in Bogotá).
HOURS = [(0, 10), (9, 0), (13, 30), (19, 30), (23, 50)]


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dora(team_n3):
    return AgentFactory(username="dora", first_name="Dora", last_name="Vega", teams=[team_n3])


@pytest.fixture
def other(db):
    return CategoryFactory(name="Shipping")


def answered(*, by, team, at, csat=None, ces=None, nps=None, **ticket_fields) -> SurveyResponse:
    """A ticket of `team` resolved by `by` and its customer's answer, given `at`."""
    ticket = make_ticket(
        by=by, customer=CustomerFactory.create(), team=team, assignee=by, **ticket_fields
    )
    case_services.add_reply(ticket=ticket, by=by, body="Here is the fix.")
    case_services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed it.")
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    return answer_survey(invitation=invitation, csat=csat, ces=ces, nps=nps, at=at)


@pytest.fixture
def desk(ana, bruno, carla, dora, team_n1, team_n2, team_n3, billing, other):
    """40 answers over the 14 days up to NOW, by four agents of three teams, on every
    channel, two categories and none, four priorities, at hours around local midnight."""
    people = [(ana, team_n1), (bruno, team_n1), (carla, team_n2), (dora, team_n3)]
    categories = [billing, other, None]
    responses = []
    for i in range(40):
        agent, team = people[i % len(people)]
        hour, minute = HOURS[i % len(HOURS)]
        day = NOW.date() - timedelta(days=(i * 3) % 14)
        at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BOGOTA)
        responses.append(
            answered(
                by=agent,
                team=team,
                at=min(at, NOW - timedelta(minutes=1)),
                csat=CSAT[i % len(CSAT)],
                nps=NPS[i % len(NPS)],
                ces=CES[i % len(CES)],
                channel=CHANNELS[i % len(CHANNELS)],
                category=categories[i % len(categories)],
                priority=PRIORITIES[i % len(PRIORITIES)],
            )
        )
    return responses


@pytest.fixture
def live_counts(monkeypatch):
    """How many times the page counted the responses live."""
    calls = []
    counted = selectors.response_summary

    def spy(responses):
        calls.append(responses)
        return counted(responses)

    monkeypatch.setattr(selectors, "response_summary", spy)
    return calls


def summary_of(client, query: dict) -> dict:
    page = client.get(LIST_URL, query)
    assert page.status_code == 200
    return page.context["summary"]


def live_summary_of(client, query: dict) -> dict:
    with override_settings(METRICS_ROLLUPS=False):
        return summary_of(client, query)


def exact(summary: dict) -> dict:
    """Decimal("8.3") == Decimal("8.30"): compare as shown, digit for digit."""
    return {key: str(value) for key, value in summary.items()}


def day(offset: int) -> str:
    return (NOW.date() - timedelta(days=offset)).isoformat()


def params(spec: dict, objects: dict) -> dict:
    return {key: objects.get(value, value) for key, value in spec.items()}


ANSWERED_BY_ROLLUPS = [
    {},
    {"team": "n1"},
    {"team": "n3"},
    {"agent": "ana"},
    {"agent": "dora"},
    {"channel": Channel.EMAIL},
    {"category": "billing"},
    {"priority": Priority.URGENT},
    {"team": "n1", "agent": "bruno"},
    {"team": "n2", "channel": Channel.CHAT},
    {"team": "n1", "category": "shipping"},
    {"agent": "carla", "priority": Priority.LOW},
    {"answered_after": day(5)},
    {"answered_before": day(3)},
    {"answered_after": day(9), "answered_before": day(2)},
    {"answered_after": day(4), "answered_before": day(4)},  # empty: before = after
    {"period": "7"},
    {"period": "30"},
    {"period": "7", "team": "n1"},
    {"answered_after": day(9), "answered_before": day(2), "agent": "ana", "channel": "phone"},
    {"nps": "eleven", "team": "n2"},  # not a valid filter: ignored, live and here alike
]


@pytest.fixture
def objects(desk, team_n1, team_n2, team_n3, ana, bruno, carla, dora, billing, other):
    return {
        "n1": team_n1.pk,
        "n2": team_n2.pk,
        "n3": team_n3.pk,
        "ana": ana.pk,
        "bruno": bruno.pk,
        "carla": carla.pk,
        "dora": dora.pk,
        "billing": billing.pk,
        "shipping": other.pk,
    }


def test_the_rollups_answer_the_summary_exactly(client, marta, objects, live_counts):
    rollups.rebuild()
    client.force_login(marta)
    for spec in ANSWERED_BY_ROLLUPS:
        query = params(spec, objects)
        live_counts.clear()

        summary = summary_of(client, query)
        assert live_counts == [], spec  # from the rollups: the responses were never counted

        live = live_summary_of(client, query)
        assert len(live_counts) == 1, spec
        assert exact(summary) == exact(live), spec


def test_the_desk_covers_every_group_boundary(client, marta, objects):
    """The set above is not trivial: every KPI is there, with answers on either side of each
    group's boundary, and the filters narrow it."""
    responses = SurveyResponse.objects.all()
    assert responses.count() == 40
    for question, values in (("csat", {3, 4}), ("nps", {6, 7, 8, 9})):
        assert values <= set(responses.values_list(question, flat=True))
    rollups.rebuild()
    client.force_login(marta)
    everything = summary_of(client, {})
    assert everything["count"] == 40
    assert None not in (everything["csat"], everything["nps"], everything["ces"])
    assert summary_of(client, {"team": objects["n1"]})["count"] == 20
    assert summary_of(client, {"period": "7"})["count"] < 40


COUNTED_LIVE = [
    {"csat": "4"},
    {"ces": "7"},
    {"nps": "0"},
    {"group": "promoter"},
    {"group": "commented"},
    {"team": "n1", "nps": "9"},
    {"period": "30", "group": "detractor"},
    {"channel": Channel.EMAIL, "category": "billing"},  # no grain keeps both
    {"team": "n1", "agent": "ana", "channel": Channel.PHONE},  # nor three dimensions
]


def test_what_the_rollups_do_not_hold_is_counted_live(client, marta, objects, live_counts):
    rollups.rebuild()
    client.force_login(marta)
    for spec in COUNTED_LIVE:
        query = params(spec, objects)
        live_counts.clear()

        summary = summary_of(client, query)
        assert len(live_counts) == 1, spec
        assert exact(summary) == exact(live_summary_of(client, query)), spec


def test_with_the_rollups_switched_off_the_summary_is_counted_live(
    client, marta, desk, live_counts, settings
):
    rollups.rebuild()
    settings.METRICS_ROLLUPS = False
    client.force_login(marta)
    assert summary_of(client, {})["count"] == len(desk)
    assert len(live_counts) == 1


def test_until_the_rollups_are_built_the_summary_is_counted_live(client, marta, desk, live_counts):
    client.force_login(marta)
    assert summary_of(client, {})["count"] == len(desk)
    assert len(live_counts) == 1


def test_in_another_active_time_zone_the_days_are_counted_live(marta, desk):
    """The date filters are days of the active zone; the rollups' days are TIME_ZONE's."""
    rollups.rebuild()
    assert on_summarise_responses(None, user=marta, filters={})["count"] == len(desk)
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert on_summarise_responses(None, user=marta, filters={}) is None


def test_an_answer_given_after_the_last_refresh_counts_at_once(
    client, marta, ana, team_n1, objects, live_counts
):
    rollups.rebuild()
    client.force_login(marta)
    before = summary_of(client, {"team": objects["n1"]})

    answered(by=ana, team=team_n1, at=NOW - timedelta(minutes=5), csat=4, nps=9, ces=3)
    assert RollupChange.objects.exists()

    after = summary_of(client, {"team": objects["n1"]})
    assert live_counts == []  # the reading applied the pending change, then read the rollups
    assert not RollupChange.objects.exists()
    assert after["count"] == before["count"] + 1
    assert (after["csat_n"], after["nps_n"], after["ces_n"]) == (
        before["csat_n"] + 1,
        before["nps_n"] + 1,
        before["ces_n"] + 1,
    )
    assert exact(after) == exact(live_summary_of(client, {"team": objects["n1"]}))


# --- an agent's own set: their teams' answers or the ones they resolved -----------------------


@pytest.fixture
def elena(team_n1, team_n2):
    return AgentFactory(
        username="elena", first_name="Elena", last_name="Mora", teams=[team_n1, team_n2]
    )


@pytest.fixture
def felix(db):
    return AgentFactory(username="felix", first_name="Félix", last_name="Soto")  # no team


@pytest.fixture
def agents_desk(desk, elena, felix, team_n1, team_n2, team_n3, billing, other):
    """Besides the desk's 40 (where Elena's team-mates Ana, Bruno and Carla resolved answers
    of her teams N1 and N2, and Dora of N3): Elena resolves answers in her teams and in N3,
    Félix in N1 and N3, on every channel, category and priority, on days and at hours as
    varied as the desk's; then Elena leaves N3 and Félix both teams (answers stay with the
    team and agent at resolution)."""
    elena.teams.add(team_n3)
    felix.teams.add(team_n1, team_n3)
    categories = [other, None, billing]
    resolved = [(elena, team_n1), (elena, team_n3), (felix, team_n3), (elena, team_n2)]
    resolved += [(felix, team_n1)]
    for i in range(30):
        agent, team = resolved[i % len(resolved)]
        hour, minute = HOURS[(i + 2) % len(HOURS)]
        day = NOW.date() - timedelta(days=(i * 5) % 14)
        at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BOGOTA)
        answered(
            by=agent,
            team=team,
            at=min(at, NOW - timedelta(minutes=1)),
            csat=CSAT[(i + 3) % len(CSAT)],
            nps=NPS[(i + 5) % len(NPS)],
            ces=CES[(i + 1) % len(CES)],
            channel=CHANNELS[(i + 1) % len(CHANNELS)],
            category=categories[i % len(categories)],
            priority=PRIORITIES[(i + 1) % len(PRIORITIES)],
        )
    # An answer of no team (as a deleted team leaves them: SET_NULL), before the rollups.
    lone = answered(by=elena, team=team_n3, at=NOW - timedelta(days=3), csat=2, nps=10, ces=6)
    SurveyResponse.objects.filter(pk=lone.pk).update(team=None)
    elena.teams.remove(team_n3)
    felix.teams.clear()
    for agent in (elena, felix):
        agent.__dict__.pop("team_ids", None)


@pytest.fixture
def people(objects, agents_desk, elena, felix):
    return {**objects, "elena": elena.pk, "felix": felix.pk}


DAYS = [
    {},
    {"period": "7"},
    {"period": "30"},
    {"answered_after": day(5)},
    {"answered_before": day(3)},
    {"answered_after": day(9), "answered_before": day(2)},
    {"answered_after": day(4), "answered_before": day(4)},  # empty: before = after
    {"nps": "eleven"},  # not a valid filter: ignored, live and here alike
]
# No grain keeps a team, an agent and a third dimension: for an agent in teams, only days.
DIMENSIONS = [
    {"channel": Channel.EMAIL},
    {"category": "billing"},
    {"category": "shipping", "answered_after": day(9), "answered_before": day(2)},
    {"priority": Priority.URGENT},
    {"period": "7", "channel": Channel.CHAT},
]


def assert_from_the_rollups_as_live(client, people, live_counts, specs):
    for spec in specs:
        query = params(spec, people)
        live_counts.clear()

        summary = summary_of(client, query)
        assert live_counts == [], spec  # from the rollups: the responses were never counted

        live = live_summary_of(client, query)
        assert len(live_counts) == 1, spec
        assert exact(summary) == exact(live), spec


def assert_counted_live(client, people, live_counts, specs):
    for spec in specs:
        query = params(spec, people)
        live_counts.clear()

        summary = summary_of(client, query)
        assert len(live_counts) == 1, spec
        assert exact(summary) == exact(live_summary_of(client, query)), spec


def test_the_agents_set_covers_every_term(elena, felix, people):
    """Elena sees her teams' answers, her team-mates' among them, and hers in N3; some of
    hers are in her teams (counted once), one in no team, others' in N3 are not hers."""
    mine = SurveyResponse.objects.filter(agent=elena)
    teams = [people["n1"], people["n2"]]
    assert mine.filter(team__in=teams).exists() and mine.filter(team=people["n3"]).exists()
    assert mine.filter(team=None).count() == 1
    assert SurveyResponse.objects.filter(team__in=teams).exclude(agent=elena).exists()
    assert SurveyResponse.objects.exclude(team__in=teams).exclude(agent=elena).exists()
    visible = selectors.responses_visible_to(elena)
    assert mine.count() < visible.count() < SurveyResponse.objects.count()
    assert 0 < selectors.responses_visible_to(felix).count() < 20


def test_an_agents_summary_from_the_rollups_equals_the_live_one(client, elena, people, live_counts):
    rollups.rebuild()
    client.force_login(elena)
    assert_from_the_rollups_as_live(client, people, live_counts, DAYS)
    assert summary_of(client, {})["count"] == selectors.responses_visible_to(elena).count()


def test_an_agent_in_no_team_is_answered_with_every_dimension(client, felix, people, live_counts):
    rollups.rebuild()
    client.force_login(felix)
    assert_from_the_rollups_as_live(client, people, live_counts, DAYS + DIMENSIONS)
    assert summary_of(client, {})["count"] == SurveyResponse.objects.filter(agent=felix).count()


def test_an_agent_in_teams_filtering_on_another_dimension_is_counted_live(
    client, elena, people, live_counts
):
    rollups.rebuild()
    client.force_login(elena)
    assert_counted_live(client, people, live_counts, DIMENSIONS)


@pytest.mark.parametrize("who", ["elena", "felix"])
def test_an_agent_filtering_on_a_team_or_an_agent_is_counted_live(
    client, elena, felix, people, live_counts, who
):
    rollups.rebuild()
    client.force_login({"elena": elena, "felix": felix}[who])
    specs = [
        {"team": "n1"},
        {"team": "n3"},
        {"agent": who},
        {"agent": "ana"},
        {"period": "7", "team": "n2"},
        {"csat": "4"},
        {"group": "promoter"},
    ]
    assert_counted_live(client, people, live_counts, specs)


def test_an_agents_summary_reads_the_rollups_once(elena, people):
    """One query sums the three grains (the teams with `team_id IN`, not one per team)."""
    rollups.rebuild()
    with CaptureQueriesContext(connection) as queries:
        summary = on_summarise_responses(None, user=elena, filters={})
    reads = [q["sql"] for q in queries if SurveyRollup._meta.db_table in q["sql"]]
    assert len(reads) == 1
    assert summary["count"] == selectors.responses_visible_to(elena).count()
