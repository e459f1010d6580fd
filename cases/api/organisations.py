"""Organisations: list and search, create, read and edit — under the rules of the web pages
(`services.organisations`): anyone with a role reads them, managers and admins create and
edit them (agents get 403)."""

from typing import Any

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..models import Organisation, User
from ..selectors import (
    organisation_matches,
    organisations_visible_to,
    organisations_with_counts,
)
from ..services.organisations import (
    check_may_edit_organisation,
    create_organisation,
    update_organisation,
)
from .common import (
    SEARCH_MAX_LENGTH,
    ApiFilterSet,
    IdField,
    StaffApi,
    StaffListApi,
    StrictInputSerializer,
    UserRefOutput,
    error_responses,
)

DOMAINS_MAX = 50


class OrganisationOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    notes = serializers.CharField()
    domains = serializers.SerializerMethodField(
        help_text=_("E-mail domains, in lower case: a new customer writing from one joins.")
    )
    account_manager = UserRefOutput(allow_null=True)
    contact_count = serializers.IntegerField(help_text=_("How many customers belong to it."))
    created_at = serializers.DateTimeField()

    def get_domains(self, organisation: Organisation) -> list[str]:
        return [domain.domain for domain in organisation.domains.all()]


class OrganisationFilter(ApiFilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label=_("Part of the name or of an e-mail domain."),
    )

    class Meta:
        model = Organisation
        fields = ["search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(organisation_matches(value)) if value else queryset


def _domains_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=253),
        max_length=DOMAINS_MAX,
        help_text=_(
            "The whole list of e-mail domains (it replaces the current one). Each a domain "
            "name, one organisation per domain; free e-mail services (gmail.com…) are refused."
        ),
        **kwargs,
    )


def _one(user: User, pk: int) -> Organisation:
    return get_object_or_404(organisations_with_counts(user), pk=pk)


class OrganisationListCreateApi(StaffListApi):
    """List and search organisations; create one (managers and admins)."""

    filterset_class = OrganisationFilter

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=150)
        notes = serializers.CharField(max_length=5000, allow_blank=True, default="")
        account_manager = IdField(queryset=User.objects.all(), allow_null=True, default=None)
        domains = _domains_field(default=list)

    def get_queryset(self):
        return organisations_with_counts(self.request.user)

    @extend_schema(
        operation_id="organisations_list",
        responses={200: OrganisationOutput(many=True), **error_responses(400)},
    )
    def get(self, request):
        organisations = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(organisations)
        return self.get_paginated_response(OrganisationOutput(page, many=True).data)

    @extend_schema(
        operation_id="organisations_create",
        request=InputSerializer,
        responses={201: OrganisationOutput, **error_responses(400)},
    )
    def post(self, request):
        check_may_edit_organisation(request.user)  # 403 before anything is parsed
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = create_organisation(by=request.user, **serializer.validated_data)
        return Response(
            OrganisationOutput(_one(request.user, organisation.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class OrganisationDetailApi(StaffApi):
    """One organisation; PATCH edits it (managers and admins), each change recorded."""

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=150, required=False)
        notes = serializers.CharField(max_length=5000, allow_blank=True, required=False)
        account_manager = IdField(queryset=User.objects.all(), allow_null=True, required=False)
        domains = _domains_field(required=False)

    @extend_schema(
        operation_id="organisations_retrieve",
        responses={200: OrganisationOutput, **error_responses(404)},
        description=_(
            "One organisation. The experience of its contacts together — tickets, median first "
            "response time, CSAT %, NPS, survey answers, open follow-ups, churn — is served by "
            "GET /api/v1/metrics/organisations/{id}/."
        ),
    )
    def get(self, request, id: int):
        return Response(OrganisationOutput(_one(request.user, id)).data)

    @extend_schema(
        operation_id="organisations_partial_update",
        request=InputSerializer,
        responses={200: OrganisationOutput, **error_responses(400, 404)},
    )
    def patch(self, request, id: int):
        organisation = get_object_or_404(organisations_visible_to(request.user), pk=id)
        check_may_edit_organisation(request.user)  # 403 before anything is parsed
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update_organisation(organisation=organisation, by=request.user, **serializer.validated_data)
        return Response(OrganisationOutput(_one(request.user, id)).data)
