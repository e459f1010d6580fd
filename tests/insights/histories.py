"""Generated desks whose right answers are known: each category has its own words planted in
its tickets (Spanish and English), its team is the category's, and urgent words mark the
urgent ones. A seed gives the same desk every time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from cases.models import Category, Channel, Customer, Priority, Status, Team, Ticket

PLANTED: dict[str, dict[str, list[str]]] = {
    "Billing": {
        "es": ["factura", "importe", "IVA", "rectificativa", "facturación"],
        "en": ["invoice", "VAT", "billed", "statement", "invoicing"],
    },
    "Shipping": {
        "es": ["pedido", "envío", "transportista", "paquete", "seguimiento"],
        "en": ["parcel", "courier", "delivery", "tracking", "shipment"],
    },
    "Access": {
        "es": ["contraseña", "acceso", "bloqueada", "verificación", "sesión"],
        "en": ["password", "login", "locked", "verification", "signin"],
    },
    "Returns": {
        "es": ["devolución", "reembolso", "defectuoso", "garantía", "cambio"],
        "en": ["return", "refund", "faulty", "warranty", "exchange"],
    },
}
URGENT = {"es": ["urgente", "caído", "inmediatamente"], "en": ["urgent", "down", "immediately"]}
SHARED = {
    "es": ["hola", "por favor", "necesito ayuda", "gracias", "mi cuenta", "desde ayer", "cliente"],
    "en": ["hello", "please", "I need help", "thanks", "my account", "since yesterday", "customer"],
}


@dataclass
class Desk:
    categories: dict[str, Category]
    teams: dict[str, Team]
    tickets: list[Ticket]


def planted_desk(
    count: int, *, seed: int = 7, start: datetime | None = None, noise: float = 0.15
) -> Desk:
    """`count` tickets, oldest first, one a minute up to now. `noise`: the share whose
    category is another than their words say (a real desk misfiles too)."""
    rng = random.Random(seed)
    teams = {
        name: Team.objects.get_or_create(name=f"Team {name}", defaults={"level": 1})[0]
        for name in PLANTED
    }
    categories = {
        name: Category.objects.get_or_create(name=name, defaults={"default_team": teams[name]})[0]
        for name in PLANTED
    }
    customers = [
        Customer.objects.create(
            name=f"Customer {i}", email=f"c{seed}-{i}@example.com", language=("es", "en")[i % 2]
        )
        for i in range(20)
    ]
    start = start or timezone.now() - timedelta(minutes=count + 5)
    rows = []
    names = list(PLANTED)
    for i in range(count):
        language = rng.choice(("es", "en"))
        about = rng.choice(names)
        filed = rng.choice(names) if rng.random() < noise else about
        urgent = rng.random() < 0.25
        words = rng.sample(PLANTED[about][language], 2) + rng.sample(SHARED[language], 3)
        if urgent:
            words.append(rng.choice(URGENT[language]))
        rng.shuffle(words)
        created = start + timedelta(minutes=i)
        rows.append(
            Ticket(
                subject=" ".join(words[:3]).capitalize(),
                description=" ".join(words) + ".",
                customer=customers[i % len(customers)],
                channel=Channel.EMAIL,
                category=categories[filed],
                team=teams[filed],
                priority=Priority.URGENT if urgent else Priority.NORMAL,
                status=Status.RESOLVED,
                created_at=created,
                updated_at=created,
                resolved_at=created + timedelta(hours=2),
                resolution=f"Solved: {words[0]}",
            )
        )
    tickets = Ticket.objects.bulk_create(rows, batch_size=1000)
    return Desk(categories=categories, teams=teams, tickets=tickets)
