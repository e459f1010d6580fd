"""A large, realistic desk for the KPI benchmark, written fast with bulk inserts.

The one place in Pulso that writes tickets without the services: replaying a million stories
through them would take hours. It keeps the invariants the services keep instead:

- statuses agree with the timestamps and counters: `new` has no first response; `open` /
  `pending` have no resolution (a reopened ticket keeps its earlier `resolved_at` as the
  services do); `resolved` / `closed` have `resolved_at` (the latest resolution) and
  `closed` has `closed_at`;
- `first_response_at` is the first public agent reply, `public_agent_replies`,
  `escalation_count`, `reopen_count` and `level` count their events, `version` is one more
  than the number of changes;
- one TicketEvent per fact (created, assigned, replied, escalated, pending, resolved,
  reopened, closed) with a Reply row per public reply, so the timeline is plausible;
- a survey only for the latest resolution: SurveyInvitation `sent` (or `expired`) and, for
  ~40 % of resolved tickets, its SurveyResponse (source `import`) attributed to the team and
  agent at resolution, with scores that depend on the case (escalated, reopened and slow
  cases score lower), as in surveys/demo.py.

Not written: survey_answered / follow-up rows and customer notifications (no KPI reads them).

`conversations=True` (`seed_bench --conversations`, for the search benchmark) gives every
ticket what people write (metrics/seed_text.py): a subject and a description about its
category in its customer's language, realistic customer names, the agents' replies in words,
and ~5 messages a ticket in all — the customer's follow-ups while the case waits for its
first answer and internal notes before its resolution, each with its timeline event. The
text comes from a random stream of its own: the tickets, their clocks and surveys are the
same with or without it. The search documents are built at the end, in one statement
(`cases.search.rebuild_documents`), as the bulk inserts ran with the triggers off.

PostgreSQL gets COPY (psycopg 3); other databases executemany in batches (metrics/bulkload.py,
shared with the history import).
"""

import json
import math
import random
import secrets
import time
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from cases.models import (
    Category,
    Channel,
    Customer,
    EventKind,
    Priority,
    Reply,
    Status,
    Team,
    Ticket,
    TicketEvent,
    TicketSearchDocument,
    User,
)
from cases.search import rebuild_documents
from surveys.models import SurveyInvitation, SurveyResponse

from .bulkload import REPLY_COLUMNS, ProgressBar, Sink, reset_sequences
from .seed_text import Writer, customer_name

DAYS = 730  # two years of history
TEAMS = [
    ("Bench N1 Billing", 1),
    ("Bench N1 Orders", 1),
    ("Bench N1 General", 1),
    ("Bench N2 Technical", 2),
    ("Bench N3 Specialists", 3),
]
AGENTS_PER_TEAM = (5, 4, 4, 5, 2)  # 20 agents
CATEGORIES = [  # name, team index, escalation probability
    ("Billing", 0, 0.08),
    ("Payments", 0, 0.10),
    ("Shipping", 1, 0.06),
    ("Returns", 1, 0.08),
    ("Accounts", 2, 0.10),
    ("General question", 2, 0.03),
    ("Faulty product", 3, 0.35),
    ("Installation", 3, 0.25),
]
CHANNELS = {
    Channel.EMAIL: 28,
    Channel.WEB: 22,
    Channel.PHONE: 20,
    Channel.CHAT: 15,
    Channel.SOCIAL: 8,
    Channel.IN_PERSON: 4,
    Channel.FIELD_VISIT: 3,
}
PRIORITIES = {Priority.LOW: 20, Priority.NORMAL: 50, Priority.HIGH: 22, Priority.URGENT: 8}
LIVE = {Channel.PHONE, Channel.CHAT, Channel.IN_PERSON}
INVITED = 0.9  # share of resolutions surveyed (the rest throttled or without e-mail)
ANSWERED = 0.45  # share of surveys answered: 0.9 × 0.45 ≈ 40 % of resolved tickets
SEND_DELAY = timedelta(minutes=10)
EXPIRY = timedelta(days=30)


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _skip_foreign_key_checks() -> bool:
    """On PostgreSQL, as a superuser, skip the per-row foreign-key triggers for this
    transaction (the generator writes parents before children, ids it allocated itself).
    Elsewhere the checks run as usual."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def _people() -> tuple[list[Team], list[list[User]], list[Category], User]:
    agent_group, _ = Group.objects.get_or_create(name="Agent")
    manager_group, _ = Group.objects.get_or_create(name="Manager")
    password = make_password(None)  # unusable: bench people never log in
    teams, members = [], []
    serial = 0
    for (name, level), size in zip(TEAMS, AGENTS_PER_TEAM, strict=True):
        team, _ = Team.objects.get_or_create(name=name, defaults={"level": level})
        teams.append(team)
        people = []
        for _ in range(size):
            serial += 1
            user, created = User.objects.get_or_create(
                username=f"bench-agent-{serial:02d}",
                defaults={
                    "first_name": "Agent",
                    "last_name": f"{serial:02d}",
                    "email": f"bench-agent-{serial:02d}@bench.example",
                    "password": password,
                },
            )
            if created:
                user.groups.add(agent_group)
                team.members.add(user)
            people.append(user)
        members.append(people)
    manager, created = User.objects.get_or_create(
        username="bench-manager",
        defaults={"first_name": "Bench", "last_name": "Manager", "password": password},
    )
    if created:
        manager.groups.add(manager_group)
    categories = [
        Category.objects.get_or_create(name=name, defaults={"default_team": teams[team]})[0]
        for name, team, _ in CATEGORIES
    ]
    return teams, members, categories, manager


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def _scale(rng: random.Random, quality: float, low: int, high: int) -> int:
    value = round(low + quality * (high - low) + rng.gauss(0, 0.6))
    return min(max(value, low), high)


def seed(
    tickets: int,
    *,
    seed: int = 1,
    now: datetime | None = None,
    progress=True,
    conversations: bool = False,
) -> dict:
    """Write `tickets` tickets over the last two years, with their customers, events,
    replies, survey invitations and answers (and, with `conversations`, what people wrote).
    Returns the row counts."""
    started = time.monotonic()
    now = now or timezone.now()
    rng = random.Random(seed)
    writer = Writer(random.Random(f"{seed}-conversations")) if conversations else None
    with transaction.atomic():
        teams, members, categories, manager = _people()
        fast = _skip_foreign_key_checks()
        counts = _write(tickets, rng, now, teams, members, categories, progress, writer)
        if fast:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
        reset_sequences([Customer, Ticket, TicketEvent, Reply, SurveyInvitation, SurveyResponse])
        # The triggers that keep the search's documents were off for the bulk inserts
        # (or ran once per COPY): every ticket without its document gets it, in one statement.
        search_started = time.monotonic()
        counts["search documents"] = rebuild_documents()
        counts["search seconds"] = round(time.monotonic() - search_started, 1)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # What autovacuum would have done to a table that grew over two years: statistics
        # for the planner, a visibility map and hint bits (a freshly COPYed table is slower
        # to scan until then, which is not what a live desk sees).
        with connection.cursor() as cursor:
            for model in (
                Customer,
                Ticket,
                TicketEvent,
                Reply,
                SurveyInvitation,
                SurveyResponse,
                TicketSearchDocument,
            ):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    counts["seconds"] = round(time.monotonic() - started, 1)  # vacuum included
    return counts


def _write(  # noqa: C901, PLR0912, PLR0915 - one story per ticket, told top to bottom
    n: int,
    rng: random.Random,
    now: datetime,
    teams,
    members,
    categories,
    progress: bool,
    writer: Writer | None = None,
) -> dict:
    from surveys.services import hash_token, token_for

    sink = Sink()
    customer_id, ticket_id, event_id = _next_id(Customer), _next_id(Ticket), _next_id(TicketEvent)
    reply_id, invitation_id = _next_id(Reply), _next_id(SurveyInvitation)
    response_id = _next_id(SurveyResponse)

    add_customer = sink.table(
        Customer,
        (
            "id",
            "name",
            "email",
            "phone",
            "company",
            "language",
            "active_since",
            "churned_at",
            "created_at",
            "is_organisation_admin",
        ),
    )
    add_ticket = sink.table(
        Ticket,
        (
            "id",
            "subject",
            "description",
            "customer_id",
            "channel",
            "category_id",
            "priority",
            "status",
            "level",
            "team_id",
            "assignee_id",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "escalation_count",
            "reopen_count",
            "public_agent_replies",
            "resolution",
            "version",
        ),
    )
    add_event = sink.table(TicketEvent, ("id", "ticket_id", "actor_id", "kind", "data", "at"))
    add_reply = sink.table(Reply, REPLY_COLUMNS)
    add_invitation = sink.table(
        SurveyInvitation,
        (
            "id",
            "ticket_id",
            "customer_id",
            "resolution_event_id",
            "agent_id",
            "team_id",
            "resolved_at",
            "language",
            "questions",
            "nonce",
            "token_hash",
            "status",
            "created_at",
            "send_after",
            "expires_at",
            "attempts",
            "last_error",
            "sent_at",
            "answered_at",
            "withdrawn_reason",
            "from_history",  # generated history: never sent, never reminded
        ),
    )
    add_response = sink.table(
        SurveyResponse,
        (
            "id",
            "invitation_id",
            "ticket_id",
            "agent_id",
            "team_id",
            "csat",
            "ces",
            "nps",
            "comment",
            "source",
            "answered_at",
        ),
    )

    # Customers: one per ~8 tickets, joined over three years, ~15 % churned since.
    today = now.date()
    n_customers = max(50, n // 8)
    customers = []
    for i in range(n_customers):
        since = today - timedelta(days=rng.randrange(0, 3 * 365))
        churned = None
        if rng.random() < 0.15:
            churned = since + timedelta(days=rng.randrange(0, (today - since).days + 1))
        language = "es" if rng.random() < 0.8 else "en"
        cid = customer_id + i
        customers.append((cid, language))
        add_customer(
            (
                cid,
                customer_name(writer.rng, cid) if writer else f"Customer {cid}",
                f"bench-{cid}@bench.example",
                "",
                "",
                language,
                since,
                churned,
                datetime.combine(since, datetime.min.time(), tzinfo=now.tzinfo),
                False,
            )
        )

    questions = json.dumps(["csat", "ces", "nps"])
    bar = ProgressBar("seed_bench", n) if progress else None
    start = now - timedelta(days=DAYS)
    for i in range(n):
        if bar and i % 1000 == 0:
            bar.update(i)
        tid = ticket_id + i
        cid, language = customers[rng.randrange(n_customers)]
        # Creation: two years, busier on weekdays and in office hours.
        day = start + timedelta(days=rng.random() * DAYS)
        if day.weekday() >= 5 and rng.random() < 0.6:
            day -= timedelta(days=2)
        created = day.replace(hour=rng.choice((8, 9, 9, 10, 10, 11, 12, 14, 15, 16, 17, 19)))
        created += timedelta(seconds=rng.randrange(3600))
        if created >= now:
            created = now - timedelta(minutes=rng.randrange(1, 600))
        channel = _pick(rng, CHANNELS)
        priority = _pick(rng, PRIORITIES)
        category_index = rng.randrange(len(CATEGORIES))
        _, team_index, escalation_p = CATEGORIES[category_index]
        category_id = categories[category_index].pk if rng.random() > 0.04 else None
        team = teams[team_index]
        level = team.level
        assignee = rng.choice(members[team_index]) if rng.random() < 0.93 else None
        events = [(EventKind.CREATED, None, created, {"channel": channel, "priority": priority})]
        if assignee:
            events.append(
                (EventKind.ASSIGNED, None, created, {"assignee_id": assignee.pk, "auto": True})
            )
        # First response.
        median: float = 8 if channel in LIVE else 90
        median /= {"urgent": 4, "high": 2}.get(priority, 1)
        first_response: datetime | None  # None: not answered yet
        first_response = created + timedelta(minutes=_lognormal(rng, median, 1.2))
        if first_response >= now or (now - created < timedelta(days=2) and rng.random() < 0.2):
            first_response = None
        replies, escalations, reopens = 0, 0, 0
        status, resolved_at, closed_at = Status.NEW, None, None
        resolver = assignee
        if first_response is not None:
            status = Status.OPEN
            replies = 1
            reply_times = [first_response]
            extra = min(int(rng.expovariate(1.3)), 6)
            work = timedelta(minutes=_lognormal(rng, 20 * 60, 1.3))
            for k in range(extra):
                reply_times.append(first_response + work * (k + 1) / (extra + 1))
            # Escalations (up to level 3), to the next level's team.
            escalation_times = []
            while level < 3 and rng.random() < (escalation_p if not escalations else 0.25):
                escalations += 1
                level += 1
                escalation_times.append(first_response + work * rng.random() * 0.5)
            if escalations:
                team_index = 3 if level == 2 else 4
                team = teams[team_index]
                resolver = rng.choice(members[team_index]) if rng.random() < 0.9 else None
            resolution = first_response + work
            if escalations:
                resolution += timedelta(hours=_lognormal(rng, 24, 0.8))
            resolutions = [resolution]
            while len(resolutions) < 3 and rng.random() < (0.08 if not reopens else 0.15):
                reopens += 1
                reopened = resolutions[-1] + timedelta(hours=rng.expovariate(1 / 30))
                resolutions.append(reopened + timedelta(hours=rng.expovariate(1 / 10)))
            for k, at in enumerate(reply_times):
                rid = reply_id
                reply_id += 1
                actor = assignee if k == 0 else resolver
                if at < now:
                    body = writer.reply(language, tid) if writer else "Reply"
                    add_reply((rid, tid, actor.pk if actor else None, body, True, at, "", ""))
                    events.append((EventKind.REPLIED, actor, at, {"reply_id": rid}))
            if rng.random() < 0.15 and reply_times[0] < now:
                pending_at = reply_times[0] + timedelta(minutes=5)
                events.append((EventKind.PENDING, assignee, pending_at, {"from": "open"}))
                events.append(
                    (EventKind.RESUMED, None, pending_at + timedelta(hours=3), {"to": "open"})
                )
            for k, at in enumerate(escalation_times):
                from_level = level - escalations + k
                data = {"from_level": from_level, "to_level": from_level + 1}
                events.append((EventKind.ESCALATED, assignee, at, data))
            replies = sum(1 for at in reply_times if at < now)
            escalations = sum(1 for at in escalation_times if at < now)
            if escalations < len(escalation_times):  # still to come: not yet escalated
                level -= len(escalation_times) - escalations
            # Replay the resolutions and reopenings that already happened.
            done_reopens = 0
            for k, at in enumerate(resolutions):
                if at >= now:
                    break
                resolved_at = at
                status = Status.RESOLVED
                events.append(
                    (EventKind.RESOLVED, resolver, at, {"from": "open", "to": "resolved"})
                )
                if k + 1 < len(resolutions):
                    reopen_at = at + (resolutions[k + 1] - at) / 3
                    if reopen_at >= now:
                        break
                    done_reopens += 1
                    status = Status.OPEN
                    events.append(
                        (EventKind.REOPENED, None, reopen_at, {"from": "resolved", "to": "open"})
                    )
            reopens = done_reopens
            if status == Status.RESOLVED and rng.random() < 0.75:
                assert resolved_at is not None  # set with the status RESOLVED
                close_at = resolved_at + timedelta(days=7)
                if close_at < now:
                    status, closed_at = Status.CLOSED, close_at
                    events.append((EventKind.CLOSED, None, close_at, {"from": "resolved"}))
            if status == Status.OPEN and rng.random() < 0.3:
                pending_at = events[-1][2] + timedelta(minutes=30)
                if pending_at < now:
                    status = Status.PENDING
                    events.append((EventKind.PENDING, resolver, pending_at, {"from": "open"}))
        if writer:
            reply_id = _conversation(
                writer,
                add_reply,
                events,
                tid,
                reply_id,
                language,
                created,
                first_response,
                resolved_at,
                now,
                assignee or resolver or members[team_index][0],
            )
        events.sort(key=lambda e: e[2])
        resolved_event_id = None
        for kind, actor, at, data in events:
            add_event((event_id, tid, actor.pk if actor else None, kind, json.dumps(data), at))
            if kind == EventKind.RESOLVED:
                resolved_event_id = event_id
            event_id += 1
        subject, description = f"Bench case {tid}", "Generated by seed_bench."
        if writer:
            subject, description = writer.opening(CATEGORIES[category_index][0], language, tid)
        add_ticket(
            (
                tid,
                subject,
                description,
                cid,
                channel,
                category_id,
                priority,
                status,
                level,
                team.pk,
                resolver.pk if resolver and escalations else (assignee.pk if assignee else None),
                created,
                events[-1][2],
                first_response if first_response is not None and first_response < now else None,
                resolved_at,
                closed_at,
                escalations,
                reopens,
                replies,
                "Solved." if resolved_at else "",
                len(events) + 1,
            )
        )
        # The survey of the latest resolution.
        if status in (Status.RESOLVED, Status.CLOSED) and rng.random() < INVITED:
            assert resolved_at is not None  # set with the status RESOLVED (then CLOSED)
            sent_at = resolved_at + SEND_DELAY
            if sent_at >= now:
                continue
            answered_at = None
            if rng.random() < ANSWERED:
                answered_at = sent_at + timedelta(hours=rng.expovariate(1 / 8))
                if answered_at >= now or answered_at >= sent_at + EXPIRY:
                    answered_at = None
            state = "answered" if answered_at else "sent"
            if answered_at is None and sent_at + EXPIRY <= now:
                state = "expired"
            nonce = secrets.token_hex(32)
            agent_id = (
                resolver.pk if resolver and escalations else (assignee.pk if assignee else None)
            )
            add_invitation(
                (
                    invitation_id,
                    tid,
                    cid,
                    resolved_event_id,
                    agent_id,
                    team.pk,
                    resolved_at,
                    language,
                    questions,
                    nonce,
                    hash_token(token_for(_Nonce(nonce))),
                    state,
                    resolved_at,
                    sent_at,
                    sent_at + EXPIRY,
                    1,
                    "",
                    sent_at,
                    answered_at,
                    "",
                    True,
                )
            )
            if answered_at is not None:
                quality = rng.gauss(0.85, 0.12) - 0.18 * escalations - 0.3 * (reopens > 0)
                if first_response is not None and first_response - created > timedelta(hours=8):
                    quality -= 0.12
                quality = min(max(quality - 0.02 * max(replies - 1, 0), 0.0), 1.0)
                add_response(
                    (
                        response_id,
                        invitation_id,
                        tid,
                        agent_id,
                        team.pk,
                        _scale(rng, quality, 1, 5),
                        _scale(rng, quality, 1, 7) if rng.random() < 0.85 else None,
                        _scale(rng, quality, 0, 10),
                        "",
                        "import",
                        answered_at,
                    )
                )
                response_id += 1
            invitation_id += 1
    if bar:
        bar.finish()
    counts = sink.close()
    return {
        "customers": counts[Customer._meta.db_table],
        "tickets": counts[Ticket._meta.db_table],
        "events": counts[TicketEvent._meta.db_table],
        "replies": counts[Reply._meta.db_table],
        "invitations": counts[SurveyInvitation._meta.db_table],
        "responses": counts[SurveyResponse._meta.db_table],
    }


def _conversation(
    writer: Writer,
    add_reply,
    events: list,
    tid: int,
    reply_id: int,
    language: str,
    created: datetime,
    first_response: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
    agent: User,
) -> int:
    """The customer's follow-ups while the case waits for its first answer (a new ticket
    stays new) and the internal notes written before its first resolution, each with its
    event; about 3.4 messages a ticket. Returns the next free reply id."""
    rng = writer.rng
    waiting_until = first_response if first_response is not None and first_response < now else now
    for _ in range(rng.choice((1, 2, 2, 3))):
        at = created + (waiting_until - created) * rng.uniform(0.05, 0.95)
        add_reply((reply_id, tid, None, writer.follow_up(language, tid), True, at, "", ""))
        events.append((EventKind.CUSTOMER_REPLIED, None, at, {"reply_id": reply_id}))
        reply_id += 1
    working_until = resolved_at or max(event[2] for event in events)
    working_until = min(max(working_until, created + timedelta(minutes=1)), now)
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        at = created + (working_until - created) * rng.uniform(0.05, 0.95)
        add_reply((reply_id, tid, agent.pk, writer.note(tid), False, at, "", ""))
        events.append((EventKind.NOTE, agent, at, {"reply_id": reply_id}))
        reply_id += 1
    return reply_id


class _Nonce:
    """What token_for() reads of an invitation."""

    def __init__(self, nonce: str):
        self.nonce = nonce
