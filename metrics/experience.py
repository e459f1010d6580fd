"""A customer's experience (the customer page, "360"), or an organisation's across its
contacts: their own KPIs — tickets, median first response time, CSAT % with its sample, the
group of their latest NPS answer — their survey answers over time, open follow-ups and
whether they are still customers.

The definitions are docs/kpis.md's (through `metrics.kpis`): FRT is `first_response_at −
created_at` over the tickets that have one, a merged ticket counts only through its target;
CSAT % is `100 × count(score ≥ 4) / count(CSAT answers)`; NPS groups are detractors 0–6,
passives 7–8, promoters 9–10. Unlike the dashboard, nothing is placed in a period: a
customer's whole history counts.

Seen as the viewer sees the customer page: tickets through `tickets_visible_to`, answers
through `responses_visible_to`, follow-ups through `follow_ups_visible_to` (managers' work).

Bounded whatever the history: a fixed handful of aggregate statements (the ticket figures,
the answers' counts, the latest NPS answer, the latest `ANSWERS_SHOWN` answers, the open
follow-ups, the contacts' churn state), none per ticket."""

from collections.abc import Collection
from datetime import date, datetime
from typing import Any, TypedDict

from django.db.models import Avg, Count, F, Min, Q, QuerySet
from django.utils import timezone

from cases.models import ACTIVE_STATUSES, Customer, Status, User, format_reference
from cases.selectors import tickets_visible_to
from surveys.models import FollowUpStatus
from surveys.selectors import follow_ups_visible_to, responses_visible_to

from . import kpis
from .definitions import SecondsBetween

# The chart and the table show the latest answers; the counts cover every answer.
ANSWERS_SHOWN = 200
FOLLOW_UPS_SHOWN = 20

# The customer ids to read: a list, or a subquery (an organisation's contacts).
CustomerIds = Collection[int] | QuerySet[Customer, int]


class Answer(TypedDict):
    answered_at: datetime
    ticket: int
    reference: str
    csat: int | None
    ces: int | None
    nps: int | None


class OpenFollowUp(TypedDict):
    id: int
    ticket: int
    reference: str
    status: str
    created_at: datetime
    owner: str | None


class ChurnState(TypedDict):
    customers: int
    active: int
    churned: int
    active_since: date | None
    churned_at: date | None


class Experience(TypedDict):
    tickets: int
    open_tickets: int
    frt: kpis.DurationStats
    awaiting_first_response: int
    csat_percent: float | None
    csat_responses: int
    ces_average: float | None
    ces_responses: int
    nps: float | None
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    last_nps_group: str | None
    last_nps: int | None
    last_nps_at: datetime | None
    answers_total: int
    answers: list[Answer]
    open_follow_ups: int
    follow_ups: list[OpenFollowUp]
    churn: ChurnState


def nps_group(score: int | None) -> str | None:
    """docs/kpis.md: detractor 0–6, passive 7–8, promoter 9–10."""
    if score is None:
        return None
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _ticket_figures(viewer: User, customer_ids: CustomerIds) -> dict[str, Any]:
    tickets = (
        tickets_visible_to(viewer)
        .filter(customer_id__in=customer_ids)
        .exclude(status=Status.MERGED)  # docs/kpis.md: counted through its target
        .select_related(None)
        .order_by()
    )
    grouped = kpis._grouped(tickets, None, "created_at", on_tickets=True)
    by_key = kpis._aggregate(
        grouped,
        None,
        counts={
            "tickets": Count("*"),
            "open_tickets": Count("pk", filter=Q(status__in=ACTIVE_STATUSES)),
            "awaiting": Count("pk", filter=Q(first_response_at__isnull=True)),
        },
        durations={"frt": SecondsBetween(F("first_response_at"), F("created_at"))},
    )
    row = by_key.get(None) or {"tickets": 0, "open_tickets": 0, "awaiting": 0}
    return {
        "tickets": row["tickets"],
        "open_tickets": row["open_tickets"],
        "awaiting_first_response": row["awaiting"],
        "frt": row.get("frt") or dict(kpis.EMPTY_DURATION),
    }


def _answer_figures(viewer: User, customer_ids: CustomerIds) -> dict[str, Any]:
    responses = (
        responses_visible_to(viewer)
        .filter(ticket__customer_id__in=customer_ids)
        .select_related(None)
        .order_by()
    )
    counts = responses.aggregate(
        total=Count("pk"),
        csat_n=Count("csat"),
        csat_satisfied=Count("pk", filter=Q(csat__gte=4)),
        ces_n=Count("ces"),
        ces_mean=Avg("ces"),
        nps_n=Count("nps"),
        promoters=Count("pk", filter=Q(nps__gte=9)),
        passives=Count("pk", filter=Q(nps__gte=7, nps__lte=8)),
        detractors=Count("pk", filter=Q(nps__lte=6)),
    )
    latest_nps = (
        responses.filter(nps__isnull=False)
        .order_by("-answered_at", "-id")
        .values("nps", "answered_at")
        .first()
    )
    shown = list(
        responses.order_by("-answered_at", "-id").values(
            "answered_at", "ticket_id", "csat", "ces", "nps"
        )[:ANSWERS_SHOWN]
    )
    answers: list[Answer] = [
        {
            "answered_at": row["answered_at"],
            "ticket": row["ticket_id"],
            "reference": format_reference(row["ticket_id"]),
            "csat": row["csat"],
            "ces": row["ces"],
            "nps": row["nps"],
        }
        for row in shown
    ]
    last_nps = latest_nps["nps"] if latest_nps else None
    nps_n = counts["nps_n"]
    return {
        "csat_percent": kpis.percent(counts["csat_satisfied"], counts["csat_n"]),
        "csat_responses": counts["csat_n"],
        "ces_average": kpis.two_decimals(counts["ces_mean"]),
        "ces_responses": counts["ces_n"],
        "nps": kpis._nps(counts["promoters"], counts["detractors"], nps_n),
        "nps_responses": nps_n,
        "promoters": counts["promoters"],
        "passives": counts["passives"],
        "detractors": counts["detractors"],
        "last_nps": last_nps,
        "last_nps_group": nps_group(last_nps),
        "last_nps_at": latest_nps["answered_at"] if latest_nps else None,
        "answers_total": counts["total"],
        "answers": answers,
    }


def _follow_up_figures(viewer: User, customer_ids: CustomerIds) -> dict[str, Any]:
    open_ones = list(
        follow_ups_visible_to(viewer)
        .filter(ticket__customer_id__in=customer_ids)
        .exclude(status=FollowUpStatus.RESOLVED)
        .select_related(None)
        .select_related("owner")
        .order_by("-created_at", "-id")[: FOLLOW_UPS_SHOWN + 1]
    )
    shown = open_ones[:FOLLOW_UPS_SHOWN]
    total = len(open_ones)
    if total > FOLLOW_UPS_SHOWN:  # rare: count them all only then
        total = (
            follow_ups_visible_to(viewer)
            .filter(ticket__customer_id__in=customer_ids)
            .exclude(status=FollowUpStatus.RESOLVED)
            .count()
        )
    return {
        "open_follow_ups": total,
        "follow_ups": [
            {
                "id": follow_up.pk,
                "ticket": follow_up.ticket_id,
                "reference": format_reference(follow_up.ticket_id),
                "status": follow_up.status,
                "created_at": follow_up.created_at,
                "owner": follow_up.owner.display_name if follow_up.owner else None,
            }
            for follow_up in shown
        ],
    }


def _churn_state(customer_ids: CustomerIds) -> ChurnState:
    """Customers now (docs/kpis.md's dates, today in TIME_ZONE): churned once `churned_at`
    is on or before today."""
    today = timezone.localdate()
    churned = Q(churned_at__isnull=False, churned_at__lte=today)
    counts = Customer.objects.filter(pk__in=customer_ids).aggregate(
        customers=Count("pk"),
        churned=Count("pk", filter=churned),
        active_since=Min("active_since"),
        churned_at=Min("churned_at", filter=churned),
    )
    return {
        "customers": counts["customers"],
        "active": counts["customers"] - counts["churned"],
        "churned": counts["churned"],
        "active_since": counts["active_since"],
        "churned_at": counts["churned_at"],
    }


def customer_experience(customer_ids: CustomerIds, viewer: User) -> Experience:
    """The experience of these customers together (one, or an organisation's contacts), as
    far as `viewer` may see it."""
    result: dict[str, Any] = {
        **_ticket_figures(viewer, customer_ids),
        **_answer_figures(viewer, customer_ids),
        **_follow_up_figures(viewer, customer_ids),
        "churn": _churn_state(customer_ids),
    }
    experience: Experience = result  # type: ignore[assignment]  # the parts fill every key
    return experience


def organisation_contacts(organisation_id: int) -> QuerySet[Customer, int]:
    """The ids of an organisation's contacts, as a subquery (never read into Python)."""
    return Customer.objects.filter(organisation_id=organisation_id).values_list("pk", flat=True)
