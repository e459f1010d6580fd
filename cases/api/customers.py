"""Customers: list and search, create, read and edit; add and remove their other addresses;
merge a duplicate record into one (managers and admins)."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..models import Customer, Language, Organisation
from ..selectors import customer_search, customers_visible_to, customers_with_email
from ..services import check_may_edit_customer, find_or_create_customer, update_customer
from ..services.customer_merge import check_may_merge_customers, merge_customers
from ..services.customers import add_customer_address, remove_customer_address
from .common import (
    SEARCH_MAX_LENGTH,
    ApiFilterSet,
    IdField,
    OptionalEmailField,
    StaffApi,
    StaffListApi,
    StrictInputSerializer,
    UserRefOutput,
    error_responses,
)


class OrganisationRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CustomerAddressOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    added_at = serializers.DateTimeField()


class CustomerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = OptionalEmailField(help_text=_("The primary address: the customer's e-mails go here."))
    addresses = CustomerAddressOutput(
        many=True,
        source="addresses.all",
        help_text=_("Their other addresses: mail from any of them finds the customer."),
    )
    phone = serializers.CharField()
    company = serializers.CharField(help_text=_("As written (free text)."))
    organisation = OrganisationRefOutput(allow_null=True)
    is_organisation_admin = serializers.BooleanField(
        help_text=_("Sees every case of their organisation in the customer portal.")
    )
    language = serializers.ChoiceField(choices=Language.choices)
    active_since = serializers.DateField()
    churned_at = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()


def _with_relations(customers):
    """What CustomerOutput reads, in two more queries for a whole page."""
    return customers.select_related("organisation").prefetch_related("addresses")


class CustomerFieldsInput(StrictInputSerializer):
    """A new customer's details. Customers reached only by phone have no e-mail but need a
    name."""

    email = OptionalEmailField(max_length=254, allow_blank=True, default="")
    name = serializers.CharField(max_length=150, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, default="")
    company = serializers.CharField(max_length=150, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    organisation = IdField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Left out or null: the organisation of their e-mail's domain, if any."),
    )


class CustomerFilter(ApiFilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label=_(
            "Part of the name, an e-mail address (other addresses too), the company, the phone "
            "or the organisation's name."
        ),
    )

    class Meta:
        model = Customer
        fields = ["search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(customer_search(value))


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
        return _with_relations(customers_visible_to(self.request.user))

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
        organisation = IdField(queryset=Organisation.objects.all(), required=False, allow_null=True)
        is_organisation_admin = serializers.BooleanField(
            required=False,
            help_text=_(
                "Sees every case of their organisation in the customer portal. Only managers "
                "and admins change it, or the organisation of a contact who has it (403)."
            ),
        )
        active_since = serializers.DateField(required=False)
        churned_at = serializers.DateField(required=False, allow_null=True)

    @extend_schema(
        operation_id="customers_retrieve",
        responses={200: CustomerOutput, **error_responses(404)},
        description=_(
            "One customer's record. Their experience — tickets, median first response time, "
            "CSAT %, NPS group, survey answers, open follow-ups, churn state — is served by "
            "GET /api/v1/metrics/customers/{id}/."
        ),
    )
    def get(self, request, id: int):
        customer = get_object_or_404(_with_relations(customers_visible_to(request.user)), pk=id)
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


class CustomerAddressListApi(StaffApi):
    """Another address of the customer: mail from it finds them. Refused (400, naming the
    owner) when it is already theirs or another customer's, primary or other."""

    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema(
        operation_id="customers_addresses_create",
        request=InputSerializer,
        responses={201: CustomerOutput, **error_responses(400, 404)},
    )
    def post(self, request, id: int):
        customer = get_object_or_404(customers_visible_to(request.user), pk=id)
        check_may_edit_customer(request.user, customer)  # 403 before anything is parsed
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        add_customer_address(customer=customer, by=request.user, **serializer.validated_data)
        customer = _with_relations(Customer.objects).get(pk=customer.pk)
        return Response(CustomerOutput(customer).data, status=status.HTTP_201_CREATED)


class CustomerAddressApi(StaffApi):
    """One of the customer's other addresses: DELETE takes it away."""

    @extend_schema(
        operation_id="customers_addresses_delete",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, id: int, address_id: int):
        customer = get_object_or_404(customers_visible_to(request.user), pk=id)
        check_may_edit_customer(request.user, customer)
        address = get_object_or_404(customer.addresses, pk=address_id)
        remove_customer_address(customer=customer, by=request.user, address_id=address.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerMergeApi(StaffApi):
    """Merge a duplicate record into this customer: its tickets, survey answers, follow-ups,
    addresses, followed tickets and portal sign-ins move here, the duplicate is deleted and
    the merge recorded. Managers and admins only (agents get 403)."""

    class InputSerializer(StrictInputSerializer):
        duplicate = IdField(
            queryset=Customer.objects.all(),
            help_text=_("The duplicate record's id: it is deleted."),
        )

    class OutputSerializer(serializers.Serializer):
        customer = CustomerOutput(help_text=_("The kept record, after the merge."))
        merged_id = serializers.IntegerField(help_text=_("The deleted duplicate's id."))
        merged_name = serializers.CharField()
        merged_email = OptionalEmailField()
        moved = serializers.DictField(
            child=serializers.IntegerField(),
            help_text=_("What moved, by kind: tickets, addresses, survey_answers, follow_ups…"),
        )
        by = UserRefOutput(allow_null=True)
        at = serializers.DateTimeField()

    @extend_schema(
        operation_id="customers_merge",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 404)},
    )
    def post(self, request, id: int):
        customer = get_object_or_404(customers_visible_to(request.user), pk=id)
        check_may_merge_customers(request.user)  # 403 before anything is parsed
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        merge = merge_customers(
            kept=customer, duplicate=serializer.validated_data["duplicate"], by=request.user
        )
        kept = _with_relations(Customer.objects).get(pk=customer.pk)
        return Response(
            self.OutputSerializer(
                {
                    "customer": kept,
                    "merged_id": merge.merged_id,
                    "merged_name": merge.merged_name,
                    "merged_email": merge.merged_email,
                    "moved": merge.moved,
                    "by": merge.by,
                    "at": merge.at,
                }
            ).data
        )
