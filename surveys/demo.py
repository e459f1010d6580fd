"""The demo desk's survey history: answers to the surveys of resolved demo tickets, shaped
like a real desk's (escalated, reopened and slow cases score lower), so the KPIs and the
closed loop have something to show. Recorded as history: nothing is sent, nobody alerted."""

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.models import EventKind, Status, TicketEvent

from . import services
from .models import FollowUpStatus, SurveyInvitation
from .signals import survey_history_loaded

RESPONSE_RATE = 0.45
LEAVING_RESPONSE_RATE = 0.6  # of the surveys the others' rate leaves unanswered
SEND_DELAY = timedelta(minutes=10)

COMMENTS = {
    "es": {
        "good": [
            "Muy amables y rápidos, gracias.",
            "Resolvieron todo en una sola llamada.",
            "Excelente atención, muy clara la explicación.",
            "La agente fue muy paciente conmigo.",
        ],
        "mixed": [
            "Se resolvió, pero tardaron en responder.",
            "Bien, aunque tuve que explicar el problema dos veces.",
            "Correcto, nada especial.",
        ],
        "bad": [
            "Tuve que llamar tres veces para que me solucionaran.",
            "Me pasaron de un área a otra y nadie se hacía cargo.",
            "El problema volvió a aparecer al día siguiente.",
            "Demasiado tiempo de espera para algo sencillo.",
        ],
    },
    "en": {
        "good": [
            "Quick and friendly, thank you.",
            "Solved on the first call.",
            "Great service, clear explanation.",
        ],
        "mixed": [
            "It got solved, but the first answer took a while.",
            "OK, although I had to explain it twice.",
        ],
        "bad": [
            "I was passed from one team to another.",
            "The problem came back the next day.",
            "Far too long a wait for something simple.",
        ],
    },
}


def _quality(rng: random.Random, ticket) -> float:
    """0..1: how the case felt to the customer, from the facts of the case."""
    q = rng.gauss(0.88, 0.12)
    if ticket.escalation_count:
        q -= 0.18 * ticket.escalation_count
    if ticket.reopen_count:
        q -= 0.3
    if ticket.first_response_at and ticket.first_response_at - ticket.created_at > timedelta(
        hours=8
    ):
        q -= 0.12
    q -= 0.02 * max(ticket.public_agent_replies - 1, 0)
    return min(max(q, 0.0), 1.0)


def _scale(rng: random.Random, q: float, low: int, high: int) -> int:
    value = round(low + q * (high - low) + rng.gauss(0, 0.6))
    return min(max(value, low), high)


def _comment(rng: random.Random, language: str, q: float) -> str:
    if rng.random() > 0.5:
        return ""
    mood = "good" if q >= 0.7 else "mixed" if q >= 0.45 else "bad"
    return rng.choice(COMMENTS.get(language, COMMENTS["es"])[mood])


def _leaving(customer, ticket) -> random.Random:
    """Customers who later left answer more often, and unhappily, so the dashboard's churn by
    NPS and CSAT group has a story (docs/kpis.md, "Churn and experience"). Drawn from a
    generator of their own (seeded by the case), so every other answer of the demo stays as
    it was."""
    return random.Random(f"leaving:{customer.email}:{ticket.created_at.isoformat()}")


def _answer_before_leaving(customer, ticket, sent_at: datetime) -> datetime | None:
    """When a customer who later left answers a survey the others' rate leaves unanswered."""
    own = _leaving(customer, ticket)
    if own.random() >= LEAVING_RESPONSE_RATE:
        return None
    return sent_at + timedelta(hours=own.expovariate(1 / 8))


def _before_leaving(customer, ticket, asked_ces: bool) -> tuple[int, int | None, int, str]:
    """The scores of a customer who later left: low (see `_leaving`)."""
    own = _leaving(customer, ticket)
    own.random()  # the draw `_answer_before_leaving` may have made
    q = own.uniform(0.0, 0.45)
    ces = _scale(own, q, 1, 7) if asked_ces else None
    return _scale(own, q, 1, 5), ces, _scale(own, q, 0, 10), _comment(own, customer.language, q)


def _follow_up_status(answered_at: datetime, now: datetime) -> str:
    age = now - answered_at
    if age > timedelta(days=14):
        return FollowUpStatus.RESOLVED
    return FollowUpStatus.CONTACTED if age > timedelta(days=5) else FollowUpStatus.OPEN


def load_survey_history(*, seed: int, now: datetime | None = None) -> dict | None:
    """Survey the latest resolution of every resolved or closed demo ticket, with the
    throttle a live desk applies. None when survey history is already there."""
    now = now or timezone.now()
    rng = random.Random(seed * 7 + 3)
    if SurveyInvitation.objects.exists():
        return None
    latest_resolution = {}
    for event in (
        TicketEvent.objects.filter(
            kind=EventKind.RESOLVED, ticket__status__in=[Status.RESOLVED, Status.CLOSED]
        )
        .select_related("ticket", "ticket__customer", "ticket__team", "actor")
        .order_by("at", "id")
    ):
        latest_resolution[event.ticket_id] = event
    throttle = timedelta(days=settings.SURVEY_THROTTLE_DAYS)
    last_surveyed: dict[int, datetime] = {}
    sent = answered = follow_ups = 0
    with transaction.atomic():
        for event in sorted(latest_resolution.values(), key=lambda e: e.at):
            ticket, customer = event.ticket, event.ticket.customer
            sent_at = event.at + SEND_DELAY
            previous = last_surveyed.get(customer.pk)
            if not customer.email or sent_at > now or (previous and event.at - previous < throttle):
                continue
            last_surveyed[customer.pk] = event.at
            answered_at = None
            if rng.random() < RESPONSE_RATE:
                answered_at = sent_at + timedelta(hours=rng.expovariate(1 / 8))
            elif customer.churned_at is not None:
                answered_at = _answer_before_leaving(customer, ticket, sent_at)
            if answered_at is not None and answered_at >= now:  # would answer later: not yet
                answered_at = None
            q = _quality(rng, ticket)
            asked_everything = rng.random() < 0.85
            csat = _scale(rng, q, 1, 5)
            ces = _scale(rng, q, 1, 7) if asked_everything else None
            nps = _scale(rng, q, 0, 10)
            comment = _comment(rng, customer.language, q)
            if customer.churned_at is not None:
                csat, ces, nps, comment = _before_leaving(customer, ticket, ces is not None)
            invitation = services.record_survey_history(
                ticket=ticket,
                resolution_event=event,
                sent_at=sent_at,
                answered_at=answered_at,
                csat=csat,
                ces=ces,
                nps=nps,
                comment=comment,
                follow_up_status=_follow_up_status(answered_at, now) if answered_at else "open",
                now=now,
            )
            sent += 1
            if answered_at:
                answered += 1
                follow_ups += int(hasattr(invitation.response, "follow_up"))
        # Higher apps' demo data that reads the answers (quality): they may not be imported here.
        survey_history_loaded.send(sender=SurveyInvitation, seed=seed, now=now)
    return {"surveys_sent": sent, "surveys_answered": answered, "follow_ups": follow_ups}
