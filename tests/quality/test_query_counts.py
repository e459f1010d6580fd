"""Quality's lists cost a fixed number of queries whatever their number of rows: each is read
with a few rows, then with many, and must ask the database the same number of times (a
query per row would show as a difference) and no more than its budget."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Team, User
from metrics.kpis import Period
from quality import kpis as quality_kpis
from quality.goals import goal_progress, progress_of
from quality.models import CoachingGoal, Dispute, GoalKpi, Review, ReviewStatus
from quality.services import problems as problem_services
from quality.services import reviews as review_services
from tests.factories import AgentFactory

from .coaching_fixtures import completed_review, goal, local, worked_ticket
from .conftest import CRITERIA
from .problem_fixtures import open_ticket, problem_with

START = date(2026, 3, 2)
DUE = date(2026, 3, 31)
MID = date(2026, 3, 15)


def queries(read: Callable[[], Any]) -> int:
    """How many queries `read` asks."""
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured)


def get_ok(client: Any, path: str, **headers: str) -> Callable[[], None]:
    """Reading the page `path` (it must answer 200)."""

    def read() -> None:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.status_code

    return read


# --- coaching goals ---------------------------------------------------------------------------


def worked_month(agent: User, team: Team, reviewer: User, csats: list[int]) -> None:
    """Tickets of `agent` in March answered with `csats`, one escalated, one reviewed."""
    for n, csat in enumerate(csats):
        ticket = worked_ticket(
            agent=agent,
            team=team,
            created=local(START + timedelta(days=n), 9),
            first_reply_after=timedelta(hours=n + 1),
            resolve_after=timedelta(hours=2 * n + 3),
            csat=csat,
            escalate=n == 1,
        )
        if n == 0:
            completed_review(
                ticket=ticket, agent=agent, reviewer=reviewer, score=str(60 + 10 * len(csats)),
                at=local(START + timedelta(days=n + 1)),
            )  # fmt: skip


def test_goals_read_together_give_each_agent_the_figures_read_alone(
    ana, bruno, carla, marta, team_n1, team_n2
):
    worked_month(ana, team_n1, marta, [5, 4, 2, 5])
    worked_month(bruno, team_n1, marta, [1, 3])
    worked_month(carla, team_n2, marta, [5])
    idle = AgentFactory.create(username="idle", teams=[team_n1])  # nothing in March
    goals = [
        goal(agent=agent, by=marta, kpi=kpi, target="1", starts_on=START, due_on=DUE)
        for agent in (ana, bruno, carla, idle)
        for kpi in GoalKpi.values
    ]
    together = progress_of(goals, today=MID)
    alone = [goal_progress(g, today=MID) for g in goals]
    assert [(p.value, p.sample, p.status) for p in together] == [
        (p.value, p.sample, p.status) for p in alone
    ]
    by_agent_kpi = {(p.goal.agent_id, p.goal.kpi): p for p in together}
    assert by_agent_kpi[(ana.pk, GoalKpi.CSAT)].value == 75.0
    assert by_agent_kpi[(bruno.pk, GoalKpi.CSAT)].value == 0.0
    assert by_agent_kpi[(carla.pk, GoalKpi.CSAT)].sample == 1
    assert by_agent_kpi[(idle.pk, GoalKpi.CSAT)].value is None
    assert by_agent_kpi[(ana.pk, GoalKpi.IQS)].sample == 1


def agents_with_goals(n: int, by: User, team: Team, first: int = 0) -> list[User]:
    """`n` agents, each with goals running today on a survey KPI, a KPI of created tickets,
    one of resolved tickets and IQS."""
    today = timezone.localdate()
    people = []
    for i in range(first, first + n):
        agent = AgentFactory.create(username=f"coached{i}", teams=[team])
        for kpi in (GoalKpi.CSAT, GoalKpi.FRT_MEDIAN, GoalKpi.FCR, GoalKpi.IQS):
            goal(
                agent=agent, by=by, kpi=kpi, target="50",
                starts_on=today - timedelta(days=10), due_on=today + timedelta(days=20),
            )  # fmt: skip
        people.append(agent)
    return people


def test_goal_progress_of_every_agent_costs_the_same_for_3_and_10_agents(
    marta, team_n1, django_assert_max_num_queries
):
    agents_with_goals(3, marta, team_n1)
    few = queries(lambda: progress_of(CoachingGoal.objects.all()))
    agents_with_goals(7, marta, team_n1, first=3)
    more = queries(lambda: progress_of(CoachingGoal.objects.all()))
    assert few == more
    # 40 goals: the goals, the rollups' freshness, two queries per engine family, IQS
    # (a reading per agent and goal asked 101)
    with django_assert_max_num_queries(9):
        progress_of(CoachingGoal.objects.all())


def test_the_coaching_overview_costs_the_same_for_3_and_10_agents(
    client, marta, team_n1, django_assert_max_num_queries
):
    client.force_login(marta)
    agents_with_goals(3, marta, team_n1)
    path = reverse("quality:coaching")
    few = queries(get_ok(client, path))
    agents_with_goals(7, marta, team_n1, first=3)
    more = queries(get_ok(client, path))
    assert few == more
    with django_assert_max_num_queries(16):  # a reading per agent and goal asked 108
        get_ok(client, path)()


def test_the_goals_api_list_costs_the_same_for_3_and_10_agents(
    client, marta, team_n1, django_assert_max_num_queries
):
    client.force_login(marta)
    agents_with_goals(3, marta, team_n1)
    path = reverse("quality-api:quality-coaching-goal-list")
    few = queries(get_ok(client, path))
    agents_with_goals(7, marta, team_n1, first=3)
    more = queries(get_ok(client, path))
    assert few == more
    with django_assert_max_num_queries(13):  # a reading per agent and goal asked 68 (a page)
        get_ok(client, path)()


def assert_same_for_3_and_10(
    make: Callable[[int, int], Any], read: Callable[[], Any], budget: int, assert_max: Any
) -> None:
    """`read` with 3 rows made, then with 10 (`make(n, first)` adds n rows): the same count,
    within `budget`."""
    make(3, 0)
    few = queries(read)
    make(7, 3)
    more = queries(read)
    assert few == more
    with assert_max(budget):
        read()


# --- problems ---------------------------------------------------------------------------------


def test_the_problems_list_costs_the_same_for_3_and_10_problems(
    client, marta, ana, bruno, team_n1, django_assert_max_num_queries
):
    client.force_login(ana)

    def make(n: int, first: int) -> None:
        for i in range(first, first + n):
            tickets = [open_ticket(agent=ana, team=team_n1) for _ in range(2)]
            problem = problem_with(marta, tickets, title=f"Problem {i}")
            problem_services.update_problem(problem=problem, by=marta, owner=bruno)

    read = get_ok(client, reverse("quality:problem_list"))
    assert_same_for_3_and_10(make, read, 6, django_assert_max_num_queries)


def test_the_tickets_problems_panel_costs_the_same_for_3_and_10_problems(
    client, marta, ana, team_n1, django_assert_max_num_queries
):
    """The ticket's own problems and the open ones it may still be linked to."""
    client.force_login(ana)
    ticket = open_ticket(agent=ana, team=team_n1)

    def make(n: int, first: int) -> None:
        for i in range(first, first + n):
            other = open_ticket(agent=ana, team=team_n1)
            problem_with(marta, [ticket, other], title=f"Linked {i}")
            problem_with(marta, [other], title=f"Open {i}")

    read = get_ok(client, reverse("quality:ticket_problems", args=[ticket.pk]))
    assert_same_for_3_and_10(make, read, 7, django_assert_max_num_queries)


# --- reviews ----------------------------------------------------------------------------------


def reviews_of(
    agent: User, reviewer: User, manager: User, team: Team, status: str
) -> Callable[[int, int], Any]:
    """A maker of `n` reviews of `agent`'s tickets by `reviewer`, to do or completed (and
    then disputed by the agent)."""
    scorecard = review_services.create_scorecard(
        by=manager, name="Card", description="", criteria=CRITERIA
    )
    version = scorecard.versions.get()
    done = status == ReviewStatus.COMPLETED

    def make(n: int, first: int) -> None:
        for _ in range(n):
            review = Review.objects.create(
                ticket=open_ticket(agent=agent, team=team), agent=agent, reviewer=reviewer,
                scorecard_version=version, status=status, reason="random",
                completed_at=timezone.now() if done else None, score=Decimal(80) if done else None,
            )  # fmt: skip
            if done:
                Dispute.objects.create(review=review, raised_by=agent, reason="I disagree")

    return make


@pytest.mark.parametrize(
    ("viewer", "name", "status", "budget"),
    [
        ("marta", "quality:todo", ReviewStatus.ASSIGNED, 7),
        ("marta", "quality:reviews", ReviewStatus.COMPLETED, 8),
        ("marta", "quality:reviews", ReviewStatus.ASSIGNED, 8),
        ("ana", "quality:mine", ReviewStatus.COMPLETED, 6),
        ("marta", "quality:disputes", ReviewStatus.COMPLETED, 6),
        ("bruno_reviewer", "quality:todo", ReviewStatus.ASSIGNED, 10),
    ],
)
def test_the_review_lists_cost_the_same_for_3_and_10_reviews(
    client, request, viewer, name, status, budget, ana, team_n1, django_assert_max_num_queries
):
    user, marta = request.getfixturevalue(viewer), request.getfixturevalue("marta")
    client.force_login(user)
    make = reviews_of(ana, marta if user == ana else user, marta, team_n1, status)
    read = get_ok(client, reverse(name))
    assert_same_for_3_and_10(make, read, budget, django_assert_max_num_queries)


def test_the_reassign_page_costs_the_same_for_3_and_10_reviewers_to_choose_from(
    client, marta, ana, team_n1, reviewer_group, django_assert_max_num_queries
):
    """Who may take a review over is asked of each reviewer (`can_see_ticket`): their role
    and teams are read with the list, not one query each."""
    client.force_login(marta)
    review = reviews_of(ana, marta, marta, team_n1, ReviewStatus.ASSIGNED)
    review(1, 0)
    to_reassign = Review.objects.get()

    def make(n: int, first: int) -> None:
        for i in range(first, first + n):
            reviewer_group.user_set.add(AgentFactory.create(username=f"rev{i}", teams=[team_n1]))

    read = get_ok(client, reverse("quality:review_reassign", args=[to_reassign.pk]))
    # two queries per reviewer before (the groups, the teams): 13 with 3, 27 with 10
    assert_same_for_3_and_10(make, read, 9, django_assert_max_num_queries)
    page = client.get(reverse("quality:review_reassign", args=[to_reassign.pk]))
    assert len(page.context["form"].fields["reviewer"].choices) >= 10


# --- the dashboard's quality section, the menu ------------------------------------------------


def test_iqs_against_csat_costs_the_same_for_3_and_10_agents(
    client, marta, team_n1, django_assert_max_num_queries
):
    """Per agent IQS beside CSAT: the section of the manager's dashboard (default period)."""
    client.force_login(marta)
    yesterday = timezone.now() - timedelta(days=1)

    def make(n: int, first: int) -> None:
        for i in range(first, first + n):
            agent = AgentFactory.create(username=f"reviewed{i}", teams=[team_n1])
            ticket = worked_ticket(
                agent=agent, team=team_n1, created=yesterday - timedelta(hours=3),
                first_reply_after=timedelta(hours=1), resolve_after=timedelta(hours=2), csat=4,
            )  # fmt: skip
            completed_review(ticket=ticket, agent=agent, reviewer=marta, score="75", at=yesterday)

    rows: list[Any] = []
    period = Period.of(yesterday - timedelta(days=2), timezone.now())
    make(3, 0)
    few = queries(lambda: rows.extend(quality_kpis.iqs_against_csat(period)))
    make(7, 3)
    more = queries(lambda: rows.extend(quality_kpis.iqs_against_csat(period)))
    assert len(rows) == 3 + 10
    assert few == more
    with django_assert_max_num_queries(4):  # IQS by agent, CSAT by agent (2), their names
        quality_kpis.iqs_against_csat(period)
    read = get_ok(client, reverse("quality:dashboard_section"))
    more_agents = lambda n, first: make(n, first + 10)  # noqa: E731
    assert_same_for_3_and_10(more_agents, read, 9, django_assert_max_num_queries)


@pytest.mark.parametrize(
    ("viewer", "shown", "budget"),
    [("marta", "True 0 0", 1), ("ana", "False 0", 1), ("bruno_reviewer", "True 0", 2)],
)
def test_the_quality_menu_asks_one_query_on_every_page(
    db, rf, request, viewer, shown, budget, django_assert_max_num_queries
):
    """The menu's counts (reviews to do, open disputes) in one query, with the user's role
    and teams read once per request by the page's own checks; an agent's Reviewer group is
    one more (`is_reviewer` reads the user's groups: for an agent who reviews, 2)."""
    user = request.getfixturevalue(viewer)
    page = rf.get("/")
    page.user = user
    template = Template(
        "{% load quality_menu %}{% quality_menu as menu %}{{ menu.reviewer }} {{ menu.todo }}"
        "{% if menu.manager %} {{ menu.disputes }}{% endif %}"
    )
    user.role, user.team_ids  # noqa: B018  (what the page has read before its menu)
    with django_assert_max_num_queries(budget):
        assert template.render(Context({"request": page})) == shown
