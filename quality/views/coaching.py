"""Coaching pages (docs/quality.md, "Coaching"): the managers' overview of every agent, an
agent's coaching record (sessions and goals with their progress), the forms that write them,
and the agent's own goals as a fragment for their dashboard (/metrics/me/, loaded by htmx).

Managers and admins see and write every record; an agent sees only their own, read-only —
another agent's record is a 404, and a form that writes is a 403."""

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import User
from cases.views.workspace import staff_required, staff_user

from ..errors import QualityError
from ..forms_coaching import GoalForm, OverviewFilterForm, SessionForm
from ..goals import progress_of
from ..permissions import is_manager
from ..selectors.coaching import (
    agents_visible_to,
    coaching_overview,
    goals_visible_to,
    sessions_visible_to,
    teams_of,
)
from ..services import coaching as services
from .common import show_refusal


def _agent(request: HttpRequest, agent_id: int) -> User:
    """The agent whose record is asked for, if the caller may see it (404 otherwise)."""
    return get_object_or_404(agents_visible_to(staff_user(request)), pk=agent_id)


@staff_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Managers: every agent with their open goals and last session. An agent is sent to
    their own record."""
    user = staff_user(request)
    if not is_manager(user):
        return redirect("quality:coaching_me")
    form = OverviewFilterForm(request.GET)
    mine = form.is_valid() and form.cleaned_data["mine"]
    teams = list(teams_of(user))
    rows = coaching_overview(user, team_ids=[team.pk for team in teams] if mine else None)
    progress = {p.goal.pk: p for p in progress_of(goal for row in rows for goal in row.open_goals)}
    return render(
        request,
        "quality/coaching/overview.html",
        {
            "nav": "coaching",
            "rows": [(row, [progress[goal.pk] for goal in row.open_goals]) for row in rows],
            "form": form,
            "teams": teams,
            "mine": mine,
        },
    )


def _record(request: HttpRequest, agent: User) -> HttpResponse:
    user = staff_user(request)
    goals = list(goals_visible_to(user).filter(agent=agent).order_by("-due_on", "-id"))
    sessions = sessions_visible_to(user).filter(agent=agent)
    return render(
        request,
        "quality/coaching/record.html",
        {
            "nav": "coaching",
            "agent": agent,
            "own": agent.pk == user.pk,
            "may_write": is_manager(user),
            "progress": progress_of(goals),
            "sessions": sessions,
        },
    )


@staff_required
@require_GET
def record(request: HttpRequest, agent_id: int) -> HttpResponse:
    """An agent's coaching record: managers any agent's, an agent only their own."""
    return _record(request, _agent(request, agent_id))


@staff_required
@require_GET
def my_record(request: HttpRequest) -> HttpResponse:
    """The caller's own coaching record (agents' way in from the navigation)."""
    user = staff_user(request)
    agent = agents_visible_to(user).filter(pk=user.pk).first()
    if agent is None:
        raise Http404  # managers and admins have no coaching record of their own
    return _record(request, agent)


@staff_required
@require_GET
def my_goals(request: HttpRequest) -> HttpResponse:
    """The caller's goals with their progress: the fragment the agent's dashboard loads.
    Opened directly (not by htmx) it would be a bare fragment: the caller's record instead."""
    user = staff_user(request)
    if not request.headers.get("HX-Request"):
        return redirect("quality:coaching_me" if not is_manager(user) else "quality:coaching")
    goals = goals_visible_to(user).filter(agent_id=user.pk).order_by("-due_on", "-id")
    return render(
        request,
        "quality/coaching/_my_goals.html",
        {"progress": progress_of(list(goals))},
    )


def _form_page(
    request: HttpRequest,
    form: SessionForm | GoalForm,
    save: Callable[..., object],
    *,
    agent: User,
    template: str,
    saved: str,
    context: dict[str, object],
) -> HttpResponse:
    """A coaching form's page: on a valid POST `save(**the form's arguments)` (a service),
    then back to the agent's record; a refusal shows the service's errors on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            save(**form.service_arguments())
        except QualityError as error:
            show_refusal(form, error)
        else:
            messages.success(request, saved)
            return redirect("quality:coaching_agent", agent_id=agent.pk)
    return render(
        request,
        template,
        {"nav": "coaching", "agent": agent, "form": form, **context},
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, agent_id: int) -> HttpResponse:
    user = staff_user(request)
    services.require_coach(user)
    agent = _agent(request, agent_id)
    form = SessionForm(request.POST or None, agent=agent, initial={"held_on": timezone.localdate()})
    return _form_page(
        request,
        form,
        partial(services.record_session, by=user, agent=agent),
        agent=agent,
        template="quality/coaching/session_form.html",
        saved=_("Session saved."),
        context={"session": None},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    user = staff_user(request)
    services.require_coach(user)
    session = get_object_or_404(sessions_visible_to(user), pk=session_id)
    form = SessionForm(request.POST or None, agent=session.agent, session=session)
    return _form_page(
        request,
        form,
        partial(services.update_session, session=session, by=user),
        agent=session.agent,
        template="quality/coaching/session_form.html",
        saved=_("Session saved."),
        context={"session": session},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, agent_id: int) -> HttpResponse:
    user = staff_user(request)
    services.require_coach(user)
    agent = _agent(request, agent_id)
    return _form_page(
        request,
        GoalForm(request.POST or None),
        partial(services.set_goal, by=user, agent=agent),
        agent=agent,
        template="quality/coaching/goal_form.html",
        saved=_("Goal saved."),
        context={"goal": None},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = staff_user(request)
    services.require_coach(user)
    goal = get_object_or_404(goals_visible_to(user), pk=goal_id)
    return _form_page(
        request,
        GoalForm(request.POST or None, goal=goal),
        partial(services.update_goal, goal=goal, by=user),
        agent=goal.agent,
        template="quality/coaching/goal_form.html",
        saved=_("Goal saved."),
        context={"goal": goal},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (a GET never changes anything)."""
    user = staff_user(request)
    services.require_coach(user)
    goal = get_object_or_404(goals_visible_to(user), pk=goal_id)
    if request.method == "POST":
        services.delete_goal(goal=goal, by=user)
        messages.success(request, _("Goal deleted."))
        return redirect("quality:coaching_agent", agent_id=goal.agent_id)
    return render(
        request,
        "quality/coaching/goal_confirm_delete.html",
        {"nav": "coaching", "agent": goal.agent, "goal": goal},
    )
