"""Churn read against experience (docs/kpis.md, "Churn and experience"): the churn of the
customers split by their NPS group and CSAT at the period's start and by escalations and SLA
breaches in the 90 days before it — the engine against a hand computation, the API's contract
and who may call it, and the manager's dashboard section."""

import csv
import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import Customer, SLAPolicy, Ticket
from cases.services import deadlines
from metrics import kpis
from metrics.definitions import local_midnight
from metrics.kpis import Period
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.api.helpers import token_client
from tests.factories import CustomerFactory, make_ticket

MARCH = Period.of(date(2026, 3, 1), date(2026, 4, 1))
FROM = local_midnight(date(2026, 3, 1))  # the window before it starts on 1 December 2025
LONG_AGO = date(2025, 1, 1)
CHURN_API = reverse("metrics_api:metrics-churn")


def at(day: date, hour: int = 10) -> datetime:
    return local_midnight(day) + timedelta(hours=hour)


def groups(split: kpis.ChurnSplit, name: str) -> dict[str, tuple[int, int, float | None]]:
    return {g["group"]: (g["S"], g["C"], g["churn_rate"]) for g in split["splits"][name]}


@pytest.fixture
def desk(settings, ana, team_n1, team_n2):
    """Fourteen customers and what happened to them, through the services. March 2026 is the
    period; "before" is before 1 March 00:00 (local), the operational window is
    [1 December 2025, 1 March 2026). Customers since 2025-01-01 unless said otherwise.

    | customer | answers (when: NPS / CSAT)               | churned   | escalated / SLA missed |
    |----------|------------------------------------------|-----------|------------------------|
    | d1       | 10 Feb: 3 / 2                            | 15 Mar    | escalated 11 Feb       |
    | d2       | 5 Jan: 9 / 5, 20 Feb: 5 / 3              | 20 Mar    | missed 15 Jan          |
    | d3       | 1 Feb: 6 / 4                             | —         | missed 20 Dec          |
    | d4       | 10 Jan: 2 / 1, 1 Mar 00:00: 10 / 5       | —         | escalated 20 Nov       |
    | p1       | 5 Feb: 8 / 4                             | —         | missed 1 Mar 00:00     |
    | p2       | 20 Jan: 7 / 3, 10 Mar: 4 / 1             | —         | escalated 5 Mar        |
    | r1       | 2 Feb: 10 / 5                            | —         | escalated 12 Feb (1)   |
    | r2       | 3 Feb: 9 / —                             | —         |                        |
    | r3       | 3 Jan: 3 / 2, 25 Feb: 9 / 5              | 28 Mar    |                        |
    | n1       | —                                        | —         |                        |
    | n2       | 1 Feb: — / 2                             | 5 Mar     | escalated 1 Dec 00:00  |
    | new1     | 15 Feb: 0 / 1 (customer since 1 Mar)     | —         |                        |
    | new2     | — (customer since 5 Mar)                 | 25 Mar    |                        |
    | gone     | 15 Jan: 1 / 1                            | 20 Feb    |                        |

    (1) on a ticket then merged into another of r1's: it counts only through its target.

    S (active on 1 March): d1 d2 d3 d4 p1 p2 r1 r2 r3 n1 n2 = 11 — not new1 (joined on the
    day), new2 (joined later) or gone (left before). C (churned in March): d1 d2 r3 n2 new2 = 5
    — new2 joined and left within the period: in C, as for the desk's churn, not in S.

    NPS group, the latest NPS answer before 1 March (d4's answer at 00:00 is not before;
    p2's in March is not either; r2 answered NPS only, n2 CSAT only):
      detractor d1 d2 d3 d4: S 4, C 2 (d1 d2) → 50.0 %;  passive p1 p2: S 2, C 0 → 0.0 %;
      promoter r1 r2 r3: S 3, C 1 (r3) → 33.3 %;  not surveyed n1 n2: S 2, C 2 (n2 new2) → 100.0 %.
    CSAT, the latest CSAT answer before 1 March:
      unsatisfied (≤ 3) d1 d2 d4 p2 n2: S 5, C 3 (d1 d2 n2) → 60.0 %;
      satisfied (≥ 4) d3 p1 r1 r3: S 4, C 1 (r3) → 25.0 %;
      not surveyed r2 n1: S 2, C 1 (new2) → 50.0 %.
    Escalated in [1 Dec, 1 Mar) (d4's is before, p2's after, r1's ticket was merged away):
      escalated d1 n2: S 2, C 2 → 100.0 %;  not escalated: S 9, C 3 (d2 r3 new2) → 33.3 %.
    SLA deadline missed in [1 Dec, 1 Mar) (p1's falls at 1 March 00:00, not before):
      breached d2 d3: S 2, C 1 (d2) → 50.0 %;  not breached: S 9, C 4 (d1 r3 n2 new2) → 44.4 %.
    """
    settings.SURVEY_THROTTLE_DAYS = 0  # several answers per customer, close together
    SLAPolicy.objects.create(
        name="Urgent", priority="urgent", first_response_minutes=60, resolution_minutes=10**6
    )

    def customer(name: str, since: date = LONG_AGO, churned: date | None = None) -> Customer:
        return CustomerFactory.create(name=name, active_since=since, churned_at=churned)

    def answered(
        who: Customer, moment: datetime, nps: int | None = None, csat: int | None = None
    ) -> None:
        ticket = make_ticket(by=ana, customer=who, team=team_n1, at=moment - timedelta(hours=2))
        services.add_reply(ticket=ticket, by=ana, body="Done", at=moment - timedelta(hours=1))
        services.resolve_ticket(
            ticket=Ticket.objects.get(pk=ticket.pk), by=ana, resolution="Fixed",
            at=moment - timedelta(minutes=30),
        )  # fmt: skip
        invitation = SurveyInvitation.objects.get(ticket=ticket)
        answer_survey(invitation=invitation, at=moment, nps=nps, csat=csat)

    def escalated(who: Customer, moment: datetime) -> Ticket:
        ticket = make_ticket(by=ana, customer=who, team=team_n1, at=moment - timedelta(hours=1))
        services.add_reply(ticket=ticket, by=ana, body="Looking", at=moment - timedelta(minutes=30))
        return services.escalate_ticket(
            ticket=Ticket.objects.get(pk=ticket.pk), by=ana, reason="Needs N2", at=moment
        )

    def missed_deadline(who: Customer, moment: datetime) -> None:
        """An urgent ticket whose first response fell due at `moment` with no answer."""
        ticket = make_ticket(
            by=ana, customer=who, team=team_n1, priority="urgent", at=moment - timedelta(hours=1)
        )
        assert deadlines.record_past_deadlines(ticket, moment + timedelta(minutes=1)) == [
            "first_response"
        ]

    d1 = customer("d1", churned=date(2026, 3, 15))
    answered(d1, at(date(2026, 2, 10)), nps=3, csat=2)
    escalated(d1, at(date(2026, 2, 11)))
    d2 = customer("d2", churned=date(2026, 3, 20))
    missed_deadline(d2, at(date(2026, 1, 15)))
    answered(d2, at(date(2026, 1, 5)), nps=9, csat=5)
    answered(d2, at(date(2026, 2, 20)), nps=5, csat=3)
    d3 = customer("d3")
    answered(d3, at(date(2026, 2, 1)), nps=6, csat=4)
    missed_deadline(d3, at(date(2025, 12, 20)))
    d4 = customer("d4")
    answered(d4, at(date(2026, 1, 10)), nps=2, csat=1)
    answered(d4, FROM, nps=10, csat=5)
    escalated(d4, at(date(2025, 11, 20)))
    p1 = customer("p1")
    answered(p1, at(date(2026, 2, 5)), nps=8, csat=4)
    missed_deadline(p1, FROM)
    p2 = customer("p2")
    answered(p2, at(date(2026, 1, 20)), nps=7, csat=3)
    answered(p2, at(date(2026, 3, 10)), nps=4, csat=1)
    escalated(p2, at(date(2026, 3, 5)))
    r1 = customer("r1")
    answered(r1, at(date(2026, 2, 2)), nps=10, csat=5)
    duplicate = escalated(r1, at(date(2026, 2, 12)))
    kept = make_ticket(by=ana, customer=r1, team=team_n1, at=at(date(2026, 2, 12), 11))
    services.add_reply(ticket=kept, by=ana, body="On it", at=at(date(2026, 2, 12), 12))
    services.merge_tickets(
        source=Ticket.objects.get(pk=duplicate.pk), target=Ticket.objects.get(pk=kept.pk),
        by=ana, at=at(date(2026, 2, 13)),
    )  # fmt: skip
    r2 = customer("r2")
    answered(r2, at(date(2026, 2, 3)), nps=9)
    r3 = customer("r3", churned=date(2026, 3, 28))
    answered(r3, at(date(2026, 1, 3)), nps=3, csat=2)
    answered(r3, at(date(2026, 2, 25)), nps=9, csat=5)
    customer("n1")
    n2 = customer("n2", churned=date(2026, 3, 5))
    answered(n2, at(date(2026, 2, 1)), csat=2)
    escalated(n2, local_midnight(date(2025, 12, 1)))
    new1 = customer("new1", since=date(2026, 3, 1))
    answered(new1, at(date(2026, 2, 15)), nps=0, csat=1)
    customer("new2", since=date(2026, 3, 5), churned=date(2026, 3, 25))
    gone = customer("gone", churned=date(2026, 2, 20))
    answered(gone, at(date(2026, 1, 15)), nps=1, csat=1)


# --- the engine -------------------------------------------------------------------------------


def test_the_nps_split_equals_the_hand_computation(desk):
    split = kpis.churn_split(MARCH)
    assert groups(split, "nps") == {
        "detractor": (4, 2, 50.0),
        "passive": (2, 0, 0.0),
        "promoter": (3, 1, 33.3),
        "not_surveyed": (2, 2, 100.0),
    }


def test_the_csat_split_equals_the_hand_computation(desk):
    split = kpis.churn_split(MARCH)
    assert groups(split, "csat") == {
        "unsatisfied": (5, 3, 60.0),
        "satisfied": (4, 1, 25.0),
        "not_surveyed": (2, 1, 50.0),
    }


def test_the_operational_splits_equal_the_hand_computation(desk):
    split = kpis.churn_split(MARCH)
    assert groups(split, "escalated") == {
        "escalated": (2, 2, 100.0),
        "not_escalated": (9, 3, 33.3),
    }
    assert groups(split, "sla_breached") == {
        "breached": (2, 1, 50.0),
        "not_breached": (9, 4, 44.4),
    }


def test_every_split_adds_up_to_the_desks_customers_at_the_start_and_churned(desk):
    split = kpis.churn_split(MARCH)
    customers = kpis.customer_kpis(MARCH)
    overall = split["overall"]
    assert (overall["S"], overall["C"], overall["churn_rate"]) == (11, 5, 45.5)
    assert (overall["S"], overall["C"]) == (customers["S"], customers["C"])
    for name, rows in split["splits"].items():
        assert sum(g["S"] for g in rows) == 11, name
        assert sum(g["C"] for g in rows) == 5, name


def test_each_group_carries_its_wilson_interval_retention_and_sample_flag(desk, settings):
    """Detractors, 2 of 4: p = 0.5, z²/n = 0.9604; centre 0.5, half-width
    1.96 · √(0.0625 + 0.060025) / 1.9604 = 0.35 → 15.0 … 85.0 %. 4 < KPI_MIN_SAMPLE (20)."""
    split = kpis.churn_split(MARCH)
    detractors = split["splits"]["nps"][0]
    assert detractors == {
        "group": "detractor",
        "S": 4,
        "C": 2,
        "churn_rate": 50.0,
        "retention_rate": 50.0,
        "interval": {"low": 15.0, "high": 85.0},
        "low_sample": True,
    }
    assert split["min_sample"] == 20
    # new2 left the "not surveyed" group as many customers as it had at the start: 2 of 2.
    assert split["splits"]["nps"][3]["interval"] == {"low": 34.2, "high": 100.0}

    settings.KPI_MIN_SAMPLE = 4
    again = kpis.churn_split(MARCH)
    assert [g["low_sample"] for g in again["splits"]["nps"]] == [False, True, True, True]


def test_a_group_without_customers_has_no_rate_and_no_interval(db):
    split = kpis.churn_split(MARCH)
    assert split["overall"]["S"] == 0
    for rows in split["splits"].values():
        for group in rows:
            assert (group["churn_rate"], group["retention_rate"], group["interval"]) == (
                None,
                None,
                None,
            )


def test_the_wilson_interval_follows_kpi_md():
    """KPI.md's worked example: 7 of 10 → 39.7 % … 89.2 %."""
    assert kpis.wilson(7, 10) == {"low": 39.7, "high": 89.2}
    assert kpis.wilson(0, 10) == {"low": 0.0, "high": 27.8}
    assert kpis.wilson(10, 10) == {"low": 72.2, "high": 100.0}
    assert kpis.wilson(0, 0) is None
    assert kpis.wilson(3, 2) is None  # more churned than active at the start: no proportion


def test_the_split_is_one_statement_whatever_the_desk(desk):
    with CaptureQueriesContext(connection) as queries:
        kpis.churn_split(MARCH)
    assert len(queries) == 1


# --- the API ----------------------------------------------------------------------------------


def test_the_api_gives_the_engines_split_with_labels(desk, marta):
    response = token_client(marta).get(CHURN_API, {"from": "2026-03-01", "to": "2026-04-01"})

    assert response.status_code == 200
    body = response.json()
    engine = json.loads(json.dumps(kpis.churn_split(MARCH)))
    assert body["period"]["from"].startswith("2026-03-01T00:00:00")
    assert body["min_sample"] == 20
    assert {k: v for k, v in body["overall"].items() if k != "label"} == engine["overall"]
    assert list(body["splits"]) == ["nps", "csat", "escalated", "sla_breached"]
    for name, split in body["splits"].items():
        assert split["title"]
        assert [{k: v for k, v in g.items() if k != "label"} for g in split["groups"]] == (
            engine["splits"][name]
        )
    labels = [g["label"] for g in body["splits"]["nps"]["groups"]]
    assert labels == ["Detractors (0–6)", "Passives (7–8)", "Promoters (9–10)", "No NPS answer"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-03-01", "to": "2026-03-01"}, "to"),
        ({"from": "1900-01-01"}, "from"),
        ({"team": "1"}, "team"),  # the ticket filters do not apply: refused, not ignored
        ({"form": "2026-03-01"}, "form"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(marta, query, field):
    response = token_client(marta).get(CHURN_API, query)
    assert response.status_code == 400
    assert field in response.json()


def test_agents_are_refused_and_anonymous_callers_must_sign_in(ana, adrian):
    refused = token_client(ana).get(CHURN_API)
    assert refused.status_code == 403
    assert "detail" in refused.json()
    assert token_client(ana).get(CHURN_API, {"from": "nonsense"}).status_code == 403
    assert token_client().get(CHURN_API).status_code == 401
    assert token_client(adrian).get(CHURN_API).status_code == 200


# --- the dashboard ----------------------------------------------------------------------------


def test_the_managers_dashboard_shows_churn_and_experience(client, marta, desk):
    client.force_login(marta)
    query = {"period": "custom", "from": "2026-03-01", "to": "2026-04-01"}

    page = client.get(reverse("metrics:dashboard"), query)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="churn-title"' in html and 'data-chart="churn"' in html
    data = json.loads(
        re.search(r'id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )
    churn = data["churn"]
    assert churn["rates"][:4] == [50.0, 0.0, 33.3, 100.0]
    assert churn["intervals"][0] == [15.0, 85.0]
    assert churn["muted"] == [True] * 11  # every group of the small desk is a small sample
    assert churn["tooltips"][0] == (
        "2 of 4 customers churned · 95 %: 15.0 % to 85.0 % · small sample"
    )
    table = page.context["churn_table"]
    assert table.rows[0] == [
        "NPS group at the start", "Detractors (0–6)", 4, 2, 50.0, 15.0, 85.0, "Small sample",
    ]  # fmt: skip
    assert "text-body-secondary" in table.html_rows()[0][1]["css"]

    exported = client.get(reverse("metrics:export", args=["churn"]), query)
    rows = list(csv.reader(io.StringIO(exported.content.decode().removeprefix("\ufeff"))))
    assert rows[0][:5] == [
        "Split", "Group", "Customers at the start", "Churned in the period", "Churn rate",
    ]  # fmt: skip
    assert rows[1] == [
        "NPS group at the start", "Detractors (0–6)", "4", "2", "50.0", "15.0", "85.0",
        "Small sample",
    ]  # fmt: skip
    assert len(rows) == 12


def test_agents_see_no_churn_split_and_may_not_export_it(client, ana):
    client.force_login(ana)
    mine = client.get(reverse("metrics:my_dashboard"))
    assert mine.status_code == 200
    assert 'id="churn-title"' not in mine.content.decode()
    assert "churn" not in mine.context["charts"]
    assert client.get(reverse("metrics:export", args=["churn"])).status_code == 403
