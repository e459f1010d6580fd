"""A generated desk whose themes are known: tickets about four things (their words planted in
subject and description) and survey comments about four others, each comment topic with its
own planted scores — so a theme's CSAT % and NPS can be worked out by hand. A seed gives the
same desk every time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from cases.models import Channel, Customer, EventKind, Status, Team, Ticket, TicketEvent
from insights.models import ModelKind, ModelStatus, Theme, TrainedModel
from surveys.models import FollowUp, Source, SurveyInvitation, SurveyResponse
from surveys.services import answer_rows, clean_answer, history_invitation

TICKET_TOPICS = {
    "printer": ["impresora", "tóner", "atasco", "papel", "imprime"],
    "contract": ["contrato", "permanencia", "cláusula", "firma", "penalización"],
    "address": ["dirección", "domicilio", "mudanza", "código postal", "portal"],
    "invoice": ["factura", "importe", "IVA", "recibo", "cargo"],
}
COMMENT_TOPICS = {
    "waiting": ["esperando", "semanas", "tardaron", "demora", "eterno"],
    "refund": ["reembolso", "dinero", "devuelto", "transferencia", "abono"],
    "friendly": ["amable", "simpática", "atenta", "encantadora", "paciencia"],
    "app": ["aplicación", "contraseña", "iniciar", "móvil", "bloquea"],
}
PER_TOPIC = 40
# Each comment topic's answers, in order: (CSAT, NPS) — 40 each.
#   waiting:  CSAT 12 of 40 ≥ 4 → 30.0 %; NPS 6 promoters, 24 detractors → 15 − 60 = −45.0
#   refund:   CSAT 16 of 40 → 40.0 %;     NPS 8 promoters, 20 detractors → 20 − 50 = −30.0
#   friendly: CSAT 36 of 40 → 90.0 %;     NPS 30 promoters, 2 detractors → 75 − 5 = 70.0
#   app:      CSAT 28 of 40 → 70.0 %;     NPS 16 promoters, 12 detractors → 40 − 30 = 10.0
# and 40 answers without a comment: CSAT 32 of 40, NPS 20 promoters, 8 detractors.
SCORES = {
    "waiting": ([5] * 12 + [2] * 28, [9] * 6 + [7] * 10 + [3] * 24),
    "refund": ([4] * 16 + [1] * 24, [10] * 8 + [8] * 12 + [5] * 20),
    "friendly": ([5] * 36 + [3] * 4, [10] * 30 + [8] * 8 + [6] * 2),
    "app": ([4] * 28 + [2] * 12, [9] * 16 + [7] * 12 + [4] * 12),
    None: ([4] * 32 + [3] * 8, [9] * 20 + [8] * 12 + [2] * 8),
}
FILLER = ["la verdad", "en fin", "sinceramente", "pues nada", "bueno"]


@dataclass
class ThemeDesk:
    tickets: list[Ticket]
    responses: dict[str | None, list[SurveyResponse]]


def theme_desk(
    tickets: int = 400, *, seed: int = 3, start: datetime | None = None, team: Team | None = None
) -> ThemeDesk:
    """`tickets` resolved tickets (a quarter per ticket topic), one every half hour up to
    now, and 40 answered surveys per comment topic plus 40 without a comment, each on its own
    ticket."""
    rng = random.Random(seed)
    team = team or Team.objects.get_or_create(name="Soporte", defaults={"level": 1})[0]
    customers = Customer.objects.bulk_create(
        Customer(name=f"Cliente {i}", email=f"t{seed}-{i}@example.com", language="es")
        for i in range(20)
    )
    topics = list(TICKET_TOPICS)
    start = start or timezone.now() - timedelta(minutes=30 * tickets + 120)
    rows = []
    for i in range(tickets):
        words = rng.sample(TICKET_TOPICS[topics[i % len(topics)]], 3)
        created = start + timedelta(minutes=30 * i)
        rows.append(
            Ticket(
                subject=f"Problema con {words[0]}",
                description=f"Hola, tengo un problema: {words[1]} y {words[2]}. Gracias.",
                customer=customers[i % len(customers)],
                team=team,
                channel=Channel.EMAIL,
                status=Status.RESOLVED,
                created_at=created,
                updated_at=created + timedelta(minutes=20),
                resolved_at=created + timedelta(minutes=20),
                resolution="Resuelto",
            )
        )
    made = Ticket.objects.bulk_create(rows)
    kinds: list[str | None] = [*COMMENT_TOPICS, None]
    answered = [(kind, n) for kind in kinds for n in range(PER_TOPIC)]
    rng.shuffle(answered)
    surveyed = made[: len(answered)]  # spread over every ticket topic: made is in topic order
    events = TicketEvent.objects.bulk_create(
        TicketEvent(ticket=t, kind=EventKind.RESOLVED, at=t.resolved_at or t.created_at)
        for t in surveyed
    )
    now = timezone.now()
    invitations = [
        history_invitation(ticket=t, resolution_event=e, sent_at=e.at, answered=True, now=now)
        for t, e in zip(surveyed, events, strict=True)
    ]
    SurveyInvitation.objects.bulk_create(invitations)
    responses: dict[str | None, list[SurveyResponse]] = {kind: [] for kind in kinds}
    all_responses, follow_ups = [], []
    for invitation, (kind, n) in zip(invitations, answered, strict=True):
        csat, nps = SCORES[kind][0][n], SCORES[kind][1][n]
        comment = ""
        if kind is not None:
            words = rng.sample(COMMENT_TOPICS[kind], 3) + [rng.choice(FILLER)]
            rng.shuffle(words)
            comment = ", ".join(words).capitalize() + "."
        answer = clean_answer(invitation, csat=csat, nps=nps, comment=comment)
        response, follow_up = answer_rows(
            invitation,
            answer,
            source=Source.IMPORT,
            at=(invitation.sent_at or now) + timedelta(minutes=5),
            alerted=True,
        )
        responses[kind].append(response)
        all_responses.append(response)
        if follow_up is not None:
            follow_ups.append(follow_up)
    SurveyInvitation.objects.bulk_update(invitations, ["status", "answered_at"])
    SurveyResponse.objects.bulk_create(all_responses)
    FollowUp.objects.bulk_create(follow_ups)
    return ThemeDesk(tickets=made, responses=responses)


def theme_in_use(name: str = "") -> Theme:
    """One theme of a ready themes model (its file need not exist: pages and API read rows)."""
    training = TrainedModel.objects.create(
        kind=ModelKind.THEMES, status=ModelStatus.READY, artifact="themes-test.joblib"
    )
    return Theme.objects.create(
        training=training,
        number=1,
        name=name,
        top_terms=[{"term": "esper", "word": "esperando", "weight": 1.0}],
        examples=[],
    )
