"""Who sees which coaching records: managers and admins every agent's, an agent their own,
anyone else nothing (docs/quality.md, "Coaching")."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils import timezone

from cases.models import ROLE_GROUPS, Role, Team, User
from cases.selectors import staff_users

from ..models_coaching import CoachingGoal, CoachingSession
from ..models_reviews import Review, ReviewStatus
from ..permissions import is_manager, is_staff_member

Viewer = AbstractBaseUser | AnonymousUser


def coached_agents() -> QuerySet[User]:
    """Active people in the agent role (not managers or admins): who has a coaching record."""
    above = [ROLE_GROUPS[Role.MANAGER], ROLE_GROUPS[Role.ADMIN]]
    return (
        staff_users()
        .filter(groups__name=ROLE_GROUPS[Role.AGENT], is_superuser=False)
        .exclude(groups__name__in=above)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def agents_visible_to(viewer: Viewer) -> QuerySet[User]:
    """Managers and admins: every agent. An agent: themselves. Anyone else: nobody."""
    if is_manager(viewer):
        return coached_agents()
    if is_staff_member(viewer):
        assert isinstance(viewer, User)  # a staff member is a signed-in User
        return coached_agents().filter(pk=viewer.pk)
    return User.objects.none()


def sessions_visible_to(viewer: Viewer) -> QuerySet[CoachingSession]:
    sessions = CoachingSession.objects.select_related("agent", "coach").prefetch_related(
        "tickets", Prefetch("reviews", queryset=Review.objects.select_related("ticket"))
    )
    if is_manager(viewer):
        return sessions
    if is_staff_member(viewer):
        return sessions.filter(agent_id=viewer.pk)
    return sessions.none()


def goals_visible_to(viewer: Viewer) -> QuerySet[CoachingGoal]:
    goals = CoachingGoal.objects.select_related("agent", "created_by")
    if is_manager(viewer):
        return goals
    if is_staff_member(viewer):
        return goals.filter(agent_id=viewer.pk)
    return goals.none()


def open_goals(goals: QuerySet[CoachingGoal], today: date | None = None) -> QuerySet[CoachingGoal]:
    """Goals not yet past their due date."""
    return goals.filter(due_on__gte=today or timezone.localdate())


def discussable_reviews(agent: User) -> QuerySet[Review]:
    """The reviews a session with `agent` may discuss: the agent's completed ones."""
    return (
        Review.objects.filter(agent=agent, status=ReviewStatus.COMPLETED)
        .select_related("ticket")
        .order_by("-completed_at", "-id")
    )


def teams_of(user: User) -> QuerySet[Team]:
    """The teams a manager belongs to (the overview's "my teams" filter)."""
    return Team.objects.filter(pk__in=user.team_ids).order_by("name")


@dataclass(frozen=True)
class AgentRow:
    """One line of the managers' overview."""

    agent: User
    last_session: date | None
    open_goals: list[CoachingGoal]


def coaching_overview(
    viewer: Viewer, *, team_ids: list[int] | None = None, today: date | None = None
) -> list[AgentRow]:
    """Every agent the viewer may coach with their open goals and last session, optionally
    only members of `team_ids`. Three queries whatever the number of agents."""
    today = today or timezone.localdate()
    agents = agents_visible_to(viewer).annotate(last_session=Max("coaching_sessions__held_on"))
    if team_ids is not None:
        agents = agents.filter(Q(teams__in=team_ids)).distinct()
    agents = agents.prefetch_related(
        Prefetch(
            "coaching_goals",
            queryset=open_goals(CoachingGoal.objects.all(), today).order_by("due_on", "id"),
            to_attr="open_goal_list",
        )
    )
    return [
        AgentRow(agent=agent, last_session=agent.last_session, open_goals=agent.open_goal_list)
        for agent in agents
    ]
