"""Coaching API (docs/quality.md, "Coaching"): sessions and goals, a goal with its progress
from the KPI engine. Managers and admins read and write every agent's; an agent reads only
their own (another's is a 404) and writes nothing (403). Thin views: the serializers parse,
quality/services/coaching.py decides, its refusals come back as 400 / 403 JSON."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.common import ApiFilterSet, IsStaff, error_responses
from cases.models import User

from ..goals import progress_of
from ..models_coaching import CoachingGoal, CoachingSession, GoalKpi
from ..permissions import is_manager
from ..selectors.coaching import coached_agents, goals_visible_to, sessions_visible_to
from ..services import coaching as services
from .refusals import QualityApi, QualityListApi
from .serializers_coaching import (
    CoachingGoalWithProgressOutput,
    CoachingSessionOutput,
    GoalChangeInput,
    GoalInput,
    SessionChangeInput,
    SessionInput,
    goal_body,
)


class ReadsOrManages(IsStaff):
    """Every agent, manager and admin reads (what is theirs to see); only managers and admins
    write. Anonymous callers get 401."""

    message = services.COACHES_ONLY

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or is_manager(request.user)


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsStaff let only staff in
    return user


class CoachingFilter(ApiFilterSet):
    agent = django_filters.ModelChoiceFilter(queryset=coached_agents(), label=_("Agent"))


class GoalFilter(CoachingFilter):
    kpi = django_filters.ChoiceFilter(choices=GoalKpi.choices, label=_("KPI"))


# --- sessions ---------------------------------------------------------------------------------


class SessionListApi(QualityListApi):
    """Coaching sessions, newest first: every agent's for managers and admins, an agent's own
    for an agent. POST records one (managers and admins)."""

    permission_classes = [ReadsOrManages]
    filterset_class = CoachingFilter

    def get_queryset(self) -> QuerySet[CoachingSession]:
        return sessions_visible_to(self.request.user)

    @extend_schema(
        operation_id="quality_coaching_sessions_list",
        responses={200: CoachingSessionOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        sessions = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(CoachingSessionOutput(page, many=True).data)

    @extend_schema(
        operation_id="quality_coaching_sessions_create",
        request=SessionInput,
        responses={201: CoachingSessionOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = SessionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = services.record_session(
            by=_user(request),
            agent=data["agent"],
            held_on=data["held_on"],
            notes=data["notes"],
            ticket_references=data["tickets"],
            review_ids=data["reviews"],
        )
        session = sessions_visible_to(request.user).get(pk=session.pk)
        return Response(CoachingSessionOutput(session).data, status=201)


class SessionDetailApi(QualityApi):
    """One session. PATCH corrects its date, notes, tickets or reviews (managers and admins)."""

    permission_classes = [ReadsOrManages]

    def _get(self, request: Request, id: int) -> CoachingSession:
        return get_object_or_404(sessions_visible_to(request.user), pk=id)

    @extend_schema(
        operation_id="quality_coaching_sessions_retrieve",
        responses={200: CoachingSessionOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(CoachingSessionOutput(self._get(request, id)).data)

    @extend_schema(
        operation_id="quality_coaching_sessions_partial_update",
        request=SessionChangeInput,
        responses={200: CoachingSessionOutput, **error_responses(400, 404)},
    )
    def patch(self, request: Request, id: int) -> Response:
        session = self._get(request, id)
        serializer = SessionChangeInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        services.update_session(
            session=session,
            by=_user(request),
            held_on=data.get("held_on", session.held_on),
            notes=data.get("notes", session.notes),
            ticket_references=data.get("tickets", services.session_references(session)),
            review_ids=data.get("reviews", [review.pk for review in session.reviews.all()]),
        )
        return Response(CoachingSessionOutput(self._get(request, id)).data)


# --- goals ------------------------------------------------------------------------------------


class GoalListApi(QualityListApi):
    """Coaching goals with their progress, soonest due first: every agent's for managers and
    admins, an agent's own for an agent. POST sets one (managers and admins)."""

    permission_classes = [ReadsOrManages]
    filterset_class = GoalFilter

    def get_queryset(self) -> QuerySet[CoachingGoal]:
        return goals_visible_to(self.request.user)

    @extend_schema(
        operation_id="quality_coaching_goals_list",
        responses={200: CoachingGoalWithProgressOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        goals = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(goals)
        assert page is not None  # the view paginates
        return self.get_paginated_response([goal_body(p) for p in progress_of(page)])

    @extend_schema(
        operation_id="quality_coaching_goals_create",
        request=GoalInput,
        responses={201: CoachingGoalWithProgressOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = GoalInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        goal = services.set_goal(by=_user(request), **data)
        return Response(goal_body(progress_of([goal])[0]), status=201)


class GoalDetailApi(QualityApi):
    """One goal with its progress. PATCH changes it, DELETE removes it (managers and admins)."""

    permission_classes = [ReadsOrManages]

    def _get(self, request: Request, id: int) -> CoachingGoal:
        return get_object_or_404(goals_visible_to(request.user), pk=id)

    @extend_schema(
        operation_id="quality_coaching_goals_retrieve",
        responses={200: CoachingGoalWithProgressOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(goal_body(progress_of([self._get(request, id)])[0]))

    @extend_schema(
        operation_id="quality_coaching_goals_partial_update",
        request=GoalChangeInput,
        responses={200: CoachingGoalWithProgressOutput, **error_responses(400, 404)},
    )
    def patch(self, request: Request, id: int) -> Response:
        goal = self._get(request, id)
        serializer = GoalChangeInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        current = {
            name: getattr(goal, name)
            for name in ("kpi", "comparison", "target", "starts_on", "due_on", "note")
        }
        services.update_goal(goal=goal, by=_user(request), **(current | data))
        return Response(goal_body(progress_of([self._get(request, id)])[0]))

    @extend_schema(
        operation_id="quality_coaching_goals_destroy",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: int) -> Response:
        goal = self._get(request, id)
        services.delete_goal(goal=goal, by=_user(request))
        return Response(status=204)
