"""Read-only survey queries. `responses_visible_to` decides who sees which answers."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum

from cases.models import Role

from .models import FollowUp, SurveyResponse


def responses_visible_to(user) -> QuerySet[SurveyResponse]:
    """Managers and admins: every response. Agents: responses about their teams' tickets
    (team at resolution) and about tickets they resolved. Anyone else: nothing.

    As for tickets (`cases.selectors.tickets_visible_to`), the agent's condition is on the
    response's own columns: each response appears once, with no DISTINCT to pay for."""
    responses = SurveyResponse.objects.select_related(
        "ticket", "ticket__customer", "ticket__category", "agent", "team"
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return responses.none()
    if user.role in (Role.MANAGER, Role.ADMIN):
        return responses
    if user.role == Role.AGENT:
        return responses.filter(Q(team_id__in=user.team_ids) | Q(agent_id=user.pk))
    return responses.none()


def follow_ups_visible_to(user) -> QuerySet[FollowUp]:
    """The closed loop is managers' work: managers and admins see every follow-up."""
    follow_ups = FollowUp.objects.select_related(
        "ticket", "ticket__customer", "response", "team", "owner"
    )
    if getattr(user, "is_authenticated", False) and user.role in (Role.MANAGER, Role.ADMIN):
        return follow_ups
    return follow_ups.none()


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def response_summary(responses: QuerySet) -> dict:
    """KPI.md's survey KPIs over a set of responses, counted by the database in one aggregate
    query: CSAT % (share of 4–5), NPS (% promoters − % detractors), CES average. A KPI with
    no answers is None ("—" on the page), never 0."""
    counts = responses.aggregate(
        total=Count("pk"),
        csat_n=Count("csat"),
        csat_good=Count("pk", filter=Q(csat__gte=4)),
        nps_n=Count("nps"),
        promoters=Count("pk", filter=Q(nps__gte=9)),
        detractors=Count("pk", filter=Q(nps__lte=6)),
        ces_n=Count("ces"),
        ces_sum=Sum("ces"),
    )
    ces = None
    if counts["ces_n"]:
        ces = (Decimal(counts["ces_sum"]) / Decimal(counts["ces_n"])).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    return {
        "count": counts["total"],
        "csat": _percent(counts["csat_good"], counts["csat_n"]) if counts["csat_n"] else None,
        "csat_n": counts["csat_n"],
        "nps": (
            _percent(counts["promoters"] - counts["detractors"], counts["nps_n"])
            if counts["nps_n"]
            else None
        ),
        "nps_n": counts["nps_n"],
        "ces": ces,
        "ces_n": counts["ces_n"],
    }
