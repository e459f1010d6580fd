"""The filters of the responses list, shared by the web page, its CSV export and the API."""

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.filters import (
    DrillDown,
    IdFilter,
    MomentFilter,
    StaffFilter,
    TagsFilter,
    TagsInput,
    drill_down_of,
    period_text,
)
from cases.models import Category, Channel, Priority, Team, Ticket
from cases.selectors import staff_users, tagged

from .models import SurveyResponse

SCORE_GROUPS = {
    "promoter": Q(nps__gte=9),
    "passive": Q(nps__in=[7, 8]),
    "detractor": Q(nps__lte=6),
    "satisfied": Q(csat__gte=4),
    "unhappy": Q(csat__lte=2),
    "easy": Q(ces__gte=5),
    "commented": ~Q(comment=""),
}

# --- drill-down filters: the answers behind a dashboard figure -------------------------------
#
# Hidden query parameters the metrics dashboard's links carry (metrics/drilldown.py). surveys
# does not import metrics: each driver's values are written here as metrics/definitions.py
# computes them (DRIVERS, FRT_BUCKETS), and tests/metrics/test_drilldown.py checks that every
# driver table row's answers are listed.


class HiddenTagsInput(TagsInput):
    """The tags, kept in the page's form without a box of their own."""

    input_type = "hidden"


QUESTIONS = {
    "csat": (_("CSAT answers"), Q(csat__isnull=False)),
    "nps": (_("NPS answers"), Q(nps__isnull=False)),
    "ces": (_("CES answers"), Q(ces__isnull=False)),
}


def _frt_under(seconds: int) -> Q:
    return Q(ticket__first_response_at__lt=F("ticket__created_at") + timedelta(seconds=seconds))


def _frt_bucket(low: int, high: int) -> Q:
    """A first response `low` ≤ seconds < `high` after the ticket was created."""
    return ~_frt_under(low) & _frt_under(high)


_ANSWERED = Q(ticket__first_response_at__isnull=False)
# The first-response-time driver: (label, condition) per value; the labels are the
# dashboard's (metrics/presentation/labels.py, DRIVER_VALUES), as are the others'.
FRT_VALUES = {
    "lt_1h": (_("< 1 h"), _ANSWERED & _frt_bucket(0, 3600)),
    "1_4h": (_("1–4 h"), _ANSWERED & _frt_bucket(3600, 4 * 3600)),
    "4_24h": (_("4–24 h"), _ANSWERED & _frt_bucket(4 * 3600, 86400)),
    "gte_24h": (_("≥ 24 h"), _ANSWERED & ~_frt_bucket(0, 86400)),
    "none": (_("No first response"), Q(ticket__first_response_at__isnull=True)),
}
ESCALATED = [("yes", _("Escalated")), ("no", _("Not escalated"))]
REOPENED = [("yes", _("Reopened")), ("no", _("Not reopened"))]
PUBLIC_REPLIES = {
    "1": (_("0 or 1"), Q(ticket__public_agent_replies__lte=1)),
    "2": (pgettext_lazy("public replies", "2"), Q(ticket__public_agent_replies=2)),
    "3-4": (_("3 or 4"), Q(ticket__public_agent_replies__in=[3, 4])),
    "5+": (_("5 or more"), Q(ticket__public_agent_replies__gte=5)),
}
WITHOUT_RESPONSE = [
    ("team", _("No team")),
    ("agent", _("Unassigned")),
    ("category", _("No category")),
]
RESPONSE_DRILL_FIELDS = (
    "answered_from",
    "answered_until",
    "question",
    "frt",
    "escalated",
    "reopened",
    "public_replies",
    "category_name",
    "without",
    "customer",
)


def day_start(day: date) -> datetime:
    """The moment `day` starts in TIME_ZONE (its first moment, where midnight is skipped)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class ResponseFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), label=_("Team"), field_name="team"
    )
    agent = StaffFilter(queryset=staff_users(), label=_("Agent"), field_name="agent")
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
            ("easy", _("CES easy (5–7)")),
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

    # The drill-down's parameters (metrics/drilldown.py), hidden on the page: `answered_from`
    # and `answered_until` place an answer as the KPIs do, `[from, until)` to the second
    # (`answered_after` / `answered_before` take whole days); the rest narrow to the answers
    # of a question, of a driver's value, of tickets with tags or of one customer.
    answered_from = MomentFilter(
        field_name="answered_at", lookup_expr="gte", label=_("Answered at or after")
    )
    answered_until = MomentFilter(
        field_name="answered_at", lookup_expr="lt", label=_("Answered before the moment")
    )
    question = django_filters.ChoiceFilter(
        label=_("Question"),
        choices=[(name, label) for name, (label, _q) in QUESTIONS.items()],
        method="filter_question",
        widget=forms.HiddenInput,
    )
    frt = django_filters.ChoiceFilter(
        label=_("First response time"),
        choices=[(name, label) for name, (label, _q) in FRT_VALUES.items()],
        method="filter_frt",
        widget=forms.HiddenInput,
    )
    escalated = django_filters.ChoiceFilter(
        label=_("Escalated"), choices=ESCALATED, method="filter_escalated", widget=forms.HiddenInput
    )
    reopened = django_filters.ChoiceFilter(
        label=_("Reopened"), choices=REOPENED, method="filter_reopened", widget=forms.HiddenInput
    )
    public_replies = django_filters.ChoiceFilter(
        label=_("Public agent replies"),
        choices=[(name, label) for name, (label, _q) in PUBLIC_REPLIES.items()],
        method="filter_public_replies",
        widget=forms.HiddenInput,
    )
    category_name = django_filters.CharFilter(
        field_name="ticket__category__name", label=_("Category"), widget=forms.HiddenInput
    )
    without = django_filters.MultipleChoiceFilter(
        label=_("Without"),
        choices=WITHOUT_RESPONSE,
        method="filter_without",
        widget=forms.MultipleHiddenInput,
    )
    tag = TagsFilter(
        label=_("Tags"),
        method="filter_tags",
        field_name="ticket__tags__name",  # for the API's schema; filter_tags filters
        widget=HiddenTagsInput,
        help_text=_("Tickets with all of them."),
    )
    customer = IdFilter(
        field_name="ticket__customer_id", label=_("Customer"), widget=forms.HiddenInput
    )

    class Meta:
        model = SurveyResponse
        fields: list[str] = []

    def filter_question(self, queryset, name, value):
        return queryset.filter(QUESTIONS[value][1])

    def filter_frt(self, queryset, name, value):
        return queryset.filter(FRT_VALUES[value][1])

    def filter_escalated(self, queryset, name, value):
        escalated = Q(ticket__escalation_count__gt=0)
        return queryset.filter(escalated if value == "yes" else ~escalated)

    def filter_reopened(self, queryset, name, value):
        reopened = Q(ticket__reopen_count__gt=0)
        return queryset.filter(reopened if value == "yes" else ~reopened)

    def filter_public_replies(self, queryset, name, value):
        return queryset.filter(PUBLIC_REPLIES[value][1])

    def filter_without(self, queryset, name, value):
        columns = {"team": "team", "agent": "agent", "category": "ticket__category"}
        for column in value:
            queryset = queryset.filter(**{f"{columns[column]}__isnull": True})
        return queryset

    def filter_tags(self, queryset, name, value):
        return queryset.filter(tagged_answers(value))

    def drill_down(self) -> DrillDown:
        """The drill-down in force, in words, for the line above the list."""
        self.errors  # noqa: B018 - validates the form, which fills cleaned_data
        data, parts = self.form.cleaned_data, []
        answered = period_text(data.get("answered_from"), data.get("answered_until"))
        if answered:
            parts.append(str(_("Answered %(period)s")) % {"period": answered})
        if data.get("question"):
            parts.append(str(QUESTIONS[data["question"]][0]))
        fields = self.form.fields
        if data.get("frt"):
            parts.append(f"{fields['frt'].label}: {FRT_VALUES[data['frt']][0]}")
        for name, choices in (("escalated", ESCALATED), ("reopened", REOPENED)):
            if data.get(name):
                parts.append(str(dict(choices)[data[name]]))
        if data.get("public_replies"):
            label = PUBLIC_REPLIES[data["public_replies"]][0]
            parts.append(f"{fields['public_replies'].label}: {label}")
        if data.get("category_name"):
            parts.append(f"{fields['category_name'].label}: {data['category_name']}")
        labels = dict(WITHOUT_RESPONSE)
        parts += [str(labels[name]) for name in data.get("without") or ()]
        if data.get("tag"):
            parts.append(f"{fields['tag'].label}: {', '.join(data['tag'])}")
        if data.get("customer") is not None:
            parts.append(f"{fields['customer'].label} #{int(data['customer'])}")
        return drill_down_of(self.form, self.data, (*RESPONSE_DRILL_FIELDS, "tag"), parts)

    def filter_answered_after(self, queryset, name, value):
        return queryset.filter(answered_at__gte=day_start(value))

    def filter_answered_before(self, queryset, name, value):
        return queryset.filter(answered_at__lt=day_start(value))

    def filter_group(self, queryset, name, value):
        return queryset.filter(SCORE_GROUPS[value]) if value in SCORE_GROUPS else queryset


def tagged_answers(names: Any) -> Q:
    """Answers about tickets that carry every one of the tags `names` now (docs/kpis.md)."""
    return Q(ticket__in=Ticket.objects.filter(tagged(names)))
