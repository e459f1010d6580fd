"""Reference data for clients: the agents, the teams and the categories."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from ..models import Category, Role, Team, User
from ..selectors import staff_users
from .common import ApiFilterSet, StaffListApi, error_responses


class TeamOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.IntegerField(help_text=_("1, 2 or 3: the level of support it gives."))
    is_active = serializers.BooleanField()


class AgentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    role = serializers.ChoiceField(choices=Role.choices)
    teams = TeamOutput(many=True, source="teams.all")


class CategoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    default_team = serializers.IntegerField(source="default_team_id", allow_null=True)
    is_active = serializers.BooleanField()


class AgentFilter(ApiFilterSet):
    team = django_filters.ModelChoiceFilter(
        field_name="teams", queryset=Team.objects.all(), label=_("Members of this team.")
    )

    class Meta:
        model = User
        fields: list[str] = []


class AgentListApi(StaffListApi):
    """Active people who work tickets (agents, managers, admins), with their role and teams."""

    filterset_class = AgentFilter

    def get_queryset(self):
        return (
            staff_users()
            .prefetch_related("teams", "groups")
            .order_by("first_name", "last_name", "username")
        )

    @extend_schema(
        operation_id="agents_list",
        responses={200: AgentOutput(many=True), **error_responses(400)},
    )
    def get(self, request):
        agents = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(agents)
        return self.get_paginated_response(AgentOutput(page, many=True).data)


class TeamListApi(StaffListApi):
    """Every team, inactive ones included (`is_active`), by level and name."""

    filterset_class = None

    def get_queryset(self):
        return Team.objects.order_by("level", "name")

    @extend_schema(
        operation_id="teams_list", responses={200: TeamOutput(many=True), **error_responses()}
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TeamOutput(page, many=True).data)


class CategoryListApi(StaffListApi):
    """Every category, inactive ones included (`is_active`), by name."""

    filterset_class = None

    def get_queryset(self):
        return Category.objects.order_by("name")

    @extend_schema(
        operation_id="categories_list",
        responses={200: CategoryOutput(many=True), **error_responses()},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CategoryOutput(page, many=True).data)
