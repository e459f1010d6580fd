"""The manager dashboard, the agent's own dashboard and their CSV exports."""

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from metrics import definitions, kpis, rollups
from metrics.forms import DashboardFilterForm, preset_range
from metrics.presentation.tables import Column, Table
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, UserFactory, make_ticket

TODAY = timezone.localdate()
TOMORROW = TODAY + timedelta(days=1)
DASHBOARD = reverse("metrics:dashboard")
MINE = reverse("metrics:my_dashboard")


def export(table):
    return reverse("metrics:export", args=[table])


def rows_of(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def cards(response):
    return {card["key"]: card for card in response.context["cards"]}


def charts(response):
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


@pytest.fixture
def handled(team_n1):
    """handled(by, at=…, reply_after=…, resolve=True, escalate=False, **scores): a ticket
    created at `at`, answered publicly `reply_after` later, resolved 50 minutes after that
    and surveyed an hour later (or now, if that is sooner)."""

    def _handled(
        by,
        *,
        at=None,
        reply_after=timedelta(minutes=10),
        resolve=True,
        escalate=False,
        channel="phone",
        **scores,
    ):
        at = at or timezone.now() - timedelta(hours=3)
        ticket = make_ticket(
            by=by, team=team_n1, assignee=by, customer=CustomerFactory(), at=at, channel=channel
        )
        services.add_reply(ticket=ticket, by=by, body="On it", at=at + reply_after)
        if escalate:
            services.escalate_ticket(ticket=ticket, by=by, reason="N2", at=at + reply_after)
        if resolve:
            resolved_at = at + reply_after + timedelta(minutes=50)
            services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed", at=resolved_at)
        if scores:
            answer_survey(
                invitation=SurveyInvitation.objects.get(ticket=ticket),
                # never in the future: an answer after local midnight falls out of "today"
                at=min(resolved_at + timedelta(hours=1), timezone.now()),
                **scores,
            )
        return ticket

    return _handled


# --- who may open what ------------------------------------------------------------------------


def test_an_agent_asking_for_the_manager_dashboard_gets_403(client, ana):
    client.force_login(ana)
    assert client.get(DASHBOARD).status_code == 403


def test_someone_without_a_role_gets_403_on_every_page(client, db):
    client.force_login(UserFactory(username="nadie"))
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(MINE).status_code == 403
    assert client.get(export("summary")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for url in (DASHBOARD, MINE, export("agents")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_dashboard_is_read_only(client, marta):
    client.force_login(marta)
    assert client.post(DASHBOARD).status_code == 405
    assert client.post(export("summary")).status_code == 405


def test_the_navigation_leads_managers_and_agents_to_their_dashboard(client, marta, ana):
    client.force_login(marta)
    assert f'href="{DASHBOARD}"' in client.get(MINE).content.decode()
    client.force_login(ana)
    page = client.get(MINE).content.decode()
    assert f'href="{MINE}"' in page and f'href="{DASHBOARD}"' not in page


# --- what the manager sees --------------------------------------------------------------------


def test_the_dashboard_shows_every_kpi_card_with_its_formula_and_sample(
    client, marta, ana, handled
):
    handled(ana, csat=5, nps=10, ces=6)
    handled(ana, csat=2, nps=6, ces=3)
    client.force_login(marta)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    shown = cards(response)
    assert list(shown) == [
        "csat", "nps", "ces", "response_rate", "volume", "frt", "art", "fcr",
        "escalation_rate", "reopen_rate", "backlog", "churn_rate", "retention_rate",
    ]  # fmt: skip
    assert shown["csat"]["value"] == "50.0 %"
    assert shown["nps"]["value"] == "0.0"
    assert shown["ces"]["value"] == "4.50"
    assert shown["frt"]["value"] == "10 min"
    assert shown["art"]["value"] == "1 h 0 min"
    assert shown["volume"]["value"] == "2"
    assert shown["csat"]["sample"] == "2 answers"
    assert [(row["label"], row["count"]) for row in shown["csat"]["distribution"]] == [
        ("5", 1), ("4", 0), ("3", 0), ("2", 1), ("1", 0),
    ]  # fmt: skip
    assert [row["count"] for row in shown["nps"]["distribution"]] == [1, 0, 1]
    assert "Response rate" in shown["ces"]["response_rate"]
    html = response.content.decode()
    assert "100 × count(score ≥ 4) / count(all CSAT answers)" in html
    assert "% promoters − % detractors" in html
    assert len(re.findall(r'class="card h-100 kpi-card[ "]', html)) == 13


def test_an_empty_database_shows_dashes_not_zeros_or_errors(client, marta):
    client.force_login(marta)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    shown = cards(response)
    empty = ("csat", "nps", "ces", "response_rate", "frt", "art", "fcr", "escalation_rate",
             "reopen_rate", "churn_rate", "retention_rate")  # fmt: skip
    for key in empty:
        assert shown[key]["value"] == "—", key
        assert shown[key]["delta"] is None
    assert shown["volume"]["value"] == "0"  # a count of nothing is 0
    assert "No data in this period." in response.content.decode()
    assert charts(response)["trend"]["csat"] == [None] * 30


def test_the_cards_compare_with_the_previous_period_of_equal_length(
    client, marta, ana, team_n2, handled
):
    """Last 7 days = [today − 6, tomorrow); before it [today − 13, today − 6).
    Before: one ticket, first reply after 30 min, CSAT 2.
    Now: two tickets answered after 10 min (CSAT 5 and 4), one escalated and left open."""
    yesterday_noon = definitions.local_midnight(TODAY) - timedelta(hours=12)
    ten_days_ago = definitions.local_midnight(TODAY - timedelta(days=10)) + timedelta(hours=12)
    handled(ana, at=ten_days_ago, reply_after=timedelta(minutes=30), csat=2)
    handled(ana, at=yesterday_noon, csat=5)
    handled(ana, at=yesterday_noon, csat=4)
    handled(ana, at=yesterday_noon, resolve=False, escalate=True)
    client.force_login(marta)

    shown = cards(client.get(DASHBOARD, {"period": "7"}))

    def change(key):
        delta = shown[key]["delta"]
        return delta.arrow, delta.text, delta.css

    assert (shown["csat"]["value"], shown["csat"]["previous"]) == ("100.0 %", "0.0 %")
    # 2 of 2 against 0 of 1: the 95 % intervals overlap, so the rise is labelled noise.
    assert change("csat") == ("▲", "100.0 pp", "text-body-secondary kpi-noise")
    assert shown["csat"]["noise"] and shown["csat"]["low_sample"]
    assert (shown["volume"]["value"], shown["volume"]["previous"]) == ("3", "1")
    assert change("volume") == ("▲", "2", "text-body-secondary")  # neither good nor bad
    assert (shown["frt"]["value"], shown["frt"]["previous"]) == ("10 min", "30 min")
    assert change("frt") == ("▼", "20 min", "text-success")  # faster is better
    assert shown["escalation_rate"]["value"] == "33.3 %"
    # lower is better, but 1 of 3 against 0 of 1 is within the noise of both
    assert change("escalation_rate") == ("▲", "33.3 pp", "text-body-secondary kpi-noise")
    assert change("backlog") == ("▲", "1", "text-danger")
    assert change("reopen_rate") == ("=", "0.0 pp", "text-body-secondary")
    assert (shown["art"]["value"], shown["art"]["previous"]) == ("1 h 0 min", "1 h 20 min")
    assert change("art") == ("▼", "20 min", "text-success")


def test_the_delta_renders_as_an_arrow_and_an_amount(client, marta, ana, handled):
    ten_days_ago = definitions.local_midnight(TODAY - timedelta(days=10)) + timedelta(hours=12)
    handled(ana, at=ten_days_ago, csat=5)
    client.force_login(marta)
    html = client.get(DASHBOARD, {"period": "7"}).content.decode()
    volume = html[html.index('data-kpi="volume"') :]
    assert re.match(
        r'.*?kpi-delta small fw-semibold text-body-secondary"><span aria-hidden="true">▼</span> 1'
        r'<span class="visually-hidden"> \(down\)</span>',
        volume,
        re.S,
    )


def test_trend_charts_get_their_data_and_translated_labels_through_json(
    client, marta, ana, handled
):
    handled(ana, csat=5, nps=9)
    client.force_login(marta)
    response = client.get(DASHBOARD, {"period": "7", "points": "day"})
    data = charts(response)
    assert data["interval"] == "day"
    assert len(data["trend"]["labels"]) == 7
    # (the ticket is from three hours ago: yesterday's bucket just after midnight)
    assert [v for v in data["trend"]["csat"] if v is not None] == [100.0]
    assert sum(data["trend"]["promoters"]) == 1
    assert data["channels"] == {"labels": ["Phone"], "values": [1]}
    assert data["backlog"]["labels"] == ["< 1 day", "1–3 days", "3–7 days", "≥ 7 days"]
    assert data["names"]["promoters"] == "Promoters"
    html = response.content.decode()
    assert html.count("<canvas") == 8  # and the manager's churn by experience group


def test_the_time_chart_shows_the_median_first_response_per_bucket(client, marta, ana, handled):
    handled(ana, csat=5)
    client.force_login(marta)
    trend = charts(client.get(DASHBOARD, {"period": "7"}))["trend"]
    assert [text for text in trend["frtText"] if text != "—"] == ["10 min"]
    assert [hours for hours in trend["art"] if hours is not None] == [1.0]


def test_periods_longer_than_a_month_are_drawn_by_week(client, marta):
    client.force_login(marta)
    assert charts(client.get(DASHBOARD, {"period": "90"}))["interval"] == "week"
    assert charts(client.get(DASHBOARD, {"period": "30"}))["interval"] == "day"


def test_the_page_has_no_inline_script_style_or_handler(client, marta, ana, handled):
    handled(ana, csat=5)
    client.force_login(marta)
    html = client.get(DASHBOARD).content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert all('src="' in tag or 'type="application/json"' in tag for tag in scripts)
    assert 'src="/static/js/dashboard.js"' in html
    assert "style=" not in html and "onclick" not in html and "onchange" not in html


def test_the_drivers_show_each_value_against_the_overall(client, marta, ana, handled):
    handled(ana, csat=5, nps=10)
    handled(ana, csat=1, nps=0, escalate=True)
    client.force_login(marta)
    response = client.get(DASHBOARD)
    escalated = next(t for t in response.context["driver_tables"] if t.name == "drivers-escalated")
    rows = {row[0]: row for row in escalated.rows}
    # overall: CSAT 50.0 %, NPS 0.0
    assert rows["Escalated"][1:6] == [1, 0.0, -50.0, -100.0, -100.0]
    assert rows["Not escalated"][1:6] == [1, 100.0, 50.0, 100.0, 100.0]
    assert "(−50.0)" in response.content.decode()


def test_the_agent_table_has_a_row_per_agent(client, marta, ana, bruno, handled):
    handled(ana, csat=5, nps=10)
    handled(bruno, csat=1, nps=3, reply_after=timedelta(hours=2))
    client.force_login(marta)
    table = client.get(DASHBOARD).context["agent_table"]
    assert [row[:8] for row in table.rows] == [
        ["Ana Pérez", 1, 600, 3600, 100.0, 100.0, 100.0, 1],
        ["Bruno Díaz", 1, 7200, 10200, 100.0, 0.0, -100.0, 1],
    ]


def test_filters_narrow_every_figure_and_stay_in_the_page_links(
    client, marta, ana, carla, team_n1, team_n2
):
    make_ticket(by=ana, team=team_n1, channel="email")
    make_ticket(by=carla, team=team_n2, channel="email")
    make_ticket(by=carla, team=team_n2, channel="chat")
    client.force_login(marta)

    response = client.get(DASHBOARD, {"period": "7", "team": team_n2.pk, "channel": "email"})

    assert cards(response)["volume"]["value"] == "1"
    assert f"period=7&amp;team={team_n2.pk}&amp;channel=email" in response.content.decode()
    form = response.context["form"]
    assert form["team"].value() == str(team_n2.pk)


# --- the period -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("7", date(2026, 3, 4), date(2026, 3, 11)),
        ("30", date(2026, 2, 9), date(2026, 3, 11)),
        ("90", date(2025, 12, 11), date(2026, 3, 11)),
        ("this_month", date(2026, 3, 1), date(2026, 3, 11)),
        ("previous_month", date(2026, 2, 1), date(2026, 3, 1)),
        ("this_year", date(2026, 1, 1), date(2026, 3, 11)),
    ],
)
def test_presets_include_today_and_roll_with_the_calendar(preset, start, end):
    assert preset_range(preset, date(2026, 3, 10)) == (start, end)


def test_previous_month_in_january_is_december():
    assert preset_range("previous_month", date(2026, 1, 15)) == (
        date(2025, 12, 1),
        date(2026, 1, 1),
    )


def test_dates_without_a_preset_are_a_custom_period_as_the_digest_links_them(db):
    form = DashboardFilterForm({"from": "2026-03-02", "to": "2026-03-09"})
    assert form.is_valid(), form.errors
    assert form.preset == "custom"
    assert form.kpi_period() == kpis.Period.of(date(2026, 3, 2), date(2026, 3, 9))


def test_a_presets_dates_are_ignored(db):
    form = DashboardFilterForm({"period": "7", "from": "not a date"}, today=date(2026, 3, 10))
    assert form.is_valid(), form.errors
    assert form.kpi_period() == kpis.Period.of(date(2026, 3, 4), date(2026, 3, 11))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "custom", "from": "2026-03-09", "to": "2026-03-09"}, "to"),
        ({"period": "custom", "from": "2026-03-09", "to": "2026-03-01"}, "to"),
        ({"period": "custom", "from": "31/12/2026"}, "from"),
        ({"period": "custom", "from": "1066-10-14"}, "from"),
        ({"period": "forever"}, "period"),
        ({"team": "999999"}, "team"),
        ({"team": "abc"}, "team"),
        ({"team": str(2**70)}, "team"),
        ({"agent": "-1"}, "agent"),
        ({"channel": "pigeon"}, "channel"),
        ({"priority": "now"}, "priority"),
        ({"category": "0"}, "category"),
    ],
)
def test_bad_filters_are_shown_on_the_form_with_a_400(client, marta, query, field):
    client.force_login(marta)
    response = client.get(DASHBOARD, query)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Some filters are not valid" in response.content.decode()
    assert client.get(export("summary"), query).status_code == 400


def test_the_custom_period_is_shown_and_compared(client, marta):
    client.force_login(marta)
    response = client.get(DASHBOARD, {"from": "2026-03-01", "to": "2026-04-01"})
    html = response.content.decode()
    assert "March 1, 2026 – March 31, 2026" in html
    assert "compared with Jan. 29, 2026 – Feb. 28, 2026" in html
    assert response.context["form"]["period"].value() == "custom"


# --- the agent's own dashboard ----------------------------------------------------------------


def test_an_agent_sees_the_same_kpis_for_their_own_tickets_only(client, ana, bruno, handled):
    handled(ana, csat=5)
    handled(bruno, csat=1)
    handled(bruno, csat=1)
    client.force_login(ana)

    response = client.get(MINE, {"agent": bruno.pk})

    assert response.status_code == 200
    shown = cards(response)
    assert shown["volume"]["value"] == "1"
    assert shown["csat"]["value"] == "100.0 %"
    assert "agent" not in response.context["form"].fields
    assert response.context["agent_table"] is None
    assert "your tickets only" in response.content.decode()


def test_an_agents_export_is_their_own_whatever_they_ask(client, ana, bruno, handled):
    handled(ana, csat=5)
    handled(bruno, csat=1)
    client.force_login(ana)
    rows = rows_of(client.get(export("agents"), {"agent": bruno.pk}))
    assert [row[0] for row in rows[1:]] == ["Ana Pérez"]


# --- CSV exports ------------------------------------------------------------------------------


def test_every_table_has_an_export_link_with_the_same_filters(client, marta, team_n1):
    client.force_login(marta)
    html = client.get(DASHBOARD, {"period": "7", "team": team_n1.pk}).content.decode()
    links = set(re.findall(r'href="/metrics/export/([a-z_-]+)\.csv\?([^"]*)"', html))
    names = {name for name, _query in links}
    assert names >= {"summary", "trend", "channels", "backlog", "drivers", "agents"}
    assert names >= {f"drivers-{fact}" for fact in definitions.DRIVER_NAMES}
    assert {query for _name, query in links} == {f"period=7&amp;team={team_n1.pk}"}


@pytest.mark.parametrize(
    "table",
    ["summary", "trend", "channels", "backlog", "drivers", "agents", "drivers-frt"],
)
def test_each_export_is_a_csv_attachment(client, marta, ana, handled, table):
    handled(ana, csat=4, nps=8, ces=5)
    client.force_login(marta)
    response = client.get(export(table), {"period": "7"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    first_day = (TODAY - timedelta(days=6)).isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="pulso-{table}-{first_day}-{TODAY.isoformat()}.csv"'
    )
    assert len(rows_of(response)) >= 2


def test_the_kpi_export_has_values_previous_values_changes_and_samples(client, marta, ana, handled):
    handled(ana, csat=5, reply_after=timedelta(minutes=20))
    client.force_login(marta)
    rows = rows_of(client.get(export("summary"), {"period": "7"}))
    assert rows[0] == ["KPI", "Value", "Previous period", "Change", "Unit", "Sample size"]
    by_kpi = {row[0]: row[1:] for row in rows[1:]}
    assert by_kpi["CSAT"] == ["100.0", "", "", "%", "1"]
    assert by_kpi["Ticket volume"] == ["1", "0", "1", "", "1"]
    assert by_kpi["First response time (median)"] == ["1200", "", "", "seconds", "1"]


def test_an_unknown_table_is_404(client, marta):
    client.force_login(marta)
    assert client.get(export("passwords")).status_code == 404
    assert client.get(export("drivers-salary")).status_code == 404


def test_export_cells_that_a_spreadsheet_would_run_are_neutralised(client, marta, team_n1):
    agent = AgentFactory(username="evil", first_name="@SUM(1+1)", last_name="x", teams=[team_n1])
    category = CategoryFactory(name='=HYPERLINK("http://x")')
    ticket = make_ticket(
        by=agent, team=team_n1, assignee=agent, category=category, customer=CustomerFactory()
    )
    services.add_reply(ticket=ticket, by=agent, body="ok")
    services.resolve_ticket(ticket=ticket, by=agent, resolution="ok")
    answer_survey(invitation=SurveyInvitation.objects.get(ticket=ticket), nps=0, csat=1)
    client.force_login(marta)

    agents = rows_of(client.get(export("agents")))
    drivers = rows_of(client.get(export("drivers-category")))

    assert agents[1][0] == "'@SUM(1+1) x"
    assert agents[1][6] == "-100.0"  # a negative number stays a number
    assert drivers[1][0] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+A1", "@cmd", "\tx", "\rx", "\0x", "fine"])
def test_every_formula_trigger_in_a_text_cell_gets_a_leading_quote(text):
    table = Table("t", "T", [Column("Name"), Column("N", "count")], [[text, -3]])
    [[cell, number]] = table.csv_rows()
    assert cell == (text if text == "fine" else f"'{text}")
    assert number == -3


# --- bounded work -----------------------------------------------------------------------------

# Every query of the page, whatever the data: session, user and role (3), the navigation's
# follow-up count (1) and its Quality menu's counts of reviews to do and open disputes (1,
# quality/templatetags/quality_menu.py), the filter form's choices (3), agent names (1),
# whether the rollups answer (1), and the engine's aggregates read live: two summaries
# (2 × 8), three time series (3 × 2), channels (2), drivers (6), the per-agent breakdown (6)
# and churn by experience (1).
# The explanations under the cards (docs/kpis.md, "Why it moved") add a fixed number: live,
# each table (answers, invitations, tickets created and resolved) read once per grouping for
# both periods, and the names of the teams, agents and categories met (23); from the rollups
# one query per rollup table (7).
MAX_QUERIES = 47 + 23
# From the rollups: fewer aggregates (drivers in one), plus the percentile reads.
MAX_ROLLUP_QUERIES = 47 + 7


def a_busy_quarter(ana, bruno, carla, team_n2, handled):
    for day in range(0, 80, 4):
        at = timezone.now() - timedelta(days=day, hours=2)
        for agent in (ana, bruno):
            handled(agent, at=at, csat=day % 5 + 1, nps=day % 11, ces=day % 7 + 1)
        category = CategoryFactory(name=f"C{day}")
        make_ticket(
            by=carla, team=team_n2, assignee=carla, at=at, channel="email", category=category
        )


def test_the_query_count_does_not_grow_with_the_data(
    client, marta, ana, bruno, carla, team_n2, handled, django_assert_max_num_queries
):
    client.force_login(marta)
    handled(ana, csat=5, nps=9, ces=7)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(DASHBOARD, {"period": "90"}).status_code == 200

    a_busy_quarter(ana, bruno, carla, team_n2, handled)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(DASHBOARD, {"period": "90"})
    assert response.status_code == 200
    assert cards(response)["volume"]["value"] == "61"


def test_the_page_reads_the_rollups_once_built_with_the_same_figures(
    client, marta, ana, bruno, carla, team_n2, handled
):
    client.force_login(marta)
    a_busy_quarter(ana, bruno, carla, team_n2, handled)
    live = client.get(DASHBOARD, {"period": "90"})
    live_agents = rows_of(client.get(export("agents"), {"period": "90"}))
    rollups.rebuild()

    with CaptureQueriesContext(connection) as queries:
        built = client.get(DASHBOARD, {"period": "90"})

    assert len(queries) <= MAX_ROLLUP_QUERIES
    assert any("metrics_createdrollup" in query["sql"] for query in queries)
    assert cards(built) == cards(live)
    assert charts(built) == charts(live)
    assert rows_of(client.get(export("agents"), {"period": "90"})) == live_agents


# --- languages --------------------------------------------------------------------------------


def test_the_dashboard_speaks_spanish(client, marta, ana, handled):
    handled(ana, csat=5, nps=9)
    handled(ana, csat=3, nps=9)
    client.force_login(marta)

    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="es")

    html = response.content.decode()
    assert 'lang="es"' in html
    assert cards(response)["csat"]["value"] == "50,0 %"  # Spanish decimal comma
    assert "Equipo" in html and "Canal" in html
    assert charts(response)["channels"]["labels"] == ["Teléfono"]
