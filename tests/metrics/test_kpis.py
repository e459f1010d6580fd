"""docs/kpis.md, number by number. Its worked example is the first test vector."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.models import Customer
from metrics import definitions, kpis
from metrics.kpis import Filters, Period
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CustomerFactory, make_ticket

NOW = timezone.now()
TODAY = timezone.localdate()
PERIOD = Period.of(TODAY - timedelta(days=1), TODAY + timedelta(days=1))


@pytest.fixture
def answer(ana, team_n1):
    """answer(csat=…, ces=…, nps=…): a resolved ticket of a fresh customer, surveyed and
    answered through the real services."""

    def _answer(*, team=None, by=None, **scores):
        by = by or ana
        ticket = make_ticket(by=by, customer=CustomerFactory(), team=team or team_n1)
        services.add_reply(ticket=ticket, by=by, body="Done")
        services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed")
        invitation = SurveyInvitation.objects.get(ticket=ticket)
        return answer_survey(invitation=invitation, **scores)

    return _answer


def test_kpi_md_worked_example_csat(answer):
    for score in (5, 5, 4, 4, 4, 3, 2, 5, 1, 4):
        answer(csat=score)
    csat = kpis.summary(PERIOD)["csat"]
    assert csat["percent"] == 70.0
    assert csat["average"] == 3.70
    assert csat["responses"] == 10
    assert csat["distribution"] == {1: 1, 2: 1, 3: 1, 4: 4, 5: 3}


def test_kpi_md_worked_example_nps(answer):
    for score in (10, 9, 9, 10, 8, 7, 7, 6, 5, 3, 0, 9):
        answer(nps=score)
    nps = kpis.summary(PERIOD)["nps"]
    assert (nps["promoters"], nps["passives"], nps["detractors"]) == (5, 3, 4)
    assert nps["score"] == 8.3


def test_kpi_md_worked_example_ces(answer):
    for score in (7, 6, 5, 2, 4):
        answer(ces=score)
    ces = kpis.summary(PERIOD)["ces"]
    assert ces["average"] == 4.80
    assert ces["percent_easy"] == 60.0


def test_kpi_md_worked_example_fcr_and_reopen_rate(ana, bruno, team_n1, team_n2):
    def resolved(replies=1, escalate=False, reopen=False):
        ticket = make_ticket(by=ana, team=team_n1, customer=CustomerFactory())
        for n in range(replies):
            services.add_reply(ticket=ticket, by=ana, body=f"reply {n}")
        if escalate:
            services.escalate_ticket(ticket=ticket, by=ana, reason="N2")
        ticket = services.resolve_ticket(ticket=ticket, by=ana, resolution="ok")
        if reopen:
            services.reopen_ticket(ticket=ticket, by=ana)
            services.resolve_ticket(ticket=ticket, by=ana, resolution="ok again")

    resolved()  # A
    resolved(replies=3)  # B
    resolved(escalate=True)  # C
    resolved(reopen=True)  # D
    summary = kpis.summary(PERIOD)
    assert summary["fcr"] == {"percent": 25.0, "resolved": 4}
    assert summary["reopen_rate"] == 25.0
    assert summary["escalation_rate"] == 25.0
    assert summary["volume"] == 4


def test_kpi_md_worked_example_churn_and_retention(db):
    start, end = date(2026, 1, 1), date(2026, 2, 1)
    long_ago = date(2025, 1, 1)
    Customer.objects.bulk_create(
        [Customer(name=f"s{i}", email=f"s{i}@x.test", active_since=long_ago) for i in range(190)]
        + [
            Customer(
                name=f"c{i}", email=f"c{i}@x.test", active_since=long_ago,
                churned_at=date(2026, 1, 15),
            )
            for i in range(10)
        ]
        + [
            Customer(name=f"n{i}", email=f"n{i}@x.test", active_since=date(2026, 1, 10))
            for i in range(20)
        ]
    )  # fmt: skip
    customers = kpis.customer_kpis(Period.of(start, end))
    assert (customers["S"], customers["N"], customers["C"], customers["E"]) == (200, 20, 10, 210)
    assert customers["churn_rate"] == 5.0
    assert customers["retention_rate"] == 95.0


def test_medians_and_p90_interpolate_like_percentile_cont(ana, team_n1):
    created = NOW - timedelta(hours=1)
    for seconds in (10, 20, 30, 40):
        ticket = make_ticket(by=ana, team=team_n1, at=created)
        services.add_reply(
            ticket=ticket, by=ana, body="hi", at=created + timedelta(seconds=seconds)
        )
    frt = kpis.summary(PERIOD)["frt"]
    assert frt["median"] == 25
    assert frt["mean"] == 25
    assert frt["p90"] == 37  # 30 + 0.7 × (40 − 30)
    assert frt["count"] == 4
    assert frt["awaiting_first_response"] == 0


def test_tickets_without_a_first_response_are_counted_apart(ticket):
    frt = kpis.summary(PERIOD)["frt"]
    assert frt["awaiting_first_response"] == 1
    assert frt["count"] == 0 and frt["mean"] is None


def test_kpis_over_an_empty_set_are_null_never_zero(db):
    summary = kpis.summary(PERIOD)
    assert summary["csat"]["percent"] is None
    assert summary["nps"]["score"] is None
    assert summary["ces"]["average"] is None
    assert summary["response_rate"] is None
    assert summary["fcr"]["percent"] is None
    assert summary["escalation_rate"] is None
    assert summary["reopen_rate"] is None
    assert summary["frt"]["median"] is None
    assert summary["art"]["p90"] is None
    assert summary["churn_rate"] is None
    assert summary["volume"] == 0


def test_resolution_time_uses_the_latest_resolution(ana, team_n1):
    created = NOW - timedelta(hours=10)
    ticket = make_ticket(by=ana, team=team_n1, at=created)
    services.add_reply(ticket=ticket, by=ana, body="hi", at=created + timedelta(hours=1))
    services.resolve_ticket(ticket=ticket, by=ana, resolution="a", at=created + timedelta(hours=2))
    services.reopen_ticket(ticket=ticket, by=ana, at=created + timedelta(hours=3))
    services.resolve_ticket(ticket=ticket, by=ana, resolution="b", at=created + timedelta(hours=5))
    art = kpis.summary(PERIOD)["art"]
    assert art["mean"] == art["median"] == 5 * 3600
    assert art["count"] == 1


def test_a_reopened_ticket_is_not_resolved_in_the_period(ana, team_n1):
    ticket = make_ticket(by=ana, team=team_n1)
    services.add_reply(ticket=ticket, by=ana, body="hi")
    ticket = services.resolve_ticket(ticket=ticket, by=ana, resolution="a")
    services.reopen_ticket(ticket=ticket, by=ana)
    assert kpis.summary(PERIOD)["fcr"]["resolved"] == 0
    assert kpis.summary(PERIOD)["backlog"]["total"] == 1


def test_backlog_counts_what_was_open_at_the_end_with_age_buckets(ana, team_n1):
    end = NOW
    for days in (0.5, 2, 5, 10):
        make_ticket(by=ana, team=team_n1, at=end - timedelta(days=days))
    old = make_ticket(by=ana, team=team_n1, at=end - timedelta(days=20))
    services.add_reply(ticket=old, by=ana, body="x", at=end - timedelta(days=19))
    services.resolve_ticket(ticket=old, by=ana, resolution="x", at=end + timedelta(hours=1))
    make_ticket(by=ana, team=team_n1, at=end + timedelta(hours=2))  # after the end
    backlog = kpis.backlog(end, Filters())[None]
    assert backlog["total"] == 5, "resolved only after the end still counts"
    assert backlog["buckets"] == {"lt_1d": 1, "1_3d": 1, "3_7d": 1, "gte_7d": 2}


def test_response_rate_is_answers_over_surveys_sent_in_the_period(answer, ana, team_n1):
    answer(csat=5)
    SurveyInvitation.objects.update(sent_at=NOW)
    extra = make_ticket(by=ana, team=team_n1, customer=CustomerFactory())
    services.add_reply(ticket=extra, by=ana, body="x")
    services.resolve_ticket(ticket=extra, by=ana, resolution="x")
    SurveyInvitation.objects.filter(ticket=extra).update(sent_at=NOW, status="sent")
    assert kpis.summary(PERIOD)["response_rate"] == 50.0


def test_survey_kpis_follow_the_team_at_resolution(answer, team_n1, team_n2, carla):
    answer(csat=5)
    answer(csat=1, team=team_n2, by=carla)
    assert kpis.summary(PERIOD, Filters(team=team_n1.pk))["csat"]["percent"] == 100.0
    assert kpis.summary(PERIOD, Filters(team=team_n2.pk))["csat"]["percent"] == 0.0


def test_filters_narrow_operational_kpis(ana, carla, team_n1, team_n2):
    make_ticket(by=ana, team=team_n1, channel="email")
    make_ticket(by=ana, team=team_n1, channel="phone")
    make_ticket(by=carla, team=team_n2, channel="email")
    assert kpis.summary(PERIOD, Filters(channel="email"))["volume"] == 2
    assert kpis.summary(PERIOD, Filters(team=team_n2.pk))["volume"] == 1
    assert kpis.summary(PERIOD, Filters(team=team_n1.pk, channel="phone"))["volume"] == 1


def test_time_series_has_every_bucket_including_empty_ones(ana, team_n1):
    start = TODAY - timedelta(days=6)
    make_ticket(by=ana, team=team_n1, at=definitions.local_midnight(start) + timedelta(hours=3))
    make_ticket(by=ana, team=team_n1, at=definitions.local_midnight(TODAY) + timedelta(minutes=1))
    series = kpis.timeseries("volume", "day", Period.of(start, TODAY + timedelta(days=1)))
    assert [point["bucket"] for point in series] == [
        (start + timedelta(days=i)).isoformat() for i in range(7)
    ]
    assert [point["value"] for point in series] == [1, 0, 0, 0, 0, 0, 1]


def test_weeks_start_on_monday_and_months_on_the_first():
    period = Period.of(date(2026, 3, 4), date(2026, 4, 2))  # a Wednesday … a Thursday
    assert kpis.buckets(period, "week")[0] == date(2026, 3, 2)
    assert kpis.buckets(period, "month") == [date(2026, 3, 1), date(2026, 4, 1)]


def test_breakdown_by_channel(ana, team_n1):
    make_ticket(by=ana, team=team_n1, channel="email")
    make_ticket(by=ana, team=team_n1, channel="email")
    make_ticket(by=ana, team=team_n1, channel="chat")
    rows = kpis.breakdown("volume", "channel", PERIOD)
    assert {row["key"]: row["value"] for row in rows} == {"chat": 1, "email": 2}


def test_breakdown_of_a_duration_kpi_per_agent(ana, bruno, team_n1):
    created = NOW - timedelta(hours=1)
    for agent, seconds in ((ana, 60), (ana, 120), (bruno, 600)):
        ticket = make_ticket(by=agent, team=team_n1, assignee=agent, at=created)
        services.add_reply(
            ticket=ticket, by=agent, body="hi", at=created + timedelta(seconds=seconds)
        )
    rows = {row["key"]: row["value"] for row in kpis.breakdown("frt", "agent", PERIOD)}
    assert rows == {ana.pk: 90, bruno.pk: 600}


def test_drivers_split_scores_by_what_happened_on_the_ticket(ana, team_n1):
    def surveyed(*, escalate, nps):
        ticket = make_ticket(by=ana, team=team_n1, customer=CustomerFactory())
        services.add_reply(ticket=ticket, by=ana, body="hi")
        if escalate:
            services.escalate_ticket(ticket=ticket, by=ana, reason="N2")
        services.resolve_ticket(ticket=ticket, by=ana, resolution="ok")
        answer_survey(invitation=SurveyInvitation.objects.get(ticket=ticket), nps=nps, csat=5)

    surveyed(escalate=False, nps=10)
    surveyed(escalate=False, nps=9)
    surveyed(escalate=True, nps=3)
    escalated = {row["value"]: row for row in kpis.drivers(PERIOD)["escalated"]}
    assert escalated["no"]["nps"] == 100.0 and escalated["no"]["responses"] == 2
    assert escalated["yes"]["nps"] == -100.0
    frt = {row["value"]: row["responses"] for row in kpis.drivers(PERIOD)["frt"]}
    assert frt == {"lt_1h": 3}
