"""The dashboard's filters (GET, kept in the URL so a view can be bookmarked and shared).

A period is `[from, to)` as in docs/kpis.md: `to` is the first day *not* included (the form calls it
"Before"). A preset rolls with the calendar ("last 30 days" is today and the 29 days before
it, in TIME_ZONE); `from`/`to` without a preset mean a custom period — the weekly digest links
here that way.
"""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.filters import TagsField, TagsInput
from cases.models import Category, Channel, Priority, Team
from cases.selectors import staff_users

from .kpis import Filters, Period

CUSTOM = "custom"
DEFAULT_PRESET = "30"
PRESETS = {
    "7": _("Last 7 days"),
    "30": _("Last 30 days"),
    "90": _("Last 90 days"),
    "this_month": _("This month"),
    "previous_month": _("Previous month"),
    "this_year": _("This year"),
    CUSTOM: _("Custom"),
}
DEFAULT_DAYS = 30
# Far enough for any history, near enough that the previous period of equal length and the
# database's date arithmetic stay in range.
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2100, 1, 1)


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """`[start, end)` of a preset; the current day is included, the future is not."""
    tomorrow = today + timedelta(days=1)
    if preset in ("7", "30", "90"):
        return tomorrow - timedelta(days=int(preset)), tomorrow
    if preset == "this_month":
        return today.replace(day=1), tomorrow
    if preset == "previous_month":
        first = today.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1), first
    if preset == "this_year":
        return today.replace(month=1, day=1), tomorrow
    raise ValueError(f"unknown preset {preset}")


def date_field(label, help_text):
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date", "data-custom-date": ""}, format="%Y-%m-%d"),
    )


def check_range(start: date | None, end: date | None, today: date):
    """The custom period from what was given: `to` defaults to tomorrow (today included),
    `from` to 30 days before `to`. Returns (start, end, errors by field)."""
    errors = {}
    for name, value in (("from", start), ("to", end)):
        if value is not None and not MIN_DATE <= value <= MAX_DATE:
            errors[name] = _("Choose a date from %(min)s to %(max)s.") % {
                "min": MIN_DATE.isoformat(),
                "max": MAX_DATE.isoformat(),
            }
    if errors:
        return None, None, errors
    end = end or max(today + timedelta(days=1), (start or today) + timedelta(days=1))
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        return None, None, {"to": _("The end must be after the start.")}
    return start, end, {}


POINTS = {"day": _("Daily"), "week": _("Weekly"), "month": _("Monthly")}
# The longest period (days) each grain is offered for: beyond, a chart would be unreadable.
POINTS_MAX_DAYS = {"day": 366, "week": 1100}


class DashboardFilterForm(forms.Form):
    """Period and filters. `agent_scope=True` (an agent's own dashboard) drops the agent
    field: the view forces the agent to the user."""

    # request.GET (a QueryDict), a dict (tests), an empty MultiValueDict if unbound: all dicts
    # that `show_dates` can copy and change.
    data: dict[str, Any]

    period = forms.ChoiceField(
        label=_("Period"),
        choices=list(PRESETS.items()),
        required=False,
        initial=DEFAULT_PRESET,
        # static/js/dashboard.js submits a preset at once and opens the dates for "Custom".
        widget=forms.Select(attrs={"data-dashboard-period": ""}),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("All teams")
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=staff_users().order_by("first_name", "last_name", "username"),
        required=False,
        empty_label=_("All agents"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("name"),
        required=False,
        empty_label=_("All categories"),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("All priorities")), *Priority.choices],
        required=False,
    )
    tag = TagsField(
        label=_("Tags"),
        required=False,
        help_text=_("Tickets with all of them."),
        widget=TagsInput(attrs={"placeholder": _("vip, envío")}),
    )

    points = forms.ChoiceField(
        label=_("Chart points"),
        choices=[("", _("Automatic")), *POINTS.items()],
        required=False,
        help_text=_("Automatic: the finest that gives each point enough answers."),
    )

    def __init__(self, data=None, *, agent_scope: bool = False, today: date | None = None):
        super().__init__(data)
        self.today = today or timezone.localdate()
        # `from` is a Python keyword: these two are added by name.
        self.fields["from"] = date_field(_("From"), _("First day included."))
        self.fields["to"] = date_field(_("Before"), _("First day not included."))
        if agent_scope:
            del self.fields["agent"]
        for name in ("team", "agent", "channel", "category", "priority"):
            if name in self.fields:
                # static/js/pulso.js submits the form when one of these changes.
                self.fields[name].widget.attrs["data-autosubmit"] = ""

    def clean(self):
        data = super().clean()
        preset = data.get("period") or ""
        if "period" in self.errors:
            return data
        if not preset:
            has_dates = self.data.get("from") or self.data.get("to")
            preset = CUSTOM if has_dates else DEFAULT_PRESET
        if preset == CUSTOM:
            if "from" in self.errors or "to" in self.errors:
                return data
            start, end, errors = check_range(data.get("from"), data.get("to"), self.today)
            for field, message in errors.items():
                self.add_error(field, message)
            if errors:
                return data
        else:
            start, end = preset_range(preset, self.today)
            # The dates of a preset are not the user's: a wrong one must not refuse it.
            for name in ("from", "to"):
                self.errors.pop(name, None)
        data.update(period=preset, start=start, end=end)
        points = data.get("points") or ""
        longest = POINTS_MAX_DAYS.get(points)
        if longest is not None and (end - start).days > longest:
            self.add_error(
                "points",
                _("%(points)s points are offered for periods of up to %(days)s days.")
                % {"points": POINTS[points], "days": longest},
            )
        return data

    # --- what the view needs, once valid ---

    @property
    def preset(self) -> str:
        return self.cleaned_data["period"]

    def kpi_period(self) -> Period:
        return Period.of(self.cleaned_data["start"], self.cleaned_data["end"])

    @property
    def chosen_points(self) -> str:
        """The chart's grain the user chose: "" lets the dashboard choose."""
        return self.cleaned_data.get("points") or ""

    def kpi_filters(self, agent=None) -> Filters:
        """The engine's filters; `agent` (a user) overrides the agent field."""
        data = self.cleaned_data
        chosen = agent or data.get("agent")
        return Filters(
            team=data["team"].pk if data.get("team") else None,
            agent=chosen.pk if chosen else None,
            channel=data.get("channel") or None,
            category=data["category"].pk if data.get("category") else None,
            priority=data.get("priority") or None,
            tags=tuple(data.get("tag") or ()),
        )

    def show_dates(self, period: Period) -> None:
        """Show the period in force in the date fields, so that switching to "Custom" starts
        from it (a preset's dates are ignored when submitted)."""
        self.data = self.data.copy()
        self.data["period"] = self.preset
        self.data["from"] = period.start_date.isoformat()
        self.data["to"] = period.end_date.isoformat()

    def query(self) -> dict:
        """The filters as query-string values (for export links and the previous period)."""
        data = self.cleaned_data
        query = {"period": data["period"]}
        if data["period"] == CUSTOM:
            query.update({"from": data["start"].isoformat(), "to": data["end"].isoformat()})
        for name in ("team", "agent", "category"):
            if data.get(name):
                query[name] = data[name].pk
        for name in ("channel", "priority"):
            if data.get(name):
                query[name] = data[name]
        if data.get("points"):
            query["points"] = data["points"]
        if data.get("tag"):
            query["tag"] = list(data["tag"])  # repeated in the URL: urlencode(doseq=True)
        return query
