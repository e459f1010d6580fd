"""The public answer endpoint: other channels (an IVR, a chat widget) record the customer's
answer with the token of the survey link.

The token is the credential: no login and no session (hence no CSRF), and every request
counts against the client IP's budget (`settings.SURVEY_RATE`), so tokens cannot be guessed.
Which answers are acceptable is `services.clean_answer`'s to say; this view passes the scores
on as they came and maps the service's refusals to 404 / 409 / 410 / 400."""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.common import (
    JSON_ONLY,
    DetailOutput,
    PulsoAutoSchema,
    StrictInputSerializer,
    error_responses,
)

from ..errors import AlreadyAnswered, InvalidAnswer, InvitationNotFound, SurveyExpired
from ..forms import WORDING
from ..models import SCALES, InvitationStatus, Question, Source
from ..services import answer_survey, invitation_for_token
from ..views.answer import RATE_GROUP

COMMENT_MAX_LENGTH = 5000  # surveys.services.clean_answer's limit


class RawScoreField(serializers.Field):
    """A score exactly as the client sent it; null means "not answered". Whether it is a
    score — a whole number on the question's scale, of a question the survey asks — is
    `clean_answer`'s to say."""

    default_error_messages = {"invalid": _("That is not one of the scores.")}

    def to_internal_value(self, data):
        # The schema says a whole number: a text ("5", or 5000 digits int() would refuse) is
        # not one, here where the web form's text is (clean_answer takes both).
        if isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


def _score_input(question: Question) -> serializers.Field:
    low, high = SCALES[question]
    text, low_label, high_label = WORDING[question]

    @extend_schema_field({"type": "integer", "minimum": low, "maximum": high, "nullable": True})
    class ScoreField(RawScoreField):
        pass

    return ScoreField(
        required=False,
        allow_null=True,
        help_text=format_lazy(
            "{} {} = {}, {} = {}. {}",
            text,
            low,
            low_label,
            high,
            high_label,
            _("Null or absent: not answered."),
        ),
    )


class RecordedAnswerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(
        source="ticket.reference", help_text=_("The case the survey is about.")
    )
    csat = serializers.IntegerField(allow_null=True)
    ces = serializers.IntegerField(allow_null=True)
    nps = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]  # DRF moves a declared field off the class
    answered_at = serializers.DateTimeField()


_FIELD_OF = {"__all__": "non_field_errors"}


class SurveyAnswerApi(APIView):
    """Record the customer's answer to a survey, with the token of its link.

    Every question is optional but at least one must be answered; a survey is answered
    once. Open to anyone who holds the token; throttled per client IP (scope `survey`)."""

    authentication_classes = []  # the token is the credential: no session, no CSRF
    permission_classes = [AllowAny]
    parser_classes = JSON_ONLY
    throttle_classes = []  # django-ratelimit below: one budget shared with the survey page
    schema = PulsoAutoSchema()

    class InputSerializer(StrictInputSerializer):
        """The customer's answer: any of the survey's questions, and a comment."""

        csat = _score_input(Question.CSAT)
        ces = _score_input(Question.CES)
        nps = _score_input(Question.NPS)
        comment = serializers.CharField(
            required=False,
            allow_blank=True,
            allow_null=True,
            trim_whitespace=False,  # clean_answer trims and measures it
            max_length=COMMENT_MAX_LENGTH,  # the schema says so; clean_answer refuses more too
            help_text=_("Anything else the customer wants to say (at most 5000 characters)."),
        )

    @extend_schema(
        operation_id="surveys_answer",
        request=InputSerializer,
        responses={
            201: RecordedAnswerOutput,
            **error_responses(400, 404, 429, authenticated=False),
            409: OpenApiResponse(
                DetailOutput, description=_("The survey was already answered; nothing changed.")
            ),
            410: OpenApiResponse(DetailOutput, description=_("The survey has expired.")),
        },
        auth=[],
    )
    def post(self, request, token: str):
        # DRF's throttles count racily (docs/reliability.md); django-ratelimit increments the
        # cache atomically and shares the page's per-IP budget, so neither doubles it.
        if is_ratelimited(
            request._request,
            group=RATE_GROUP,
            key="ip",
            rate=lambda group, r: settings.SURVEY_RATE,
            increment=True,
        ):
            raise Throttled(wait=60)
        invitation = invitation_for_token(token)
        if invitation is None or invitation.status == InvitationStatus.CANCELLED:
            raise NotFound
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            response = answer_survey(
                invitation=invitation,
                source=Source.API,
                csat=data.get("csat"),
                ces=data.get("ces"),
                nps=data.get("nps"),
                comment=data.get("comment") or "",
            )
        except AlreadyAnswered as error:
            return Response({"detail": error.message}, status=status.HTTP_409_CONFLICT)
        except SurveyExpired as error:
            return Response({"detail": error.message}, status=status.HTTP_410_GONE)
        except InvitationNotFound:
            raise NotFound from None
        except InvalidAnswer as error:
            return Response(
                {_FIELD_OF.get(field, field): [message] for field, message in error.errors.items()},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(RecordedAnswerOutput(response).data, status=status.HTTP_201_CREATED)
