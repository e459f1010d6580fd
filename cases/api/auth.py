"""Tokens and the caller: log in for a token, refresh it, list and revoke your tokens, log
out (revoke the one in use), and who am I."""

from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.auth import TokenAuthentication
from knox.views import LogoutAllView, LogoutView
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import ValidationError
from ..login_guard import LoginAttempt
from ..selectors import API_TOKEN_ID_LENGTH, api_token_id, api_tokens_of
from ..services.api_tokens import issue_api_token, refresh_api_token, revoke_api_token
from .common import JSON_ONLY, OptionalEmailField, PulsoAutoSchema, StaffApi, error_responses


class TeamRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.IntegerField()


class IssuedTokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text=_("The secret: shown this once, stored only hashed."))
    expiry = serializers.DateTimeField(
        help_text=_("When the token stops working unless it is refreshed before.")
    )


class TokenCreateApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    Open to anonymous callers. Failed passwords are limited per account and client address,
    per account and per address, shared with the login page; a refused attempt is a 429 with
    `Retry-After` and its password is not checked. Only people with a role (agent, manager,
    admin) get a token; it expires after `API_TOKEN_TTL_DAYS` days."""

    # No authentication: a stale session or token must not stand in for the credentials.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = JSON_ONLY
    # The password budgets below count atomically before the check; DRF's throttles do not.
    throttle_classes = []
    schema = PulsoAutoSchema()

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_token_create",
        request=InputSerializer,
        responses={200: IssuedTokenOutput, **error_responses(400, 403, 429, authenticated=False)},
        auth=[],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credentials = serializer.validated_data
        attempt = LoginAttempt(request, credentials["username"])
        if not attempt.begin():
            raise Throttled(
                wait=attempt.retry_after,
                detail=gettext("Too many failed sign-ins. Try again later."),
            )
        password_wrong = False
        try:
            user = authenticate(request, **credentials)
            password_wrong = user is None
        finally:
            attempt.finish(password_wrong=password_wrong)
        if user is None:
            raise ValidationError(_("Unable to log in with the username and password given."))
        if user.role is None:
            raise PermissionDenied(
                _("Your account has no role in Pulso yet. Ask an administrator for one.")
            )
        instance, token = issue_api_token(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        data = {"token": token, "expiry": instance.expiry}
        return Response(IssuedTokenOutput(data).data, status=status.HTTP_200_OK)


class TokenRefreshApi(StaffApi):
    """Exchange the token this request is made with for a new one with a full lifetime; the
    old token stops working at once (token authentication only)."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(
        operation_id="auth_token_refresh",
        request=None,
        responses={200: IssuedTokenOutput, **error_responses()},
    )
    def post(self, request):
        instance, token = refresh_api_token(token=request.auth)
        data = {"token": token, "expiry": instance.expiry}
        return Response(IssuedTokenOutput(data).data, status=status.HTTP_200_OK)


TOKEN_ID_PARAMETER = OpenApiParameter(
    "token_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=_("The token's id, as listed by GET /api/v1/auth/tokens/."),
)


class TokenListApi(StaffApi):
    """The caller's API tokens that still work, newest first. The secrets are never shown
    again: each token is named by an id (the start of its stored hash)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(min_length=API_TOKEN_ID_LENGTH, max_length=API_TOKEN_ID_LENGTH)
        created = serializers.DateTimeField()
        expiry = serializers.DateTimeField(allow_null=True)
        current = serializers.BooleanField(
            help_text=_("True for the token this request was made with.")
        )

    @extend_schema(
        operation_id="auth_tokens_list",
        responses={200: OutputSerializer(many=True), **error_responses()},
    )
    def get(self, request):
        current = getattr(request.auth, "digest", None)
        rows = [
            {
                "id": api_token_id(token),
                "created": token.created,
                "expiry": token.expiry,
                "current": token.digest == current,
            }
            for token in api_tokens_of(request.user)
        ]
        return Response(self.OutputSerializer(rows, many=True).data)


class TokenDetailApi(StaffApi):
    """Revoke one of the caller's tokens (someone else's id is a 404, like a made-up one)."""

    @extend_schema(
        operation_id="auth_tokens_destroy",
        parameters=[TOKEN_ID_PARAMETER],
        request=None,
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, token_id: str):
        if not revoke_api_token(user=request.user, token_id=token_id):
            raise NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenLogoutApi(LogoutView):
    """Revoke the token this request was made with (token authentication only)."""

    schema = PulsoAutoSchema()

    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={204: None, **error_responses()},
    )
    def post(self, request, format=None):
        return super().post(request, format)


class TokenLogoutAllApi(LogoutAllView):
    """Revoke every token of the caller (token authentication only)."""

    schema = PulsoAutoSchema()

    @extend_schema(
        operation_id="auth_logout_all",
        request=None,
        responses={204: None, **error_responses()},
    )
    def post(self, request, format=None):
        return super().post(request, format)


class MeApi(StaffApi):
    """The caller: who they are, their role and their teams."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        name = serializers.CharField(source="display_name")
        email = OptionalEmailField()  # "" for people without one
        role = serializers.CharField()
        language = serializers.CharField()
        teams = TeamRefOutput(many=True, source="teams.all")

    @extend_schema(
        operation_id="me_retrieve", responses={200: OutputSerializer, **error_responses()}
    )
    def get(self, request):
        return Response(self.OutputSerializer(request.user).data)
