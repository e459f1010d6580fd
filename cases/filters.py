"""Filters, search and sorting of the ticket queues (django-filter).

The FilterSet narrows a queryset it is given — always a queue built on
`selectors.tickets_visible_to(user)` — and never widens it. Invalid values are reported on
the form and ignored, never a server error.
"""

from datetime import UTC, datetime

import django_filters
from django import forms
from django.db.models import Case, DateTimeField, F, IntegerField, Value, When
from django.db.models.functions import Least
from django.utils.translation import gettext_lazy as _

from .errors import ValidationError
from .models import (
    ACTIVE_STATUSES,
    MAX_LEVEL,
    STATUS_ORDER,
    Category,
    Channel,
    Priority,
    Status,
    Team,
    rank_of,
)
from .search import TicketSearch, ranked
from .selectors import staff_users, tagged, ticket_search
from .tags import split_tags

# sort key in the URL → model ordering (ascending). "-key" sorts descending.
SORT_FIELDS = {
    "reference": "pk",
    "created": "created_at",
    "updated": "updated_at",
    "priority": "priority_rank",
    "status": "status_rank",
    "deadline": "next_deadline",
}
DEFAULT_SORT = "-created"
# Best match first (cases/search.py), the default while searching; only with a search.
RELEVANCE = "relevance"
# The direction a column's first click sorts in: most columns newest/highest first, the SLA
# column nearest deadline first.
ASCENDING_FIRST = {"deadline"}


# Sorts tickets without a running SLA clock after every ticket with one.
_NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


def _next_deadline() -> Least:
    """The nearest running SLA due time (first response while unanswered; resolution while
    new or open), as the queue's "SLA" sort uses it."""
    first = Case(
        When(
            first_response_at__isnull=True,
            first_response_due_at__isnull=False,
            status__in=ACTIVE_STATUSES,
            then=F("first_response_due_at"),
        ),
        default=Value(_NO_DEADLINE),
        output_field=DateTimeField(),
    )
    resolution = Case(
        When(
            resolution_due_at__isnull=False,
            status__in=[Status.NEW, Status.OPEN],
            then=F("resolution_due_at"),
        ),
        default=Value(_NO_DEADLINE),
        output_field=DateTimeField(),
    )
    return Least(first, resolution)


class TagsInput(forms.TextInput):
    """One text box of comma-separated tags that also reads the repeated form of the query
    string (`?tag=vip&tag=envío`, as the API and the metrics take it)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return ", ".join(value for value in values if value) or None


class TagsField(forms.Field):
    """Tags typed as a list; each normalised (cases/tags.py), refused with the reason."""

    widget = TagsInput

    def to_python(self, value):
        if not value:
            return []
        try:
            return split_tags(str(value))
        except ValidationError as exc:
            raise forms.ValidationError(exc.message) from exc


class TagsFilter(django_filters.Filter):
    field_class = TagsField


TAG_MATCHES = [("all", _("All of them")), ("any", _("Any of them"))]


class TagFilterMethods:
    """The `tag` and `tag_match` filters' methods, for the queue's and the API's filter sets
    (each declares the two filters, with its own widget and schema)."""

    form: forms.Form

    def filter_tags(self, queryset, name, value):
        return queryset.filter(tagged(value, self.form.cleaned_data.get("tag_match") or "all"))

    def tags_apply(self, queryset, name, value):
        return queryset  # read by filter_tags


def sort_choices():
    choices = [(RELEVANCE, RELEVANCE)]
    for key in SORT_FIELDS:
        choices += [(key, key), (f"-{key}", f"-{key}")]
    return choices


class TicketFilter(TagFilterMethods, django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Words, a reference, a customer's name or e-mail")}
        ),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        method="filter_status",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the active ones (new, open, pending)."),
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.order_by("name")
    )
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"), queryset=staff_users().order_by("first_name", "last_name")
    )
    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=[(n, str(n)) for n in range(1, MAX_LEVEL + 1)]
    )
    tag = TagsFilter(
        label=_("Tags"),
        method="filter_tags",
        widget=TagsInput(attrs={"placeholder": _("vip, envío")}),
        help_text=_("Separated by commas."),
    )
    tag_match = django_filters.ChoiceFilter(
        label=_("Tickets with"),
        choices=TAG_MATCHES,
        method="tags_apply",
        empty_label=None,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"), choices=sort_choices, method="sort_by", widget=forms.HiddenInput
    )

    class Meta:
        fields = [
            "q",
            "status",
            "priority",
            "channel",
            "category",
            "team",
            "assignee",
            "level",
            "tag",
            "tag_match",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(ticket_search(value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=value)

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            # The queues show work still to do unless the user asks for other statuses.
            queryset = queryset.filter(status__in=ACTIVE_STATUSES)
        sort = self.current_sort
        if sort == RELEVANCE:
            return ranked(queryset, self.searched)
        key = SORT_FIELDS[sort.lstrip("-")]
        statuses = set(self.form.cleaned_data.get("status") or ACTIVE_STATUSES)
        one_status = key == "status_rank" and len(statuses) == 1
        no_clock = key == "next_deadline" and not statuses & set(ACTIVE_STATUSES)
        if one_status or no_clock:
            # The sort key is the same for every row shown: only the tie-break orders them
            # (read from an index, where sorting a million equal keys would read them all).
            key = "pk"
        if key == "priority_rank":
            # Severity order, so that urgent sorts above low, not alphabetically; the same
            # expression as the index that serves the sort (Ticket.Meta.indexes).
            queryset = queryset.annotate(priority_rank=rank_of("priority", Priority.values))
        elif key == "status_rank":
            queryset = queryset.annotate(status_rank=rank_of("status", STATUS_ORDER))
        elif key == "next_deadline":
            # Tickets without a running clock come last in both directions: "furthest
            # deadline first" still means among the tickets that have one.
            queryset = queryset.annotate(
                next_deadline=_next_deadline(),
                without_deadline=Case(
                    When(next_deadline=_NO_DEADLINE, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
            )
            direction = "-" if sort.startswith("-") else ""
            return queryset.order_by("without_deadline", f"{direction}{key}", f"{direction}pk")
        direction = "-" if sort.startswith("-") else ""
        if key == "pk":
            return queryset.order_by(f"{direction}pk")
        return queryset.order_by(f"{direction}{key}", f"{direction}pk")

    @property
    def searched(self) -> TicketSearch:
        """What the search box holds, read (empty: no search)."""
        self.errors  # noqa: B018 - validates the form, which fills cleaned_data
        return TicketSearch.parse(self.form.cleaned_data.get("q") or "")

    @property
    def current_sort(self) -> str:
        """The sort in force: the requested one if valid, else newest first — or, while
        searching, best match first. Relevance means nothing without a search."""
        self.errors  # noqa: B018 - validates the form, which fills cleaned_data
        value = self.form.cleaned_data.get("sort")
        searching = bool(self.searched)
        if value == RELEVANCE or (not value and searching):
            return RELEVANCE if searching else DEFAULT_SORT
        return value if value and value.lstrip("-") in SORT_FIELDS else DEFAULT_SORT
