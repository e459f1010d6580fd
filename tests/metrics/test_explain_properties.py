"""Why it moved (docs/kpis.md): the rate and mix terms add up to the change, R1 − R0, for
every explained KPI and every dimension — over generated data (hypothesis).

The fast property feeds `metrics.explain.decompose` family values shaped as the engine
returns them, built from generated counts, and checks the terms against R1 − R0 computed
here, in exact fractions, from the same counts (segments absent before or now included, and
answers to surveys sent the period before). The slower one creates tickets and answers in the
database and checks `explain_many` end to end, live and from the rollups.
"""

from datetime import timedelta
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import pytest
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cases import services
from cases.models import Ticket
from metrics import explain, kpis, rollups
from metrics.explain import (
    COUNTS,
    DASHBOARD_KPIS,
    EXPLAINED_KPIS,
    decompose,
    explain_many,
)
from metrics.kpis import Period
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import answer_survey
from tests.factories import CustomerFactory, make_ticket

# --- the pure decomposition over generated family values ------------------------------------

SEGMENT_KEYS = st.sampled_from([None, 1, 2, 3, "phone", "email"])


def _split(total: int, parts: int, draw: Any) -> list[int]:
    """`total` items in `parts` random counts."""
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


@st.composite
def segment(draw: Any) -> dict[str, Any]:
    """One segment's raw counts, every family's: answers with their scores, surveys sent (at
    times none, answers or not), tickets created and resolved with their outcomes."""
    csat = _split(draw(st.integers(0, 12)), 5, draw)
    nps = _split(draw(st.integers(0, 12)), 11, draw)
    ces = _split(draw(st.integers(0, 12)), 7, draw)
    responses = max(sum(csat), sum(nps), sum(ces)) + draw(st.integers(0, 3))
    volume = draw(st.integers(0, 15))
    first_n = draw(st.integers(0, volume))
    resolution_n = draw(st.integers(0, volume))
    frt_n = draw(st.integers(0, volume))
    resolved = draw(st.integers(0, 15))
    art_n = draw(st.integers(0, resolved))
    micro = st.integers(0, 30 * 86_400 * 1_000_000)
    return {
        "csat": csat,
        "nps": nps,
        "ces": ces,
        "responses": responses,
        "surveys_sent": draw(st.integers(0, 20)),
        "volume": volume,
        "escalated": draw(st.integers(0, volume)),
        "first_n": first_n,
        "first_met": draw(st.integers(0, first_n)),
        "resolution_n": resolution_n,
        "resolution_met": draw(st.integers(0, resolution_n)),
        "frt_n": frt_n,
        "frt_sum_us": sum(draw(st.lists(micro, min_size=frt_n, max_size=frt_n))),
        "resolved": resolved,
        "first_contact": draw(st.integers(0, resolved)),
        "reopened": draw(st.integers(0, resolved)),
        "art_n": art_n,
        "art_sum_us": sum(draw(st.lists(micro, min_size=art_n, max_size=art_n))),
    }


def family_values(c: dict[str, Any]) -> kpis.KpiValues:
    """The keys the engine's three families return that the readers use (a superset: the
    family a KPI belongs to is the one read)."""
    csat = dict(zip(range(1, 6), c["csat"], strict=True))
    nps = dict(zip(range(0, 11), c["nps"], strict=True))
    ces = dict(zip(range(1, 8), c["ces"], strict=True))
    return {
        "responses": c["responses"],
        "surveys_sent": c["surveys_sent"],
        "csat": {"responses": sum(c["csat"]), "distribution": csat},
        "nps": {
            "responses": sum(c["nps"]),
            "promoters": nps[9] + nps[10],
            "detractors": sum(nps[s] for s in range(0, 7)),
            "distribution": nps,
        },
        "ces": {"responses": sum(c["ces"]), "distribution": ces},
        "volume": c["volume"],
        "escalated": c["escalated"],
        "sla": {"first_response_count": c["first_n"], "resolution_count": c["resolution_n"]},
        "sla_first_response_met": c["first_met"],
        "sla_resolution_met": c["resolution_met"],
        "frt": {"count": c["frt_n"]},
        "frt_sum_us": c["frt_sum_us"],
        "resolved": c["resolved"],
        "first_contact": c["first_contact"],
        "reopened": c["reopened"],
        "art": {"count": c["art_n"]},
        "art_sum_us": c["art_sum_us"],
    }


def _scores(counts: list[int], first: int) -> int:
    return sum(score * n for score, n in enumerate(counts, start=first))


# KPI → (items, points) of one segment's counts, written out from docs/kpis.md: the figure is
# scale · Σ points / Σ items.
ORACLE: dict[str, tuple[Fraction, Any]] = {
    "csat": (Fraction(100), lambda c: (sum(c["csat"]), c["csat"][3] + c["csat"][4])),
    "csat_average": (Fraction(1), lambda c: (sum(c["csat"]), _scores(c["csat"], 1))),
    "nps": (Fraction(100), lambda c: (sum(c["nps"]), sum(c["nps"][9:]) - sum(c["nps"][:7]))),
    "ces": (Fraction(1), lambda c: (sum(c["ces"]), _scores(c["ces"], 1))),
    "ces_percent_easy": (Fraction(100), lambda c: (sum(c["ces"]), sum(c["ces"][4:]))),
    "response_rate": (Fraction(100), lambda c: (c["surveys_sent"], c["responses"])),
    "escalation_rate": (Fraction(100), lambda c: (c["volume"], c["escalated"])),
    "sla_first_response": (Fraction(100), lambda c: (c["first_n"], c["first_met"])),
    "sla_resolution": (Fraction(100), lambda c: (c["resolution_n"], c["resolution_met"])),
    **{
        kpi: (Fraction(1, 10**6), lambda c: (c["frt_n"], c["frt_sum_us"]))
        for kpi in ("frt", "frt_median", "frt_p90")
    },
    **{
        kpi: (Fraction(1, 10**6), lambda c: (c["art_n"], c["art_sum_us"]))
        for kpi in ("art", "art_median", "art_p90")
    },
    "fcr": (Fraction(100), lambda c: (c["resolved"], c["first_contact"])),
    "reopen_rate": (Fraction(100), lambda c: (c["resolved"], c["reopened"])),
    "volume": (Fraction(1), lambda c: (1, c["volume"])),
    "resolved": (Fraction(1), lambda c: (1, c["resolved"])),
    "responses": (Fraction(1), lambda c: (1, c["responses"])),
}


def oracle(kpi: str, period: dict[Any, dict[str, Any]]) -> Fraction | None:
    scale, read = ORACLE[kpi]
    items = sum(read(c)[0] for c in period.values())
    points = sum(read(c)[1] for c in period.values())
    if kpi in COUNTS:
        return Fraction(points)
    return scale * Fraction(points, items) if items else None


def test_the_oracle_covers_every_explained_kpi():
    assert set(ORACLE) == set(EXPLAINED_KPIS)


periods = st.dictionaries(SEGMENT_KEYS, segment(), max_size=4)


@hypothesis_settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(before=periods, now=periods)
def test_rate_and_mix_add_up_to_the_change(before, now):
    before_values = {key: family_values(c) for key, c in before.items()}
    now_values = {key: family_values(c) for key, c in now.items()}
    for kpi in EXPLAINED_KPIS:
        dimension = decompose(kpi, "channel", before_values, now_values)
        r0, r1 = oracle(kpi, before), oracle(kpi, now)
        assert dimension.r0 == (None if r0 is None else pytest.approx(float(r0), rel=1e-12))
        assert dimension.r1 == (None if r1 is None else pytest.approx(float(r1), rel=1e-12))
        assert {s.key for s in dimension.segments} == set(before) | set(now)
        if r0 is None or r1 is None:  # no change to explain: no term
            assert all(s.rate == s.mix == 0 for s in dimension.segments), kpi
            continue
        change = float(r1 - r0)
        tolerance = 1e-9 * max(1.0, abs(float(r0)), abs(float(r1)))
        assert dimension.total == pytest.approx(change, abs=tolerance), kpi
        if kpi in COUNTS:
            assert all(s.mix == 0 for s in dimension.segments)
            continue
        if sum(s.n1 for s in dimension.segments):
            assert sum(s.w1 for s in dimension.segments) == pytest.approx(1.0)
        for s in dimension.segments:
            if s.n0 == 0 and s.n1:  # absent before: at R0, so no mix
                assert s.mix == 0, kpi
            if s.n1 == 0:  # absent now: weighs nothing, so its rate is only points
                assert s.w1 == 0


def test_answers_to_surveys_sent_before_count_as_rate():
    """A team answered this period's surveys sent the period before: its answers raise the
    response rate with no survey sent now (no share); their points are its rate."""
    sent_before = family_values({**_nothing(), "surveys_sent": 10, "responses": 5})
    late = family_values({**_nothing(), "surveys_sent": 0, "responses": 2})
    now = family_values({**_nothing(), "surveys_sent": 10, "responses": 5})
    dimension = decompose("response_rate", "team", {1: sent_before}, {1: now, 2: late})
    assert (dimension.r0, dimension.r1) == (50.0, 70.0)
    by_key = {s.key: s for s in dimension.segments}
    assert (by_key[2].w1, by_key[2].rate, by_key[2].mix) == (0.0, pytest.approx(20.0), 0.0)
    assert dimension.total == pytest.approx(20.0)


def _nothing() -> dict[str, Any]:
    return {
        **dict.fromkeys(("responses", "surveys_sent", "volume", "escalated"), 0),
        **dict.fromkeys(("first_n", "first_met", "resolution_n", "resolution_met"), 0),
        **dict.fromkeys(("frt_n", "frt_sum_us", "resolved", "first_contact"), 0),
        **dict.fromkeys(("reopened", "art_n", "art_sum_us"), 0),
        "csat": [0] * 5,
        "nps": [0] * 11,
        "ces": [0] * 7,
    }


# --- end to end: tickets and answers in the database ----------------------------------------

TODAY = timezone.localdate()
NOW_PERIOD = Period.of(TODAY - timedelta(days=6), TODAY + timedelta(days=1))
IN_BEFORE = timedelta(days=7)

# Shrinking goes to each list's first choice: a replied, resolved, answered ticket.
ticket = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(["phone", "email", "chat"]),
        "priority": st.sampled_from(["low", "normal", "high"]),
        "second_team": st.booleans(),
        "replies": st.sampled_from([1, 2, 0]),
        "escalate": st.booleans(),
        "resolve": st.sampled_from([True, False]),
        "reopen": st.booleans(),
        "scores": st.one_of(
            st.fixed_dictionaries(
                {"csat": st.integers(1, 5), "nps": st.integers(0, 10), "ces": st.integers(1, 7)}
            ),
            st.none(),
        ),
    }
)
# Tickets of the previous period, then of the period.
desks = st.tuples(
    st.lists(ticket, min_size=1, max_size=4), st.lists(ticket, min_size=1, max_size=4)
)


def _move_back(ticket_id: int) -> None:
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


def _play(spec: dict[str, Any], cast: dict[str, Any], *, before: bool) -> None:
    team = cast["n2"] if spec["second_team"] else cast["n1"]
    by = cast["carla"] if spec["second_team"] else cast["ana"]
    ticket = make_ticket(
        by=by,
        customer=CustomerFactory.create(),
        team=team,
        channel=spec["channel"],
        priority=spec["priority"],
    )
    services.assign_ticket(ticket=ticket, by=by, assignee=by)
    for _ in range(spec["replies"]):
        services.add_reply(ticket=ticket, by=by, body="Hello")
    if spec["escalate"]:
        services.escalate_ticket(ticket=ticket, by=by, reason="N2")
    if spec["resolve"] and spec["replies"]:  # a new ticket cannot be resolved
        ticket = services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed")
        if spec["reopen"]:
            services.reopen_ticket(ticket=ticket, by=by)
            ticket = services.resolve_ticket(ticket=ticket, by=by, resolution="Again")
        invitation = SurveyInvitation.objects.filter(ticket=ticket).order_by("pk").last()
        if spec["scores"] and invitation is not None:
            answer_survey(invitation=invitation, **spec["scores"])
    if before:
        _move_back(ticket.pk)


def _assert_adds_up(explanations: dict[str, Any]) -> None:
    for kpi, explanation in explanations.items():
        for dimension in explanation.dimensions:
            assert dimension.r0 == explanation.r0 or dimension.r0 == pytest.approx(
                explanation.r0, rel=1e-12
            ), (kpi, dimension.dimension)
            assert dimension.r1 == explanation.r1 or dimension.r1 == pytest.approx(
                explanation.r1, rel=1e-12
            ), (kpi, dimension.dimension)
            if explanation.change is None:
                assert dimension.total == 0, kpi
            else:
                assert dimension.total == pytest.approx(explanation.change, abs=1e-9), (
                    kpi,
                    dimension.dimension,
                )


@pytest.fixture
def cast(ana, carla, team_n1, team_n2, settings):
    settings.SURVEY_THROTTLE_DAYS = 0  # every resolution is surveyed
    settings.SURVEY_SAMPLE_RATE = 1.0
    return {"ana": ana, "carla": carla, "n1": team_n1, "n2": team_n2}


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(desk=desks)
def test_explain_many_adds_up_on_random_desks(cast, desk):
    block = transaction.atomic()
    block._from_testcase = True  # as tests/metrics/test_kpis_property.py's examples
    with block:
        for before, specs in zip((True, False), desk, strict=True):
            for spec in specs:
                _play(spec, cast, before=before)
        with override_settings(METRICS_ROLLUPS=False):
            live = explain_many(DASHBOARD_KPIS, NOW_PERIOD)
            summary = kpis.summary(NOW_PERIOD)
            # the family functions (what the grouped reading stands in for) agree with it
            with patch.object(explain, "_from_tickets", return_value=None):
                assert explain_many(DASHBOARD_KPIS, NOW_PERIOD) == live
        _assert_adds_up(live)
        # what the examples covered (pytest --hypothesis-show-statistics)
        event(f"changes explained: {sum(e.change is not None for e in live.values())}")
        for kpi, explanation in live.items():
            card = kpis.KPIS[kpi][1](summary)  # the card's figure, rounded
            if explanation.measure != "mean":  # the card rounds the same exact figure
                assert (card is None) == (explanation.r1 is None), kpi
                if card is not None:
                    assert explanation.r1 == pytest.approx(card, abs=0.05 + 1e-9), kpi
        rollups.rebuild()
        assert kpis._rollup_grain(NOW_PERIOD, kpis.Filters(), None) is not None
        assert explain_many(DASHBOARD_KPIS, NOW_PERIOD) == live  # the rollups agree
        transaction.set_rollback(True)
