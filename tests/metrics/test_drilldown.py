"""The tickets behind every number (metrics/drilldown.py): on the demo desk, every card, every
breakdown row and every table cell links to a list whose count is the figure's sample — from
the rollups and live, for a manager and, restricted to their own tickets, for an agent."""

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cases import demo
from cases.filters import TicketFilter
from cases.models import Status, Ticket, User
from cases.queues import resolve_queue, saved_view_tickets
from metrics import definitions, kpis, rollups
from metrics.drilldown import BACKLOG_AGES, SOURCES, UNLISTED, bucket_period, drill_url
from metrics.explain import DECOMPOSED_DIMENSIONS, EXPLAINED_KPIS
from metrics.forms import preset_range
from metrics.presentation.cards import KPI_CARDS
from surveys import demo as survey_demo
from surveys.filters import ResponseFilter
from surveys.selectors import responses_visible_to
from tests.api.helpers import token_client
from tests.built_once import Built, built_once

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")
RESPONSES = reverse("surveys:response_list")


def load_desk() -> None:
    demo.load_demo()
    survey_demo.load_survey_history(seed=demo.SEED)
    rollups.rebuild()


@pytest.fixture(scope="module")
def _desk(django_db_setup, django_db_blocker) -> Iterator[Built[None]]:
    """The demo desk (cases/demo, surveys/demo), its rollups built, once for the module
    (tests/built_once.py): the tests that do not ask for it come before the first that does."""
    yield from built_once(django_db_blocker, load_desk, EMBEDDED=True)


@pytest.fixture
def desk(_desk, settings) -> None:
    settings.EMBEDDED = True
    _desk.start()


def last_days(days: int) -> kpis.Period:
    return kpis.Period.of(*preset_range(str(days), timezone.localdate()))


def listed(url: str, user: User) -> int:
    """How many items the list at `url` shows `user`, through the page's own path (the
    queue's `queue_tickets` and TicketFilter, the responses' `responses_visible_to` and
    ResponseFilter), every drill-down parameter accepted."""
    parts = urlsplit(url)
    params = QueryDict(parts.query)
    if parts.path == QUEUE:
        form = TicketFilter(params, queryset=Ticket.objects.none()).form
        assert form.is_valid(), (url, form.errors)
        return saved_view_tickets(user, parts.query).count()
    assert parts.path == RESPONSES, url
    filterset = ResponseFilter(params, queryset=responses_visible_to(user))
    assert filterset.is_valid(), (url, filterset.errors)
    return filterset.qs.count()


def shown(client: Client, url: str) -> int:
    """The count the list page itself shows for `url` (its pager's total)."""
    response = client.get(url)
    assert response.status_code == 200, url
    paginator = response.context["page_obj"].paginator
    assert not paginator.count_is_capped
    assert b"drill-down-error" not in response.content
    return paginator.count


class Mismatches(list[str]):
    """Every figure whose list disagrees, reported together; `checked` names every figure
    compared."""

    def __init__(self) -> None:
        super().__init__()
        self.checked: list[str] = []

    def check(self, what: str, url: str | None, expected: int, user: User) -> None:
        self.checked.append(what)
        if url is None:
            self.append(f"{what}: no link")
            return
        got = listed(url, user)
        if got != expected:
            self.append(f"{what}: the list has {got}, the figure {expected} ({url})")


def answers(period: kpis.Period, filters: kpis.Filters) -> int:
    survey = kpis.survey_kpis(period, filters).get(None) or kpis.empty_survey_kpis()
    return int(survey["responses"])


def card_samples(
    summary: kpis.KpiValues, period: kpis.Period, filters: kpis.Filters
) -> dict[str, int]:
    """What each card's link lists: its sample (`Kpi.count`), except the response rate's,
    whose invitations no list shows: its answers."""
    samples = {kpi.key: kpi.count(summary) for kpi in KPI_CARDS}
    samples["response_rate"] = answers(period, filters)
    return samples


def check_cards(
    period: kpis.Period, filters: kpis.Filters, user: User, mismatches: Mismatches
) -> kpis.KpiValues:
    summary = kpis.summary(period, filters)
    for key, expected in card_samples(summary, period, filters).items():
        url = drill_url(key, period, filters)
        if key in UNLISTED:
            assert url is None
            continue
        mismatches.check(f"card {key}", url, expected, user)
    # The parts a card or its explanation offers.
    parts = {
        ("csat", "satisfied"): summary["csat"]["distribution"][4]
        + summary["csat"]["distribution"][5],
        ("nps", "promoters"): summary["nps"]["promoters"],
        ("nps", "passives"): summary["nps"]["passives"],
        ("nps", "detractors"): summary["nps"]["detractors"],
        ("ces_percent_easy", True): sum(summary["ces"]["distribution"][s] for s in (5, 6, 7)),
        ("frt", "awaiting"): summary["frt"]["awaiting_first_response"],
        ("sla_breached", True): summary["sla"]["breached"],
        **{("csat", s): n for s, n in summary["csat"]["distribution"].items()},
        **{("nps", s): n for s, n in summary["nps"]["distribution"].items()},
        **{("ces", s): n for s, n in summary["ces"]["distribution"].items()},
    }
    for (key, part), expected in parts.items():
        mismatches.check(
            f"{key} part {part}", drill_url(key, period, filters, part=part), expected, user
        )
    # Rates whose numerator the summary gives only as a percentage: recomputed from the lists.
    for key, read in (
        ("escalation_rate", lambda s: s["escalation_rate"]),
        ("fcr", lambda s: s["fcr"]["percent"]),
        ("reopen_rate", lambda s: s["reopen_rate"]),
        ("sla_first_response", lambda s: s["sla"]["first_response_percent"]),
        ("sla_resolution", lambda s: s["sla"]["resolution_percent"]),
    ):
        whole = drill_url(key, period, filters)
        part = drill_url(key, period, filters, part=True)
        assert whole and part
        figure = kpis.percent(listed(part, user), listed(whole, user))
        if figure != read(summary):
            mismatches.append(f"{key}: the lists give {figure}, the card {read(summary)}")
    # The backlog's ageing table.
    for age in BACKLOG_AGES:
        expected = summary["backlog"]["buckets"][age]
        mismatches.check(
            f"backlog {age}", drill_url("backlog", period, filters, age=age), expected, user
        )
    return summary


def check_breakdowns(
    period: kpis.Period, filters: kpis.Filters, user: User, mismatches: Mismatches
) -> None:
    """The explanation's segments per dimension (a survey, a created and a resolved KPI, and
    the SLA), and the backlog by team."""
    samples = {
        "csat": lambda d: d["csat"]["responses"],
        "nps": lambda d: d["nps"]["responses"],
        "responses": lambda d: d["responses"],
        "volume": lambda d: d["volume"],
        "frt_median": lambda d: d["frt"]["count"],
        "sla_first_response": lambda d: d["sla"]["first_response_count"],
        "resolved": lambda d: d["resolved"],
        "art": lambda d: d["art"]["count"],
    }
    for by in DECOMPOSED_DIMENSIONS:
        for key, sample in samples.items():
            for row in kpis.breakdown(key, by, period, filters):
                url = drill_url(key, period, filters, segment=(by, row["key"]))
                mismatches.check(f"{key} by {by}={row['key']}", url, sample(row["detail"]), user)
    for team, values in kpis.backlog(period.end, filters, by="team").items():
        url = drill_url("backlog", period, filters, segment=("team", team))
        mismatches.check(f"backlog team={team}", url, values["total"], user)


def check_tables(
    period: kpis.Period, filters: kpis.Filters, user: User, mismatches: Mismatches
) -> None:
    """The dashboard's tables: channels, drivers, agents and the trend's points."""
    for row in kpis.volume_by("channel", period, filters):
        url = drill_url("volume", period, filters, segment=("channel", row["key"]))
        mismatches.check(f"channel {row['key']}", url, row["value"], user)
    for fact, rows in kpis.drivers(period, filters).items():
        assert fact in definitions.DRIVER_NAMES
        for driver in rows:
            segment = (f"driver:{fact}", driver["value"])
            url = drill_url("responses", period, filters, segment=segment)
            mismatches.check(f"driver {fact}={driver['value']}", url, driver["responses"], user)
            for key, figure in (("csat", driver["csat"]), ("nps", driver["nps"])):
                whole = drill_url(key, period, filters, segment=segment)
                assert whole is not None
                if key == "csat":
                    part = drill_url(key, period, filters, segment=segment, part=True)
                    assert part is not None
                    got = kpis.percent(listed(part, user), listed(whole, user))
                else:
                    promoters = drill_url(key, period, filters, segment=segment, part="promoters")
                    detractors = drill_url(key, period, filters, segment=segment, part="detractors")
                    assert promoters and detractors
                    got = kpis.percent(
                        listed(promoters, user) - listed(detractors, user), listed(whole, user)
                    )
                if got != figure:
                    mismatches.append(f"driver {fact}={driver['value']} {key}: {got} ≠ {figure}")
    columns = {
        "volume": lambda f: f["created"]["volume"],
        "frt_median": lambda f: f["created"]["frt"]["count"],
        "art_median": lambda f: f["resolved"]["art"]["count"],
        "fcr": lambda f: f["resolved"]["fcr"]["resolved"],
        "csat": lambda f: f["survey"]["csat"]["responses"],
        "nps": lambda f: f["survey"]["nps"]["responses"],
        "responses": lambda f: f["survey"]["responses"],
    }
    for agent, families in kpis.many_breakdowns("agent", period, filters).items():
        for key, sample in columns.items():
            url = drill_url(key, period, filters, segment=("agent", agent))
            mismatches.check(f"agents {agent} {key}", url, sample(families), user)
    interval = "week"
    for kpi, sample in (
        ("csat", lambda d: d["csat"]["responses"]),
        ("volume", lambda d: d["volume"]),
        ("art_median", lambda d: d["art"]["count"]),
    ):
        for point in kpis.timeseries(kpi, interval, period, filters):
            bucket = bucket_period(period, point["bucket"], interval)
            url = drill_url(kpi, bucket, filters)
            mismatches.check(f"trend {kpi} {point['bucket']}", url, sample(point["detail"]), user)


def test_every_kpi_of_cards_and_explanations_has_a_link_or_says_why_not():
    period = last_days(30)
    for key in {kpi.key for kpi in KPI_CARDS} | set(EXPLAINED_KPIS) | {"backlog"}:
        url = drill_url(key, period, kpis.Filters())
        assert (url is None) == (key in UNLISTED), key
        assert key in SOURCES or key in UNLISTED
    # A macro's tickets open in the queue, its answers (placed otherwise) nowhere; averages
    # have no numerator; unassigned is expressible.
    assert "macro=1" in drill_url("resolved", period, kpis.Filters(macro=1))
    assert drill_url("csat", period, kpis.Filters(macro=1)) is None
    assert drill_url("csat_average", period, kpis.Filters(), part=True) is None
    unassigned = drill_url("volume", period, kpis.Filters(), segment=("agent", None))
    assert unassigned is not None and "without=assignee" in unassigned
    no_agent = drill_url("csat", period, kpis.Filters(), segment=("agent", None))
    assert no_agent is not None and "without=agent" in no_agent
    with pytest.raises(ValueError):
        drill_url("backlog", period, kpis.Filters(), age="ancient")
    with pytest.raises(ValueError):
        drill_url("volume", period, kpis.Filters(), segment=("driver:frt", "lt_1h"))


@pytest.mark.parametrize(
    "url",
    [
        f"{QUEUE}?created_from=yesterday&facet=nope&age=lt_1d",
        f"{QUEUE}?resolved_before=2026-13-45&open_at=0001-01-01&without=planet",
        f"{QUEUE}?created_from=99999-01-01T00:00&customer=abc",
        f"{RESPONSES}?answered_from=soon&question=mood&frt=forever&escalated=maybe",
        f"{RESPONSES}?answered_until=2026-02-30&public_replies=9&without=moon",
    ],
)
def test_invalid_drill_parameters_are_reported_not_a_server_error(client, marta, url):
    client.force_login(marta)
    response = client.get(url)
    assert response.status_code == 200
    assert b"drill-down-error" in response.content


def test_the_responses_api_refuses_an_invalid_moment(marta):
    response = token_client(marta).get("/api/v1/surveys/responses/", {"answered_from": "soon"})
    assert response.status_code == 400
    assert "answered_from" in str(response.json())


@pytest.mark.parametrize("rollups_on", [True, False], ids=["rollups", "live"])
def test_every_figure_lists_its_sample_for_a_manager(desk, rollups_on):
    manager = User.objects.get(username="manager")
    mismatches = Mismatches()
    with override_settings(METRICS_ROLLUPS=rollups_on):
        period = last_days(30)
        assert kpis._rollups_usable() is rollups_on
        summary = check_cards(period, kpis.Filters(), manager, mismatches)
        check_breakdowns(period, kpis.Filters(), manager, mismatches)
        check_tables(period, kpis.Filters(), manager, mismatches)
    assert mismatches == []
    # Every table was read, segments of nothing (unassigned, no category) included.
    checked = " ".join(mismatches.checked)
    for what in ("card backlog", "volume by agent=None", "csat by team=", "driver escalated=yes"):
        assert what in checked, what
    for what in ("channel ", "agents ", "trend csat", "driver public_replies=", "backlog gte_7d"):
        assert what in checked, what
    assert len(mismatches.checked) > 300
    # The demo fills every list the test reads (an empty desk would agree trivially).
    assert summary["csat"]["responses"] > 20 and summary["volume"] > 50
    assert summary["sla"]["first_response_count"] > 0 and summary["backlog"]["total"] > 0
    assert Ticket.objects.filter(status=Status.MERGED).exists()


def test_the_pages_show_the_figures_counts(desk, client):
    """The list pages themselves, as a manager follows the cards' links."""
    manager = User.objects.get(username="manager")
    client.force_login(manager)
    period = last_days(30)
    summary = kpis.summary(period, kpis.Filters())
    for key, expected in card_samples(summary, period, kpis.Filters()).items():
        url = drill_url(key, period, kpis.Filters())
        if url is not None:
            assert shown(client, url) == expected, key
    page = client.get(drill_url("escalation_rate", period, kpis.Filters(), part=True))
    start, end = period.start_date, period.end_date - timedelta(days=1)
    text = page.content.decode()
    assert "drill-down-text" in text and "Escalated" in text
    assert f"{start.day} " in text and f"{end.day} " in text
    assert "drill-down-clear" in text


def test_filtered_dashboards_carry_their_filters(desk):
    """Team, channel, category, priority, tags and a longer period, live (tags) and from the
    rollups (the rest)."""
    manager = User.objects.get(username="manager")
    ticket = (
        Ticket.objects.exclude(team=None)
        .exclude(category=None)
        .exclude(status=Status.MERGED)
        .order_by("pk")
        .first()
    )
    assert ticket is not None
    tagged = Ticket.objects.filter(tags__isnull=False).values_list("tags__name", flat=True)
    period = last_days(90)
    mismatches = Mismatches()
    for filters in (
        kpis.Filters(team=ticket.team_id),
        kpis.Filters(channel=ticket.channel, priority=ticket.priority),
        kpis.Filters(category=ticket.category_id),
        kpis.Filters(tags=(tagged.first(),)) if tagged.exists() else kpis.Filters(),
        kpis.Filters(customer=ticket.customer_id),
    ):
        check_cards(period, filters, manager, mismatches)
    check_breakdowns(period, kpis.Filters(team=ticket.team_id), manager, mismatches)
    # A period not in whole days (the API's datetimes): the links carry the exact moments.
    moments = kpis.Period(
        period.start + timedelta(hours=9, minutes=30), period.end - timedelta(hours=2)
    )
    check_cards(moments, kpis.Filters(), manager, mismatches)
    assert "T09%3A30%3A00" in (drill_url("csat", moments, kpis.Filters()) or "")
    assert mismatches == []


def test_an_agent_drills_into_their_own_tickets(desk, client):
    """The agent's dashboard is filtered on them: its links list their tickets and answers
    only, the counts its figures — and a manager's link shows an agent what they may see."""
    agent = User.objects.get(username="agent")
    client.force_login(agent)
    period = last_days(30)
    filters = kpis.Filters(agent=agent.pk)
    mismatches = Mismatches()
    check_cards(period, filters, agent, mismatches)
    check_breakdowns(period, filters, agent, mismatches)
    check_tables(period, filters, agent, mismatches)
    assert mismatches == []
    summary = kpis.summary(period, filters)
    assert summary["volume"] > 0
    volume = drill_url("volume", period, filters)
    response = client.get(volume)
    assert response.status_code == 200
    assert resolve_queue(agent, None) == "mine"
    assert response.context["page_obj"].paginator.count == summary["volume"]
    assert {t.assignee_id for t in response.context["page_obj"].object_list} == {agent.pk}
    answers = client.get(drill_url("responses", period, filters))
    assert {r.agent_id for r in answers.context["page_obj"].object_list} == {agent.pk}
    # A manager's link (every ticket) opened by the agent: only what the agent may see.
    desk_wide = client.get(drill_url("volume", period, kpis.Filters()))
    visible = desk_wide.context["page_obj"].paginator.count
    assert 0 < visible < kpis.summary(period, kpis.Filters())["volume"]
    assert all(t.assignee_id == agent.pk for t in desk_wide.context["page_obj"].object_list)


def _count_in(text: str) -> int:
    """The number a sample's words hold ("1,204 answers" → 1204; a segment gone this period,
    "none now, 3 answers before" → 3, which its link lists from the previous period)."""
    numbers = re.findall(r"\d[\d,]*", text)
    return int(numbers[-1].replace(",", ""))


def test_the_dashboards_own_links_list_what_each_figure_counts(desk, client):
    """The links the manager's page itself carries — cards, score bars, explanation lines,
    driver and agent table cells — each open a list of as many items as the figure's sample."""
    manager = User.objects.get(username="manager")
    client.force_login(manager)
    response = client.get(reverse("metrics:dashboard"), {"period": "30"})
    assert response.status_code == 200
    period = last_days(30)
    summary = kpis.summary(period, kpis.Filters())
    samples = card_samples(summary, period, kpis.Filters())
    mismatches = Mismatches()
    for card in response.context["cards"]:
        if card["key"] in UNLISTED:
            assert card["href"] is None
            continue
        mismatches.check(f"card {card['key']}", card["href"], samples[card["key"]], manager)
        for bar in card["distribution"]:
            mismatches.check(
                f"bar {card['key']} {bar['label']}", bar["href"], bar["count"], manager
            )
        explanation = card.get("explanation")
        if explanation is None or card["key"] == "response_rate":
            continue  # the response rate's sample (surveys sent) has no list: its answers open
        for line in explanation.lines:
            what = f"why {card['key']} {line.dimension}={line.segment}"
            mismatches.check(what, line.href, _count_in(line.sample), manager)
    for table in response.context["driver_tables"]:
        for index, row in enumerate(table.rows):
            mismatches.check(f"{table.name} {row[0]}", table.links.get((index, 1)), row[1], manager)
    agents = response.context["agent_table"]
    for index, row in enumerate(agents.rows):
        mismatches.check(f"agents {row[0]} volume", agents.links.get((index, 1)), row[1], manager)
        for column in (2, 3, 4, 5, 6):
            note = agents.notes[index, column]
            url = agents.links.get((index, column))
            mismatches.check(f"agents {row[0]} column {column}", url, _count_in(note), manager)
    assert mismatches == []
    assert len(mismatches.checked) > 80
    html = response.content.decode()
    assert html.count('class="link-underline') > 10 and "kpi-why-link" in html


def test_the_macro_tables_ticket_figures_open_the_tickets_resolved_after_the_macro(desk, client):
    manager = User.objects.get(username="manager")
    client.force_login(manager)
    response = client.get(reverse("metrics:dashboard"), {"period": "30"})
    table = response.context["macro_table"]
    linked = [index for index, row in enumerate(table.rows) if row[2]]
    assert linked, "the demo desk resolves tickets after its macros"
    for index in linked:
        row = table.rows[index]
        url = table.links[index, 2]
        assert "macro=" in url and shown(client, url) == row[2], row[0]
        assert (index, 3) not in table.links  # the answers are placed otherwise: no link
    page = client.get(table.links[linked[0], 2]).content.decode()
    assert f"After the macro “{table.rows[linked[0]][0]}”" in page


def test_an_agent_cannot_name_another_agents_personal_macro(desk, client):
    from cases.models import Macro

    agent = User.objects.get(username="agent")
    other = User.objects.exclude(pk=agent.pk).filter(groups__name__isnull=False).first()
    personal = Macro.objects.create(title="Mi atajo secreto", body_es="Hola", owner=other)
    client.force_login(agent)
    page = client.get(QUEUE, {"macro": personal.pk})
    assert page.status_code == 200
    assert "Mi atajo secreto" not in page.content.decode()
    assert b"drill-down-error" in page.content  # ignored, and said so
