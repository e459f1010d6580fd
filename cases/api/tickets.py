"""Tickets: list, register, read, classify, the lifecycle actions, the timeline and replies.

Every view loads the ticket through `tickets_visible_to` (404 when the caller may not see it)
and changes it through one `cases.services` function; refusals come back as domain errors
that `cases.api.errors` turns into 400 / 403 / 409."""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.fields import SkipField
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from .. import lifecycle
from ..errors import ValidationError as DomainValidationError
from ..filters import TAG_MATCHES, TagFilterMethods, TagsFilter
from ..models import (
    MAX_LEVEL,
    Category,
    Channel,
    EventKind,
    Macro,
    Priority,
    Status,
    Team,
    Ticket,
    TicketRelation,
    User,
)
from ..search import TicketSearch, ranked, with_fragments
from ..selectors import related_tickets, ticket_search, tickets_visible_to
from ..services import (
    add_reply,
    assign_ticket,
    auto_assign_ticket,
    change_tags,
    classify_ticket,
    close_ticket,
    escalate_ticket,
    find_or_create_customer,
    merge_tickets,
    register_ticket,
    relate_tickets,
    reopen_ticket,
    resolve_ticket,
    resume_ticket,
    set_pending,
    unrelate_tickets,
)
from ..services.attachments import FIELD as ATTACHMENTS_FIELD
from ..services.bulk import BULK_MAX, BulkAction, BulkParams, run_bulk
from ..services.followers import add_follower, remove_follower
from ..tags import MAX_PER_CHANGE
from ..views.attachments import attachment_of, attachment_response
from .common import (
    DESCRIPTION_MAX_LENGTH,
    MAX_ID,
    MAX_VERSION,
    MOMENT_SCHEMA,
    SEARCH_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    ApiFilterSet,
    IdField,
    OptionalEmailField,
    StaffApi,
    StaffListApi,
    StrictInputSerializer,
    UserRefOutput,
    VersionInput,
    error_responses,
    moment_start,
    parse_moment,
)
from .customers import CustomerFieldsInput


def get_visible_ticket(user, id: int) -> Ticket:
    """The ticket if `user` may see it; 404 otherwise (never reveal that it exists)."""
    return get_object_or_404(tickets_visible_to(user), pk=id)


# --- output -----------------------------------------------------------------------------------


class TicketCustomerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = OptionalEmailField()
    phone = serializers.CharField()
    company = serializers.CharField()
    language = serializers.CharField()


class TicketSlaOutput(serializers.Serializer):
    policy = serializers.IntegerField(
        source="sla_policy_id", allow_null=True, help_text=_("The SLA policy that applies.")
    )
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(
        allow_null=True, help_text=_("Moves later by the working time spent pending.")
    )
    first_response_breached_at = serializers.DateTimeField(allow_null=True)
    resolution_breached_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.SerializerMethodField(
        help_text=_("True while the resolution clock stands still (pending or resolved).")
    )

    def get_paused(self, ticket: Ticket) -> bool:
        return ticket.sla_paused_at is not None


class SearchFragmentField(serializers.CharField):
    """Present on the tickets of a searched list only (`search=`), absent elsewhere."""

    def get_attribute(self, instance):
        if not hasattr(instance, "search_fragment"):
            raise SkipField
        return instance.search_fragment


class TicketOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text=_("PUL-000123: how people quote the ticket."))
    subject = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = serializers.IntegerField(source="category_id", allow_null=True)
    level = serializers.IntegerField(min_value=1, max_value=MAX_LEVEL)
    team = serializers.IntegerField(source="team_id", allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    customer = TicketCustomerOutput()
    resolution = serializers.CharField()
    version = serializers.IntegerField(
        help_text=_("Send it back as `version` in an action to act only on what you saw.")
    )
    escalation_count = serializers.IntegerField()
    reopen_count = serializers.IntegerField()
    public_agent_replies = serializers.IntegerField()
    allowed_actions = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    merged_into = serializers.IntegerField(
        source="merged_into_id",
        allow_null=True,
        help_text=_("Status merged: the ticket that carries on its conversation."),
    )
    sla = TicketSlaOutput(source="*", help_text=_("SLA clocks; all null without a policy."))
    search_fragment = SearchFragmentField(
        required=False,
        allow_null=True,
        help_text=_(
            "Only in a list searched with `search`: HTML, the passage of the description, "
            "replies or notes where the words are, the text escaped and the words in <mark>; "
            "null when only the subject, the reference or the customer matched."
        ),
    )

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=list(lifecycle.TRANSITIONS)),
            help_text=_("What the lifecycle allows in the ticket's current status."),
        )
    )
    def get_allowed_actions(self, ticket: Ticket) -> list[str]:
        return lifecycle.allowed_actions(ticket.status)

    @extend_schema_field(
        serializers.ListField(
            child=serializers.CharField(),
            help_text=_("The ticket's tags as stored (lower case); the tags action changes them."),
        )
    )
    def get_tags(self, ticket: Ticket) -> list[str]:
        return [tag.name for tag in ticket.tags.all()]  # prefetched on lists


class AttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reply = serializers.IntegerField(
        source="reply_id", allow_null=True, help_text=_("Null: it came with the first message.")
    )
    filename = serializers.CharField()
    content_type = serializers.CharField(
        help_text=_("As the customer's e-mail declared it, or as the desk guessed an agent's file.")
    )
    size = serializers.IntegerField()
    inline = serializers.BooleanField(help_text=_("An image shown inside the message's text."))
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text=_("Where to download it."))

    def get_url(self, attachment) -> str:
        return reverse("api:ticket-attachment", args=[attachment.ticket_id, attachment.pk])


class ReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(source="ticket_id")
    author = UserRefOutput(allow_null=True, help_text=_("Null when the customer wrote it."))
    body = serializers.CharField()
    public = serializers.BooleanField(help_text=_("False for an internal note."))
    by_customer = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentOutput(many=True, source="attachments.all")


def _ticket_response(ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
    return Response(TicketOutput(ticket).data, status=code)


# --- list and register ------------------------------------------------------------------------


class MomentFormField(forms.Field):
    """A date (midnight in TIME_ZONE) or a date and time with any offset (`parse_moment`),
    as the moment in TIME_ZONE: a database never sees an offset it may refuse."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return moment_start(parse_moment(value))
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


@extend_schema_field(MOMENT_SCHEMA)
class MomentFilter(django_filters.Filter):
    field_class = MomentFormField


class BooleanFormField(forms.Field):
    """`true` or `false` (any case), as the schema's boolean is written in a query string.
    django-filter's own field reads anything else as "not given" and widens the list."""

    default_error_messages = {"invalid": _("Write true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value.lower() not in ("true", "false"):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value.lower() == "true"


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(django_filters.Filter):
    field_class = BooleanFormField


class TieBreakingOrderingFilter(django_filters.OrderingFilter):
    """The asked-for order, then the id in the same direction: tickets with the same level
    (or moment) keep one order from page to page, and every order is read from an index on
    (column, id) instead of sorting the matches (cases.models.Ticket.Meta.indexes)."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        ordering = list(qs.query.order_by)
        if value and ordering and ordering[-1].lstrip("-") not in ("id", "pk"):
            qs = qs.order_by(*ordering, "-id" if ordering[-1].startswith("-") else "id")
        return qs


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class ApiTagsFilter(TagsFilter):
    """Documented as the repeated parameter it is (`tag=a&tag=b`)."""


class TicketFilter(TagFilterMethods, ApiFilterSet):
    # distinct=False: django-filter's default DISTINCT guards against duplicates from joins;
    # these are the ticket's own columns, and a DISTINCT over every column of a million
    # tickets sorts them all before the first page.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all())
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    assignee = django_filters.ModelChoiceFilter(queryset=User.objects.all())
    unassigned = BooleanFilter(
        field_name="assignee", lookup_expr="isnull", label=_("Only tickets nobody holds.")
    )
    level = django_filters.TypedChoiceFilter(
        choices=[(n, str(n)) for n in range(1, MAX_LEVEL + 1)], coerce=int
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label=_(
            "Words: a ticket is found when each begins a word of its subject, description, "
            "replies, notes or customer's name or e-mail, accents and case ignored; or a "
            "reference (PUL-000123 or 123). Without an ordering, the best matches come first "
            "(among the newest 1001), and each ticket carries its search_fragment."
        ),
    )
    created_after = MomentFilter(
        field_name="created_at",
        lookup_expr="gte",
        label=_(
            "Created at or after: a date (midnight in TIME_ZONE) or an ISO 8601 date and time "
            "(with its offset or Z)."
        ),
    )
    created_before = MomentFilter(
        field_name="created_at",
        lookup_expr="lt",
        label=_("Created before: a date or an ISO 8601 date and time, as created_after."),
    )
    tag = ApiTagsFilter(
        method="filter_tags",
        field_name="tags__name",
        label=_(
            "Tickets that carry this tag; repeat it (or separate with commas) for several: "
            "all of them, or any of them with tag_match=any."
        ),
    )
    tag_match = django_filters.ChoiceFilter(
        choices=TAG_MATCHES, method="tags_apply", label=_("all (default) or any.")
    )
    ordering = TieBreakingOrderingFilter(
        fields=["created_at", "updated_at", "resolved_at", "level", "id"]
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(ticket_search(value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        searched = TicketSearch.parse(self.form.cleaned_data.get("search") or "")
        if searched and not self.form.cleaned_data.get("ordering"):
            queryset = ranked(queryset, searched)  # best match first unless told otherwise
        return queryset


_READ_ONLY_HINTS = {
    "status": _(
        "The status changes only through the ticket's actions (pending, resume, resolve, "
        "reopen, close)."
    ),
    "level": _("The support level changes only through the escalate action."),
    "assignee": _("The assignee changes through the assign action."),
}


class TicketListCreateApi(StaffListApi):
    """The tickets the caller may see, filtered and paginated; POST registers a new one."""

    filterset_class = TicketFilter

    class InputSerializer(StrictInputSerializer):
        unknown_field_hints = _READ_ONLY_HINTS | {
            "status": _("A new ticket always starts as new."),
            "level": _("The support level comes from the team."),
        }

        subject = serializers.CharField(max_length=200)
        description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
        channel = serializers.ChoiceField(choices=Channel.choices)
        priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
        category = IdField(queryset=Category.objects.all(), required=False, allow_null=True)
        team = IdField(
            queryset=Team.objects.all(),
            required=False,
            allow_null=True,
            help_text=_("Default: the category's team, else the first active team by level."),
        )
        assignee = IdField(queryset=User.objects.all(), required=False, allow_null=True)
        auto_assign = serializers.BooleanField(
            default=False,
            help_text=_("Without an assignee: give it to the least-loaded agent of the team."),
        )
        acknowledge = serializers.BooleanField(
            default=False,
            help_text=_("E-mail the customer a confirmation with their private link."),
        )
        customer = CustomerFieldsInput(
            help_text=_(
                "Found by e-mail (any case) or created; an existing customer's "
                "details are not changed."
            )
        )

    def get_queryset(self):
        return tickets_visible_to(self.request.user).prefetch_related("tags")

    @extend_schema(
        operation_id="tickets_list",
        responses={200: TicketOutput(many=True), **error_responses(400)},
    )
    def get(self, request):
        tickets = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(tickets)
        # Searching, each ticket says where its words are (one query for the page's rows).
        page = with_fragments(page, TicketSearch.parse(request.query_params.get("search", "")))
        return self.get_paginated_response(TicketOutput(page, many=True).data)

    @extend_schema(
        operation_id="tickets_create",
        request=InputSerializer,
        responses={201: TicketOutput, **error_responses(400)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer_data = data.pop("customer")
        # One transaction: a refused ticket leaves no customer behind.
        with transaction.atomic():
            try:
                customer = find_or_create_customer(**customer_data)
            except DomainValidationError as exc:
                raise serializers.ValidationError(
                    {"customer": {exc.field or "non_field_errors": [exc.message]}}
                ) from exc
            ticket = register_ticket(by=request.user, customer=customer, **data)
        return _ticket_response(ticket, status.HTTP_201_CREATED)


# --- one ticket -------------------------------------------------------------------------------


class TicketDetailApi(StaffApi):
    """One ticket. PATCH classifies it: subject, category, priority, channel — or moves it to
    another team (a transfer: the level stays; an assignee outside that team is replaced by
    the team's automatic assignment, or none)."""

    class InputSerializer(StrictInputSerializer, VersionInput):
        unknown_field_hints = _READ_ONLY_HINTS

        subject = serializers.CharField(max_length=200, required=False)
        category = IdField(queryset=Category.objects.all(), required=False, allow_null=True)
        priority = serializers.ChoiceField(choices=Priority.choices, required=False)
        channel = serializers.ChoiceField(choices=Channel.choices, required=False)
        team = IdField(queryset=Team.objects.all(), required=False)

    @extend_schema(
        operation_id="tickets_retrieve", responses={200: TicketOutput, **error_responses(404)}
    )
    def get(self, request, id: int):
        return _ticket_response(get_visible_ticket(request.user, id))

    @extend_schema(
        operation_id="tickets_partial_update",
        request=InputSerializer,
        responses={200: TicketOutput, **error_responses(400, 404, 409)},
    )
    def patch(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        ticket = classify_ticket(
            ticket=ticket, by=request.user, expected_version=version, **changes
        )
        return _ticket_response(ticket)


# --- actions ----------------------------------------------------------------------------------

_ACTION_ERRORS = error_responses(400, 404, 409)


class TicketAssignApi(StaffApi):
    """Give the ticket to an agent of its team (`assignee`), take it away (`assignee: null`),
    or let Pulso pick the least-loaded agent (`auto: true`)."""

    class InputSerializer(VersionInput):
        assignee = IdField(queryset=User.objects.all(), required=False, allow_null=True)
        auto = serializers.BooleanField(default=False)

        def validate(self, attrs):
            if attrs["auto"] and "assignee" in attrs:
                raise serializers.ValidationError(
                    {"auto": _("Send either an assignee or auto, not both.")}
                )
            if not attrs["auto"] and "assignee" not in attrs:
                raise serializers.ValidationError(
                    {"assignee": _("Name the agent, null to unassign, or send auto: true.")}
                )
            return attrs

    @extend_schema(
        operation_id="tickets_assign",
        request=InputSerializer,
        responses={200: TicketOutput, **_ACTION_ERRORS},
    )
    def post(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["auto"]:
            ticket = auto_assign_ticket(
                ticket=ticket, by=request.user, expected_version=data.get("version")
            )
        else:
            ticket = assign_ticket(
                ticket=ticket,
                by=request.user,
                assignee=data["assignee"],
                expected_version=data.get("version"),
            )
        return _ticket_response(ticket)


class TicketActionApi(StaffApi):
    """One lifecycle action: validate the body, call `service(ticket=, by=, expected_version=,
    **body)`, answer with the ticket. Subclasses name the service and the body."""

    InputSerializer = VersionInput
    service: ClassVar[Callable[..., Ticket] | None] = None  # a cases.services function

    def post(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        service = type(self).service
        assert service is not None, "every action's view names its service"
        ticket = service(ticket=ticket, by=request.user, expected_version=version, **data)
        return _ticket_response(ticket)


def _action_schema(name: str, input_serializer):
    return extend_schema(
        operation_id=f"tickets_{name}",
        request=input_serializer,
        responses={200: TicketOutput, **_ACTION_ERRORS},
    )


class EscalateInput(VersionInput):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    team = IdField(queryset=Team.objects.all(), required=False, allow_null=True)


class ResolveInput(VersionInput):
    resolution = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class ReopenInput(VersionInput):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


@extend_schema_view(post=_action_schema("escalate", EscalateInput))
class TicketEscalateApi(TicketActionApi):
    """Raise the support level by one, optionally handing the ticket to another team."""

    InputSerializer = EscalateInput
    service = escalate_ticket


class TagsInput(VersionInput):
    add = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        max_length=MAX_PER_CHANGE,
        help_text=_("Tags to add (trimmed, lower-cased; at most 50 characters, no commas)."),
    )
    remove = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        max_length=MAX_PER_CHANGE,
    )

    def validate(self, attrs):
        if not attrs["add"] and not attrs["remove"]:
            raise serializers.ValidationError(
                {"add": [_("Name at least one tag to add or to remove.")]}
            )
        return attrs


@extend_schema_view(post=_action_schema("tags", TagsInput))
class TicketTagsApi(TicketActionApi):
    """Add and remove tags. Adding one the ticket has, or removing one it lacks, changes
    nothing; a real change is one `tagged` event."""

    InputSerializer = TagsInput
    service = change_tags


@extend_schema_view(post=_action_schema("pending", VersionInput))
class TicketPendingApi(TicketActionApi):
    """Open → pending: waiting on the customer."""

    service = set_pending


@extend_schema_view(post=_action_schema("resume", VersionInput))
class TicketResumeApi(TicketActionApi):
    """Pending → open without waiting for the customer."""

    service = resume_ticket


@extend_schema_view(post=_action_schema("resolve", ResolveInput))
class TicketResolveApi(TicketActionApi):
    """Open or pending → resolved, with how it was resolved. Starts the customer survey."""

    InputSerializer = ResolveInput
    service = resolve_ticket


@extend_schema_view(post=_action_schema("reopen", ReopenInput))
class TicketReopenApi(TicketActionApi):
    """Resolved → open."""

    InputSerializer = ReopenInput
    service = reopen_ticket


@extend_schema_view(post=_action_schema("close", VersionInput))
class TicketCloseApi(TicketActionApi):
    """Resolved → closed. Closed is final."""

    service = close_ticket


class MergeInput(VersionInput):
    into = serializers.IntegerField(
        min_value=1, help_text=_("The id of the ticket that carries on the conversation.")
    )
    confirm_other_customer = serializers.BooleanField(
        default=False,
        help_text=_("Required when `into` belongs to another customer, who will see this one."),
    )
    notify_customer = serializers.BooleanField(
        default=False, help_text=_("E-mail the customer that their case continues in `into`.")
    )


class TicketMergeApi(StaffApi):
    """Merge this ticket (a duplicate) into `into`: its messages, notes, files and e-mail
    thread move there and it ends `merged`. Answers with the ticket that carries on."""

    @extend_schema(
        operation_id="tickets_merge",
        request=MergeInput,
        responses={200: TicketOutput, **_ACTION_ERRORS},
    )
    def post(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        serializer = MergeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = tickets_visible_to(request.user).filter(pk=data["into"]).first()
        if target is None:
            raise serializers.ValidationError({"into": [_("No ticket you can see has this id.")]})
        target = merge_tickets(
            source=ticket,
            target=target,
            by=request.user,
            expected_version=data.get("version"),
            other_customer_confirmed=data["confirm_other_customer"],
            notify_customer=data["notify_customer"],
        )
        return _ticket_response(target)


_PUBLIC_HELP = _("False writes an internal note the customer never sees.")


class FormBooleanField(serializers.BooleanField):
    """A boolean in a multipart form: left out, it takes its default (DRF alone reads a
    missing checkbox as false — an omitted `public` would have written a note)."""

    default_empty_html = serializers.empty


class ReplyUploadInput(serializers.Serializer):
    """A reply or note with files, as multipart/form-data: the JSON body's fields as form
    values, and `files` once per file."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_("The ticket version the client saw (409 if it changed since)."),
    )
    body = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    public = FormBooleanField(default=True, help_text=_PUBLIC_HELP)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        default=list,
        help_text=_(
            "The files to attach: a public reply's are e-mailed to the customer and shown on "
            "their case page, a note's never leave the desk. Limits: docs/operating.md."
        ),
    )


class TicketReplyListCreateApi(StaffApi):
    """The ticket's messages, oldest first, internal notes included (`public: false`), each
    with its files. POST writes a public reply or, with `public: false`, an internal note: a
    JSON body, or multipart/form-data to attach files."""

    parser_classes = [JSONParser, MultiPartParser]

    class InputSerializer(VersionInput):
        body = serializers.CharField(max_length=TEXT_MAX_LENGTH)
        public = serializers.BooleanField(default=True, help_text=_PUBLIC_HELP)

        def to_internal_value(self, data):
            if isinstance(data, Mapping) and ATTACHMENTS_FIELD in data:
                raise serializers.ValidationError(
                    {ATTACHMENTS_FIELD: [_("Send files as multipart/form-data, not in JSON.")]}
                )
            return super().to_internal_value(data)

    @extend_schema(
        operation_id="tickets_replies_list",
        responses={200: ReplyOutput(many=True), **error_responses(404)},
    )
    def get(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        replies = ticket.replies.select_related("author").prefetch_related("attachments")
        return Response(ReplyOutput(replies, many=True).data)

    @extend_schema(
        operation_id="tickets_replies_create",
        request={"application/json": InputSerializer, "multipart/form-data": ReplyUploadInput},
        responses={201: ReplyOutput, **_ACTION_ERRORS},
    )
    def post(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        # Only the multipart parser gives a QueryDict; JSON (and an empty body) a dict.
        multipart = isinstance(request.data, QueryDict)
        input_class = ReplyUploadInput if multipart else self.InputSerializer
        serializer = input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reply = add_reply(
            ticket=ticket,
            by=request.user,
            body=data["body"],
            public=data["public"],
            files=data.get(ATTACHMENTS_FIELD, []),
            expected_version=data.get("version"),
        )
        return Response(ReplyOutput(reply).data, status=status.HTTP_201_CREATED)


class TicketEventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    actor = UserRefOutput(
        allow_null=True, help_text=_("Null when the customer or the system acted.")
    )
    data = serializers.JSONField(  # type: ignore[assignment]  # a field: DRF's metaclass keeps Serializer.data
        help_text=_("The facts of the change; keys depend on the kind.")
    )
    at = serializers.DateTimeField()


class TicketEventListApi(StaffApi):
    """The ticket's timeline, oldest first: one event per change."""

    @extend_schema(
        operation_id="tickets_events_list",
        responses={200: TicketEventOutput(many=True), **error_responses(404)},
    )
    def get(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        events = ticket.events.select_related("actor")
        return Response(TicketEventOutput(events, many=True).data)


class TicketAttachmentListApi(StaffApi):
    """The ticket's files, oldest first: those customers sent with their e-mails and those
    agents attached to replies and notes (`reply` says which message)."""

    @extend_schema(
        operation_id="tickets_attachments_list",
        responses={200: AttachmentOutput(many=True), **error_responses(404)},
    )
    def get(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        return Response(AttachmentOutput(ticket.attachments.all(), many=True).data)


class TicketAttachmentApi(StaffApi):
    """One file, as a download (`application/octet-stream`) unless it is a PNG, JPEG, GIF
    or WebP image whose bytes say so."""

    @extend_schema(
        operation_id="tickets_attachments_download",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **error_responses(404)},
    )
    def get(self, request, id: int, attachment_id: int):
        ticket = get_visible_ticket(request.user, id)
        return attachment_response(attachment_of(ticket, attachment_id))


class RelatedTicketOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The relation's id (to remove it)."))
    ticket = serializers.IntegerField(help_text=_("The related ticket's id."))
    reference = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


def _related_rows(ticket: Ticket, user: User) -> dict:
    shown, hidden = related_tickets(ticket, user)
    rows = [
        {
            "id": relation.pk,
            "ticket": other.pk,
            "reference": other.reference,
            "subject": other.subject,
            "status": other.status,
            "note": relation.note,
            "created_at": relation.created_at,
        }
        for relation, other in shown
    ]
    return {"results": RelatedTicketOutput(rows, many=True).data, "not_visible": hidden}


class RelatedTicketsOutput(serializers.Serializer):
    results = RelatedTicketOutput(many=True)
    not_visible = serializers.IntegerField(
        help_text=_("How many more related tickets the caller may not see.")
    )


class TicketRelatedApi(StaffApi):
    """Tickets related to this one (both ways); POST relates another, with a note."""

    class InputSerializer(StrictInputSerializer):
        ticket = serializers.IntegerField(min_value=1, help_text=_("The other ticket's id."))
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    @extend_schema(
        operation_id="tickets_related_list",
        responses={200: RelatedTicketsOutput, **error_responses(404)},
    )
    def get(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        return Response(_related_rows(ticket, request.user))

    @extend_schema(
        operation_id="tickets_related_create",
        request=InputSerializer,
        responses={201: RelatedTicketsOutput, **error_responses(400, 404)},
    )
    def post(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        other = tickets_visible_to(request.user).filter(pk=serializer.validated_data["ticket"])
        if not other.exists():
            raise serializers.ValidationError({"ticket": [_("No ticket you can see has this id.")]})
        relate_tickets(
            ticket=ticket,
            other=other.get(),
            by=request.user,
            note=serializer.validated_data["note"],
        )
        return Response(_related_rows(ticket, request.user), status=status.HTTP_201_CREATED)


class TicketRelationApi(StaffApi):
    """One relation of this ticket: DELETE removes it from both tickets."""

    @extend_schema(
        operation_id="tickets_related_delete",
        responses={204: None, **error_responses(403, 404)},
    )
    def delete(self, request, id: int, relation_id: int):
        ticket = get_visible_ticket(request.user, id)
        relation = get_object_or_404(
            TicketRelation.objects.filter(Q(first=ticket) | Q(second=ticket)), pk=relation_id
        )
        unrelate_tickets(relation=relation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- bulk work --------------------------------------------------------------------------------


class BulkTicketInput(StrictInputSerializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text=_("The version you saw: a ticket changed since then is refused."),
    )


class BulkInput(StrictInputSerializer):
    action = serializers.ChoiceField(choices=BulkAction.ALL)
    tickets: "serializers.ListSerializer[Any]" = serializers.ListSerializer(
        child=BulkTicketInput(), max_length=BULK_MAX, min_length=1
    )
    assignee = IdField(queryset=User.objects.all(), required=False, allow_null=True)
    team = IdField(queryset=Team.objects.all(), required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = IdField(queryset=Category.objects.all(), required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        max_length=MAX_PER_CHANGE,
    )
    macro = IdField(queryset=Macro.objects.all(), required=False)
    resolution = serializers.CharField(required=False, max_length=TEXT_MAX_LENGTH)
    into = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    notify_customer = serializers.BooleanField(default=False)

    # What each action needs: {action: (field, message)}.
    REQUIRED: ClassVar[dict[str, tuple[str, Any]]] = {
        BulkAction.ASSIGN: ("assignee", _("Name the agent, or null to unassign.")),
        BulkAction.TEAM: ("team", _("Name the team.")),
        BulkAction.PRIORITY: ("priority", _("Name the priority.")),
        BulkAction.CATEGORY: ("category", _("Name the category, or null.")),
        BulkAction.MACRO: ("macro", _("Name the macro.")),
        BulkAction.RESOLVE: ("resolution", _("Say how they were resolved.")),
        BulkAction.MERGE: ("into", _("Name the ticket the others merge into.")),
    }

    def validate(self, attrs):
        action = attrs["action"]
        if action in (BulkAction.ADD_TAGS, BulkAction.REMOVE_TAGS) and not attrs["tags"]:
            raise serializers.ValidationError({"tags": [_("Name at least one tag.")]})
        needed = self.REQUIRED.get(action)
        if needed is not None and needed[0] not in attrs:
            raise serializers.ValidationError({needed[0]: [str(needed[1])]})
        if action == BulkAction.RESOLVE and not attrs["resolution"].strip():
            raise serializers.ValidationError({"resolution": [_("Say how they were resolved.")]})
        return attrs


class BulkOutcomeOutput(serializers.Serializer):
    id = serializers.IntegerField(source="ticket_id")
    reference = serializers.CharField()
    done = serializers.BooleanField()
    reason = serializers.CharField(help_text=_("Why it was refused (empty when done)."))


class BulkResultOutput(serializers.Serializer):
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BulkOutcomeOutput(many=True)


class TicketBulkApi(StaffApi):
    """One action over up to 100 tickets, each in its own transaction with its version:
    assign, team, priority, category, add_tags, remove_tags, macro, resolve or merge. Always
    answers with every ticket's outcome — a refused one is unchanged, with the reason."""

    @extend_schema(
        operation_id="tickets_bulk",
        request=BulkInput,
        responses={200: BulkResultOutput, **error_responses(400, 403)},
    )
    def post(self, request):
        serializer = BulkInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        into = None
        if data["action"] == BulkAction.MERGE:
            into = tickets_visible_to(request.user).filter(pk=data["into"]).first()
            if into is None:
                message = _("No ticket you can see has this id.")
                raise serializers.ValidationError({"into": [message]})
        versions: dict[int, int | None] = {}
        for row in data["tickets"]:
            versions.setdefault(row["id"], row.get("version"))
        outcomes = run_bulk(
            action=data["action"],
            by=request.user,
            versions=versions,
            params=BulkParams(
                assignee=data.get("assignee"),
                team=data.get("team"),
                priority=data.get("priority", ""),
                category=data.get("category"),
                tags=list(data["tags"]),
                macro=data.get("macro"),
                resolution=data.get("resolution", ""),
                into=into,
                notify_customer=data["notify_customer"],
            ),
        )
        done = sum(1 for outcome in outcomes if outcome.done)
        body = {"done": done, "refused": len(outcomes) - done, "results": outcomes}
        return Response(BulkResultOutput(body).data)


# --- followers --------------------------------------------------------------------------------


class FollowerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    customer = serializers.IntegerField(
        source="customer_id", allow_null=True, help_text=_("The customer with this address.")
    )
    added_by = serializers.IntegerField(
        source="added_by_id", allow_null=True, help_text=_("Null: from the e-mail's Cc.")
    )
    added_at = serializers.DateTimeField()


class TicketFollowersApi(StaffApi):
    """Who is in copy of the ticket's public replies; POST adds someone by e-mail."""

    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField(max_length=254)
        name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)

    @extend_schema(
        operation_id="tickets_followers_list",
        responses={200: FollowerOutput(many=True), **error_responses(404)},
    )
    def get(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        return Response(FollowerOutput(ticket.followers.all(), many=True).data)

    @extend_schema(
        operation_id="tickets_followers_create",
        request=InputSerializer,
        responses={201: FollowerOutput(many=True), **error_responses(400, 404, 409)},
    )
    def post(self, request, id: int):
        ticket = get_visible_ticket(request.user, id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        add_follower(ticket=ticket, by=request.user, **serializer.validated_data)
        followers = ticket.followers.all()
        return Response(FollowerOutput(followers, many=True).data, status=status.HTTP_201_CREATED)


class TicketFollowerApi(StaffApi):
    """One follower of this ticket: DELETE takes them off the copy."""

    @extend_schema(
        operation_id="tickets_followers_delete",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, id: int, follower_id: int):
        ticket = get_visible_ticket(request.user, id)
        follower = get_object_or_404(ticket.followers, pk=follower_id)
        remove_follower(follower=follower, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
