"""The whole desk in one transaction: ~400 stories at office-hours creation times, then what
the beat would have done by now, and the summary `load_demo` prints."""

import random
import time
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import services
from ..models import (
    ACTIVE_STATUSES,
    ROLE_GROUPS,
    AssignmentMode,
    Category,
    Channel,
    Customer,
    Role,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from ..services.deadlines import record_past_deadlines
from ..signals import demo_loaded, replaying_history
from .macros import create_macros
from .people import MARKER_USERNAME
from .relations import merge_demo_duplicate, relate_demo_tickets
from .saved_views import create_saved_views
from .stories import Story, _outcome
from .world import World, _build_world

SEED = 20250317
DAYS = 90
TICKETS = 400


# Tickets per hour of the day from 06:00 to 21:00: a morning peak and an after-lunch one.
HOURLY_WEIGHTS = [1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1]


def _creation_times(rng: random.Random, now: datetime, count: int) -> list[datetime]:
    """Office-hours creation times over the last DAYS days, busier recently, fewer at weekends,
    sorted so references grow with time."""
    local_now = timezone.localtime(now)
    times: list[datetime] = []
    while len(times) < count:
        age = rng.uniform(0, 4) if rng.random() < 0.2 else rng.uniform(0, DAYS)
        day = (local_now - timedelta(days=age)).date()
        if day.weekday() >= 5 and rng.random() < 0.6:
            continue
        hour = rng.choices(range(6, 22), weights=HOURLY_WEIGHTS)[0]
        moment = timezone.make_aware(
            datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))
        )
        if moment < now - timedelta(minutes=20):
            times.append(moment)
    return sorted(times)


def _customer_for(
    rng: random.Random, world: World, moment: datetime, weights: dict[int, float]
) -> Customer:
    day = timezone.localtime(moment).date()
    eligible = [
        c
        for c in world.customers
        if c.active_since <= day and (c.churned_at is None or day <= c.churned_at)
    ]
    return rng.choices(eligible, weights=[weights[c.pk] for c in eligible])[0]


def load_demo(
    *, seed: int = SEED, tickets: int = TICKETS, now: datetime | None = None
) -> dict | None:
    """Create the demo desk in one transaction. Returns a summary, or None when the demo is
    already there (the login `agent` exists)."""
    started = time.monotonic()
    now = now or timezone.now()
    rng = random.Random(seed)
    # Replaying the past: the services run as usual, but no e-mail or survey goes out.
    with transaction.atomic(), replaying_history():
        if User.objects.filter(username=MARKER_USERNAME).exists():
            return None
        world = _build_world(rng, timezone.localdate(now))
        create_macros(world)
        create_saved_views(world)
        # A few customers write a lot; churned ones a little more than most.
        weights = {
            c.pk: min(rng.paretovariate(1.6), 8) * (1.8 if c.pk in world.churned else 1)
            for c in world.customers
        }
        for moment in _creation_times(rng, now, tickets):
            customer = _customer_for(rng, world, moment, weights)
            age_days = (now - moment).total_seconds() / 86400
            Story(world, rng, moment, customer, _outcome(rng, age_days)).plan().play(now)
        # What the beat would have done by now (history: no e-mails): the automatic close of
        # tickets resolved AUTO_CLOSE_DAYS ago, and the breaches of the open ones, each at the
        # moment it fell. "Now" is when the load ends, not when it began: a deadline that
        # fell while the stories were played (the load takes half a minute, longer on a busy
        # machine) is the demo's past too, and the beat's first check must not find it.
        # From now on level 1 hands new cases out in turn.
        relate_demo_tickets(world)
        merge_demo_duplicate(now)
        now += timedelta(seconds=time.monotonic() - started)
        _close_as_the_beat_would_have(now)
        _record_past_deadlines(now)
        Team.objects.filter(level=1).update(assignment=AssignmentMode.ROUND_ROBIN)
        # Higher apps' demo data (the help centre): they may not be imported here.
        demo_loaded.send(sender=World, seed=seed, now=now, managers=world.managers)
    return summary(elapsed=time.monotonic() - started)


def _record_past_deadlines(now: datetime) -> None:
    """Each open ticket's warnings and breaches that fell before `now`, marked when they fell
    and escalating nothing now: a load-time escalation would date the past's breaches today
    and inflate this period's escalation rate (the stories hold the demo's escalations)."""
    open_with_clocks = Ticket.objects.filter(
        sla_policy__isnull=False, status__in=ACTIVE_STATUSES
    ).select_related("sla_policy")
    for ticket in open_with_clocks:
        record_past_deadlines(ticket, now)


def _close_as_the_beat_would_have(now: datetime) -> None:
    """Close each resolved ticket whose waiting period ended before `now`, at that moment."""
    wait = timedelta(days=settings.AUTO_CLOSE_DAYS)
    for ticket in Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=now - wait):
        assert ticket.resolved_at is not None  # filtered on it
        services.close_ticket(ticket=ticket, by=None, at=ticket.resolved_at + wait)


def summary(*, elapsed: float | None = None) -> dict:
    by_status = Counter(Ticket.objects.values_list("status", flat=True))
    by_channel = Counter(Ticket.objects.values_list("channel", flat=True))
    return {
        "elapsed": elapsed,
        "teams": Team.objects.count(),
        "agents": User.objects.filter(groups__name=ROLE_GROUPS[Role.AGENT]).count(),
        "managers": User.objects.filter(groups__name=ROLE_GROUPS[Role.MANAGER]).count(),
        "customers": Customer.objects.count(),
        "churned": Customer.objects.filter(churned_at__isnull=False).count(),
        "categories": Category.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "by_channel": {c.value: by_channel.get(c.value, 0) for c in Channel},
        "escalated": Ticket.objects.filter(escalation_count__gt=0).count(),
        "reopened": Ticket.objects.filter(reopen_count__gt=0).count(),
    }
