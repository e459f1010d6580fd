"""Saved views: list the views offered to the caller (with each one's live count), keep the
queue's filters as a view, rename and delete one — under the rules of the web pages
(`services.save_view`): anyone keeps personal views, managers and admins the shared ones, and
nobody changes another person's."""

from typing import Any

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import PermissionDenied
from ..models import SavedView, Team, User
from ..queues import VIEW_COUNT_CAP, SavedViewTab, saved_view_tabs
from ..selectors import saved_views_offered_to
from ..services import delete_view, may_edit_saved_view, rename_view, save_view
from ..services.saved_views import NAME_MAX_LENGTH, QUERY_MAX_LENGTH, VIEW_KEYS
from .common import (
    IdField,
    StaffApi,
    StaffListApi,
    StrictInputSerializer,
    UserRefOutput,
    error_responses,
)

QUERY_HELP = _(
    "The ticket queue's query string, as in the web queue's address: `queue` (mine, "
    "unassigned, teams, all), `q`, `status` (repeated), `priority`, `channel`, `category`, "
    "`team`, `assignee`, `level`, `tag` (repeated), `tag_match` and `sort`. Any other key is "
    "refused."
)


class SavedViewOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    query = serializers.CharField(
        help_text=_("The view's filters and sort as the queue's query string, normalised.")
    )
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("The same filters, each key with its values."),
    )
    shared = serializers.BooleanField(help_text=_("Kept by managers for the desk or some teams."))
    teams = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("A shared view offered to these teams only (empty: to everyone)."),
    )
    owner = UserRefOutput(allow_null=True, help_text=_("Whose personal view; null if shared."))
    url = serializers.CharField(help_text=_("The web queue showing the view."))
    count = serializers.IntegerField(
        help_text=_(
            "How many tickets the view lists for you (only tickets you may see), counted up "
            "to %(cap)d."
        )
        % {"cap": VIEW_COUNT_CAP}
    )
    count_is_capped = serializers.BooleanField(help_text=_("More tickets than `count` match."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _row(tab: SavedViewTab) -> dict[str, Any]:
    view = tab.view
    filters = QueryDict(view.query)
    return {
        "id": view.pk,
        "name": view.name,
        "query": view.query,
        "filters": {key: filters.getlist(key) for key in VIEW_KEYS if key in filters},
        "shared": view.is_shared,
        "teams": sorted(team.pk for team in view.teams.all()),
        "owner": view.owner,
        "url": f"{reverse('cases:queue')}?{view.query}",
        "count": tab.count,
        "count_is_capped": tab.count_is_capped,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
    }


def _output(request: Request, views: list[SavedView]) -> list[dict[str, Any]]:
    rows = [_row(tab) for tab in saved_view_tabs(request.user, views)]
    data: list[dict[str, Any]] = SavedViewOutput(rows, many=True).data  # type: ignore[assignment]  # a list serializer's data is a ReturnList of dicts
    return data


def _caller(request: Request) -> User:
    """`request.user` behind IsStaff: a signed-in person with a role."""
    user = request.user
    assert isinstance(user, User)
    return user


def _offered(request: Request) -> Any:
    return saved_views_offered_to(request.user).select_related("owner").prefetch_related("teams")


class SavedViewListCreateApi(StaffListApi):
    """The saved views offered to the caller (their own and the shared ones), by name, each
    with its live count; POST keeps the queue's filters as a view."""

    filterset_class = None

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=NAME_MAX_LENGTH)
        query = serializers.CharField(
            max_length=QUERY_MAX_LENGTH, allow_blank=True, default="", help_text=QUERY_HELP
        )
        shared = serializers.BooleanField(
            default=False, help_text=_("Managers and admins only: a view for the desk.")
        )
        teams = serializers.ListField(
            child=IdField(queryset=Team.objects.all()),  # type: ignore[no-untyped-call]  # common.py is checked at the default level
            required=False,
            max_length=100,
            help_text=_("A shared view for these teams only (team ids)."),
        )

    def get_queryset(self) -> Any:
        return _offered(self.request)

    @extend_schema(
        operation_id="views_list",
        responses={200: SavedViewOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # every list is paginated
        return self.get_paginated_response(_output(request, list(page)))

    @extend_schema(
        operation_id="views_create",
        request=InputSerializer,
        responses={201: SavedViewOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        view = save_view(
            by=_caller(request),
            name=data["name"],
            query=data["query"],
            shared=data["shared"],
            teams=data.get("teams", []),
        )
        [row] = _output(request, [_offered(request).get(pk=view.pk)])
        return Response(row, status=status.HTTP_201_CREATED)


class SavedViewDetailApi(StaffApi):
    """One saved view offered to the caller: PATCH renames it, DELETE deletes it (their own;
    shared ones for managers and admins)."""

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=NAME_MAX_LENGTH)

    @extend_schema(
        operation_id="views_partial_update",
        request=InputSerializer,
        responses={200: SavedViewOutput, **error_responses(400, 403, 404)},
    )
    def patch(self, request: Request, id: int) -> Response:
        view = get_object_or_404(_offered(request), pk=id)
        if not may_edit_saved_view(_caller(request), view):  # 403 before anything is parsed
            raise PermissionDenied(gettext("Only managers change the shared views."))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rename_view(by=_caller(request), view=view, name=serializer.validated_data["name"])
        [row] = _output(request, [_offered(request).get(pk=view.pk)])
        return Response(row)

    @extend_schema(
        operation_id="views_delete",
        responses={204: None, **error_responses(403, 404)},
    )
    def delete(self, request: Request, id: int) -> Response:
        view = get_object_or_404(_offered(request), pk=id)
        delete_view(by=_caller(request), view=view)
        return Response(status=status.HTTP_204_NO_CONTENT)
