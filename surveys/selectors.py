"""Read-only survey queries. `responses_visible_to` decides who sees which answers."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.utils import timezone

from cases.models import Role

from .models import FollowUp, InvitationStatus, SurveyInvitation, SurveyResponse
from .signals import summarise_responses


def sees_every_response(user) -> bool:
    """Managers and admins (active, signed in) see every survey answer."""
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role in (Role.MANAGER, Role.ADMIN)
    )


def agent_response_teams(user) -> list[int] | None:
    """An agent's teams: an agent sees the answers about these teams' tickets and those they
    resolved themselves. None for anyone who is not an active, signed-in agent. The one
    statement of the agent's rule, for `responses_visible_to` and for whoever answers
    `summarise_responses` (metrics/receivers.py)."""
    if getattr(user, "is_authenticated", False) and user.is_active and user.role == Role.AGENT:
        return user.team_ids
    return None


def responses_visible_to(user) -> QuerySet[SurveyResponse]:
    """Managers and admins: every response. Agents: responses about their teams' tickets
    (team at resolution) and about tickets they resolved. Anyone else: nothing.

    As for tickets (`cases.selectors.tickets_visible_to`), the agent's condition is on the
    response's own columns: each response appears once, with no DISTINCT to pay for."""
    responses = SurveyResponse.objects.select_related(
        "ticket", "ticket__customer", "ticket__category", "agent", "team"
    )
    if sees_every_response(user):
        return responses
    teams = agent_response_teams(user)
    if teams is not None:
        return responses.filter(Q(team_id__in=teams) | Q(agent_id=user.pk))
    return responses.none()


def invitation_to_answer(ticket_id: int) -> SurveyInvitation | None:
    """The case's survey its customer may still answer — sent or about to be, not answered,
    withdrawn or expired, and not recorded history (which Pulso never sent) — or None."""
    return (
        SurveyInvitation.objects.filter(
            ticket_id=ticket_id,
            status__in=[
                InvitationStatus.PENDING,
                InvitationStatus.SENDING,
                InvitationStatus.SENT,
                InvitationStatus.FAILED,
            ],
            from_history=False,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at", "-id")
        .first()
    )


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
    """docs/kpis.md's survey KPIs over a set of responses, counted by the database in one aggregate
    query: CSAT % (share of 4–5), NPS (% promoters − % detractors), CES average. A KPI with
    no answers is None ("—" on the page), never 0."""
    # Counted over the scores, not the id: a score group's summary is then read from the
    # score indexes alone (surveys migration 0006), without visiting the table.
    counts = responses.aggregate(
        count=Count("*"),
        csat_n=Count("csat"),
        csat_good=Count("csat", filter=Q(csat__gte=4)),
        nps_n=Count("nps"),
        promoters=Count("nps", filter=Q(nps__gte=9)),
        detractors=Count("nps", filter=Q(nps__lte=6)),
        ces_n=Count("ces"),
        ces_sum=Sum("ces"),
    )
    return summary_from_counts(**counts)


def summary_from_counts(
    *,
    count: int,
    csat_n: int,
    csat_good: int,
    nps_n: int,
    promoters: int,
    detractors: int,
    ces_n: int,
    ces_sum: int | None,
) -> dict:
    """`response_summary`'s dict from its counts: how many responses, how many answered CSAT
    (`csat_good` of them 4–5), NPS (`promoters` 9–10, `detractors` 0–6) and CES (summing to
    `ces_sum`). Percentages to one decimal, the CES average to two, ROUND_HALF_UP."""
    ces = None
    if ces_n:
        assert ces_sum is not None  # the sum of ces_n answers
        ces = (Decimal(ces_sum) / Decimal(ces_n)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "count": count,
        "csat": _percent(csat_good, csat_n) if csat_n else None,
        "csat_n": csat_n,
        "nps": _percent(promoters - detractors, nps_n) if nps_n else None,
        "nps_n": nps_n,
        "ces": ces,
        "ces_n": ces_n,
    }


def _in_force(filters: dict) -> dict:
    """The filters set (a score of 0 is set; no tags, an empty list, is not), model choices
    as their primary keys."""
    return {
        name: value.pk if isinstance(value, Model) else value
        for name, value in filters.items()
        if value not in (None, "", [])
    }


def response_summary_for(user, filters: dict, responses: QuerySet) -> dict:
    """The summary of the responses page: `responses` is `responses_visible_to(user)`
    narrowed by `filters` (a ResponseFilter's cleaned data).

    Sends `surveys.signals.summarise_responses` (see there for what a receiver gets and must
    return): the first receiver that answers with a dict wins — the metrics app answers from
    its KPI rollups when they hold exactly this set. Otherwise `response_summary(responses)`,
    counted live."""
    answers = summarise_responses.send_robust(
        sender=SurveyResponse, user=user, filters=_in_force(filters)
    )
    for _receiver, answer in answers:
        if isinstance(answer, dict):
            return answer
    return response_summary(responses)
