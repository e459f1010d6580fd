"""Customers: list and search, create, read and edit."""

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..models import Customer, Language
from ..selectors import customers_visible_to, customers_with_email
from ..services import check_may_edit_customer, find_or_create_customer, update_customer
from .common import (
    SEARCH_MAX_LENGTH,
    ApiFilterSet,
    OptionalEmailField,
    StaffApi,
    StaffListApi,
    StrictInputSerializer,
    error_responses,
)


class CustomerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = OptionalEmailField()
    phone = serializers.CharField()
    company = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    active_since = serializers.DateField()
    churned_at = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()


class CustomerFieldsInput(StrictInputSerializer):
    """A new customer's details. Customers reached only by phone have no e-mail but need a
    name."""

    email = OptionalEmailField(max_length=254, allow_blank=True, default="")
    name = serializers.CharField(max_length=150, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, default="")
    company = serializers.CharField(max_length=150, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, required=False)


class CustomerFilter(ApiFilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label=_("Part of the name, e-mail or company."),
    )

    class Meta:
        model = Customer
        fields = ["search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(company__icontains=value)
        )


class CustomerListCreateApi(StaffListApi):
    """List and search customers; create one."""

    filterset_class = CustomerFilter

    class InputSerializer(CustomerFieldsInput):
        def validate_email(self, value):
            # The database refuses a second customer with this e-mail in any case; say so on
            # the field instead of handing back the existing customer.
            if value and customers_with_email(value).exists():
                raise serializers.ValidationError(_("A customer with this e-mail already exists."))
            return value

    def get_queryset(self):
        return customers_visible_to(self.request.user)

    @extend_schema(
        operation_id="customers_list",
        responses={200: CustomerOutput(many=True), **error_responses(400)},
    )
    def get(self, request):
        customers = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(customers)
        return self.get_paginated_response(CustomerOutput(page, many=True).data)

    @extend_schema(
        operation_id="customers_create",
        request=InputSerializer,
        responses={201: CustomerOutput, **error_responses(400)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = find_or_create_customer(**serializer.validated_data)
        return Response(CustomerOutput(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(StaffApi):
    """One customer; PATCH edits their details."""

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=150, required=False)
        email = OptionalEmailField(max_length=254, required=False, allow_blank=True)
        phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
        company = serializers.CharField(max_length=150, required=False, allow_blank=True)
        language = serializers.ChoiceField(choices=Language.choices, required=False)
        active_since = serializers.DateField(required=False)
        churned_at = serializers.DateField(required=False, allow_null=True)

    @extend_schema(
        operation_id="customers_retrieve",
        responses={200: CustomerOutput, **error_responses(404)},
    )
    def get(self, request, id: int):
        customer = get_object_or_404(customers_visible_to(request.user), pk=id)
        return Response(CustomerOutput(customer).data)

    @extend_schema(
        operation_id="customers_partial_update",
        request=InputSerializer,
        responses={200: CustomerOutput, **error_responses(400, 404)},
    )
    def patch(self, request, id: int):
        customer = get_object_or_404(customers_visible_to(request.user), pk=id)
        check_may_edit_customer(request.user, customer)  # 403 before anything is parsed
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = update_customer(customer=customer, by=request.user, **serializer.validated_data)
        return Response(CustomerOutput(customer).data)
