"""Why a card moved, under the card: the largest rate and mix terms of every dimension,
three at once and the rest behind "more", for managers and for an agent's own tickets."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.explain import explain
from metrics.kpis import Filters, Period
from tests.metrics.test_dashboard import DASHBOARD, MINE, cards, handled  # noqa: F401

TODAY = timezone.localdate()
LAST_7_DAYS = Period.of(TODAY - timedelta(days=6), TODAY + timedelta(days=1))


@pytest.fixture
def csat_fell_on_email(ana, bruno, handled):  # noqa: F811
    """Before: Ana 6 answers on the phone, all satisfied; Bruno 4 by e-mail, 3 satisfied.
    Now: Ana 2 on the phone, satisfied; Bruno 8 by e-mail, 2 satisfied."""
    before = timezone.now() - timedelta(days=10)
    for _ in range(6):
        handled(ana, at=before, csat=5)
    for index in range(4):
        handled(bruno, at=before, csat=4 if index < 3 else 1, channel="email")
    for _ in range(2):
        handled(ana, csat=5)
    for index in range(8):
        handled(bruno, csat=5 if index < 2 else 2, channel="email")


def test_each_explained_card_lists_its_largest_terms_first(client, marta, csat_fell_on_email):
    client.force_login(marta)
    response = client.get(DASHBOARD, {"period": "7"})
    shown = cards(response)
    why = shown["csat"]["explanation"]
    explanation = explain("csat", LAST_7_DAYS, Filters())
    # every ticket is in one team, category and priority: those explain nothing and are left
    # out; the agents and the channels remain, in the engine's order
    expected = [c for c in explanation.contributions if c.dimension in ("agent", "channel")]
    assert [(line.dimension, line.segment) for line in why.lines] == [
        (c.dimension, c.label) for c in expected
    ][: len(why.lines)]
    assert len(why.first) == 3 and why.more  # three at once, the rest behind "more"
    assert not {"team", "category", "priority"} & {line.dimension for line in why.lines}
    top = why.lines[0]
    assert top.points.startswith("−") and top.points.endswith(" pp")
    assert top.css == "text-danger"  # CSAT fell: the term pulled it down
    assert top.sample in {"8 answers", "2 answers"}
    html = response.content.decode()
    csat = html[html.index('data-kpi="csat"') : html.index('data-kpi="nps"')]
    assert "Why it moved" in csat and "kpi-why-more" in csat
    for kpi in ("volume", "frt", "fcr", "escalation_rate", "reopen_rate"):
        assert "explanation" in shown[kpi], kpi
    assert "explanation" not in shown["backlog"]
    assert "explanation" not in shown["churn_rate"]


def test_a_median_is_explained_through_the_mean(client, marta, csat_fell_on_email):
    client.force_login(marta)
    why = cards(client.get(DASHBOARD, {"period": "7"}))["frt"]["explanation"]
    assert why.through_mean.startswith("Explained through the mean: ")


def test_a_dimension_the_filters_fix_explains_nothing(client, marta, csat_fell_on_email):
    client.force_login(marta)
    shown = cards(client.get(DASHBOARD, {"period": "7", "channel": "email"}))
    why = shown["csat"]["explanation"]
    # by e-mail only Bruno answered, in one team: nothing is left to split the change by
    assert why.lines == []
    assert why.empty.startswith("Every item shares the same team, agent, channel")
    everyone = cards(client.get(DASHBOARD, {"period": "7"}))["csat"]["explanation"]
    assert "channel" in {line.dimension for line in everyone.lines}


def test_an_agent_sees_the_explanation_of_their_own_tickets(client, bruno, csat_fell_on_email):
    client.force_login(bruno)
    shown = cards(client.get(MINE, {"period": "7"}))
    why = shown["csat"]["explanation"]
    assert {line.dimension for line in why.lines} <= {"team", "channel", "category", "priority"}
    own = explain(
        "csat",
        LAST_7_DAYS,
        Filters(agent=bruno.pk),
        dimensions=("team", "channel", "category", "priority"),
    )
    assert shown["csat"]["value"] == f"{own.r1:.1f} %"


def test_a_segment_gone_this_period_says_what_it_had_and_opens_the_previous_period(
    client,
    marta,
    ana,
    bruno,
    handled,  # noqa: F811
):
    before = timezone.now() - timedelta(days=10)
    for _ in range(3):
        handled(bruno, at=before, csat=1, channel="email")  # e-mail: only before
    for _ in range(3):
        handled(ana, at=before, csat=5)
    for _ in range(4):
        handled(ana, csat=5)
    client.force_login(marta)
    why = cards(client.get(DASHBOARD, {"period": "7"}))["csat"]["explanation"]
    email = next(line for line in why.lines if line.segment == "E-mail")
    assert email.kind == "mix" and email.sample == "none now, 3 answers before"
    previous = LAST_7_DAYS.previous()
    assert f"answered_from={previous.start_date.isoformat()}" in email.href
    listed = client.get(email.href)
    assert listed.context["page_obj"].paginator.count == 3


def test_a_large_live_reading_is_deferred_and_served_after_the_page(
    client, marta, csat_fell_on_email, settings
):
    """Without rollups and over more tickets than EXPLAIN_INLINE_MAX_TICKETS, the page shows
    its figures first; the explanations come from metrics:why, each swapped into its card."""
    client.force_login(marta)
    inline = cards(client.get(DASHBOARD, {"period": "7"}))["csat"]["explanation"]
    settings.EXPLAIN_INLINE_MAX_TICKETS = 5
    page = client.get(DASHBOARD, {"period": "7"})
    shown = cards(page)
    assert "explanation" not in shown["csat"] and shown["csat"]["explanation_deferred"]
    html = page.content.decode()
    assert 'id="why-csat"' in html and "Working out why it moved" in html
    loader = re.search(r'hx-get="([^"]+)" hx-trigger="load" hx-swap="none" data-why-loader', html)
    assert loader
    why = client.get(loader.group(1).replace("&amp;", "&"))
    assert why.status_code == 200
    assert why.context["explanations"]["csat"] == inline
    body = why.content.decode()
    assert '<div id="why-csat" hx-swap-oob="true">' in body and "Why it moved" in body
    assert body.count("hx-swap-oob") == len(why.context["explanations"])


def test_the_deferred_explanations_follow_the_pages_rules(client, ana, bruno, csat_fell_on_email):
    client.force_login(bruno)
    assert client.get(reverse("metrics:why"), {"period": "7"}).status_code == 403
    mine = client.get(reverse("metrics:my_why"), {"period": "7"})
    assert mine.status_code == 200
    lines = mine.context["explanations"]["csat"].lines
    assert "agent" not in {line.dimension for line in lines}
    assert client.get(reverse("metrics:my_why"), {"period": "nope"}).status_code == 400


def test_with_rollups_the_explanations_are_never_deferred(
    client, marta, csat_fell_on_email, settings
):
    from metrics import rollups

    rollups.rebuild()
    settings.EXPLAIN_INLINE_MAX_TICKETS = 0
    client.force_login(marta)
    shown = cards(client.get(DASHBOARD, {"period": "7"}))
    assert "explanation" in shown["csat"]
