"""Quality's lists cost a fixed number of queries whatever their number of rows: each is read
with a few rows, then with many, and must ask the database the same number of times (a
query per row would show as a difference) and no more than its budget."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Team, User
from quality.goals import goal_progress, progress_of
from quality.models import CoachingGoal, GoalKpi
from tests.factories import AgentFactory

from .coaching_fixtures import completed_review, goal, local, worked_ticket

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
