"""Why a KPI moved (docs/kpis.md, "Why it moved"): the change split into rate and mix per
dimension, adding up to the change. The first vector is the worked example of CSAT by
channel (70 % → 50 %, −20 pp: rate e-mail −15, mix −2.5 on each channel)."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Ticket
from metrics import rollups
from metrics.explain import DASHBOARD_KPIS, explain, explain_many
from metrics.kpis import Period
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import answer_survey
from tests.api.helpers import token_client
from tests.factories import CustomerFactory, make_ticket

TODAY = timezone.localdate()
NOW_PERIOD = Period.of(TODAY - timedelta(days=6), TODAY + timedelta(days=1))
BEFORE = NOW_PERIOD.previous()
IN_BEFORE = timedelta(days=7)


@pytest.fixture
def answer(ana, team_n1):
    """answer(channel, before=…, **scores): a resolved, answered ticket; `before` moves the
    ticket and its answer a week back, into the previous period."""

    def _answer(channel="phone", *, before=False, by=None, team=None, **scores):
        by = by or ana
        ticket = make_ticket(
            by=by, customer=CustomerFactory(), team=team or team_n1, channel=channel
        )
        services.assign_ticket(ticket=ticket, by=by, assignee=by)
        services.add_reply(ticket=ticket, by=by, body="Done")
        services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed")
        response = answer_survey(invitation=SurveyInvitation.objects.get(ticket=ticket), **scores)
        if before:
            _move_back(ticket.pk)
        return response

    return _answer


def _move_back(ticket_id):
    """The ticket, its answers and invitations a week earlier (every moment kept apart)."""
    Ticket.objects.filter(pk=ticket_id).update(
        created_at=F("created_at") - IN_BEFORE,
        resolved_at=F("resolved_at") - IN_BEFORE,
        first_response_at=F("first_response_at") - IN_BEFORE,
    )
    SurveyResponse.objects.filter(ticket_id=ticket_id).update(
        answered_at=F("answered_at") - IN_BEFORE
    )
    SurveyInvitation.objects.filter(ticket_id=ticket_id, sent_at__isnull=False).update(
        sent_at=F("sent_at") - IN_BEFORE
    )


def _answers(answer, channel, good, bad, *, before):
    for _ in range(good):
        answer(channel, before=before, csat=5)
    for _ in range(bad):
        answer(channel, before=before, csat=2)


def test_kpi_md_worked_example_csat_by_channel(answer):
    _answers(answer, "phone", 8, 2, before=True)  # 10 at 80 %
    _answers(answer, "email", 6, 4, before=True)  # 10 at 60 %
    _answers(answer, "phone", 4, 1, before=False)  # 5 at 80 %
    _answers(answer, "email", 6, 9, before=False)  # 15 at 40 %

    explanation = explain("csat", NOW_PERIOD, dimensions=("channel",))

    assert explanation.r0 == pytest.approx(70.0)
    assert explanation.r1 == pytest.approx(50.0)
    assert explanation.change == pytest.approx(-20.0)
    (channel,) = explanation.dimensions
    by_key = {segment.key: segment for segment in channel.segments}
    assert by_key["phone"].rate == pytest.approx(0.0)
    assert by_key["email"].rate == pytest.approx(-15.0)
    assert by_key["phone"].mix == pytest.approx(-2.5)
    assert by_key["email"].mix == pytest.approx(-2.5)
    assert (by_key["email"].w0, by_key["email"].w1) == (0.5, 0.75)
    assert channel.total == pytest.approx(-20.0)
    top = explanation.contributions[0]
    assert (top.dimension, top.key, top.kind, top.points) == ("channel", "email", "rate", -15.0)
    assert [c.points for c in explanation.contributions[1:]] == pytest.approx([-2.5, -2.5])


def test_a_segment_absent_before_counts_at_the_previous_figure(answer):
    _answers(answer, "phone", 8, 2, before=True)  # R0 = 80
    _answers(answer, "phone", 4, 1, before=False)
    _answers(answer, "chat", 0, 5, before=False)  # new: 5 at 0 %  → R1 = 40

    explanation = explain("csat", NOW_PERIOD, dimensions=("channel",))

    chat = next(s for s in explanation.dimensions[0].segments if s.key == "chat")
    assert chat.r0 is None and chat.n0 == 0
    assert chat.rate == pytest.approx(0.5 * (0 - 80))
    assert chat.mix == pytest.approx(0.0)  # r0 taken as R0
    assert explanation.dimensions[0].total == pytest.approx(explanation.change) == -40.0


def test_a_segment_absent_now_weighs_nothing(answer):
    _answers(answer, "phone", 8, 2, before=True)
    _answers(answer, "email", 2, 8, before=True)  # R0 = 50, gone now
    _answers(answer, "phone", 4, 1, before=False)  # R1 = 80

    explanation = explain("csat", NOW_PERIOD, dimensions=("channel",))

    email = next(s for s in explanation.dimensions[0].segments if s.key == "email")
    assert (email.w1, email.r1, email.rate) == (0.0, None, 0.0)
    assert email.mix == pytest.approx((0 - 0.5) * (20 - 50))
    assert explanation.dimensions[0].total == pytest.approx(30.0)


@pytest.mark.parametrize(
    "kpi",
    ["csat", "csat_average", "nps", "ces", "escalation_rate", "fcr", "reopen_rate", "frt", "art"],
)
def test_every_dimension_adds_up_to_the_change(kpi, ana, bruno, carla, team_n1, team_n2):
    _random_desk(ana, bruno, carla, team_n1, team_n2)

    explanation = explain(kpi, NOW_PERIOD)

    assert explanation.change is not None
    for dimension in explanation.dimensions:
        assert dimension.r1 - dimension.r0 == pytest.approx(dimension.total, abs=1e-9)
        assert sum(s.w1 for s in dimension.segments) == pytest.approx(1.0)
        # The segments add up to the desk's figure: both are read from exact counts.
        assert dimension.r0 == pytest.approx(explanation.r0, rel=1e-12)
        assert dimension.r1 == pytest.approx(explanation.r1, rel=1e-12)
        assert dimension.total == pytest.approx(explanation.change, abs=1e-9)
    ranked = [abs(c.points) for c in explanation.contributions]
    assert ranked == sorted(ranked, reverse=True)


def _random_desk(ana, bruno, carla, team_n1, team_n2, n_tickets=24, seed=16):
    """Tickets of both periods across teams, agents, channels and priorities, some escalated
    or reopened, every one answered."""
    rng = random.Random(seed)
    for n in range(n_tickets):
        team = rng.choice([team_n1, team_n2])
        by = carla if team == team_n2 else rng.choice([ana, bruno])
        ticket = make_ticket(
            by=by,
            customer=CustomerFactory(),
            team=team,
            channel=rng.choice(["phone", "email", "chat"]),
            priority=rng.choice(["low", "normal", "high"]),
        )
        services.assign_ticket(ticket=ticket, by=by, assignee=by)
        services.add_reply(ticket=ticket, by=by, body="Hello")
        if rng.random() < 0.3:
            services.escalate_ticket(ticket=ticket, by=by, reason="N2")
        ticket = services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed")
        if rng.random() < 0.3:
            services.reopen_ticket(ticket=ticket, by=by)
            services.resolve_ticket(ticket=ticket, by=by, resolution="Again")
        answer_survey(
            invitation=SurveyInvitation.objects.filter(ticket=ticket).latest("pk"),
            csat=rng.randint(1, 5),
            nps=rng.randint(0, 10),
            ces=rng.randint(1, 7),
        )
        if n % 2:
            _move_back(ticket.pk)


def _queries(fn):
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


@pytest.mark.parametrize("with_rollups", [False, True], ids=["live", "rollups"])
def test_explain_many_asks_each_family_once(with_rollups, ana, bruno, carla, team_n1, team_n2):
    """All the dashboard's cards cost what one KPI of each family costs: each family is asked
    once per period and dimension (and ungrouped), whatever the number of KPIs or tickets."""
    _random_desk(ana, bruno, carla, team_n1, team_n2, n_tickets=8)
    if with_rollups:
        rollups.rebuild()

    def dashboard():
        return explain_many(DASHBOARD_KPIS, NOW_PERIOD)

    one_per_family = _queries(lambda: explain_many(["csat", "volume", "fcr"], NOW_PERIOD))
    all_cards = _queries(dashboard)
    # rollups: one query per table (answers, surveys sent, created, resolved) for both
    # periods and every grain; live: one per table and grouping (ungrouped + 5 dimensions)
    # for both periods; then the labels of teams, agents and categories, the freshness
    most = 4 if with_rollups else 4 * 6
    assert all_cards == one_per_family <= most + 3 + 2
    _random_desk(ana, bruno, carla, team_n1, team_n2, n_tickets=16, seed=17)
    if with_rollups:
        rollups.rebuild()
    assert _queries(dashboard) == all_cards  # more tickets, the same queries
    explanations = dashboard()
    assert list(explanations) == list(DASHBOARD_KPIS)
    for kpi, explanation in explanations.items():
        assert explanation == explain(kpi, NOW_PERIOD)  # explain() is its one-KPI front
        for dimension in explanation.dimensions:
            if explanation.change is not None:
                assert dimension.total == pytest.approx(explanation.change, abs=1e-9)


def test_exact_counts_explain_what_rounded_figures_cannot(ana, team_n1):
    """SLA %, FCR, reopen rate and mean durations come rounded in the cards; the explanation
    reads their counts: 1 of 3 tickets reopened is 33.333… %, not 33.3 %."""
    for n in range(3):
        ticket = make_ticket(by=ana, team=team_n1, channel="email")
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
        services.add_reply(ticket=ticket, by=ana, body="Done")
        ticket = services.resolve_ticket(ticket=ticket, by=ana, resolution="Fixed")
        if n == 0:
            services.reopen_ticket(ticket=ticket, by=ana)
            services.resolve_ticket(ticket=ticket, by=ana, resolution="Again")

    explanation = explain("reopen_rate", NOW_PERIOD, dimensions=("channel",))

    assert explanation.r1 == pytest.approx(100 / 3, rel=1e-12)
    (channel,) = explanation.dimensions
    assert channel.segments[0].r1 == pytest.approx(100 / 3, rel=1e-12)


def test_volume_is_each_segments_change_in_count(ana, team_n1):
    for _ in range(3):
        make_ticket(by=ana, team=team_n1, channel="email")
    _move_back(make_ticket(by=ana, team=team_n1, channel="phone").pk)
    _move_back(make_ticket(by=ana, team=team_n1, channel="phone").pk)
    make_ticket(by=ana, team=team_n1, channel="phone")

    explanation = explain("volume", NOW_PERIOD, dimensions=("channel",))

    assert (explanation.r0, explanation.r1, explanation.measure) == (2.0, 4.0, "count")
    points = {c.key: (c.kind, c.points) for c in explanation.contributions}
    assert points == {"email": ("volume", 3.0), "phone": ("volume", -1.0)}


def test_the_median_is_explained_through_the_mean(answer):
    answer("phone", csat=5)
    explanation = explain("frt_median", NOW_PERIOD, dimensions=("channel",))
    assert explanation.measure == "mean"
    assert explain("frt", NOW_PERIOD).measure == "value"


def test_tags_are_not_decomposed(db):
    with pytest.raises(ValueError, match="tag"):
        explain("csat", NOW_PERIOD, dimensions=("tag",))


# --- the API ----------------------------------------------------------------------------------

EXPLAIN = "/api/v1/metrics/explain/"


def _period_params():
    return {"from": NOW_PERIOD.start_date.isoformat(), "to": NOW_PERIOD.end_date.isoformat()}


def test_the_api_serves_the_worked_example_to_a_manager(marta, answer):
    _answers(answer, "phone", 8, 2, before=True)
    _answers(answer, "email", 6, 4, before=True)
    _answers(answer, "phone", 4, 1, before=False)
    _answers(answer, "email", 6, 9, before=False)

    response = token_client(marta).get(EXPLAIN, {"kpi": "csat", **_period_params()})

    assert response.status_code == 200
    body = response.json()
    assert (body["r0"], body["r1"], body["measure"]) == (70.0, 50.0, "value")
    assert body["change"] == pytest.approx(-20.0)
    assert body["previous"]["to"] == body["period"]["from"]
    channel = next(d for d in body["dimensions"] if d["dimension"] == "channel")
    assert channel["total"] == pytest.approx(-20.0)
    email = next(s for s in channel["segments"] if s["key"] == "email")
    assert email["rate"] == pytest.approx(-15.0)
    assert email["mix"] == pytest.approx(-2.5)
    assert [d["dimension"] for d in body["dimensions"]] == [
        "team",
        "agent",
        "channel",
        "category",
        "priority",
    ]


def test_an_agent_gets_the_explanation_of_their_own_tickets(ana, bruno, answer):
    answer("phone", csat=5)  # ana's
    answer("phone", by=bruno, csat=1)

    body = (
        token_client(ana)
        .get(EXPLAIN, {"kpi": "csat", "agent": bruno.pk, **_period_params()})
        .json()
    )

    assert body["r1"] == 100.0  # bruno's answer is not hers, whatever she asked for


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "kpi"),
        ({"kpi": "backlog"}, "kpi"),
        ({"kpi": "sla_breached"}, "kpi"),
        ({"kpi": "csat", "from": "yesterday"}, "from"),
        ({"kpi": "csat", "channel": "pigeon"}, "channel"),
        ({"kpi": "csat", "by": "team"}, "by"),
    ],
)
def test_bad_parameters_get_a_400_naming_the_field(marta, params, field):
    response = token_client(marta).get(EXPLAIN, params)
    assert response.status_code == 400
    assert field in response.json()
