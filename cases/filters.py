"""Filters, search and sorting of the ticket queues (django-filter).

The FilterSet narrows a queryset it is given — always a queue built on
`selectors.tickets_visible_to(user)` — and never widens it. Invalid values are reported on
the form and ignored, never a server error.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import django_filters
import django_filters.fields
from django import forms
from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Least
from django.http import QueryDict
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .errors import ValidationError
from .models import (
    ACTIVE_STATUSES,
    MAX_LEVEL,
    STATUS_ORDER,
    Category,
    Channel,
    Macro,
    MacroUse,
    Priority,
    Status,
    Team,
    User,
    rank_of,
)
from .search import TicketSearch, ranked
from .selectors import macros_nameable_by, staff_users, tagged, ticket_search
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


# --- drill-down filters: the tickets behind a dashboard figure -------------------------------
#
# Hidden query parameters the metrics dashboard's links carry (metrics/drilldown.py), so the
# queue lists exactly the tickets a KPI counted (docs/kpis.md). cases imports no other app: the
# conditions are written here as metrics/kpis.py and metrics/definitions.py write them, and
# tests/metrics/test_drilldown.py checks that each list's count is the KPI's sample.

# Statuses of a ticket resolved now (docs/kpis.md, "resolved in the period").
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)
# docs/kpis.md's backlog age buckets: (name, from days, to days), as metrics/kpis.py's.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("lt_1d", 0, 1),
    ("1_3d", 1, 3),
    ("3_7d", 3, 7),
    ("gte_7d", 7, None),
)
# The dashboard's words for them (metrics/presentation/labels.py, BACKLOG_LABELS).
AGE_LABELS = {
    "lt_1d": _("< 1 day"),
    "1_3d": _("1–3 days"),
    "3_7d": _("3–7 days"),
    "gte_7d": _("≥ 7 days"),
}


def _sla_first() -> tuple[Q, Q]:
    """(decided, met) of the first-response clock: metrics/definitions.py's SLA_CLOCKS."""
    decided = Q(first_response_due_at__isnull=False) & (
        Q(first_response_at__isnull=False) | Q(first_response_breached_at__isnull=False)
    )
    return decided, Q(first_response_at__lte=F("first_response_due_at"))


def _sla_resolution() -> tuple[Q, Q]:
    """(decided, met) of the resolution clock: metrics/definitions.py's SLA_CLOCKS."""
    closed = Q(status__in=RESOLVED_STATUSES)
    decided = Q(resolution_due_at__isnull=False) & (
        closed | Q(resolution_breached_at__isnull=False)
    )
    met = (
        closed & Q(resolved_at__lte=F("resolution_due_at")) & Q(resolution_breached_at__isnull=True)
    )
    return decided, met


def _breached(clock: Callable[[], tuple[Q, Q]]) -> Q:
    decided, met = clock()
    return decided & ~met


@dataclass(frozen=True)
class Facet:
    """A subset of tickets a KPI counts (its sample or its numerator), and its name."""

    label: Any
    condition: Callable[[], Q]


FACETS: dict[str, Facet] = {
    "escalated": Facet(_("Escalated"), lambda: Q(escalation_count__gt=0)),
    "not_escalated": Facet(_("Not escalated"), lambda: Q(escalation_count=0)),
    "reopened": Facet(_("Reopened"), lambda: Q(reopen_count__gt=0)),
    # docs/kpis.md's FCR: never escalated, never reopened, at most one public agent reply.
    "first_contact": Facet(
        _("Resolved at first contact"),
        lambda: Q(escalation_count=0, reopen_count=0, public_agent_replies__lte=1),
    ),
    "responded": Facet(_("With a first response"), lambda: Q(first_response_at__isnull=False)),
    "awaiting_first_response": Facet(
        _("Awaiting a first response"), lambda: Q(first_response_at__isnull=True)
    ),
    "sla_first": Facet(_("Measured against the first-response SLA"), lambda: _sla_first()[0]),
    "sla_first_met": Facet(_("First response on time"), lambda: _sla_first()[1]),
    "sla_first_breached": Facet(_("First response late"), lambda: _breached(_sla_first)),
    "sla_resolution": Facet(_("Measured against the resolution SLA"), lambda: _sla_resolution()[0]),
    "sla_resolution_met": Facet(_("Resolved on time"), lambda: _sla_resolution()[1]),
    "sla_resolution_breached": Facet(_("Resolution late"), lambda: _breached(_sla_resolution)),
    "sla_breached": Facet(
        _("An SLA target missed"),
        lambda: _breached(_sla_first) | _breached(_sla_resolution),
    ),
}


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """Midnight of `day` in TIME_ZONE, as docs/kpis.md places a date (metrics' Period.of)."""
    return datetime.combine(day, time.min, tzinfo=zone())


# The dashboard takes local dates from 1970-01-01 to 2100-01-01; their midnights in any time
# zone fall within a day of those in UTC.
FIRST_MOMENT = datetime(1969, 12, 31, tzinfo=UTC)
LAST_MOMENT = datetime(2100, 1, 2, tzinfo=UTC)


class MomentField(forms.Field):
    """An ISO date (midnight in TIME_ZONE) or an ISO date and time (without an offset: in
    TIME_ZONE), as the dashboard's periods are given."""

    widget = forms.HiddenInput
    default_error_messages = {
        "invalid": _(
            "Enter a date (2026-11-01) or a date and time (2026-11-01T09:30) from 1970 to 2100."
        ),
    }

    def to_python(self, value: Any) -> datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=zone())
        text = str(value).strip()
        try:
            # A "+01:00" typed into a URL arrives as " 01:00".
            moment = parse_datetime(text) or parse_datetime(text.replace(" ", "+"))
            day = None if moment else parse_date(text)
        except ValueError:
            moment = day = None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone())
        elif moment is None and day is not None:
            moment = day_start(day)
        # Far enough for any history, near enough for the database's date arithmetic.
        if moment is None or not FIRST_MOMENT <= moment <= LAST_MOMENT:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


class MomentFilter(django_filters.Filter):
    field_class = MomentField


class StaffChoiceField(django_filters.fields.ModelChoiceField):
    """The active staff to choose from; anyone who may hold tickets accepted from the URL
    too, so that a deactivated agent's row of the dashboard still opens their tickets."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            user = None
            if str(value).isdigit() and len(str(value)) < 19:  # beyond 64 bits no row exists
                user = User.objects.filter(pk=int(value)).first()
            if user is None:
                raise
            return user


class StaffFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


class IdField(forms.IntegerField):
    """A row's id: a whole number a database column holds (beyond 64 bits none exists)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


def _at_midnight(moment: datetime) -> bool:
    local = moment.astimezone(zone())
    return local == day_start(local.date())


def _moment_text(moment: datetime) -> str:
    local = moment.astimezone(zone())
    return date_format(
        local.date() if _at_midnight(moment) else local,
        "j M Y" if _at_midnight(moment) else "j M Y H:i",
    )


def period_text(start: datetime | None, end: datetime | None) -> str:
    """`[start, end)` as a person reads it: "1 Nov 2026 – 30 Nov 2026" for whole days (the
    last day shown is the last one included), with times otherwise."""
    if end is None:
        return "" if start is None else str(_("from %(start)s")) % {"start": _moment_text(start)}
    if _at_midnight(end) and (start is None or _at_midnight(start)):
        last = date_format(end.astimezone(zone()).date() - timedelta(days=1), "j M Y")
    else:
        last = _moment_text(end)
    if start is None:
        return str(_("until %(end)s")) % {"end": last}
    return f"{_moment_text(start)} – {last}"


@dataclass(frozen=True)
class DrillDown:
    """What the drill-down parameters in force say ("Created 1 Nov – 30 Nov 2026 ·
    escalated"), the link that clears them, and those refused (field label, message)."""

    parts: list[str]
    clear_query: str
    errors: list[tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.parts or self.errors)


def drill_down_of(
    form: forms.Form, params: Mapping[str, Any], names: tuple[str, ...], parts: list[str]
) -> DrillDown:
    """The `DrillDown` of a filter form whose drill-down fields are `names`; `parts` the
    descriptions of those in force (the filter set writes them)."""
    clear = QueryDict(mutable=True)
    for key in params:
        if key not in (*names, "page"):
            values = params.getlist(key) if isinstance(params, QueryDict) else [params[key]]
            clear.setlist(key, [str(value) for value in values])
    errors = [
        (str(form.fields[name].label), str(message))
        for name in names
        if name in form.errors
        for message in form.errors[name]
    ]
    return DrillDown(parts=parts, clear_query=clear.urlencode(), errors=errors)


class TicketFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("age") and not data.get("open_at") and "open_at" not in self.errors:
            self.add_error("age", _("An age needs the moment it is measured at (open_at)."))
        return data


WITHOUT_TICKET = [
    ("team", _("No team")),
    ("assignee", _("Unassigned")),
    ("category", _("No category")),
]
TICKET_DRILL_FIELDS = (
    "created_from",
    "created_before",
    "resolved_from",
    "resolved_before",
    "open_at",
    "age",
    "facet",
    "without",
    "customer",
    "macro",
)


def macros_named_to(request) -> QuerySet[Macro]:
    """The drill-down's macro choices for the request's user (selectors.macros_nameable_by)."""
    return macros_nameable_by(getattr(request, "user", None))


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
    assignee = StaffFilter(
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
    # The drill-down's hidden parameters (metrics/drilldown.py): given, they replace the
    # active-statuses default by "every status but merged" (docs/kpis.md leaves merged tickets
    # out of every ticket KPI).
    created_from = MomentFilter(field_name="created_at", lookup_expr="gte", label=_("Created from"))
    created_before = MomentFilter(
        field_name="created_at", lookup_expr="lt", label=_("Created before")
    )
    resolved_from = MomentFilter(method="filter_resolved_from", label=_("Resolved from"))
    resolved_before = MomentFilter(method="filter_resolved_before", label=_("Resolved before"))
    open_at = MomentFilter(method="filter_open_at", label=_("Open at"))
    age = django_filters.ChoiceFilter(
        label=_("Age"),
        choices=list(AGE_LABELS.items()),
        method="age_apply",
        widget=forms.HiddenInput,
    )
    facet = django_filters.ChoiceFilter(
        label=_("Tickets"),
        choices=[(name, facet.label) for name, facet in FACETS.items()],
        method="filter_facet",
        widget=forms.HiddenInput,
    )
    without = django_filters.MultipleChoiceFilter(
        label=_("Without"),
        choices=WITHOUT_TICKET,
        method="filter_without",
        widget=forms.MultipleHiddenInput,
    )
    customer = IdFilter(field_name="customer_id", label=_("Customer"), widget=forms.HiddenInput)
    # docs/kpis.md, "Macros": tickets on which the macro was used before their latest
    # resolution (the dashboard's macro table).
    macro = django_filters.ModelChoiceFilter(
        label=_("Macro"),
        queryset=macros_named_to,
        method="filter_macro",
        widget=forms.HiddenInput,
    )

    class Meta:
        form = TicketFilterForm
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
            *TICKET_DRILL_FIELDS,
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

    def filter_resolved_from(self, queryset, name, value):
        """docs/kpis.md: resolved or closed now, the latest resolution at or after `value`."""
        return queryset.filter(status__in=RESOLVED_STATUSES, resolved_at__gte=value)

    def filter_resolved_before(self, queryset, name, value):
        return queryset.filter(status__in=RESOLVED_STATUSES, resolved_at__lt=value)

    def filter_open_at(self, queryset, name, value):
        """docs/kpis.md's backlog at `value`: created before it and not resolved then (active
        now, or resolved or closed with the latest resolution at or after it); `age` narrows
        to one age bucket, aged from `value`."""
        queryset = queryset.filter(created_at__lt=value).filter(
            Q(status__in=ACTIVE_STATUSES) | Q(status__in=RESOLVED_STATUSES, resolved_at__gte=value)
        )
        age = self.form.cleaned_data.get("age")
        for bucket, low, high in AGE_BUCKETS:
            if bucket == age:
                queryset = queryset.filter(created_at__lte=value - timedelta(days=low))
                if high is not None:
                    queryset = queryset.filter(created_at__gt=value - timedelta(days=high))
        return queryset

    def age_apply(self, queryset, name, value):
        return queryset  # read by filter_open_at

    def filter_facet(self, queryset, name, value):
        return queryset.filter(FACETS[value].condition())

    def filter_macro(self, queryset, name, value):
        used = MacroUse.objects.filter(
            ticket=OuterRef("pk"), macro=value, at__lte=OuterRef("resolved_at")
        )
        return queryset.filter(Exists(used))

    def filter_without(self, queryset, name, value):
        for column in value:
            queryset = queryset.filter(**{f"{column}__isnull": True})
        return queryset

    @property
    def drilling(self) -> bool:
        """Whether a drill-down parameter is in force (then every status but merged is
        listed unless statuses are ticked)."""
        self.errors  # noqa: B018 - validates the form, which fills cleaned_data
        data = self.form.cleaned_data
        return any(data.get(name) not in (None, "", []) for name in TICKET_DRILL_FIELDS)

    def drill_down(self) -> DrillDown:
        """The drill-down in force, in words, for the line above the list."""
        self.errors  # noqa: B018 - validates the form, which fills cleaned_data
        data, parts = self.form.cleaned_data, []
        created = period_text(data.get("created_from"), data.get("created_before"))
        if created:
            parts.append(str(_("Created %(period)s")) % {"period": created})
        resolved = period_text(data.get("resolved_from"), data.get("resolved_before"))
        if resolved:
            parts.append(str(_("Resolved %(period)s")) % {"period": resolved})
        if data.get("open_at"):
            parts.append(str(_("Open at %(moment)s")) % {"moment": _moment_text(data["open_at"])})
            if data.get("age"):
                parts.append(f"{self.form.fields['age'].label}: {AGE_LABELS[data['age']]}")
        if data.get("facet"):
            parts.append(str(FACETS[data["facet"]].label))
        labels = dict(WITHOUT_TICKET)
        parts += [str(labels[name]) for name in data.get("without") or ()]
        if data.get("customer") is not None:
            parts.append(f"{self.form.fields['customer'].label} #{int(data['customer'])}")
        if data.get("macro") is not None:
            parts.append(str(_("After the macro “%(title)s”")) % {"title": data["macro"].title})
        if parts and not data.get("status"):
            parts.append(str(_("Every status but merged")))
        return drill_down_of(self.form, self.data, TICKET_DRILL_FIELDS, parts)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            if self.drilling:
                # A KPI's tickets, whatever their status: docs/kpis.md counts merged tickets
                # only through their targets.
                queryset = queryset.exclude(status=Status.MERGED)
            else:
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
