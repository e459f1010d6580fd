"""How the dashboard and the metrics API name what the engine returns: a team, agent,
category, channel or priority from its key, a backlog age bucket, a driver and its values."""

from collections.abc import Iterable
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy

from cases.models import Category, Channel, Priority, Team, User

from ..kpis import DriverRow, GroupKey

NO_VALUE_LABELS = {
    "team": gettext_lazy("No team"),
    "agent": gettext_lazy("Unassigned"),
    "category": gettext_lazy("No category"),
    "channel": gettext_lazy("No channel"),
    "priority": gettext_lazy("No priority"),
    "tag": gettext_lazy("No tag"),
}
BACKLOG_LABELS = {
    "lt_1d": gettext_lazy("< 1 day"),
    "1_3d": gettext_lazy("1–3 days"),
    "3_7d": gettext_lazy("3–7 days"),
    "gte_7d": gettext_lazy("≥ 7 days"),
}
DRIVER_TITLES = {
    "frt": gettext_lazy("First response time"),
    "escalated": gettext_lazy("Escalated"),
    "reopened": gettext_lazy("Reopened"),
    "public_replies": gettext_lazy("Public agent replies"),
    "channel": gettext_lazy("Channel"),
    "category": gettext_lazy("Category"),
}
# Known driver values in the order they read best; channel and category are labelled below.
DRIVER_VALUES: dict[str, dict[str | None, Promise]] = {
    "frt": {
        "lt_1h": gettext_lazy("< 1 h"),
        "1_4h": gettext_lazy("1–4 h"),
        "4_24h": gettext_lazy("4–24 h"),
        "gte_24h": gettext_lazy("≥ 24 h"),
        "none": gettext_lazy("No first response"),
    },
    "escalated": {"yes": gettext_lazy("Escalated"), "no": gettext_lazy("Not escalated")},
    "reopened": {"yes": gettext_lazy("Reopened"), "no": gettext_lazy("Not reopened")},
    "public_replies": {
        "1": gettext_lazy("0 or 1"),
        "2": pgettext_lazy("public replies", "2"),
        "3-4": gettext_lazy("3 or 4"),
        "5+": gettext_lazy("5 or more"),
    },
}


def dimension_labels(by: str, keys: Iterable[GroupKey]) -> dict[GroupKey, str]:
    """key → label for breakdown keys: team, agent and category names (one query), channel
    and priority display labels, tags as they are; None reads "Unassigned", "No team"…"""
    keys = set(keys)
    # Ids of teams, agents, categories: a breakdown's keys are never dates (time buckets).
    ids = [key for key in keys if key is not None and not isinstance(key, date)]
    named: dict[GroupKey, str]
    if by == "team":
        named = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif by == "agent":
        named = {user.pk: user.display_name for user in User.objects.filter(pk__in=ids)}
    elif by == "category":
        named = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif by == "tag":
        named = {}  # a tag's key is its name
    else:
        choices = Channel if by == "channel" else Priority
        named = {value: str(label) for value, label in choices.choices}
    return {
        key: str(NO_VALUE_LABELS[by]) if key is None else str(named.get(key, key)) for key in keys
    }


def driver_label(fact: str, value: str | None) -> str:
    if fact == "channel":
        return dimension_labels("channel", [value])[value]
    if fact == "category":
        return value if value is not None else str(NO_VALUE_LABELS["category"])
    return str(DRIVER_VALUES[fact].get(value, value))


def ordered_drivers(fact: str, rows: list[DriverRow]) -> list[DriverRow]:
    order = list(DRIVER_VALUES.get(fact, {}))
    if not order:
        return rows
    return sorted(rows, key=lambda row: order.index(row["value"]) if row["value"] in order else 99)


# docs/kpis.md, "Churn and experience": each split of `kpis.churn_split` and its groups.
CHURN_SPLIT_TITLES = {
    "nps": gettext_lazy("NPS group at the start"),
    "csat": gettext_lazy("CSAT at the start"),
    "escalated": gettext_lazy("Escalations in the 90 days before"),
    "sla_breached": gettext_lazy("SLA deadlines in the 90 days before"),
}
CHURN_GROUP_LABELS: dict[str, dict[str, Promise]] = {
    "nps": {
        "detractor": gettext_lazy("Detractors (0–6)"),
        "passive": gettext_lazy("Passives (7–8)"),
        "promoter": gettext_lazy("Promoters (9–10)"),
        "not_surveyed": gettext_lazy("No NPS answer"),
    },
    "csat": {
        "unsatisfied": gettext_lazy("Unsatisfied (1–3)"),
        "satisfied": gettext_lazy("Satisfied (4–5)"),
        "not_surveyed": gettext_lazy("No CSAT answer"),
    },
    "escalated": {
        "escalated": gettext_lazy("A case escalated"),
        "not_escalated": gettext_lazy("No case escalated"),
    },
    "sla_breached": {
        "breached": gettext_lazy("A deadline missed"),
        "not_breached": gettext_lazy("No deadline missed"),
    },
}


def churn_group_label(split: str, group: str) -> str:
    return str(CHURN_GROUP_LABELS[split].get(group, group))
