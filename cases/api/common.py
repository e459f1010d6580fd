"""Pieces every API view shares: who may call it, how ids in bodies are parsed, how lists are
paginated, and how error bodies are documented in the OpenAPI schema."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

# Larger ids cannot exist in any of our tables (64-bit primary keys); refusing them early keeps
# a huge number in a body a 400 on every database.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1


class IsStaff(BasePermission):
    """Agents, managers and admins. A logged-in user without a role gets 403, an anonymous
    caller 401 (DRF answers 401 when no authenticator recognised the request)."""

    message = _("Only agents, managers and admins can use the Pulso API.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role is not None)


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class PulsoAutoSchema(AutoSchema):
    """Names schema components after the view that owns them.

    Input and output serializers live inside their view (`TicketAssignApi.InputSerializer`),
    so their class names repeat; the component is named after the view instead
    (`TicketAssign`, `TicketAssignRequest` with COMPONENT_SPLIT_REQUEST). Module-level
    serializers lose their `Output` / `Input` suffix (`TicketOutput` → `Ticket`)."""

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
JSON_ONLY = [JSONParser]


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


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not declare instead of silently dropping them, so that a client
    sending `status` or `level` learns that those change through the actions.

    `unknown_field_hints` maps a refused key to the message explaining where it changes."""

    unknown_field_hints: Mapping[str, str] = {}

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


class VersionInput(serializers.Serializer):
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
    429: OpenApiResponse(DetailOutput, description=_("Too many requests.")),
}


def error_responses(*codes: int, authenticated: bool = True) -> dict:
    """The documented error responses for `codes`, plus 401 and 403 for views that need a
    role."""
    wanted = {*codes, 401, 403} if authenticated else set(codes)
    return {code: _ERRORS[code] for code in sorted(wanted)}
