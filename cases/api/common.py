"""Pieces every API view shares: who may call it, how bodies, ids and moments are parsed, how
lists are paginated, what OPTIONS says, and how error bodies are documented in the OpenAPI
schema."""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import django_filters
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import Direction, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.utils.humanize_datetime import date_formats, datetime_formats
from rest_framework.views import APIView

from ..forms_portal import DESCRIPTION_MAX, REPLY_MAX
from .pagination import PagePagination

# Larger ids cannot exist in any of our tables (64-bit primary keys); refusing them early keeps
# a huge number in a body a 400 on every database.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
# Free text has the customer portal's limits (a ticket's description, a message); a request
# body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before any of it is parsed.
DESCRIPTION_MAX_LENGTH = DESCRIPTION_MAX
TEXT_MAX_LENGTH = REPLY_MAX
SEARCH_MAX_LENGTH = 200  # as the web search forms


class ApiFilterSet(django_filters.FilterSet):
    """The filters of an API list. An empty value is refused, except for text: `?team=` is
    not a team (the schema says an integer), where django-filter would drop the filter and
    answer with the whole list."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or name not in self.data:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]]
            if all(value == "" for value in values):
                self.form.add_error(name, _("Give a value or leave the parameter out."))
                valid = False
        return valid


class IsStaff(BasePermission):
    """Agents, managers and admins. A logged-in user without a role gets 403, an anonymous
    caller 401 (DRF answers 401 when no authenticator recognised the request)."""

    message = _("Only agents, managers and admins can use the Pulso API.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role is not None)


class PulsoAutoSchema(AutoSchema):
    """Names schema components after the view that owns them, and documents the errors every
    operation of a kind can answer.

    Input and output serializers live inside their view (`TicketAssignApi.InputSerializer`),
    so their class names repeat; the component is named after the view instead
    (`TicketAssign`, `TicketAssignRequest` with COMPONENT_SPLIT_REQUEST). Module-level
    serializers lose their `Output` / `Input` suffix (`TicketOutput` → `Ticket`).

    Whatever a view declares, an operation with a body may also answer 400 (invalid), 413 (too
    large) and 415 (not JSON, where only JSON is parsed); a paginated list 400 (a bad
    `page_size`) and 404 (no such page)."""

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        # Here and not in get_response_serializers(): @extend_schema replaces that method.
        responses = super()._get_response_bodies(direction)
        declared = self.get_response_serializers()
        extra: dict[int, OpenApiResponse] = {}
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            extra |= {400: _ERRORS[400], 413: _ERRORS[413]}
            if "*/*" not in self.map_parsers():
                extra[415] = _ERRORS[415]
        if self._is_list_view(declared) and self._get_paginator() is not None:
            extra |= {400: _ERRORS[400], 404: _NO_SUCH_PAGE}
        for code, response in sorted(extra.items()):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    response, str(code), direction=direction
                )
        return dict(sorted(responses.items()))

    def get_serializer_name(self, serializer, direction):
        qualname = type(serializer).__qualname__
        if "." in qualname:
            return qualname.rsplit(".", 1)[0].replace(".", "").removesuffix("Api")
        name = super().get_serializer_name(serializer, direction)
        for suffix in ("Output", "Input"):
            if name.endswith(suffix) and name != suffix:
                return name.removesuffix(suffix)
        return name


# The API speaks JSON only: nested bodies (a ticket's customer) have no form encoding.
JSON_ONLY: list[type[BaseParser]] = [JSONParser]


class StaffApi(APIView):
    """Base of every API view that needs a role. Endpoints open to others say so themselves."""

    permission_classes = [IsStaff]
    parser_classes = JSON_ONLY
    schema = PulsoAutoSchema()


class StaffListApi(GenericAPIView):
    """Base of the list endpoints: django-filter filtering (`filterset_class`) and page-number
    pagination over `get_queryset()`, which calls a selector."""

    permission_classes = [IsStaff]
    parser_classes = JSON_ONLY
    pagination_class = PagePagination
    schema = PulsoAutoSchema()


class OptionalEmailField(serializers.EmailField):
    """An e-mail address that may be empty (customers reached only by phone, people without
    one). Blank is allowed, so the schema says "an e-mail address or empty"
    (drf-spectacular's oneOf) where a plain EmailField would promise `format: email`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


class IdField(serializers.PrimaryKeyRelatedField):
    """An id in a request body: an integer that must name an existing row (400 otherwise).

    The integer check comes first so that `1.5`, `"abc"` or `true` are refused instead of
    being coerced by the database lookup, and numbers beyond 64 bits never reach it."""

    default_error_messages = {
        "does_not_exist": _("There is no object with id {pk_value}."),
        "incorrect_type": _("An integer id is required, not {data_type}."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField())
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        # DRF turns "" into null for related fields (an HTML form habit): "" is not an id.
        if data == "":
            self.fail("incorrect_type", data_type="str")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        value = self.pk_field.to_internal_value(data)
        if not 1 <= value <= MAX_ID:
            self.fail("does_not_exist", pk_value=value)
        queryset = self.get_queryset()
        try:
            return queryset.get(pk=value)
        except queryset.model.DoesNotExist:
            self.fail("does_not_exist", pk_value=value)


class IdSchema(OpenApiSerializerFieldExtension):
    """Ids are whole numbers from 1 (the schema says so; 0 and negatives are refused)."""

    target_class = IdField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "type": "integer", "minimum": 1, "maximum": MAX_ID}


def _json_type_error(field: serializers.Field, value: object) -> str | Promise | None:
    """Why `value` does not have the JSON type `field` documents, or None if it has it."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    is_whole = is_number and (
        isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    )
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else field.error_messages["invalid"]
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return field.error_messages["incorrect_type"].format(data_type=type(value).__name__)
    if isinstance(field, serializers.IntegerField):
        return None if is_whole else field.error_messages["invalid"]
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return None if is_number else field.error_messages["invalid"]
    if isinstance(field, serializers.MultipleChoiceField | serializers.ListField):
        return (
            None
            if isinstance(value, list)
            else field.error_messages["not_a_list"].format(input_type=type(value).__name__)
        )
    if isinstance(field, serializers.ChoiceField):
        key_types = {type(key) for key in field.choices}
        if key_types <= {str} and not isinstance(value, str):
            return field.error_messages["invalid_choice"].format(input=value)
        return None
    if isinstance(field, serializers.DateTimeField | serializers.DateField):
        if isinstance(value, str):
            return None
        if isinstance(field, serializers.DateTimeField):
            formats = datetime_formats(field.input_formats or ["iso-8601"])
        else:
            formats = date_formats(field.input_formats or ["iso-8601"])
        return field.error_messages["invalid"].format(format=formats)
    if isinstance(field, serializers.CharField):
        if not isinstance(value, str):
            return field.error_messages["invalid"]
        if _SURROGATE.search(value):
            return str(_("The text is not valid Unicode."))
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonInput(serializers.Serializer):
    """A JSON request body whose values must already have the JSON type the schema gives
    them. DRF alone coerces (`0` becomes the text "0", `"yes"` true, `"12"` the id 12), which
    the OpenAPI schema does not promise and which hides a client's mistakes; text that no
    database can store (lone UTF-16 surrogates) is refused here too."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data or data[name] is None:
                    continue
                message = _json_type_error(field, data[name])
                if message:
                    errors[name] = [str(message)]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictInputSerializer(JsonInput):
    """Refuses keys it does not declare instead of silently dropping them, so that a client
    sending `status` or `level` learns that those change through the actions.

    `unknown_field_hints` maps a refused key to the message explaining where it changes."""

    unknown_field_hints: Mapping[str, str | Promise] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: [
                            str(self.unknown_field_hints.get(key, _("This field cannot be set.")))
                        ]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)


class VersionInput(JsonInput):
    """Every action body may say which version of the ticket the client acted on."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_(
            "The ticket version the client saw. If the ticket changed since, the request is "
            "refused with 409 and nothing is written."
        ),
    )


# --- moments: a date or a date and time --------------------------------------------------------

MOMENT_SCHEMA = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


# The offsets clocks use on Earth (UTC−12:00 to UTC+14:00): anything else is a typo, refused.
EARLIEST_OFFSET = timedelta(hours=-12)
LATEST_OFFSET = timedelta(hours=14)


def parse_moment(value: str) -> date | datetime:
    """An ISO 8601 date (`2026-03-01`) or date and time (`2026-03-01T14:30:00-05:00`, `…Z`; a
    time without an offset is in TIME_ZONE, made aware here) with an offset some clock uses
    (−12:00 to +14:00). Raises ValueError with the reason, translated."""
    invalid = gettext(
        "Enter a date (2026-03-01) or a date and time with its offset (2026-03-01T14:30:00-05:00)."
    )
    try:
        day = parse_date(value)
        moment = None if day is not None else parse_datetime(value)
    except ValueError:
        raise ValueError(invalid) from None
    if day is not None:
        moment = datetime.combine(day, datetime.min.time())
    if moment is None:
        raise ValueError(invalid)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    offset = moment.utcoffset()
    if offset is not None and not EARLIEST_OFFSET <= offset <= LATEST_OFFSET:
        raise ValueError(gettext("A time zone offset runs from -12:00 to +14:00."))
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(gettext("That moment is out of range.")) from None
    return day if day is not None else moment


def moment_start(value: date | datetime) -> datetime:
    """The instant a parsed moment names, in TIME_ZONE: a date is its midnight there."""
    zone = timezone.get_default_timezone()
    if isinstance(value, datetime):
        return value.astimezone(zone)
    return datetime.combine(value, datetime.min.time(), tzinfo=zone)


class MomentField(serializers.Field):
    """A query parameter that is a date or a date and time (`parse_moment`); the value is a
    `date` or an aware `datetime` in TIME_ZONE, so a caller can tell whole days apart."""

    default_error_messages = {"invalid": "{reason}"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", reason=gettext("A date or a date and time is required."))
        try:
            value = parse_moment(data)
        except ValueError as error:
            self.fail("invalid", reason=str(error))
        return value if not isinstance(value, datetime) else moment_start(value)

    def to_representation(self, value):
        return value.isoformat()


class MomentSchema(OpenApiSerializerFieldExtension):
    target_class = MomentField

    def map_serializer_field(self, auto_schema, direction):
        return dict(MOMENT_SCHEMA)


class UserRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


# --- documented error bodies ------------------------------------------------------------------

DetailOutput = inline_serializer("ErrorDetail", fields={"detail": serializers.CharField()})
ConflictOutput = inline_serializer(
    "ErrorConflict",
    fields={
        "detail": serializers.CharField(),
        "status": serializers.CharField(help_text=_("The ticket's current status.")),
    },
)

_ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=_("Invalid input: an object mapping each field to its error messages."),
    ),
    401: OpenApiResponse(DetailOutput, description=_("Not authenticated.")),
    403: OpenApiResponse(DetailOutput, description=_("The caller's role may not do this.")),
    404: OpenApiResponse(DetailOutput, description=_("No such object, or not visible to you.")),
    409: OpenApiResponse(
        ConflictOutput,
        description=_(
            "Refused by the lifecycle, or the ticket changed since `version`; nothing written."
        ),
    ),
    413: OpenApiResponse(DetailOutput, description=_("The request body is too large.")),
    415: OpenApiResponse(
        DetailOutput, description=_("The body is not JSON (send Content-Type: application/json).")
    ),
    429: OpenApiResponse(DetailOutput, description=_("Too many requests.")),
}
_NO_SUCH_PAGE = OpenApiResponse(DetailOutput, description=_("No such page."))


def error_responses(*codes: int, authenticated: bool = True) -> dict:
    """The documented error responses for `codes`, plus 401 and 403 for views that need a
    role."""
    wanted = {*codes, 401, 403} if authenticated else set(codes)
    return {code: _ERRORS[code] for code in sorted(wanted)}
