"""The demo desk's survey history: answers to the surveys of resolved demo tickets, shaped
like a real desk's (escalated, reopened and slow cases score lower), so the KPIs and the
closed loop have something to show; their comments come from a handful of themes that follow
the case and its scores (COMMENTS), for the insights' themes and sentiment. Recorded as
history: nothing is sent, nobody alerted."""

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

# What customers write in a survey's comment, by theme, in their language, by how the answer
# went ("good": CSAT 4–5, "mixed": 3, "bad": 1–2). The theme follows the case (a reopened
# case was not solved, a slow first answer is the wait, a refund's case its delay …), so a
# theme carries the scores its cases got: waiting, unsolved cases and refund delays pull CSAT
# down, kindness and quick solutions lift it.
COMMENTS = {
    "es": {
        "kindness": {
            "good": [
                "La agente fue muy amable y me explicó todo con claridad.",
                "Excelente atención, muy clara la explicación.",
                "La asesora fue muy paciente y amable conmigo.",
                "Muy amables, me explicaron cada paso con paciencia.",
            ],
            "mixed": [
                "La asesora fue amable, aunque el trámite fue largo.",
                "Amables, pero la explicación no fue muy clara.",
            ],
        },
        "quick": {
            "good": [
                "Resolvieron todo en una sola llamada, muy rápido.",
                "Rápidos y eficientes, en minutos quedó listo.",
                "Me solucionaron rápido, gracias.",
            ],
        },
        "waiting": {
            "mixed": [
                "Se resolvió, pero tardaron en responder.",
                "Bien, aunque esperé bastante la primera respuesta.",
            ],
            "bad": [
                "Demasiado tiempo de espera para algo sencillo.",
                "Esperé días para que alguien me respondiera.",
                "Tardaron muchísimo en responder, una semana esperando.",
            ],
        },
        "not_solved": {
            "mixed": [
                "Bien, aunque tuve que explicar el problema dos veces.",
                "Al final se resolvió, pero tuve que repetir todo.",
            ],
            "bad": [
                "Tuve que llamar tres veces y el problema sigue sin resolverse.",
                "Me pasaron de un área a otra y nadie se hacía cargo.",
                "El problema volvió a aparecer al día siguiente.",
                "Tuve que repetir lo mismo a cada asesor y no lo solucionaron.",
            ],
        },
        "refund": {
            "mixed": [
                "Aprobaron el reembolso, pero el dinero tardó en llegar.",
                "Corrigieron la factura, aunque el reembolso demoró.",
            ],
            "good": [
                "El reembolso llegó en dos días, muy bien.",
                "Corrigieron la factura enseguida y me devolvieron el dinero.",
            ],
            "bad": [
                "Todavía espero el reembolso del dinero que me cobraron.",
                "El reembolso tardó semanas, muy mal servicio.",
                "Me cobraron dos veces y la devolución del dinero nunca llega.",
            ],
        },
        "app_login": {
            "mixed": [
                "Me ayudaron, pero la app sigue fallando a veces.",
                "Pude entrar a la cuenta, aunque la contraseña costó.",
            ],
            "good": [
                "Ya puedo entrar a mi cuenta, me guiaron paso a paso.",
                "Restablecieron la contraseña en minutos y la app funciona.",
            ],
            "bad": [
                "La app sigue sin dejarme iniciar sesión.",
                "Sigo sin poder entrar a mi cuenta, la contraseña no funciona.",
                "La aplicación no funciona y nadie sabe por qué.",
            ],
        },
        "delivery": {
            "mixed": [
                "El pedido llegó, pero varios días tarde.",
                "Buena respuesta, aunque la entrega se demoró.",
            ],
            "good": [
                "Localizaron mi pedido y llegó al día siguiente.",
                "La entrega se reprogramó sin problema.",
            ],
            "bad": [
                "El pedido llegó una semana tarde y nadie me avisó.",
                "La transportadora nunca entregó el paquete a tiempo.",
                "Mi pedido sigue sin llegar, pésimo envío.",
            ],
        },
    },
    "en": {
        "kindness": {
            "good": [
                "The agent was very kind and explained everything clearly.",
                "Great service, clear explanation.",
                "Friendly and patient, thank you.",
            ],
            "mixed": ["Friendly agent, although the process was long."],
        },
        "quick": {
            "good": [
                "Solved on the first call, very quick.",
                "Quick and efficient, done in minutes.",
            ],
        },
        "waiting": {
            "mixed": ["It got solved, but the first answer took a while."],
            "bad": [
                "Far too long a wait for something simple.",
                "I waited days for anyone to answer.",
            ],
        },
        "not_solved": {
            "mixed": ["OK, although I had to explain it twice."],
            "bad": [
                "I was passed from one team to another.",
                "The problem came back the next day.",
                "I had to repeat everything and it is still not solved.",
            ],
        },
        "refund": {
            "mixed": ["The refund was approved, but the money took a while."],
            "good": ["The refund arrived in two days, well done."],
            "bad": [
                "I am still waiting for my refund.",
                "The refund took weeks, very poor service.",
            ],
        },
        "app_login": {
            "mixed": ["They helped, but the app still fails sometimes."],
            "good": ["I can log in again, they guided me step by step."],
            "bad": [
                "The app still won't let me log in.",
                "I still cannot get into my account, the password does not work.",
            ],
        },
        "delivery": {
            "mixed": ["The order arrived, but days late."],
            "good": ["They found my order and it arrived the next day."],
            "bad": [
                "My order arrived a week late and nobody told me.",
                "The courier never delivered on time.",
            ],
        },
    },
}
# How customers say how they feel, whatever the case was about: a sentence some add to a
# comment (MOOD_SHARE). The words of mood (waiting, patience, writing again, thanks) are the
# ones customers also use in their messages on open cases (cases.demo IMPATIENCE), so what the
# sentiment model learns from comments reads those messages; the topics (refunds, orders,
# the app) come in happy comments too, so a topic alone does not read as unhappy.
MOOD_SENTENCES = {
    "es": {
        "good": [
            "¡Muchas gracias!",
            "Quedé muy satisfecha, gracias.",
            "Todo salió bien, sin complicaciones.",
            "Los recomiendo.",
            "Excelente servicio.",
            "Me atendieron con calma y sin prisa.",
        ],
        "bad": [
            "Llevaba días esperando y nadie me daba una respuesta.",
            "Escribí por tercera vez por lo mismo.",
            "Perdí la paciencia, nadie me solucionaba nada.",
            "Seguí esperando, una pésima atención.",
        ],
    },
    "en": {
        "good": [
            "Many thanks!",
            "Very satisfied, thank you.",
            "Everything went smoothly, no hassle.",
            "I would recommend you.",
            "Excellent service.",
        ],
        "bad": [
            "I was waiting for days and nobody answered.",
            "I wrote for the third time about the same thing.",
            "I ran out of patience, nobody was solving anything.",
            "Still waiting, really poor service.",
            "Very disappointed.",
        ],
    },
}
MOOD_SHARE = {"good": 0.7, "bad": 0.9}
# The theme a case's category brings to its comments.
CATEGORY_THEMES = {
    "Facturación": "refund",
    "Devoluciones": "refund",
    "Envíos": "delivery",
    "Acceso y contraseñas": "app_login",
}
# How many answers carry a comment, by how they went: the unhappy say more. Far more than on
# a real desk (a third or so): the demo's hundred answers are all the insights' comment
# models (themes, sentiment: INSIGHTS_MIN_COMMENTS clearly scored ones) have to learn from.
COMMENT_SHARE = {"good": 0.8, "mixed": 0.85, "bad": 0.9}


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


def _mood(csat: int) -> str:
    return "good" if csat >= 4 else "mixed" if csat == 3 else "bad"


def _themes(ticket, mood: str) -> dict[str, float]:
    """The themes a comment on `ticket` may have, weighted by the facts of the case."""
    category = ticket.category.name if ticket.category_id else ""
    if mood == "good":
        weights = {"kindness": 3.0, "quick": 2.0}
        if category in CATEGORY_THEMES:
            weights[CATEGORY_THEMES[category]] = 1.5
        return weights
    weights = {"waiting": 1.0, "not_solved": 1.0}
    if ticket.reopen_count or ticket.escalation_count:
        weights["not_solved"] += 2
    first_answer = ticket.first_response_at
    if first_answer and first_answer - ticket.created_at > timedelta(hours=8):
        weights["waiting"] += 3
    if category in CATEGORY_THEMES:
        weights[CATEGORY_THEMES[category]] = 4
    if mood == "mixed":
        weights["kindness"] = 1
    return weights


def _comment(own: random.Random, ticket, language: str, csat: int) -> str:
    """A comment for a `csat` answer on `ticket`, or none (COMMENT_SHARE), from a theme that
    fits the case (`_themes`). `own` is a generator of the answer's own."""
    mood = _mood(csat)
    if own.random() >= COMMENT_SHARE[mood]:
        return ""
    themes = _themes(ticket, mood)
    texts = COMMENTS.get(language, COMMENTS["es"])
    theme = own.choices(list(themes), weights=list(themes.values()))[0]
    comment = own.choice(texts[theme][mood])
    feelings = MOOD_SENTENCES.get(language, MOOD_SENTENCES["es"]).get(mood)
    if feelings and own.random() < MOOD_SHARE[mood]:
        comment = f"{comment} {own.choice(feelings)}"
    return comment


def _commenting(customer, ticket) -> random.Random:
    """A generator of the answer's own for its comment, so the comment's draws leave the
    scores of the other answers as they are."""
    return random.Random(f"comment:{customer.email}:{ticket.created_at.isoformat()}")


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
    csat = _scale(own, q, 1, 5)
    return csat, ces, _scale(own, q, 0, 10), _comment(own, ticket, customer.language, csat)


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
        .select_related("ticket", "ticket__customer", "ticket__team", "ticket__category", "actor")
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
            comment = _comment(_commenting(customer, ticket), ticket, customer.language, csat)
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
