"""The metrics API: the engine's numbers in the contract's shapes, input refused with field
errors, and agents held to their own tickets whatever they ask for."""

import json
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cases import services
from metrics import definitions, kpis, rollups
from metrics.kpis import Filters, Period
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.api.helpers import token_client
from tests.factories import CategoryFactory, CustomerFactory, UserFactory, make_ticket

TODAY = timezone.localdate()
TOMORROW = TODAY + timedelta(days=1)
LAST_30_DAYS = Period.of(TOMORROW - timedelta(days=30), TOMORROW)


def api(name):
    return reverse(f"metrics_api:metrics-{name}")


def as_json(value):
    """What the engine's value looks like once through JSON (integer keys become strings)."""
    return json.loads(json.dumps(value))


def engine_part(summary):
    """The summary without what the API adds to the engine's figures (their confidence)."""
    return {k: v for k, v in summary.items() if k not in ("confidence", "min_sample")}


@pytest.fixture
def surveyed(team_n1):
    """surveyed(by, **scores): a ticket resolved by `by` and answered through the services."""

    def _surveyed(by, *, team=None, channel="phone", **scores):
        ticket = make_ticket(
            by=by, team=team or team_n1, assignee=by, channel=channel, customer=CustomerFactory()
        )
        services.add_reply(ticket=ticket, by=by, body="Done")
        services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed")
        answer_survey(invitation=SurveyInvitation.objects.get(ticket=ticket), **scores)
        return ticket

    return _surveyed


# --- the contract -----------------------------------------------------------------------------


def test_the_summary_is_exactly_the_engines_for_the_last_30_days_by_default(marta, ana, surveyed):
    surveyed(ana, csat=4, nps=9, ces=6)
    make_ticket(by=ana, team=None)

    response = token_client(marta).get(api("summary"))

    assert response.status_code == 200
    body = response.json()
    assert engine_part(body) == as_json(kpis.summary(LAST_30_DAYS, Filters()))
    assert body["min_sample"] == 20
    assert body["confidence"]["csat"] == {
        "sample": 1,
        "low_sample": True,
        "interval": {"low": 20.7, "high": 100.0},  # Wilson, 1 of 1
        "margin": None,
    }
    assert body["confidence"]["nps"]["margin"] == 0.0  # one promoter: no spread
    assert set(body) >= {
        "period", "csat", "nps", "ces", "response_rate", "volume", "frt", "art", "fcr",
        "escalation_rate", "reopen_rate", "backlog", "churn_rate", "retention_rate",
    }  # fmt: skip
    assert body["volume"] == 2 and body["csat"]["percent"] == 100.0
    assert body["csat"]["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert body["period"]["from"].startswith((TOMORROW - timedelta(days=30)).isoformat())


def test_empty_sets_are_null_never_zero(marta):
    body = token_client(marta).get(api("summary")).json()
    assert body["csat"]["percent"] is None
    assert body["nps"]["score"] is None
    assert body["frt"]["median"] is None
    assert body["fcr"]["percent"] is None
    assert body["churn_rate"] is None


def test_to_is_the_first_day_not_included(marta, ana, team_n1):
    make_ticket(by=ana, team=team_n1)
    client = token_client(marta)

    until_today = client.get(api("summary"), {"from": TODAY - timedelta(days=3), "to": TODAY})
    with_today = client.get(api("summary"), {"from": TODAY, "to": TOMORROW})

    assert until_today.json()["volume"] == 0
    assert with_today.json()["volume"] == 1
    assert with_today.json()["period"]["to"].startswith(TOMORROW.isoformat())


def test_filters_narrow_the_numbers(marta, ana, carla, team_n1, team_n2, billing):
    make_ticket(by=ana, team=team_n1, channel="email", category=billing, priority="high")
    make_ticket(by=ana, team=team_n1, channel="phone")
    make_ticket(by=carla, team=team_n2, channel="email", assignee=carla)
    client = token_client(marta)

    def volume(**query):
        return client.get(api("summary"), query).json()["volume"]

    assert volume() == 3
    assert volume(team=team_n1.pk) == 2
    assert volume(channel="email") == 2
    assert volume(category=billing.pk) == 1
    assert volume(priority="high") == 1
    assert volume(agent=carla.pk) == 1
    assert volume(team=team_n1.pk, channel="email") == 1


def test_a_time_series_has_every_bucket_and_only_bucket_and_value(marta, ana, team_n1):
    start = TODAY - timedelta(days=2)
    make_ticket(by=ana, team=team_n1, at=definitions.local_midnight(start) + timedelta(hours=9))
    make_ticket(by=ana, team=team_n1)

    response = token_client(marta).get(
        api("timeseries"), {"kpi": "volume", "interval": "day", "from": start, "to": TOMORROW}
    )

    assert response.status_code == 200
    assert response.json() == {
        "kpi": "volume",
        "interval": "day",
        "points": [
            # a count is not an estimate: no sample to be short of
            {"bucket": start.isoformat(), "value": 1, "sample": None, "low_sample": False},
            {
                "bucket": (start + timedelta(days=1)).isoformat(),
                "value": 0,
                "sample": None,
                "low_sample": False,
            },
            {"bucket": TODAY.isoformat(), "value": 1, "sample": None, "low_sample": False},
        ],
    }


def test_a_survey_time_series_is_null_where_nobody_answered(marta, ana, surveyed):
    surveyed(ana, csat=5)
    points = (
        token_client(marta)
        .get(api("timeseries"), {"kpi": "csat", "from": TODAY - timedelta(days=1)})
        .json()["points"]
    )
    assert [p["value"] for p in points] == [None, 100.0]
    assert [(p["sample"], p["low_sample"]) for p in points] == [(0, True), (1, True)]


def test_an_automatic_interval_gives_each_point_the_minimum_sample_on_average(marta, ana, surveyed):
    for _ in range(3):
        surveyed(ana, csat=5)
    client = token_client(marta)
    month = {"kpi": "csat", "from": TODAY - timedelta(days=29), "interval": "auto"}
    body = client.get(api("timeseries"), month).json()
    assert body["interval"] == "month"  # 3 answers: no finer grain holds 20 a point
    assert sum(p["sample"] for p in body["points"]) == 3
    volume = client.get(api("timeseries"), {**month, "kpi": "volume"}).json()
    assert volume["interval"] == "day"  # a count has no sample to protect
    years = {"from": "2000-01-01", "to": "2060-01-01", "interval": "auto"}
    weekly = client.get(api("timeseries"), {**years, "kpi": "volume"}).json()
    assert weekly["interval"] == "month" and len(weekly["points"]) == 720  # within 1 000
    ages = client.get(api("timeseries"), {**years, "to": "2100-01-01", "kpi": "volume"})
    assert ages.status_code == 400 and "interval" in ages.json()  # even months are too many


def test_a_breakdown_labels_its_rows_and_counts_the_sample(
    marta, ana, bruno, carla, team_n1, team_n2, surveyed
):
    surveyed(ana, csat=5)
    surveyed(ana, csat=2)
    surveyed(carla, team=team_n2, csat=4, channel="email")
    client = token_client(marta)

    by_team = client.get(api("breakdown"), {"kpi": "csat", "by": "team"}).json()
    by_agent = client.get(api("breakdown"), {"kpi": "csat", "by": "agent"}).json()
    by_channel = client.get(api("breakdown"), {"kpi": "volume", "by": "channel"}).json()

    assert by_team["kpi"] == "csat" and by_team["by"] == "team"
    assert by_team["rows"] == [
        {"key": team_n1.pk, "label": "Soporte N1", "value": 50.0, "count": 2},
        {"key": team_n2.pk, "label": "Soporte N2", "value": 100.0, "count": 1},
    ]
    assert {row["label"]: row["value"] for row in by_agent["rows"]} == {
        "Ana Pérez": 50.0,
        "Carla Ruiz": 100.0,
    }
    assert {row["key"]: (row["label"], row["value"]) for row in by_channel["rows"]} == {
        "email": ("E-mail", 1),
        "phone": ("Phone", 2),
    }


def test_breakdown_labels_speak_the_callers_language(marta, ana, team_n1):
    make_ticket(by=ana, team=team_n1, channel="phone")
    rows = (
        token_client(marta)
        .get(api("breakdown"), {"kpi": "volume", "by": "channel"}, HTTP_ACCEPT_LANGUAGE="es")
        .json()["rows"]
    )
    assert rows == [{"key": "phone", "label": "Teléfono", "value": 1, "count": 1}]


def test_an_unassigned_row_reads_unassigned(marta, ana, team_n1):
    make_ticket(by=ana, team=team_n1)
    rows = (
        token_client(marta).get(api("breakdown"), {"kpi": "volume", "by": "agent"}).json()["rows"]
    )
    assert rows == [{"key": None, "label": "Unassigned", "value": 1, "count": 1}]


def test_drivers_split_the_scores_with_labels_and_the_overall(marta, ana, surveyed):
    surveyed(ana, nps=10, csat=5)
    ticket = surveyed(ana, nps=2, csat=1)
    assert ticket.escalation_count == 0

    body = token_client(marta).get(api("drivers")).json()

    assert body["overall"] == {"responses": 2, "csat": 50.0, "nps": 0.0, "ces": None}
    assert set(body["facts"]) == set(definitions.DRIVER_NAMES)
    assert body["facts"]["escalated"]["title"] == "Escalated"
    assert body["facts"]["escalated"]["rows"] == [
        {
            "value": "no",
            "label": "Not escalated",
            "responses": 2,
            "csat": 50.0,
            "nps": 0.0,
            "ces": None,
            # each score's own sample: nobody answered CES
            "csat_n": 2,
            "nps_n": 2,
            "ces_n": 0,
        }
    ]
    assert body["facts"]["channel"]["rows"][0]["label"] == "Phone"


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "query", "field"),
    [
        ("summary", {"from": "2026-13-01"}, "from"),
        ("summary", {"from": "yesterday"}, "from"),
        ("summary", {"to": "2026-02-30"}, "to"),
        ("summary", {"from": "1900-01-01"}, "from"),
        ("summary", {"to": "9999-12-31"}, "to"),
        ("summary", {"from": "2026-03-01", "to": "2026-03-01"}, "to"),
        ("summary", {"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ("summary", {"team": "abc"}, "team"),
        ("summary", {"team": "1.5"}, "team"),
        ("summary", {"team": "999999"}, "team"),
        ("summary", {"team": str(2**70)}, "team"),
        ("summary", {"agent": "-1"}, "agent"),
        ("summary", {"category": "0"}, "category"),
        ("summary", {"channel": "fax"}, "channel"),
        ("summary", {"priority": "whenever"}, "priority"),
        ("summary", {"teams": "1"}, "teams"),
        ("timeseries", {}, "kpi"),
        ("timeseries", {"kpi": "happiness"}, "kpi"),
        ("timeseries", {"kpi": "csat", "interval": "hour"}, "interval"),
        ("timeseries", {"kpi": "csat", "from": "1970-01-01", "to": "2100-01-01"}, "interval"),
        ("breakdown", {"kpi": "csat"}, "by"),
        ("breakdown", {"kpi": "csat", "by": "customer"}, "by"),
        ("drivers", {"from": "x"}, "from"),
    ],
)
def test_bad_parameters_are_refused_with_field_errors(marta, endpoint, query, field):
    response = token_client(marta).get(api(endpoint), query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_long_period_by_week_is_accepted(marta):
    response = token_client(marta).get(
        api("timeseries"),
        {"kpi": "volume", "interval": "month", "from": "2000-01-01", "to": "2050-01-01"},
    )
    assert response.status_code == 200
    assert len(response.json()["points"]) == 600


# --- who sees what ----------------------------------------------------------------------------


@pytest.fixture
def two_agents(ana, bruno, team_n1, surveyed):
    """Ana: two tickets (one surveyed CSAT 5); Bruno: three tickets (one surveyed CSAT 1)."""
    surveyed(ana, csat=5)
    make_ticket(by=ana, team=team_n1, assignee=ana)
    surveyed(bruno, csat=1)
    make_ticket(by=bruno, team=team_n1, assignee=bruno)
    make_ticket(by=bruno, team=team_n1, assignee=bruno, channel="email")


def test_an_agent_gets_their_own_numbers(ana, two_agents):
    body = token_client(ana).get(api("summary")).json()
    assert body["volume"] == 2
    assert body["csat"]["percent"] == 100.0


def test_an_agent_asking_for_another_agent_still_gets_their_own(ana, bruno, two_agents):
    client = token_client(ana)
    asked = client.get(api("summary"), {"agent": bruno.pk}).json()
    own = client.get(api("summary")).json()
    assert asked == own
    assert asked["volume"] == 2 and asked["csat"]["percent"] == 100.0


def test_an_agents_breakdown_by_agent_is_their_own_row(ana, bruno, two_agents):
    rows = (
        token_client(ana)
        .get(api("breakdown"), {"kpi": "volume", "by": "agent", "agent": bruno.pk})
        .json()["rows"]
    )
    assert rows == [{"key": ana.pk, "label": "Ana Pérez", "value": 2, "count": 2}]


def test_an_agents_filters_narrow_within_their_own_tickets(bruno, team_n1, team_n2, two_agents):
    client = token_client(bruno)
    assert client.get(api("summary"), {"channel": "email"}).json()["volume"] == 1
    assert client.get(api("summary"), {"team": team_n1.pk}).json()["volume"] == 3
    assert client.get(api("summary"), {"team": team_n2.pk}).json()["volume"] == 0


def test_an_agents_time_series_and_drivers_are_their_own(ana, two_agents):
    client = token_client(ana)
    points = client.get(api("timeseries"), {"kpi": "volume", "from": TODAY}).json()["points"]
    drivers = client.get(api("drivers")).json()
    assert points == [
        {"bucket": TODAY.isoformat(), "value": 2, "sample": None, "low_sample": False}
    ]
    assert drivers["overall"]["csat"] == 100.0 and drivers["overall"]["responses"] == 1


def test_a_manager_sees_everyone_and_can_pick_an_agent(marta, bruno, two_agents):
    client = token_client(marta)
    assert client.get(api("summary")).json()["volume"] == 5
    assert client.get(api("summary"), {"agent": bruno.pk}).json()["volume"] == 3


@pytest.mark.parametrize("endpoint", ["summary", "timeseries", "breakdown", "drivers"])
def test_without_a_role_it_is_403_and_anonymous_401(db, endpoint):
    query = {"kpi": "volume", "by": "team"} if endpoint != "summary" else {}
    nobody = UserFactory(username="nadie")
    assert token_client(nobody).get(api(endpoint), query).status_code == 403
    assert token_client(None).get(api(endpoint), query).status_code == 401


def test_the_session_of_the_web_app_works_too(client, marta):
    client.force_login(marta)
    assert client.get(api("summary")).status_code == 200


def test_a_category_deleted_from_the_filter_list_is_still_a_valid_id(marta, ana, team_n1):
    old = CategoryFactory(name="Old", is_active=False)
    response = token_client(marta).get(api("summary"), {"category": old.pk})
    assert response.status_code == 200


# --- periods with a time of day (docs/kpis.md: each end is a date or a datetime) ------------------

DAY = TODAY - timedelta(days=3)


def local(day, hour, minute=0):
    """A moment of `day` in TIME_ZONE."""
    return definitions.local_midnight(day) + timedelta(hours=hour, minutes=minute)


def written(moment, offset_hours):
    """The same instant written with another UTC offset (±HH:00, 0 as Z)."""
    if isinstance(moment, date) and not isinstance(moment, datetime):
        return moment.isoformat()
    text = moment.astimezone(dt_timezone(timedelta(hours=offset_hours))).isoformat()
    return text.replace("+00:00", "Z")


@pytest.fixture
def morning_and_afternoon(ana, team_n1):
    """Two tickets created on DAY: at 09:00 and at 15:00 in TIME_ZONE."""
    make_ticket(by=ana, team=team_n1, at=local(DAY, 9))
    make_ticket(by=ana, team=team_n1, at=local(DAY, 15))


def test_the_issues_example_a_datetime_in_utc_is_accepted(marta):
    response = token_client(marta).get(api("summary"), {"from": "2025-01-01T00:00:00Z"})
    assert response.status_code == 200, response.json()
    start = datetime(2025, 1, 1, tzinfo=UTC).astimezone(definitions.zone())
    assert response.json()["period"]["from"] == start.isoformat()


@pytest.mark.parametrize("offset", [0, -5, -12, 14])
@pytest.mark.parametrize(
    ("start", "end", "volume"),
    [
        (DAY, DAY + timedelta(days=1), 2),
        (local(DAY, 12), DAY + timedelta(days=1), 1),
        (DAY, local(DAY, 12), 1),
        (local(DAY, 9), local(DAY, 15), 1),  # `from` included, `to` not
        (local(DAY, 9, 1), local(DAY, 15, 1), 1),
        (local(DAY, 15, 1), DAY + timedelta(days=1), 0),
    ],
)
def test_a_period_may_start_and_end_at_a_time_of_day(
    marta, morning_and_afternoon, start, end, volume, offset
):
    query = {"from": written(start, offset), "to": written(end, offset)}
    response = token_client(marta).get(api("summary"), query)
    assert response.status_code == 200, response.json()
    assert response.json()["volume"] == volume
    series = token_client(marta).get(api("timeseries"), {"kpi": "volume", **query}).json()
    assert series["points"] == [
        {"bucket": DAY.isoformat(), "value": volume, "sample": None, "low_sample": False}
    ]


def test_a_time_of_day_is_computed_live_to_the_same_numbers(marta, ana, bruno, surveyed):
    """The rollups hold whole days: a period with a time of day is read live (the engine's
    `_rollup_grain` says so), and the API gives exactly the live engine's numbers."""
    for moment, agent, scores in [
        (local(DAY, 9), ana, {"csat": 5, "nps": 10, "ces": 6}),
        (local(DAY, 14), bruno, {"csat": 2, "nps": 3}),
        (local(DAY + timedelta(days=1), 10), ana, {"csat": 4, "ces": 2}),
        (local(DAY + timedelta(days=2), 8), bruno, {"nps": 9}),
    ]:
        with time_machine.travel(moment, tick=False):
            surveyed(agent, **scores)
    rollups.rebuild()
    period = Period(local(DAY, 12), local(DAY + timedelta(days=2), 6))
    assert kpis._rollup_grain(Period.of(DAY, DAY + timedelta(days=2)), Filters(), None) == ""
    assert kpis._rollup_grain(period, Filters(), None) is None

    query = {"from": written(period.start, 0), "to": written(period.end, -12)}
    client = token_client(marta)
    summary = client.get(api("summary"), query).json()
    series = client.get(api("timeseries"), {"kpi": "csat", **query}).json()["points"]
    by_agent = client.get(api("breakdown"), {"kpi": "responses", "by": "agent", **query}).json()
    drivers = client.get(api("drivers"), query).json()

    with override_settings(METRICS_ROLLUPS=False):
        assert engine_part(summary) == as_json(kpis.summary(period, Filters()))
        assert series == [
            {
                "bucket": p["bucket"],
                "value": p["value"],
                "sample": p["detail"]["csat"]["responses"],
                "low_sample": p["detail"]["csat"]["responses"] < 20,
            }
            for p in kpis.timeseries("csat", "day", period, Filters())
        ]
        assert {row["key"]: row["value"] for row in by_agent["rows"]} == {
            row["key"]: row["value"] for row in kpis.breakdown("responses", "agent", period)
        }
        assert drivers["overall"]["responses"] == summary["csat"]["responses"] == 2
    assert summary["period"] == {"from": period.start.isoformat(), "to": period.end.isoformat()}
    assert summary["nps"]["responses"] == 1 and summary["ces"]["responses"] == 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2025-01-01T10:00:00Z", "to": "2025-01-01T09:00:00Z"}, "to", "after the start"),
        ({"from": "2025-01-01T10:00:00Z", "to": "2025-01-01T05:00:00-05:00"}, "to", "after"),
        ({"from": "1969-12-31T23:00:00Z"}, "from", "Choose a date from 1970-01-01 to 2100-01-01"),
        ({"to": "2100-01-02T12:00:00Z"}, "to", "Choose a date from 1970-01-01 to 2100-01-01"),
        ({"from": "2025-02-30T10:00:00Z"}, "from", "Enter a date"),
        ({"from": "2025-01-01T10:00:00+24:00"}, "from", "Enter a date"),
        ({"to": "2025-01-01T24:01:00Z"}, "to", "Enter a date"),
        ({"from": "0001-01-01T00:00:00+05:00"}, "from", "out of range"),
        ({"from": ""}, "from", "Enter a date"),
    ],
)
def test_a_bad_moment_is_refused_with_the_reason(marta, query, field, message):
    response = token_client(marta).get(api("summary"), query)
    assert response.status_code == 400
    assert message in response.json()[field][0], response.json()


def test_a_datetime_from_alone_reaches_tomorrow_or_a_day_later(marta, morning_and_afternoon):
    client = token_client(marta)
    body = client.get(api("summary"), {"from": written(local(DAY, 12), -5)}).json()
    assert body["period"]["to"] == definitions.local_midnight(TOMORROW).isoformat()
    assert body["volume"] == 1
    later = local(TOMORROW + timedelta(days=3), 12)
    body = client.get(api("summary"), {"from": written(later, 0)}).json()
    assert body["period"]["to"] == (later + timedelta(days=1)).isoformat()
    to = local(DAY, 12)
    body = client.get(api("summary"), {"to": written(to, 3)}).json()
    assert body["period"]["from"] == (to - timedelta(days=30)).isoformat()
    assert body["volume"] == 1
