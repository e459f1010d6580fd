"""One ticket's life: its channel, priority and fate drawn at random, then played through
the real services with backdated timestamps, so the data obeys the lifecycle."""

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .. import services
from ..models import Channel, Customer, Priority, Status, Ticket, User
from .case_texts import CASES, CITIES, PRODUCTS, URGENCY, URGENCY_SHARE, URGENT_SUBJECT
from .conversation_texts import (
    CUSTOMER_NUDGE,
    ESCALATION_REASONS,
    FIRST_REPLIES,
    HANDOVER,
    IMPATIENCE,
    INFO_EXCHANGES,
    NOTES,
    REOPEN_BY_CUSTOMER,
    REOPEN_REASONS,
    RESOLUTIONS,
    RESUMED_REPLIES,
    SOLVED,
)
from .world import World

CHANNEL_WEIGHTS = {
    Channel.EMAIL: 28,
    Channel.WEB: 22,
    Channel.PHONE: 20,
    Channel.CHAT: 15,
    Channel.SOCIAL: 8,
    Channel.IN_PERSON: 4,
    Channel.FIELD_VISIT: 3,
}
PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.NORMAL: 50, Priority.HIGH: 22, Priority.URGENT: 8}
PRIORITY_UP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
}
# Channels where the customer writes in by themselves; the others an agent registers.
SELF_SERVICE = {Channel.EMAIL, Channel.WEB}
LIVE = {Channel.PHONE, Channel.CHAT, Channel.IN_PERSON}

Step = tuple[float, Callable[[Ticket, datetime], Any]]


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _outcome(rng: random.Random, age_days: float) -> str:
    if age_days < 2:
        table = {Status.NEW: 45, Status.OPEN: 25, Status.PENDING: 12, Status.RESOLVED: 18}
    elif age_days < 7:
        table = {
            Status.NEW: 10,
            Status.OPEN: 22,
            Status.PENDING: 20,
            Status.RESOLVED: 40,
            Status.CLOSED: 10,
        }
    elif age_days < 20:
        table = {Status.OPEN: 8, Status.PENDING: 7, Status.RESOLVED: 35, Status.CLOSED: 50}
    else:
        table = {Status.OPEN: 2, Status.PENDING: 2, Status.RESOLVED: 8, Status.CLOSED: 88}
    return _pick(rng, table)


def _first_response_minutes(rng: random.Random, channel: str, priority: str) -> float:
    if channel in LIVE:
        return rng.uniform(1, 15)
    median: dict[str, int] = {
        Priority.URGENT: 25,
        Priority.HIGH: 90,
        Priority.NORMAL: 240,
        Priority.LOW: 600,
    }
    minutes = median[priority] * rng.lognormvariate(0, 0.8)
    return min(max(minutes, 4), 26 * 60)


# The tags agents of the demo desk use, by category (Spanish: a Latin American desk).
CATEGORY_TAGS = {
    "Facturación": ("cobro-duplicado", "reembolso", "factura-electrónica"),
    "Acceso y contraseñas": ("contraseña", "verificación-2fa"),
    "Envíos": ("envío-retrasado", "dirección-incorrecta", "aduana"),
    "Devoluciones": ("reembolso", "cambio-de-talla"),
    "Producto defectuoso": ("garantía", "cambio-de-producto"),
    "Instalación": ("visita-técnica",),
    "Reclamos": ("escalado-a-gerencia",),
}
VIP_INITIALS = ("ma", "al")  # the demo's VIP customers: e-mails that start so


# The desk's macros (demo/macros.py) an agent reaches for: {(moment, category — "" for any):
# title}, used on MACRO_SHARE of the occasions — so the dashboard's macro table has a story.
MACRO_MOMENTS = {
    ("first_reply", "Facturación"): "Cobro duplicado: reembolso en proceso",
    ("pending", "Envíos"): "Envío retrasado: ya va en camino",
    ("pending", ""): "Pedir más datos",
    ("resolve", "Acceso y contraseñas"): "Contraseña restablecida",
}
MACRO_SHARE = 0.4

# Now and then a customer writes with a colleague in copy, who later answers too.
COPIED_SHARE = 0.12
COLLEAGUES = [
    ("Marcela Ruiz", "marcela.ruiz"),
    ("Jorge Díaz", "jorge.diaz"),
    ("Ana Beltrán", "abeltran"),
]
COLLEAGUE_REPLIES = {
    "es": "Les escribo como responsable de compras: confirmo lo que dice mi compañero/a.",
    "en": "I'm writing as the purchasing lead: I confirm what my colleague says.",
}


def own_random(story: "Story", purpose: str) -> random.Random:
    """A generator of the story's own for `purpose`, so that adding it leaves the rest of
    the demo's stories as they were."""
    return random.Random(f"{purpose}:{story.customer.email}:{story.created_at.isoformat()}")


class Story:
    """Plans one ticket as a list of (minutes after the previous step, service call), tracking
    the team and assignee the calls will produce, then plays it with backdated timestamps."""

    def __init__(
        self,
        world: World,
        rng: random.Random,
        created_at: datetime,
        customer: Customer,
        outcome: str,
    ):
        self.world, self.rng, self.created_at = world, rng, created_at
        self.customer, self.outcome = customer, outcome
        self.lang = customer.language if customer.language in ("es", "en") else "es"
        self.churned = customer.pk in world.churned
        self.category, self.escalation_rate = rng.choice(world.categories)
        self.channel = _pick(rng, CHANNEL_WEIGHTS)
        self.priority = _pick(rng, PRIORITY_WEIGHTS)
        if self.category.name == "Reclamos" and self.priority == Priority.LOW:
            self.priority = Priority.HIGH
        # Web-form customers often leave the topic empty; an agent classifies it later and the
        # ticket starts with the first-level team.
        self.unclassified = self.channel == Channel.WEB and rng.random() < 0.3
        team = world.teams[1] if self.unclassified else self.category.default_team
        assert team is not None  # every demo category has its team (world.CATEGORIES)
        self.team = team
        self.level = self.team.level
        subject, description = rng.choice(CASES[self.category.name][self.lang])
        self.fields = self._fields()
        self.subject = subject.format(**self.fields)
        self.subject = self.subject[0].upper() + self.subject[1:]
        self.description = description.format(**self.fields)
        self._say_how_pressing()
        self.registrar = None if self.channel in SELF_SERVICE else rng.choice(world.agents[1])
        self.assignee: User | None = None
        if (
            self.registrar
            and self.registrar in world.agents[self.level]
            and (self.channel in LIVE and rng.random() < 0.6)
        ):
            self.assignee = self.registrar  # took the call and kept the case
        self.registered = (self.team, self.assignee)
        self.steps: list[Step] = []
        self.answer = ""  # the customer's answer to the last question (see _pending)
        self.first_name = customer.name.split()[0]

    @property
    def handler(self) -> User:
        """The agent working the ticket: the story assigns one before its first reply."""
        assert self.assignee is not None, "a reply, note or change before the assignment"
        return self.assignee

    def _fields(self) -> dict[str, str]:
        rng = self.rng
        amount = rng.randint(3, 180) * 5000
        return {
            "order": f"PED-{rng.randint(10000, 99999)}",
            "invoice": f"FE-{rng.randint(1000, 9999)}",
            "amount": f"${amount:,}".replace(",", ".")
            if self.lang == "es"
            else f"US${amount / 4000:,.2f}",
            "product": rng.choice(PRODUCTS[self.lang]),
            "city": rng.choice(CITIES),
            "nit": f"{rng.randint(100, 999)}.{rng.randint(100, 999)}-{rng.randint(1, 9)}",
        }

    def _say_how_pressing(self) -> None:
        """Most customers of an urgent, high or low case say how pressing it is in their own
        words (case_texts.URGENCY), and a few of a normal one overstate it; an urgent subject
        is sometimes shouted. Drawn from a generator of its own, so the rest of the demo's
        stories stay as they were."""
        own = own_random(self, "urgency")
        if own.random() >= URGENCY_SHARE[self.priority]:
            return
        said = "high" if self.priority == Priority.NORMAL else str(self.priority)
        phrase = own.choice(URGENCY[said][self.lang])
        if own.random() < 0.3:
            self.description = f"{phrase} {self.description}"
        else:
            self.description = f"{self.description} {phrase}"
        if self.priority == Priority.URGENT and own.random() < 0.5:
            self.subject = URGENT_SUBJECT[self.lang] + self.subject

    def _text(self, options, **extra) -> str:
        text = self.rng.choice(options) if isinstance(options, list) else options
        return text.format(name=self.first_name, **self.fields, **extra)

    def _add(self, minutes: float, call: Callable[[Ticket, datetime], Any]) -> None:
        self.steps.append((max(minutes, 0.5), call))

    # --- planned actions (each appends one service call) -----------------------------------

    def _assign(self, minutes: float) -> None:
        agent = self.rng.choice(self.world.agents[self.level])
        by = self.rng.choice(self.world.managers) if self.rng.random() < 0.2 else agent
        self._add(
            minutes, lambda t, at: services.assign_ticket(ticket=t, by=by, assignee=agent, at=at)
        )
        self.assignee = agent

    def _reply(self, minutes: float, body: str) -> None:
        by = self.handler
        self._add(minutes, lambda t, at: services.add_reply(ticket=t, by=by, body=body, at=at))

    def _note(self, minutes: float) -> None:
        by, body = self.handler, self.rng.choice(NOTES)
        self._add(
            minutes,
            lambda t, at: services.add_reply(ticket=t, by=by, body=body, public=False, at=at),
        )

    def _customer(self, minutes: float, body: str, impatience: float = 0.0) -> None:
        """The customer writes `body`; with probability `impatience` they add how long they
        have waited (IMPATIENCE), drawn from a generator of its own."""
        own = own_random(self, f"impatience:{len(self.steps)}")
        if own.random() < impatience:
            body = f"{body} {own.choice(IMPATIENCE[self.lang])}"
        self._add(minutes, lambda t, at: services.add_customer_reply(ticket=t, body=body, at=at))

    def _escalate(self, minutes: float) -> None:
        by, reason = self.handler, self.rng.choice(ESCALATION_REASONS[self.level])
        team = self.world.teams[self.level + 1]
        self._add(
            minutes,
            lambda t, at: services.escalate_ticket(
                ticket=t, by=by, reason=reason, team=team, at=at
            ),
        )
        self.level += 1
        self.team = team
        # Nobody in the receiving team had it: escalate_ticket unassigns, a member picks it up.
        self.assignee = self.rng.choice(self.world.agents[self.level])
        agent = self.assignee
        self._add(
            self.rng.uniform(10, 240),
            lambda t, at: services.assign_ticket(ticket=t, by=agent, assignee=agent, at=at),
        )
        if self.rng.random() < 0.5:
            self._note(self.rng.uniform(5, 120))
        self._reply(
            self.rng.uniform(15, 360), self._text(HANDOVER[self.lang], agent=agent.first_name)
        )

    def _classify(self, minutes: float, by: User, **changes) -> None:
        self._add(
            minutes, lambda t, at: services.classify_ticket(ticket=t, by=by, at=at, **changes)
        )

    def _resume(self, minutes: float) -> None:
        by = self.handler
        self._add(minutes, lambda t, at: services.resume_ticket(ticket=t, by=by, at=at))

    def _close(self, minutes: float, by: User | None) -> None:
        self._add(minutes, lambda t, at: services.close_ticket(ticket=t, by=by, at=at))

    def _pending(self, minutes: float) -> None:
        """Ask the customer for something and wait; `self.answer` is what they will send."""
        fitting = [
            (ask, answer)
            for ask, answer, topics in INFO_EXCHANGES[self.lang]
            if topics is None or self.category.name in topics
        ]
        ask, self.answer = self.rng.choice(fitting)
        text = self._text(ask)
        if self._apply_macro(minutes, "pending"):  # its reply asks, and it sets pending
            return
        self._reply(minutes, text)
        by = self.handler
        self._add(1, lambda t, at: services.set_pending(ticket=t, by=by, at=at))

    def _apply_macro(self, minutes: float, moment: str) -> bool:
        """Now and then an agent answers with the desk's macro for this moment and category
        (demo/macros.py) instead of typing: True when the step was planned. Drawn from a
        generator of its own, so the rest of the demo's stories stay as they were."""
        title = MACRO_MOMENTS.get((moment, self.category.name)) or MACRO_MOMENTS.get((moment, ""))
        macro = self.world.macros.get(title or "")
        own = own_random(self, f"macro:{moment}")
        if macro is None or own.random() >= MACRO_SHARE:
            return False
        by = self.handler
        self._add(minutes, lambda t, at: services.apply_macro(ticket=t, by=by, macro=macro, at=at))
        return True

    def _resolve(self, minutes: float) -> None:
        rng = self.rng
        resolution = rng.choice(RESOLUTIONS[self.category.name][self.lang])
        if rng.random() < 0.75:
            lowered = resolution[0].lower() + resolution[1:]
            solved = self._text(SOLVED[self.lang], resolution=lowered)
            gap = rng.uniform(1, 30)
            if self._apply_macro(minutes, "resolve"):  # its text is the resolution
                return
            self._reply(minutes, solved)
            minutes = gap
        elif self._apply_macro(minutes, "resolve"):
            return
        by = self.handler
        self._add(
            minutes,
            lambda t, at: services.resolve_ticket(ticket=t, by=by, resolution=resolution, at=at),
        )

    def _tag(self, minutes: float) -> None:
        """Tags an agent would add after the first reply: the category's usual ones now and
        then, and "vip" on the customers the demo treats as such. Drawn from a generator of
        their own (seeded by the case), so the rest of the demo's stories stay as they were."""
        own = own_random(self, "tags")
        tags = [tag for tag in CATEGORY_TAGS.get(self.category.name, ()) if own.random() < 0.35]
        if own.random() < 0.05 or self.customer.email.startswith(VIP_INITIALS):
            tags.append("vip")
        if tags:
            by = self.handler
            self._add(minutes, lambda t, at: services.change_tags(ticket=t, by=by, add=tags, at=at))

    def _reopen(self, minutes: float) -> None:
        if self.rng.random() < 0.7:
            self._customer(minutes, self._text(REOPEN_BY_CUSTOMER[self.lang]), impatience=0.5)
        else:
            by, reason = self.handler, self.rng.choice(REOPEN_REASONS)
            self._add(
                minutes, lambda t, at: services.reopen_ticket(ticket=t, by=by, reason=reason, at=at)
            )
        self._reply(self.rng.uniform(20, 600), self._text(RESUMED_REPLIES[self.lang]))

    def _work_time(self) -> float:
        """Minutes between the last exchange and the resolution."""
        if self.channel in LIVE and self.rng.random() < 0.5:
            return self.rng.uniform(5, 90)
        return min(60 * 20 * self.rng.lognormvariate(0, 0.9), 60 * 24 * 8)

    # --- the plot -----------------------------------------------------------------------------

    def plan(self) -> "Story":
        rng, outcome = self.rng, self.outcome
        if outcome == Status.NEW:
            if rng.random() < 0.2:
                minutes = rng.uniform(20, 600)
                self._customer(minutes, self._text(CUSTOMER_NUDGE[self.lang]), impatience=0.6)
            if self.assignee is None and rng.random() < 0.4:
                self._assign(rng.uniform(5, 120))
            if self.assignee is not None and rng.random() < 0.3:
                self._note(rng.uniform(5, 60))
            return self

        first_response = _first_response_minutes(rng, self.channel, self.priority)
        spent = 0.0
        if self.unclassified:
            minutes = first_response * rng.uniform(0.1, 0.4)
            self._classify(minutes, rng.choice(self.world.agents[1]), category=self.category)
            spent += minutes
        if self.assignee is None:
            minutes = (first_response - spent) * rng.uniform(0.2, 0.7)
            self._assign(minutes)
            spent += minutes
        first_reply = self._text(FIRST_REPLIES[self.lang])
        if not self._apply_macro(first_response - spent, "first_reply"):
            self._reply(first_response - spent, first_reply)
        if self.copied is not None and own_random(self, "copied-reply").random() < 0.5:
            body = COLLEAGUE_REPLIES[self.lang]
            self._add(
                rng.uniform(10, 240),
                lambda t, at: services.add_follower_reply(
                    ticket=t, follower=t.followers.get(), body=body, at=at
                ),
            )
        self._tag(rng.uniform(1, 30))
        if self.priority != Priority.URGENT and rng.random() < 0.08:  # worse than it looked
            priority = PRIORITY_UP[self.priority]
            self._classify(rng.uniform(5, 60), self.handler, priority=priority)
        if rng.random() < 0.3:
            self._note(rng.uniform(5, 240))

        escalation = self.escalation_rate * (1.5 if self.churned else 1)
        if self.level < 3 and rng.random() < escalation:
            self._escalate(rng.uniform(30, 60 * 24))
            if self.level < 3 and rng.random() < 0.3:
                self._escalate(rng.uniform(60, 60 * 48))

        if outcome == Status.PENDING:
            self._pending(rng.uniform(30, 60 * 24))
            return self
        if rng.random() < 0.35:
            self._pending(rng.uniform(30, 60 * 12))
            if rng.random() < 0.85:
                # Still open at the end: the customer has had enough of it more often.
                impatience = 0.5 if outcome == Status.OPEN else 0.15
                answer = self._text(self.answer)
                self._customer(rng.uniform(60, 60 * 48), answer, impatience=impatience)
            else:
                self._resume(rng.uniform(60 * 24, 60 * 72))
        if outcome == Status.OPEN:
            if rng.random() < 0.15:
                self._resolve(self._work_time())
                self._reopen(rng.uniform(60, 60 * 72))
            return self

        self._resolve(self._work_time())
        reopen = (
            0.3 if self.churned else 0.18 if self.category.name == "Producto defectuoso" else 0.1
        )
        rounds = 0
        while rounds < 2 and rng.random() < reopen:
            self._reopen(rng.uniform(60, 60 * 96))
            self._resolve(self._work_time())
            rounds += 1
            reopen /= 3
        if outcome == Status.CLOSED:
            if rng.random() < 0.8:  # closed by the system after the waiting period
                self._close(rng.uniform(60 * 72, 60 * 24 * 7), None)
            else:
                self._close(rng.uniform(60, 60 * 24 * 3), self.assignee)
        return self

    @property
    def copied(self) -> tuple[str, str] | None:
        """The colleague this customer's e-mail had in copy, if any: (name, address) at the
        customer's own domain."""
        own = own_random(self, "copied")
        if self.channel != Channel.EMAIL or "@" not in self.customer.email:
            return None
        if own.random() >= COPIED_SHARE:
            return None
        name, user = own.choice(COLLEAGUES)
        return name, f"{user}@{self.customer.email.split('@', 1)[1]}"

    def play(self, now: datetime) -> Ticket:
        """Register the ticket at `created_at` and run the planned steps in order, squeezing
        the delays so the last one happens before `now`."""
        ticket = services.register_ticket(
            by=self.registrar,
            customer=self.customer,
            channel=self.channel,
            subject=self.subject,
            description=self.description,
            priority=self.priority,
            category=None if self.unclassified else self.category,
            team=self.registered[0],
            assignee=self.registered[1],
            at=self.created_at,
        )
        if self.copied is not None:
            services.follow_from_mail(ticket, [self.copied], at=self.created_at)
        total = sum(minutes for minutes, _call in self.steps)
        room = (now - self.created_at).total_seconds() / 60 - 5
        scale = min(1.0, room * 0.95 / total) if total else 1.0
        at = self.created_at
        for minutes, call in self.steps:
            at += timedelta(minutes=minutes * scale)
            call(ticket, at)
        return ticket
