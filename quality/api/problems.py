"""The problems API (docs/quality.md, "Problems"), under /api/v1/quality/. Any agent lists and
reads problems, opens one and links or unlinks tickets they can see; managers and admins
change a problem, link follow-ups and send the bulk answer. Refusals answer JSON: 400 with
the field at fault, 403, 404 for what one may not see, 409 when the problem's status does not
allow it."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import error_responses
from cases.models import User
from cases.selectors import staff_users, tickets_visible_to

from .. import problem_figures
from ..errors import QualityError
from ..models_problems import Problem
from ..selectors import problems as selectors
from ..services import problems as services
from .refusals import QualityApi, QualityListApi
from .serializers_problems import (
    BulkAnswerInput,
    BulkAnswerOutput,
    FiguresOutput,
    FollowUpIdsInput,
    FollowUpLinkOutput,
    LinkOutcomeOutput,
    ProblemDetailOutput,
    ProblemInput,
    ProblemListQuery,
    ProblemOutput,
    ProblemPatchInput,
    TicketIdsInput,
)


def _staff(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsStaff let only people with a role in
    return user


def _problem(request: Request, id: int) -> Problem:
    return get_object_or_404(selectors.problems_visible_to(request.user), pk=id)


def _require_manager(request: Request) -> None:
    services.require_problem_manager(_staff(request))


def _owner(value: int | None) -> User | None:
    if value is None:
        return None
    owner = staff_users().filter(pk=value).first()
    if owner is None:
        raise QualityError(_("The owner must be an active agent or manager."), field="owner")
    return owner


def _detail(problem: Problem, request: Request, code: int = 200) -> Response:
    tickets = selectors.linked_tickets(problem, request.user).values_list("pk", flat=True)
    data = ProblemDetailOutput(problem, context={"tickets": tickets}).data
    return Response(data, status=code)


class ProblemListApi(QualityListApi):
    """Problems, most linked tickets first. POST opens one (investigating)."""

    filterset_class = None
    queryset = Problem.objects.none()  # the schema's model; get() reads the selector

    @extend_schema(
        operation_id="quality_problems_list",
        parameters=[ProblemListQuery],
        responses={200: ProblemOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = ProblemListQuery(data=request.query_params.dict())  # "" is not omitted
        query.is_valid(raise_exception=True)
        problems = selectors.problem_list(request.user, query.validated_data.get("status", ""))
        page = self.paginate_queryset(problems)
        rows = ProblemOutput(page, many=True).data  # type: ignore[arg-type]  # many=True: a list
        return self.get_paginated_response(rows)

    @extend_schema(
        operation_id="quality_problems_create",
        request=ProblemInput,
        responses={201: ProblemDetailOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = ProblemInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        follow_ups = data.get("follow_ups") or []
        if follow_ups:
            _require_manager(request)
        tickets = data.get("tickets") or []
        origin: dict[str, Any] = {}
        if follow_ups:
            origin = {"kind": "follow_ups", "follow_ups": follow_ups}
        elif tickets:
            origin = {"kind": "tickets"}
        problem = services.open_problem(
            by=_staff(request),
            title=data["title"],
            description=data.get("description", ""),
            root_cause=data.get("root_cause", ""),
            owner=_owner(data.get("owner")),
            ticket_ids=tickets,
            follow_up_ids=follow_ups,
            origin=origin,
        )
        return _detail(problem, request, status.HTTP_201_CREATED)


class ProblemDetailApi(QualityApi):
    """One problem with the ids of its tickets you can see. PATCH changes it (managers and
    admins): fixed needs a fix note; leaving fixed clears the fix date."""

    @extend_schema(
        operation_id="quality_problems_retrieve",
        responses={200: ProblemDetailOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        return _detail(_problem(request, id), request)

    @extend_schema(
        operation_id="quality_problems_update",
        request=ProblemPatchInput,
        responses={200: ProblemDetailOutput, **error_responses(400, 404, 409)},
    )
    def patch(self, request: Request, id: int) -> Response:
        problem = _problem(request, id)
        _require_manager(request)
        serializer = ProblemPatchInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = services.update_problem(
            problem=problem,
            by=_staff(request),
            title=data.get("title"),
            description=data.get("description"),
            root_cause=data.get("root_cause"),
            owner=_owner(data["owner"]) if "owner" in data else False,
            status=data.get("status"),
            fix_note=data.get("fix_note"),
            fixed_at=data.get("fixed_at"),
        )
        return _detail(problem, request)


class ProblemTicketsApi(QualityApi):
    """Link tickets you can see; the others are reported in `not_visible`, not linked."""

    @extend_schema(
        operation_id="quality_problems_tickets_link",
        request=TicketIdsInput,
        responses={200: LinkOutcomeOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        problem = _problem(request, id)
        serializer = TicketIdsInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.link_tickets(
            problem=problem, by=_staff(request), ticket_ids=serializer.validated_data["tickets"]
        )
        return Response(LinkOutcomeOutput(outcome).data)


class ProblemTicketApi(QualityApi):
    """Unlink one ticket (one you can see: 404 otherwise)."""

    @extend_schema(
        operation_id="quality_problems_tickets_unlink",
        request=None,
        responses={204: None, **error_responses(400, 404)},
    )
    def delete(self, request: Request, id: int, ticket_id: int) -> Response:
        problem = _problem(request, id)
        ticket = get_object_or_404(tickets_visible_to(request.user), pk=ticket_id)
        services.unlink_ticket(problem=problem, by=_staff(request), ticket=ticket)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProblemFollowUpsApi(QualityApi):
    """Link survey follow-ups, and their tickets (managers and admins)."""

    @extend_schema(
        operation_id="quality_problems_follow_ups_link",
        request=FollowUpIdsInput,
        responses={200: FollowUpLinkOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        problem = _problem(request, id)
        _require_manager(request)
        serializer = FollowUpIdsInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.link_follow_ups(
            problem=problem,
            by=_staff(request),
            follow_up_ids=serializer.validated_data["follow_ups"],
        )
        return Response(FollowUpLinkOutput(outcome).data)


class ProblemBulkAnswerListApi(QualityApi):
    """POST sends one message to every open linked ticket, in the background: 202 with its
    id; GET .../bulk-answers/{bulk_id}/ until `finished_at` is set. A fixed problem only."""

    @extend_schema(
        operation_id="quality_problems_bulk_answers_create",
        request=BulkAnswerInput,
        responses={202: BulkAnswerOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request: Request, id: int) -> Response:
        problem = _problem(request, id)
        _require_manager(request)
        serializer = BulkAnswerInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        bulk = services.start_bulk_answer(
            problem=problem,
            by=_staff(request),
            message_es=data.get("message_es", ""),
            message_en=data.get("message_en", ""),
            resolve=data["resolve"],
        )
        bulk.refresh_from_db()
        return Response(BulkAnswerOutput(bulk).data, status=status.HTTP_202_ACCEPTED)


class ProblemBulkAnswerDetailApi(QualityApi):
    """A bulk answer and each ticket's outcome so far (managers and admins)."""

    @extend_schema(
        operation_id="quality_problems_bulk_answers_retrieve",
        responses={200: BulkAnswerOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int, bulk_id: int) -> Response:
        problem = _problem(request, id)
        _require_manager(request)
        bulk = get_object_or_404(problem.bulk_answers.all(), pk=bulk_id)
        return Response(BulkAnswerOutput(bulk).data)


class ProblemFiguresApi(QualityApi):
    """Linked tickets per week, and CSAT %, NPS and reopen rate before and after the fix,
    each with its sample (docs/quality.md); `before`/`after` are null until it is fixed."""

    @extend_schema(
        operation_id="quality_problems_figures",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: FiguresOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        problem = _problem(request, id)
        sides = problem_figures.before_after(problem)
        data = {
            "weeks": [{"week": w, "tickets": n} for w, n in problem_figures.weekly_counts(problem)],
            "fixed_at": problem.fixed_at,
            "before": sides["before"].as_dict() if sides else None,
            "after": sides["after"].as_dict() if sides else None,
        }
        return Response(FiguresOutput(data).data)
