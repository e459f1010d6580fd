"""The weekly sampling (docs/quality.md, "Sampling"): for each agent a rule covers, up to N
tickets resolved that week are assigned for review, reproducibly, once per rule and week.

Weighted mode: a ticket whose customer answered CSAT 3 or lower weighs 4, one reopened 3,
one escalated 2, any other 1 (the highest that applies; it is also the review's reason).
Tickets are drawn without replacement by the Efraimidis–Spirakis method (key `u^(1/w)`, the
N highest keys win) with a random generator seeded by the rule's id and the week, so a
rerun of the same data picks the same tickets."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Team, Ticket, User
from cases.selectors import can_see_ticket
from metrics.definitions import CLOSED_STATUSES
from metrics.kpis import Period
from surveys.models import SurveyResponse

from ..errors import QualityError
from ..models_reviews import (
    Review,
    ReviewReason,
    SamplingMode,
    SamplingRule,
    SamplingRun,
    Scorecard,
)
from ..selectors.reviews import agents_in_scope, reviewers
from ._checks import require_manager
from .reviews import current_version

LOW_CSAT = 3
WEIGHTS: dict[str, int] = {
    ReviewReason.LOW_CSAT: 4,
    ReviewReason.REOPENED: 3,
    ReviewReason.ESCALATED: 2,
    ReviewReason.RANDOM: 1,
}


@dataclass
class SamplingResult:
    """What a run did: reviews assigned, the agents' tickets left unassigned because no
    reviewer could take them, and whether the week had already been sampled."""

    assigned: int = 0
    already_run: bool = False
    no_reviewer: list[int] = field(default_factory=list)  # ticket ids


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def candidates(agent: User, period: Period) -> QuerySet[Ticket]:
    """The agent's tickets resolved in the period (KPI.md: now resolved or closed, latest
    resolution in it) that were never reviewed, with their flags."""
    low_csat = SurveyResponse.objects.filter(ticket=OuterRef("pk"), csat__lte=LOW_CSAT)
    return (
        Ticket.objects.filter(
            assignee=agent,
            status__in=CLOSED_STATUSES,
            resolved_at__gte=period.start,
            resolved_at__lt=period.end,
        )
        .exclude(Exists(Review.objects.filter(ticket=OuterRef("pk"))))
        .annotate(low_csat=Exists(low_csat))
        .order_by("pk")
    )


def reason_of(ticket: Ticket) -> str:
    if getattr(ticket, "low_csat", False):
        return ReviewReason.LOW_CSAT
    if ticket.reopen_count:
        return ReviewReason.REOPENED
    if ticket.escalation_count:
        return ReviewReason.ESCALATED
    return ReviewReason.RANDOM


def choose(
    tickets: list[Ticket], how_many: int, mode: str, rng: random.Random
) -> list[tuple[Ticket, str]]:
    """Up to `how_many` of `tickets` (in a fixed order), each with its reason."""
    keyed = []
    for ticket in tickets:
        reason = reason_of(ticket)
        weight = WEIGHTS[reason] if mode == SamplingMode.WEIGHTED else 1
        u = rng.random()
        keyed.append((u ** (1 / weight), ticket.pk, ticket, reason))
    keyed.sort(key=lambda item: (-item[0], item[1]))
    return [
        (ticket, reason if mode == SamplingMode.WEIGHTED else ReviewReason.RANDOM)
        for _key, _pk, ticket, reason in keyed[:how_many]
    ]


def sample_week(*, rule: SamplingRule, week_start: date, by: User | None = None) -> SamplingResult:
    """Assign the week's reviews for `rule` (`week_start` a Monday, the week Monday–Sunday in
    TIME_ZONE). Reviewers take turns (managers and admins count), never on their own
    tickets and only on tickets they can see. Idempotent: the SamplingRun row of (rule,
    week) is written first, so a rerun, or a second worker, assigns nothing. `by` is the
    manager who asked (None: the beat)."""
    if by is not None:
        require_manager(by)
    if week_start.weekday() != 0:
        raise QualityError(_("A week starts on a Monday."), field="week_start")
    rule = SamplingRule.objects.select_related("scorecard").get(pk=rule.pk)
    if not rule.is_active or not rule.scorecard.is_active:
        raise QualityError(_("This rule or its scorecard is not active."))
    version = current_version(rule.scorecard)
    if version is None:
        raise QualityError(_("This scorecard has no criteria yet."), field="scorecard")
    result = SamplingResult()
    try:
        with transaction.atomic():
            run = SamplingRun.objects.create(rule=rule, week_start=week_start)
            _assign(rule, version.pk, week_start, run, result)
    except IntegrityError:
        if SamplingRun.objects.filter(rule=rule, week_start=week_start).exists():
            return SamplingResult(already_run=True)
        raise
    return result


def _assign(
    rule: SamplingRule, version_id: int, week_start: date, run: SamplingRun, result: SamplingResult
) -> None:
    period = Period.of(week_start, week_start + timedelta(days=7))
    rng = random.Random(f"quality-sampling:{rule.pk}:{week_start.isoformat()}")
    pool = list(reviewers().order_by("pk"))
    turn = 0
    for agent in agents_in_scope(list(rule.teams.values_list("pk", flat=True))).order_by("pk"):
        chosen = choose(list(candidates(agent, period)), rule.reviews_per_agent, rule.mode, rng)
        for ticket, reason in chosen:
            reviewer = None
            for step in range(len(pool)):
                candidate = pool[(turn + step) % len(pool)]
                if candidate.pk != agent.pk and can_see_ticket(candidate, ticket):
                    reviewer = candidate
                    turn = (turn + step + 1) % len(pool)
                    break
            if reviewer is None:
                result.no_reviewer.append(ticket.pk)
                continue
            try:
                with transaction.atomic():  # a savepoint: another rule took it meanwhile
                    Review.objects.create(
                        ticket=ticket,
                        agent=agent,
                        reviewer=reviewer,
                        scorecard_version_id=version_id,
                        reason=reason,
                        week_start=week_start,
                    )
            except IntegrityError:
                continue
            result.assigned += 1
    run.assigned = result.assigned
    run.save(update_fields=["assigned"])


def sample_last_week(today: date) -> dict[int, SamplingResult]:
    """Every active rule over the week before `today`'s (the beat, on Mondays)."""
    week = week_of(today) - timedelta(days=7)
    results: dict[int, SamplingResult] = {}
    for rule in SamplingRule.objects.filter(is_active=True, scorecard__is_active=True):
        try:
            results[rule.pk] = sample_week(rule=rule, week_start=week)
        except QualityError:
            continue  # a scorecard without criteria: nothing to sample
    return results


@transaction.atomic
def save_sampling_rule(
    *,
    by: User,
    scorecard_id: int,
    reviews_per_agent: int,
    mode: str,
    team_ids: list[int],
    is_active: bool = True,
    rule: SamplingRule | None = None,
) -> SamplingRule:
    """Create a rule (or change `rule`). Managers and admins."""
    require_manager(by)
    scorecard = Scorecard.objects.filter(pk=scorecard_id).first()
    if scorecard is None:
        raise QualityError(_("Choose a scorecard."), field="scorecard")
    if not 1 <= reviews_per_agent <= 50:
        raise QualityError(_("From 1 to 50 reviews per agent."), field="reviews_per_agent")
    if mode not in SamplingMode.values:
        raise QualityError(_("Choose random or weighted."), field="mode")
    teams = list(Team.objects.filter(pk__in=team_ids))
    if len(teams) != len(set(team_ids)):
        raise QualityError(_("One of the teams does not exist."), field="teams")
    if rule is None:
        rule = SamplingRule(updated_by=by)
    else:
        rule = SamplingRule.objects.select_for_update().get(pk=rule.pk)
    rule.scorecard = scorecard
    rule.reviews_per_agent = reviews_per_agent
    rule.mode = mode
    rule.is_active = is_active
    rule.updated_by = by
    rule.updated_at = timezone.now()
    rule.save()
    rule.teams.set(teams)
    return rule
