"""The reviews API under /api/v1/quality/ (docs/quality.md, "Reviews"): scorecards, reviews,
disputes and the IQS. The same rules as the pages: the services decide who may change what
(their refusals are 403 / 400 JSON through cases/api/errors.py) and the selectors who sees
what (an invisible review is a 404)."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import MAX_ID, error_responses, parse_moment
from cases.models import Team, User
from metrics.kpis import Filters, Period

from .. import kpis
from ..models_reviews import Review, ReviewStatus, Scorecard
from ..permissions import is_manager
from ..selectors import reviews as selectors
from ..services import reviews as services
from . import serializers_reviews as bodies
from .refusals import QualityApi, QualityListApi


def _staff(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsStaff let only people with a role in
    return user


def _managers_only(request: Request) -> None:
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers and admins can do this."))


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise ValidationError({name: [str(_("A whole number from 1 is required."))]})
    return int(value)


# --- scorecards -------------------------------------------------------------------------------


class ScorecardListApi(QualityListApi):
    """Every scorecard (any staff: reviewers choose from them). POST creates one with its
    version 1 (managers and admins)."""

    queryset = Scorecard.objects.none()  # the schema's model; get() reads the selector

    def get_queryset(self) -> QuerySet[Scorecard]:
        return selectors.scorecards()

    @extend_schema(
        operation_id="quality_scorecards_list",
        responses={200: bodies.ScorecardOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(bodies.ScorecardOutput(page, many=True).data)

    @extend_schema(
        operation_id="quality_scorecards_create",
        request=bodies.ScorecardInput,
        responses={201: bodies.ScorecardDetailOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        _managers_only(request)
        serializer = bodies.ScorecardInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scorecard = services.create_scorecard(
            by=_staff(request),
            name=data["name"],
            description=data.get("description", ""),
            criteria=bodies.criteria_data(data["criteria"]),
        )
        return Response(
            bodies.ScorecardDetailOutput(scorecard).data, status=status.HTTP_201_CREATED
        )


class ScorecardDetailApi(QualityApi):
    """One scorecard with every version and its criteria, newest first."""

    @extend_schema(
        operation_id="quality_scorecards_retrieve",
        responses={200: bodies.ScorecardDetailOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        scorecard = get_object_or_404(selectors.scorecards(), pk=id)
        return Response(bodies.ScorecardDetailOutput(scorecard).data)


class ScorecardVersionApi(QualityApi):
    """A new version of the scorecard (managers and admins): the reviews already made keep
    the version they were scored against."""

    @extend_schema(
        operation_id="quality_scorecards_new_version",
        request=bodies.ScorecardVersionInput,
        responses={201: bodies.ScorecardDetailOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        scorecard = get_object_or_404(Scorecard, pk=id)
        _managers_only(request)
        serializer = bodies.ScorecardVersionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.revise_scorecard(
            scorecard=scorecard,
            by=_staff(request),
            name=data["name"],
            description=data.get("description", ""),
            criteria=bodies.criteria_data(data["criteria"]),
            note=data.get("note", ""),
        )
        scorecard = selectors.scorecards().get(pk=scorecard.pk)
        return Response(
            bodies.ScorecardDetailOutput(scorecard).data, status=status.HTTP_201_CREATED
        )


# --- reviews ----------------------------------------------------------------------------------


class ReviewListApi(QualityListApi):
    """The reviews the caller may see (managers every one; a reviewer theirs; an agent their
    own completed ones), newest first. POST starts a review of a ticket (reviewers)."""

    queryset = Review.objects.none()

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.reviews_visible_to(self.request.user)

    @extend_schema(
        operation_id="quality_reviews_list",
        parameters=[
            OpenApiParameter("status", str, enum=ReviewStatus.values),
            OpenApiParameter("agent", int, description=_("The reviewed agent's id.")),
            OpenApiParameter("reviewer", int, description=_("The reviewer's id.")),
            OpenApiParameter(
                "disputed", str, enum=["open", "any"], description=_("Disputed reviews only.")
            ),
        ],
        responses={200: bodies.ReviewOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status")
        if wanted is not None and wanted not in ReviewStatus.values:
            raise ValidationError({"status": [str(_("Use assigned or completed."))]})
        disputed = request.query_params.get("disputed")
        if disputed is not None and disputed not in ("open", "any"):
            raise ValidationError({"disputed": [str(_("Use open or any."))]})
        reviews = selectors.filter_reviews(
            self.get_queryset(),
            agent=_int_param(request, "agent"),
            reviewer=_int_param(request, "reviewer"),
            status=wanted or "",
            disputed=disputed or "",
        ).order_by("-assigned_at", "-pk")
        page = self.paginate_queryset(reviews)
        return self.get_paginated_response(bodies.ReviewOutput(page, many=True).data)

    @extend_schema(
        operation_id="quality_reviews_create",
        request=bodies.ReviewCreateInput,
        responses={201: bodies.ReviewDetailOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = bodies.ReviewCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.start_review(
            ticket=serializer.validated_data["ticket"],
            by=_staff(request),
            scorecard=serializer.validated_data["scorecard"],
        )
        return Response(_detail(request, review.pk), status=status.HTTP_201_CREATED)


def _visible_review(request: Request, id: int) -> Review:
    return get_object_or_404(selectors.reviews_visible_to(request.user), pk=id)


def _detail(request: Request, id: int) -> Any:
    review = selectors.review_details(selectors.reviews_visible_to(request.user)).get(pk=id)
    return bodies.ReviewDetailOutput(review).data


class ReviewDetailApi(QualityApi):
    """One review with its scores, comments (each on a message of the ticket, or none) and
    its dispute."""

    @extend_schema(
        operation_id="quality_reviews_retrieve",
        responses={200: bodies.ReviewDetailOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        review = _visible_review(request, id)
        return Response(_detail(request, review.pk))


class ReviewScoreApi(QualityApi):
    """The reviewer scores (any subset while a draft), comments and summarises; `complete`
    computes the score and closes the review."""

    @extend_schema(
        operation_id="quality_reviews_score",
        request=bodies.ReviewScoreInput,
        responses={200: bodies.ReviewDetailOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        review = _visible_review(request, id)
        serializer = bodies.ReviewScoreInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.score_review(
            review=review,
            by=_staff(request),
            scores=bodies.scores_data(data.get("scores", [])),
            summary=data.get("summary"),
            comments=bodies.comments_data(data.get("comments", [])),
            complete=data.get("complete", False),
        )
        return Response(_detail(request, review.pk))


class ReviewDisputeApi(QualityApi):
    """The reviewed agent disputes a completed review, once."""

    @extend_schema(
        operation_id="quality_reviews_dispute",
        request=bodies.DisputeInput,
        responses={201: bodies.ReviewDetailOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        review = _visible_review(request, id)
        serializer = bodies.DisputeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.dispute_review(
            review=review, by=_staff(request), reason=serializer.validated_data["reason"]
        )
        return Response(_detail(request, review.pk), status=status.HTTP_201_CREATED)


class ReviewSettleApi(QualityApi):
    """A manager settles the review's open dispute: upheld (with the amended scores) or
    rejected, with a note."""

    @extend_schema(
        operation_id="quality_reviews_settle",
        request=bodies.SettleInput,
        responses={200: bodies.ReviewDetailOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        review = _visible_review(request, id)
        serializer = bodies.SettleInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.settle_dispute(
            review=review,
            by=_staff(request),
            outcome=data["outcome"],
            note=data["note"],
            scores=bodies.scores_data(data.get("scores", [])),
        )
        return Response(_detail(request, review.pk))


# --- IQS --------------------------------------------------------------------------------------

PERIOD_PARAMETERS = [
    OpenApiParameter("from", str, description=_("First day (YYYY-MM-DD); default 30 days ago.")),
    OpenApiParameter("to", str, description=_("First day not included (YYYY-MM-DD).")),
    OpenApiParameter("team", int, description=_("The reviewed tickets' team.")),
    OpenApiParameter("agent", int, description=_("The reviewed agent.")),
]


def _period_and_filters(request: Request) -> tuple[Period, Filters]:
    bounds: dict[str, date] = {}
    for name in ("from", "to"):
        text = request.query_params.get(name)
        if text is None:
            continue
        try:
            value = parse_moment(text)
        except ValueError as error:
            raise ValidationError({name: [str(error)]}) from error
        if isinstance(value, datetime):
            raise ValidationError({name: [str(_("Enter a date (2026-03-01)."))]})
        if not date(1970, 1, 1) <= value <= date(2100, 1, 1):
            raise ValidationError({name: [str(_("Choose a date from 1970-01-01 to 2100-01-01."))]})
        bounds[name] = value
    end = bounds.get("to") or timezone.localdate() + timedelta(days=1)
    start = bounds.get("from") or end - timedelta(days=30)
    if start >= end:
        raise ValidationError({"to": [str(_("The end must be after the start."))]})
    team = _int_param(request, "team")
    if team is not None and not Team.objects.filter(pk=team).exists():
        raise ValidationError({"team": [str(_("There is no such team."))]})
    agent = _int_param(request, "agent")
    if agent is not None and not User.objects.filter(pk=agent).exists():
        raise ValidationError({"agent": [str(_("There is no such agent."))]})
    return Period.of(start, end), Filters(team=team, agent=agent)


class IqsApi(QualityApi):
    """Managers and admins: the IQS (mean review score of the reviews completed in the
    period) of the desk, a team or an agent, with the number of reviews."""

    @extend_schema(
        operation_id="quality_iqs",
        parameters=PERIOD_PARAMETERS,
        responses={200: bodies.IqsOutput, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        _managers_only(request)
        period, filters = _period_and_filters(request)
        figure = kpis.iqs(period, filters)
        return Response(
            bodies.IqsOutput({"start": period.start_date, "end": period.end_date, **figure}).data
        )


class IqsAgentsApi(QualityApi):
    """Managers and admins: per agent, IQS with its reviews beside CSAT % with its answers
    (from the KPI engine)."""

    @extend_schema(
        operation_id="quality_iqs_agents",
        parameters=PERIOD_PARAMETERS,
        responses={200: bodies.AgentIqsOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        _managers_only(request)
        period, filters = _period_and_filters(request)
        rows = kpis.iqs_against_csat(period, filters)
        return Response(bodies.AgentIqsOutput(rows, many=True).data)
