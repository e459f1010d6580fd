"""The filters of the responses list, shared by the web page, its CSV export and the API."""

from datetime import date, datetime, time

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Category, Channel, Priority, Team
from cases.selectors import staff_users

from .models import SurveyResponse

SCORE_GROUPS = {
    "promoter": Q(nps__gte=9),
    "passive": Q(nps__in=[7, 8]),
    "detractor": Q(nps__lte=6),
    "satisfied": Q(csat__gte=4),
    "unhappy": Q(csat__lte=2),
    "commented": ~Q(comment=""),
}


def day_start(day: date) -> datetime:
    """The moment `day` starts in TIME_ZONE (its first moment, where midnight is skipped)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class ResponseFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), label=_("Team"), field_name="team"
    )
    agent = django_filters.ModelChoiceFilter(
        queryset=staff_users(), label=_("Agent"), field_name="agent"
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, field_name="ticket__channel", label=_("Channel")
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), field_name="ticket__category", label=_("Category")
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, field_name="ticket__priority", label=_("Priority")
    )
    csat = django_filters.NumberFilter(field_name="csat", label=_("CSAT score"))
    ces = django_filters.NumberFilter(field_name="ces", label=_("CES score"))
    nps = django_filters.NumberFilter(field_name="nps", label=_("NPS score"))
    group = django_filters.ChoiceFilter(
        label=_("Group"),
        method="filter_group",
        choices=[
            ("promoter", _("NPS promoters (9–10)")),
            ("passive", _("NPS passives (7–8)")),
            ("detractor", _("NPS detractors (0–6)")),
            ("satisfied", _("CSAT satisfied (4–5)")),
            ("unhappy", _("CSAT unhappy (1–2)")),
            ("commented", _("With a comment")),
        ],
    )
    # A day in TIME_ZONE, compared as the moment it starts: `answered_at >= <that midnight>`
    # reads the answered_at index, where `answered_at::date >= <day>` would convert every
    # row's moment before comparing.
    answered_after = django_filters.DateFilter(
        field_name="answered_at", method="filter_answered_after", label=_("Answered from")
    )
    answered_before = django_filters.DateFilter(
        field_name="answered_at", method="filter_answered_before", label=_("Answered before")
    )

    class Meta:
        model = SurveyResponse
        fields: list[str] = []

    def filter_answered_after(self, queryset, name, value):
        return queryset.filter(answered_at__gte=day_start(value))

    def filter_answered_before(self, queryset, name, value):
        return queryset.filter(answered_at__lt=day_start(value))

    def filter_group(self, queryset, name, value):
        return queryset.filter(SCORE_GROUPS[value]) if value in SCORE_GROUPS else queryset
