"""A customer's experience, or an organisation's across its contacts (the customer page's
"360", issue 15): their own KPIs — tickets, median first response time, CSAT % with its
sample, NPS and the group of their latest answer, CES — the latest survey answers, open
follow-ups and churn state, from `metrics.experience`.

Served here because `cases.api` never imports metrics: `/api/v1/customers/{id}/` points to
it. The customer API's rules: anyone with a role reads any customer or organisation (404
for an unknown id); the figures count only the tickets and answers the caller may see (an
agent: their teams' and their own; follow-ups are managers' work)."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import StaffApi, error_responses
from cases.selectors import customers_visible_to, organisations_visible_to

from ..experience import ANSWERS_SHOWN, FOLLOW_UPS_SHOWN, customer_experience, organisation_contacts

SCOPE = _(
    "Over the whole history, counting only the tickets and survey answers the caller may see."
)


class ExperienceFrtOutput(serializers.Serializer[Any]):
    mean = serializers.IntegerField(allow_null=True, help_text=_("Seconds; null over nothing."))
    median = serializers.IntegerField(
        allow_null=True,
        help_text=_("Seconds, interpolated as percentile_cont does; null over nothing."),
    )
    p90 = serializers.IntegerField(allow_null=True, help_text=_("Seconds; null over nothing."))
    count = serializers.IntegerField(help_text=_("Tickets with a first public reply."))


class ExperienceAnswerOutput(serializers.Serializer[Any]):
    answered_at = serializers.DateTimeField()
    ticket = serializers.IntegerField(help_text=_("The ticket's id."))
    reference = serializers.CharField()
    csat = serializers.IntegerField(allow_null=True, help_text=_("1–5, or null."))
    ces = serializers.IntegerField(allow_null=True, help_text=_("1–7, or null."))
    nps = serializers.IntegerField(allow_null=True, help_text=_("0–10, or null."))


class ExperienceFollowUpOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(help_text=_("The ticket's id."))
    reference = serializers.CharField()
    status = serializers.CharField(help_text=_("open or contacted."))
    created_at = serializers.DateTimeField()
    owner = serializers.CharField(allow_null=True)


class ExperienceChurnOutput(serializers.Serializer[Any]):
    customers = serializers.IntegerField(
        help_text=_("1 for a customer; an organisation's contacts.")
    )
    active = serializers.IntegerField(help_text=_("Not churned as of today (TIME_ZONE)."))
    churned = serializers.IntegerField(help_text=_("Churned on or before today."))
    active_since = serializers.DateField(
        allow_null=True, help_text=_("The earliest `active_since`.")
    )
    churned_at = serializers.DateField(
        allow_null=True, help_text=_("The earliest churn date, if any churned.")
    )


class ExperienceOutput(serializers.Serializer[Any]):
    tickets = serializers.IntegerField(help_text=_("Tickets, merged ones left out (docs/kpis.md)."))
    open_tickets = serializers.IntegerField(help_text=_("New, open or pending."))
    frt = ExperienceFrtOutput(
        help_text=_("First response time: first public agent reply − created (docs/kpis.md).")
    )
    awaiting_first_response = serializers.IntegerField()
    csat_percent = serializers.FloatField(
        allow_null=True, help_text=_("100 × answers of 4 or 5 / CSAT answers; null without any.")
    )
    csat_responses = serializers.IntegerField(
        help_text=_("The CSAT percentage is read from this many.")
    )
    ces_average = serializers.FloatField(allow_null=True)
    ces_responses = serializers.IntegerField()
    nps = serializers.FloatField(
        allow_null=True, help_text=_("%promoters − %detractors, −100 … 100; null without any.")
    )
    nps_responses = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    last_nps_group = serializers.ChoiceField(
        choices=["detractor", "passive", "promoter"],
        allow_null=True,
        help_text=_(
            "The group of the latest NPS answer: detractor 0–6, passive 7–8, promoter 9–10."
        ),
    )
    last_nps = serializers.IntegerField(allow_null=True)
    last_nps_at = serializers.DateTimeField(allow_null=True)
    answers_total = serializers.IntegerField(help_text=_("Every survey answer."))
    answers = ExperienceAnswerOutput(
        many=True,
        help_text=format_lazy(_("The latest {shown} answers, newest first."), shown=ANSWERS_SHOWN),
    )
    open_follow_ups = serializers.IntegerField(help_text=_("Managers and admins; 0 for agents."))
    follow_ups = ExperienceFollowUpOutput(
        many=True,
        help_text=format_lazy(_("The latest {shown} open follow-ups."), shown=FOLLOW_UPS_SHOWN),
    )
    churn = ExperienceChurnOutput()


class CustomerExperienceApi(StaffApi):
    """One customer's experience."""

    @extend_schema(
        operation_id="metrics_customer_experience",
        responses={200: ExperienceOutput, **error_responses(404)},
        description=format_lazy(
            "{} {}",
            _(
                "A customer's experience: tickets, median first response time, CSAT % with its "
                "sample, NPS and their latest NPS group, CES, the latest survey answers, open "
                "follow-ups and whether they are still a customer."
            ),
            SCOPE,
        ),
    )
    def get(self, request: Request, id: int) -> Response:
        customer = get_object_or_404(customers_visible_to(request.user), pk=id)
        experience = customer_experience([customer.pk], request.user)  # type: ignore[arg-type]  # IsStaff: a signed-in person with a role
        return Response(ExperienceOutput(experience).data)


class OrganisationExperienceApi(StaffApi):
    """An organisation's experience across its contacts."""

    @extend_schema(
        operation_id="metrics_organisation_experience",
        responses={200: ExperienceOutput, **error_responses(404)},
        description=format_lazy(
            "{} {}",
            _(
                "The experience of an organisation's contacts together: the same figures as a "
                "customer's, and how many contacts are active or churned."
            ),
            SCOPE,
        ),
    )
    def get(self, request: Request, id: int) -> Response:
        organisation = get_object_or_404(organisations_visible_to(request.user), pk=id)
        experience = customer_experience(organisation_contacts(organisation.pk), request.user)  # type: ignore[arg-type]  # IsStaff: a signed-in person with a role
        return Response(ExperienceOutput(experience).data)
