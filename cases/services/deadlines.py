"""The SLA breach check (Celery beat every minute; `manage.py check_sla` by hand).

For each clock — first response, resolution — it finds the tickets whose warning time or due
time has passed and were not yet warned or marked breached, and handles each in its own
transaction with the row locked (`SKIP LOCKED`: a ticket another worker is handling is
left to it), re-checking the condition under the lock. So one breach escalates once however
often the check runs or however many workers run it.

- at 80 % of a target: the assignee is warned (e-mail) and the timeline says so;
- at 100 %: the breach is recorded, the ticket escalates one support level (to the team the
  policy names, if any) when the lifecycle and the level allow, and the assignee and the
  team's managers are e-mailed.

A history import records its tickets' past deadlines with `record_past_deadlines` instead:
the breaches count, but nobody hears of them and nothing escalates.
"""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..emails import send_templated_email
from ..errors import TransitionError, ValidationError
from ..models import ACTIVE_STATUSES, MAX_LEVEL, EventKind, Status, Ticket, User
from ..publishing import publish_on_commit
from ..selectors import team_managers
from ..sla import running_clocks
from .steps import Fact
from .tickets import _event, escalate_ticket

log = logging.getLogger(__name__)

# notify(ticket_id, clock, stage, user_ids): publishes one SLA alert (the task in production).
AlertPublisher = Callable[[int, str, str, list[int]], None]

CLOCKS = ("first_response", "resolution")
BATCH = 1000  # tickets per clock and stage per run; the next run takes the rest


def _running(clock: str) -> Q:
    """Tickets whose `clock` is still running."""
    if clock == "first_response":
        return Q(first_response_at__isnull=True, status__in=ACTIVE_STATUSES)
    return Q(status__in=[Status.NEW, Status.OPEN])  # pending and resolved stop it


def _passed(clock: str, stage: str, now: datetime) -> Q:
    moment, mark = ("warn_at", "warned_at") if stage == "warning" else ("due_at", "breached_at")
    # The warning time always comes first: also asking for it lets a breach search use the
    # partial index on the warning time instead of reading every open ticket.
    passed = _running(clock) & Q(
        **{
            f"{clock}_warn_at__lte": now,
            f"{clock}_{moment}__lte": now,
            f"{clock}_{mark}__isnull": True,
        }
    )
    if stage == "warning":  # already past due: the breach notice says it all
        passed &= Q(**{f"{clock}_due_at__gt": now})
    return passed


def check_deadlines(
    now: datetime | None = None, notify: AlertPublisher | None = None
) -> Counter[str]:
    """Warn and escalate what is due. `notify(ticket_id, clock, stage, user_ids)` is called
    on commit for each e-mail to send (the task in production)."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    for clock in CLOCKS:
        for stage in ("warning", "breach"):
            due = (
                Ticket.objects.filter(_passed(clock, stage, now))
                .order_by(f"{clock}_{'warn_at' if stage == 'warning' else 'due_at'}")
                .values_list("pk", flat=True)[:BATCH]
            )
            for pk in list(due):
                if _handle(pk, clock, stage, now, notify):
                    counts[f"{clock}_{stage}"] += 1
    return counts


@transaction.atomic
def _handle(pk: int, clock: str, stage: str, now: datetime, notify: AlertPublisher | None) -> bool:
    ticket = (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("sla_policy", "assignee", "team")
        .filter(_passed(clock, stage, now), pk=pk)
        .first()
    )
    if ticket is None:  # handled by another run, or no longer running
        return False
    fields = [f"{clock}_warned_at"]
    setattr(ticket, f"{clock}_warned_at", getattr(ticket, f"{clock}_warned_at") or now)
    if stage == "breach":
        setattr(ticket, f"{clock}_breached_at", now)
        fields.append(f"{clock}_breached_at")
    ticket.save(update_fields=fields)
    due = getattr(ticket, f"{clock}_due_at")
    _event(
        ticket,
        None,
        EventKind.SLA_BREACHED if stage == "breach" else EventKind.SLA_WARNING,
        now,
        clock=clock,
        due=due.isoformat(),
        policy=ticket.sla_policy.name if ticket.sla_policy else None,
    )
    recipients = [ticket.assignee] if ticket.assignee and ticket.assignee.email else []
    if stage == "breach":
        _escalate(ticket, clock, now)
        recipients += team_managers(ticket.team_id)
    user_ids = sorted({user.pk for user in recipients})
    if notify is not None and user_ids:
        publish_on_commit(notify, ticket.pk, clock, stage, user_ids)
    return True


def record_past_deadlines(ticket: Ticket, until: datetime) -> list[str]:
    """History (a history import): the warnings and breaches of the ticket's running clocks
    that fell before `until`, each marked at the moment it fell due — so the SLA figures count a
    past breach as a breach, and the live check takes neither for a new one. Nobody is
    e-mailed and nothing escalates: that was the old tool's past, whose escalations the
    history lists itself. A deadline from `until` on is left to the live check.

    `ticket` is the row as the last service call returned it: an import asks before every
    event, and mostly nothing fell since the one before, so its clocks decide without a
    query; then the row is locked, checked again and written, and the marks are set on
    `ticket` too. Runs in the caller's transaction; returns the clocks marked breached."""
    if not fallen_deadlines(ticket, until):
        return []
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_policy")
        .get(pk=ticket.pk)
    )
    marks = fallen_deadlines(locked, until)
    if not marks:
        return []
    for field, moment in marks.items():
        setattr(ticket, field, moment)
    facts = mark_past_deadlines(locked, marks)
    locked.save(update_fields=list(marks))
    for fact in facts:
        _event(locked, fact.actor, fact.kind, fact.at, **fact.data)
    return [fact.data["clock"] for fact in facts]


def mark_past_deadlines(ticket: Ticket, marks: dict[str, datetime]) -> list[Fact]:
    """Set `marks` (from `fallen_deadlines`) on the ticket in memory; the breach events to
    append, each at the moment it fell due (the history import writes them in bulk)."""
    for field, moment in marks.items():
        setattr(ticket, field, moment)
    breached = [f.removesuffix("_breached_at") for f in marks if f.endswith("_breached_at")]
    return [
        Fact(
            EventKind.SLA_BREACHED,
            None,
            due,
            {
                "clock": clock,
                "due": due.isoformat(),
                # None: the policy was deleted since (its tickets keep their due times)
                "policy": ticket.sla_policy.name if ticket.sla_policy else None,
            },
        )
        for clock in breached
        for due in (marks[f"{clock}_breached_at"],)
    ]


def fallen_deadlines(ticket: Ticket, until: datetime) -> dict[str, datetime]:
    """{field: moment} of the warnings and breaches of the ticket's running clocks that fell
    before `until` and are not marked yet."""
    marks = {}
    for clock, due, warn in running_clocks(ticket):
        if warn and warn < until and getattr(ticket, f"{clock}_warned_at") is None:
            marks[f"{clock}_warned_at"] = warn  # its moment passed: nobody is warned now
        if due < until and getattr(ticket, f"{clock}_breached_at") is None:
            marks[f"{clock}_breached_at"] = due
    return marks


def _escalate(ticket: Ticket, clock: str, now: datetime) -> None:
    """One level up, to the policy's team if it names one — when the lifecycle and the
    level allow; the breach is recorded either way."""
    if ticket.level >= MAX_LEVEL:
        return
    policy = ticket.sla_policy
    target = policy.escalate_to if policy and policy.escalate_to_id else None
    reason = (
        _("First response deadline missed (SLA).")
        if clock == "first_response"
        else _("Resolution deadline missed (SLA).")
    )
    try:
        escalate_ticket(ticket=ticket, by=None, reason=reason, team=target, at=now)
    except (TransitionError, ValidationError) as error:
        log.info("SLA breach on %s not escalated: %s", ticket.reference, error)


def send_alert(ticket_id: int, clock: str, stage: str, user_ids: list[int]) -> int:
    """E-mail the warning or the breach to each person, in their language. A transient
    SMTP error propagates (the task retries the whole alert; a rare duplicate beats a lost
    breach notice)."""
    ticket = Ticket.objects.select_related("sla_policy", "team", "assignee").get(pk=ticket_id)
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email=""):
        send_templated_email(
            name="sla-alert",
            to=user.email,
            language=user.language,
            context={
                "ticket": ticket,
                "user": user,
                "clock": clock,
                "breach": stage == "breach",
                "due": getattr(ticket, f"{clock}_due_at"),
                "link": reverse("cases:ticket_detail", args=[ticket.pk]),
            },
            headers={"X-Pulso-Ticket": ticket.reference, "Auto-Submitted": "auto-generated"},
        )
        sent += 1
    return sent
