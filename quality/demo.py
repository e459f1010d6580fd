"""The demo desk's quality data (docs/quality.md, "Demo data"): two scorecards (the first
revised once, so its older reviews keep version 1), a reviewer among the agents, a weekly
sampling rule and four weeks of its reviews — three scored, the latest still to do — with
remarks on messages and two disputes; a coaching session and goals for every agent; and two
problems, one fixed a month ago whose tickets show the before and after, one still open.

Run by surveys' `survey_history_loaded` signal (connected in apps.py: the answers must be
there), inside the demo's transaction and through quality's own services; the times the
services stamp "now" are then moved into the past the demo replays. Deterministic for a seed."""

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from cases.models import Category, Reply, Role, Status, Ticket, User
from surveys.models import FollowUp, SurveyResponse

from .models import (
    CoachingGoal,
    CoachingSession,
    Dispute,
    Problem,
    ProblemEvent,
    ProblemFollowUp,
    ProblemTicket,
    Review,
    ReviewStatus,
    SamplingRun,
    Scorecard,
    ScorecardVersion,
)
from .services import coaching, problems, reviews, sampling
from .services.reviews import CommentData, CriterionData, ScoreData

SEED_OFFSET = 29  # quality's own random stream, apart from the tickets' and the articles'
WEEKS = 4

CONVERSATION = [
    CriterionData("Saludo y tono", "Saluda por el nombre, tono cordial y profesional.", 1, 5),
    CriterionData("Comprensión del caso", "Entiende qué pide el cliente sin repreguntar.", 2, 5),
    CriterionData(
        "Exactitud de la respuesta",
        "La información dada es correcta y completa.",
        3,
        5,
        is_critical=True,
    ),
    CriterionData("Empatía", "Reconoce la molestia del cliente.", 2, 5),
    CriterionData("Resolución", "Deja el caso resuelto o con un siguiente paso claro.", 3, 5),
]
COMPLIANCE = [
    CriterionData(
        "Verificación de identidad",
        "Verifica la identidad antes de tocar datos de la cuenta.",
        2,
        2,
        is_critical=True,
    ),
    CriterionData("Registro en el caso", "Deja notas internas de lo hecho.", 1, 5),
    CriterionData("Cierre correcto", "Categoría y resolución bien puestas al resolver.", 1, 5),
]

REMARKS = [
    "Buen saludo, pero faltó confirmar el número de pedido.",
    "Aquí convenía ofrecer el reembolso sin esperar a que el cliente insista.",
    "Respuesta clara y completa: buen ejemplo para el equipo.",
    "El tono es correcto, aunque la respuesta llega con mucho texto de plantilla.",
    "Falta explicar el siguiente paso y cuándo tendrá noticias.",
]
SESSION_NOTES = [
    "Revisamos dos conversaciones con CSAT bajo: acordamos confirmar el problema antes de "
    "proponer la solución.",
    "Repasamos los tiempos de primera respuesta en la mañana; probaremos tomar primero los "
    "casos más antiguos de la cola.",
    "Buen mes: usamos su respuesta sobre devoluciones como ejemplo para el equipo.",
    "Hablamos de cómo escalar antes los casos de producto defectuoso.",
]


def load(*, seed: int, now: datetime, managers: list[User]) -> dict[str, int]:
    """Create the demo's quality data; nothing when it exists already."""
    if Scorecard.objects.exists() or not managers:
        return {}
    rng = random.Random(seed + SEED_OFFSET)
    manager = managers[0]
    agents = list(
        User.objects.filter(groups__name="Agent", is_active=True).distinct().order_by("pk")
    )
    agents = [agent for agent in agents if agent.role == Role.AGENT]
    if not agents:
        return {}
    counts: dict[str, int] = {}
    conversation = reviews.create_scorecard(
        by=manager,
        name="Calidad de la conversación",
        description="Cómo atendimos al cliente en el caso, de principio a fin.",
        criteria=CONVERSATION,
    )
    reviews.create_scorecard(
        by=manager,
        name="Cumplimiento",
        description="Lo que un caso debe cumplir siempre, lo atienda quien lo atienda.",
        criteria=COMPLIANCE,
    )
    counts["scorecards"] = 2
    written = _at(
        sampling.week_of(timezone.localdate(now)) - timedelta(days=7 * (WEEKS + 1)), 10, rng
    )
    Scorecard.objects.update(created_at=written)
    ScorecardVersion.objects.update(created_at=written)
    reviewer = _make_reviewer(agents, manager)
    counts["reviews"] = _sampled_reviews(rng, conversation, agents, manager, reviewer, now)
    counts["coaching_goals"] = _coaching(rng, agents, manager, now)
    counts["problems"] = _problems(manager, now)
    return counts


def _make_reviewer(agents: list[User], manager: User) -> User:
    """The most senior agent also reviews (the Reviewer group), beside the managers."""
    senior = max(agents, key=lambda agent: agent.teams.aggregate(Max("level"))["level__max"] or 0)
    reviews.set_reviewer(user=senior, by=manager, reviewer=True)
    return senior


def _at(day: date, hour: int, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, rng.randrange(60))))


def _sampled_reviews(
    rng: random.Random,
    scorecard: Scorecard,
    agents: list[User],
    manager: User,
    reviewer: User,
    now: datetime,
) -> int:
    """Four weeks of the weekly sampling. The scorecard is revised before the last two weeks'
    sampling (their reviews use version 2); each agent has their own level, so the IQS
    differs from agent to agent, and not always as their CSAT does."""
    rule = sampling.save_sampling_rule(
        by=manager, scorecard_id=scorecard.pk, reviews_per_agent=3, mode="weighted", team_ids=[]
    )
    level = {agent.pk: rng.uniform(0.55, 0.95) for agent in agents}
    this_week = sampling.week_of(timezone.localdate(now))
    total = 0
    for weeks_back in range(WEEKS, 0, -1):
        week = this_week - timedelta(days=7 * weeks_back)
        if weeks_back == 2:
            revised = reviews.revise_scorecard(
                scorecard=scorecard,
                by=manager,
                name=scorecard.name,
                description=scorecard.description,
                criteria=[*CONVERSATION[:4], replace(CONVERSATION[4], weight=4)],
                note="La resolución pesa más.",
            )
            ScorecardVersion.objects.filter(pk=revised.pk).update(
                created_at=_at(week + timedelta(days=6), 16, rng)
            )
        sampling.sample_week(rule=rule, week_start=week, by=manager)
        SamplingRun.objects.filter(week_start=week).update(
            ran_at=_at(week + timedelta(days=7), 6, rng)
        )
        week_reviews = list(
            Review.objects.filter(week_start=week).select_related("scorecard_version", "ticket")
        )
        total += len(week_reviews)
        Review.objects.filter(week_start=week).update(
            assigned_at=_at(week + timedelta(days=7), 7, rng)
        )
        if weeks_back == 1:
            continue  # the latest week's reviews are still to do
        for review in week_reviews:
            _score(rng, review, level.get(review.agent_id, 0.8))
            done = _at(week + timedelta(days=7 + rng.randrange(4)), rng.randrange(9, 18), rng)
            Review.objects.filter(pk=review.pk).update(completed_at=min(done, now))
    _disputes(manager)
    return total


def _score(rng: random.Random, review: Review, level: float) -> None:
    criteria = list(review.scorecard_version.criteria.all())
    scores = []
    for criterion in criteria:
        value = round(rng.gauss(level, 0.15) * criterion.max_score)
        if criterion.is_critical and rng.random() < 0.03:
            value = 0  # now and then a critical slip fails the review
        elif criterion.is_critical:
            value = max(value, 1)
        scores.append(ScoreData(criterion.pk, min(max(value, 0), criterion.max_score)))
    comments = []
    first_answer = (
        Reply.objects.filter(ticket=review.ticket, public=True, author__isnull=False)
        .order_by("created_at", "pk")
        .first()
    )
    if first_answer is not None and rng.random() < 0.6:
        comments.append(CommentData(rng.choice(REMARKS), first_answer.pk))
    reviews.score_review(
        review=review,
        by=review.reviewer,
        scores=scores,
        summary=rng.choice(REMARKS),
        comments=comments,
        complete=True,
    )


def _disputes(manager: User) -> None:
    """The two lowest reviews are disputed by their agents; the manager settles the first."""
    lowest = list(
        Review.objects.filter(status=ReviewStatus.COMPLETED)
        .exclude(agent=manager)
        .order_by("score", "pk")[:2]
    )
    for number, review in enumerate(lowest):
        reviews.dispute_review(
            review=review,
            by=review.agent,
            reason="El cliente ya había recibido esa información por teléfono; "
            "la nota interna lo dice.",
        )
        done = Review.objects.get(pk=review.pk).completed_at or timezone.now()
        raised = done + timedelta(hours=20)
        Dispute.objects.filter(review=review).update(raised_at=raised)
        if number == 0:
            reviews.settle_dispute(
                review=review,
                by=manager,
                outcome="rejected",
                note="La nota no basta: la respuesta escrita debe ser completa.",
            )
            Dispute.objects.filter(review=review).update(settled_at=raised + timedelta(days=1))


def _coaching(rng: random.Random, agents: list[User], manager: User, now: datetime) -> int:
    today = timezone.localdate(now)
    goals = 0
    for number, agent in enumerate(agents):
        completed = list(
            Review.objects.filter(agent=agent, status=ReviewStatus.COMPLETED).values_list(
                "pk", flat=True
            )[:2]
        )
        resolved = list(
            Ticket.objects.filter(assignee=agent, status__in=[Status.RESOLVED, Status.CLOSED])
            .order_by("-resolved_at")
            .values_list("pk", flat=True)[:2]
        )
        references = [Ticket(pk=pk).reference for pk in resolved]
        held_on = today - timedelta(days=7 + rng.randrange(14))
        session = coaching.record_session(
            by=manager,
            agent=agent,
            held_on=held_on,
            notes=SESSION_NOTES[number % len(SESSION_NOTES)],
            ticket_references=references,
            review_ids=completed,
        )
        CoachingSession.objects.filter(pk=session.pk).update(created_at=_at(held_on, 17, rng))
        for kpi, comparison, target, started, due in _goal_plan(number, today):
            goal = coaching.set_goal(
                by=manager,
                agent=agent,
                kpi=kpi,
                comparison=comparison,
                target=target,
                starts_on=started,
                due_on=due,
                note="",
            )
            CoachingGoal.objects.filter(pk=goal.pk).update(created_at=_at(started, 9, rng))
            goals += 1
    return goals


def _goal_plan(number: int, today: date) -> list[tuple[str, str, Decimal, date, date]]:
    """Two goals running (CSAT and a response time or the IQS) and one already due."""
    started = today - timedelta(days=30)
    due = today + timedelta(days=60)
    second = [
        ("frt_median", "at_most", Decimal("2")),
        ("iqs", "at_least", Decimal("80")),
        ("fcr", "at_least", Decimal("70")),
    ][number % 3]
    return [
        ("csat", "at_least", Decimal("85"), started, due),
        (*second, started, due),
        (
            "reopen_rate",
            "at_most",
            Decimal("10"),
            today - timedelta(days=75),
            today - timedelta(days=15),
        ),
    ]


FIXED_TITLE = "Cobro duplicado al pagar con tarjeta en la app"
OPEN_TITLE = "El código de verificación por SMS no llega"


def _problems(manager: User, now: datetime) -> int:
    """A billing problem fixed about 40 days ago — linked before the fix: the billing tickets
    whose customers answered unhappily, a few happy and unanswered ones; after it, mostly
    happy ones — and an access problem still open, its recent tickets waiting for the fix."""
    billing = Category.objects.filter(name="Facturación").first()
    access = Category.objects.filter(name="Acceso y contraseñas").first()
    if billing is None or access is None:
        return 0
    resolved = Ticket.objects.filter(category=billing, resolved_at__isnull=False)
    fixed_at = _fix_date(resolved, now)
    before_fix = resolved.filter(resolved_at__lt=fixed_at).order_by("resolved_at", "pk")
    unhappy = _answered(before_fix, csat_below=4)
    happy = _answered(before_fix, csat_below=None)
    happy = [pk for pk in happy if pk not in unhappy][: max(1, len(unhappy) // 3)]
    silent = list(before_fix.filter(survey_responses__isnull=True).values_list("pk", flat=True)[:8])
    # After it, the billing tickets that still came in are linked to check it held: mostly
    # answered happily (the fix worked), a few not, and those never answered.
    after_fix = resolved.filter(resolved_at__gte=fixed_at).order_by("resolved_at", "pk")
    still_unhappy = _answered(after_fix, csat_below=4)
    pleased = [pk for pk in _answered(after_fix, csat_below=None) if pk not in still_unhappy]
    after = [
        *pleased,
        *still_unhappy[: len(pleased) // 4],
        *after_fix.filter(survey_responses__isnull=True).values_list("pk", flat=True)[:8],
    ]
    before = [*unhappy, *happy, *silent]
    fixed = problems.open_problem(
        by=manager,
        title=FIXED_TITLE,
        description="Clientes a los que la app cobró dos veces el mismo pedido al pagar con "
        "tarjeta de crédito.",
        root_cause="La app reintentaba el pago cuando la pasarela tardaba más de 10 s en "
        "confirmar, sin comprobar si el primer intento ya se había cobrado.",
        owner=manager,
        ticket_ids=before,
        origin={"kind": "tickets"},
    )
    follow_ups = list(
        FollowUp.objects.filter(ticket_id__in=before).values_list("pk", flat=True)[:3]
    )
    if follow_ups:
        problems.link_follow_ups(problem=fixed, by=manager, follow_up_ids=follow_ups)
    problems.update_problem(
        problem=fixed,
        by=manager,
        status="fixed",
        fix_note="La app espera la confirmación de la pasarela y usa una clave de "
        "idempotencia: un reintento ya no cobra dos veces.",
        fixed_at=fixed_at,
    )
    opened = fixed_at - timedelta(days=28)
    Problem.objects.filter(pk=fixed.pk).update(created_at=opened, updated_at=fixed_at)
    events = ProblemEvent.objects.filter(problem=fixed)
    events.filter(kind="opened").update(at=opened)
    events.filter(kind__in=["tickets_linked", "follow_ups_linked"]).update(
        at=opened + timedelta(minutes=5)
    )
    events.filter(kind__in=["status", "changed"]).update(at=fixed_at)
    # After the fix, the billing tickets that still came in are linked to check it held.
    if after:
        problems.link_tickets(problem=fixed, by=manager, ticket_ids=after)
        latest = Ticket.objects.filter(pk__in=after).order_by("-created_at").first()
        checked = min(latest.created_at + timedelta(hours=2), now) if latest else now
        ProblemEvent.objects.filter(problem=fixed, at__gt=fixed_at + timedelta(days=1)).filter(
            kind="tickets_linked"
        ).update(at=checked)
    # Linked as they came in: before the fix while it was investigated, after it to check it.
    for link in ProblemTicket.objects.filter(problem=fixed).select_related("ticket"):
        came = max(link.ticket.created_at + timedelta(hours=2), opened)
        link.linked_at = min(came, now)
        link.save(update_fields=["linked_at"])
    ProblemFollowUp.objects.filter(problem=fixed).update(linked_at=opened + timedelta(minutes=5))

    waiting = list(
        Ticket.objects.filter(category=access, created_at__gte=now - timedelta(days=21))
        .order_by("-created_at")
        .values_list("pk", flat=True)[:12]
    )
    still_open = problems.open_problem(
        by=manager,
        title=OPEN_TITLE,
        description="Clientes con número de otro país no reciben el SMS para entrar.",
        root_cause="El proveedor de SMS rechaza los números sin prefijo internacional.",
        owner=manager,
        ticket_ids=waiting,
        origin={"kind": "tickets"},
    )
    first = Ticket.objects.filter(pk__in=waiting).order_by("created_at").first()
    if first is not None:
        noticed = first.created_at + timedelta(hours=3)
        Problem.objects.filter(pk=still_open.pk).update(created_at=noticed, updated_at=noticed)
        ProblemEvent.objects.filter(problem=still_open).update(at=noticed)
        for link in ProblemTicket.objects.filter(problem=still_open).select_related("ticket"):
            link.linked_at = min(max(link.ticket.created_at + timedelta(hours=2), noticed), now)
            link.save(update_fields=["linked_at"])
    return 2


def _fix_date(resolved: QuerySet[Ticket], now: datetime) -> datetime:
    """The fix's date: about 40 days ago, moved back a week at a time (to 75 days) until
    unhappy answers came before it and happy ones after it, so that the before and after
    have something to compare on this run's desk (the demo's tickets shift with the day)."""
    for days in range(40, 76, 7):
        fixed_at = now - timedelta(days=days)
        before = _answered(resolved.filter(resolved_at__lt=fixed_at), csat_below=4)
        after = resolved.filter(resolved_at__gte=fixed_at)
        happy_after = len(_answered(after, csat_below=None)) - len(_answered(after, csat_below=4))
        if len(before) >= 2 and happy_after >= 3:
            return fixed_at
    return now - timedelta(days=40)


def _answered(tickets: QuerySet[Ticket], *, csat_below: int | None) -> list[int]:
    """Of `tickets`, those with a CSAT answer (below `csat_below` when given)."""
    answers = SurveyResponse.objects.filter(ticket__in=tickets, csat__isnull=False)
    if csat_below is not None:
        answers = answers.filter(csat__lt=csat_below)
    return list(dict.fromkeys(answers.order_by("ticket_id").values_list("ticket_id", flat=True)))


def on_survey_history_loaded(sender: object, *, seed: int, now: datetime, **kwargs: Any) -> None:
    """The demo desk is whole (surveys.signals.survey_history_loaded): add quality's part,
    authored by the demo's first manager."""
    managers = list(
        User.objects.filter(groups__name="Manager", is_active=True).distinct().order_by("pk")
    )
    load(seed=seed, now=now, managers=managers)
