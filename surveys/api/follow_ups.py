"""The closed loop for managers: the follow-ups opened for detractors and unhappy customers,
and working on one (owner, status, notes) through `update_follow_up`."""

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from cases.api.common import (
    TEXT_MAX_LENGTH,
    ApiFilterSet,
    IdField,
    IsStaff,
    StaffApi,
    StaffListApi,
    StrictInputSerializer,
    UserRefOutput,
    error_responses,
)
from cases.models import Role, Team, User
from cases.selectors import staff_users

from ..errors import FollowUpError
from ..models import FollowUp, FollowUpNote, FollowUpStatus
from ..selectors import follow_ups_visible_to
from ..services import update_follow_up
from .responses import (
    FollowUpStatusField,
    ScoresOutput,
    SurveyNamedRefOutput,
    SurveyTicketRefOutput,
)


class IsManager(IsStaff):
    """Managers and admins. Agents and users without a role get 403, anonymous callers 401."""

    message = _("Only managers and admins work on follow-ups.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.role in (
            Role.MANAGER,
            Role.ADMIN,
        )


class FollowUpResponseOutput(ScoresOutput):
    id = serializers.IntegerField()
    answered_at = serializers.DateTimeField()


class FollowUpNoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefOutput()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class FollowUpOutput(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = SurveyTicketRefOutput()
    team = SurveyNamedRefOutput(allow_null=True, help_text=_("The team at resolution."))
    owner = UserRefOutput(allow_null=True, help_text=_("Who calls the customer back."))
    status = FollowUpStatusField()
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["detractor", "unhappy_csat"]),
        help_text=_("Why it was opened: NPS 0–6 (detractor), CSAT 1–2 (unhappy_csat)."),
    )
    response = FollowUpResponseOutput(help_text=_("The survey answer that opened it."))
    notes = FollowUpNoteOutput(many=True, source="notes.all", help_text=_("Oldest first."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class FollowUpFilter(ApiFilterSet):
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices, label=_("Status"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Team"))
    owner = django_filters.ModelChoiceFilter(queryset=staff_users(), label=_("Owner"))

    class Meta:
        model = FollowUp
        fields: list[str] = []


def _follow_ups(user):
    return follow_ups_visible_to(user).prefetch_related(
        Prefetch("notes", queryset=FollowUpNote.objects.select_related("author"))
    )


class FollowUpListApi(StaffListApi):
    """Every follow-up, newest first. Managers and admins only."""

    permission_classes = [IsManager]
    filterset_class = FollowUpFilter

    def get_queryset(self):
        return _follow_ups(self.request.user)

    @extend_schema(
        operation_id="surveys_follow_ups_list",
        responses={200: FollowUpOutput(many=True), **error_responses(400)},
    )
    def get(self, request):
        follow_ups = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(follow_ups)
        return self.get_paginated_response(FollowUpOutput(page, many=True).data)


class FollowUpDetailApi(StaffApi):
    """One follow-up. PATCH gives it an owner (null: nobody), moves its status (open,
    contacted, resolved) and/or adds a note; every change goes on the ticket's timeline.
    Managers and admins only."""

    permission_classes = [IsManager]

    class InputSerializer(StrictInputSerializer):
        """What changes: any of owner, status and a new note, at least one."""

        owner = IdField(
            queryset=User.objects.all(),
            required=False,
            allow_null=True,
            help_text=_("An active member of staff; null: nobody."),
        )
        status = FollowUpStatusField(required=False)
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
        )

    def _get(self, request, id: int) -> FollowUp:
        return get_object_or_404(_follow_ups(request.user), pk=id)

    @extend_schema(
        operation_id="surveys_follow_ups_retrieve",
        responses={200: FollowUpOutput, **error_responses(404)},
    )
    def get(self, request, id: int):
        return Response(FollowUpOutput(self._get(request, id)).data)

    @extend_schema(
        operation_id="surveys_follow_ups_partial_update",
        request=InputSerializer,
        responses={200: FollowUpOutput, **error_responses(400, 404)},
    )
    def patch(self, request, id: int):
        follow_up = self._get(request, id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        try:
            update_follow_up(follow_up=follow_up, by=request.user, **changes)
        except FollowUpError as error:
            body = {error.field: [error.message]} if error.field else {"detail": error.message}
            return Response(body, status=400)
        return Response(FollowUpOutput(self._get(request, id)).data)
