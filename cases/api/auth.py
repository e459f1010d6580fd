"""Tokens and the caller: log in for a token, log out (revoke it), and who am I."""

from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from knox.views import LogoutAllView, LogoutView
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from ..errors import ValidationError
from .common import JSON_ONLY, PulsoAutoSchema, StaffApi, error_responses


class TeamRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.IntegerField()


class TokenCreateApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    Open to anonymous callers and throttled (scope `auth`). Only people with a role
    (agent, manager, admin) get a token."""

    # No authentication: a stale session or token must not stand in for the credentials.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = JSON_ONLY
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    schema = PulsoAutoSchema()

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expiry = serializers.DateTimeField(
            allow_null=True, help_text=_("When the token stops working; null: never.")
        )

    @extend_schema(
        operation_id="auth_token_create",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 403, 429, authenticated=False)},
        auth=[],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            raise ValidationError(_("Unable to log in with the username and password given."))
        if user.role is None:
            raise PermissionDenied(
                _("Your account has no role in Pulso yet. Ask an administrator for one.")
            )
        instance, token = AuthToken.objects.create(user, expiry=knox_settings.TOKEN_TTL)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        data = {"token": token, "expiry": instance.expiry}
        return Response(self.OutputSerializer(data).data, status=status.HTTP_200_OK)


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
        email = serializers.EmailField()
        role = serializers.CharField()
        language = serializers.CharField()
        teams = TeamRefOutput(many=True, source="teams.all")

    @extend_schema(
        operation_id="me_retrieve", responses={200: OutputSerializer, **error_responses()}
    )
    def get(self, request):
        return Response(self.OutputSerializer(request.user).data)
