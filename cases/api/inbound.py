"""`POST /api/v1/inbound-email/`: a raw RFC 5322 message from a mail provider's webhook or a
relay, into the same service as the IMAP poller and the MTA pipe. Protected by the shared
secret INBOUND_EMAIL_SECRET (`Authorization: Bearer <secret>`, or HTTP Basic with the secret
as password for providers that only put credentials in the URL); off when it is empty.

The message is the request body (`Content-Type: message/rfc822`), or the file field `message`
/ the field `body-mime` of a multipart form. Every outcome the desk keeps is a success
(quarantine included: the message is kept and an admin sees why); a message over
INBOUND_EMAIL_MAX_BYTES is refused with 413 so the sender knows it was not kept.
"""

import base64
import binascii
import hmac

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException, MethodNotAllowed, NotFound, ParseError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import InboundOutcome
from ..services.inbound import ingest_email
from .common import PulsoAutoSchema, error_responses

SCHEME = "Bearer"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The message is larger than this desk accepts.")
    default_code = "too_large"


def _limit() -> int:
    return settings.INBOUND_EMAIL_MAX_BYTES


class RawMessageParser(BaseParser):
    """The body as bytes, read up to the limit (Django's in-memory limit for `request.body`
    is far below a message with attachments, so the stream is read directly)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return b""
        raw = stream.read(_limit() + 1)
        if len(raw) > _limit():
            raise PayloadTooLarge()
        return raw


class MessageMultiPartParser(MultiPartParser):
    media_type = "multipart/form-data"


def _presented_secret(header: str) -> str:
    scheme, _space, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


class InboundSecretAuthentication(BaseAuthentication):
    """The caller is the mail relay when it shows the shared secret. Compared in constant
    time; without the secret DRF answers 401 with `WWW-Authenticate`."""

    def authenticate(self, request):
        secret = settings.INBOUND_EMAIL_SECRET
        if not secret:
            raise NotFound(_("Inbound e-mail over HTTP is not enabled on this desk."))
        presented = _presented_secret(request.META.get("HTTP_AUTHORIZATION", ""))
        if presented and hmac.compare_digest(presented.encode(), secret.encode()):
            return AnonymousUser(), "inbound-relay"
        return None

    def authenticate_header(self, request):
        return f'{SCHEME} realm="inbound-email"'


class InboundSecretScheme(OpenApiAuthenticationExtension):
    target_class = InboundSecretAuthentication
    name = "inboundEmailSecret"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "INBOUND_EMAIL_SECRET (or HTTP Basic with it as the password).",
        }


class IsInboundRelay(BasePermission):
    message = _("Send the inbound e-mail secret as a Bearer token.")

    def has_permission(self, request, view) -> bool:
        return request.auth == "inbound-relay"


class InboundEmailApi(APIView):
    """Take in one raw e-mail: it opens a ticket, is added to one, is ignored as automatic
    mail, or is quarantined with the reason. Posting the same message again changes
    nothing (`outcome: duplicate`)."""

    authentication_classes = [InboundSecretAuthentication]
    permission_classes = [IsInboundRelay]
    parser_classes = [MessageMultiPartParser, RawMessageParser]
    schema = PulsoAutoSchema()

    class OutputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=[*InboundOutcome.values, "duplicate"])
        ticket = serializers.CharField(allow_null=True, help_text=_("The ticket's reference."))
        ticket_id = serializers.IntegerField(allow_null=True)
        reason = serializers.CharField(help_text=_("Why it was ignored or quarantined."))

    def initial(self, request, *args, **kwargs):
        # A wrong method is a 405 whoever asks, before any word about the secret.
        if request.method.lower() not in ("post", "options"):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="inbound_email",
        request={"message/rfc822": OpenApiTypes.BINARY, "multipart/form-data": inline_serializer(
            "InboundEmailForm", {"message": serializers.FileField()}
        )},
        responses={
            200: OutputSerializer,
            201: OutputSerializer,
            **error_responses(400, 401, 404, 413, authenticated=False),
        },
        examples=[OpenApiExample("created", {"outcome": "created", "ticket": "PUL-000042",
                                             "ticket_id": 42, "reason": ""},
                                 response_only=True, status_codes=["201"])],
    )  # fmt: skip
    def post(self, request):
        raw = self._raw_message(request)
        if not raw.strip():
            raise ParseError(_("The request carries no message."))
        result = ingest_email(raw)
        ticket = result.ticket
        body = {
            "outcome": result.outcome,
            "ticket": ticket.reference if ticket else None,
            "ticket_id": ticket.pk if ticket else None,
            "reason": result.record.reason,
        }
        created = result.outcome == InboundOutcome.CREATED
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @staticmethod
    def _raw_message(request) -> bytes:
        data = request.data
        if isinstance(data, bytes):
            return data
        upload = request.FILES.get("message")
        if upload is not None:
            if upload.size > _limit():
                raise PayloadTooLarge()
            return upload.read()
        text = data.get("body-mime") if hasattr(data, "get") else None
        if text:
            raw = text.encode("utf-8", errors="surrogateescape")
            if len(raw) > _limit():
                raise PayloadTooLarge()
            return raw
        raise ParseError(_("Send the message as the body, or as the form field “message”."))
