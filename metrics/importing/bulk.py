"""Step 3, fast: each ticket replayed in memory through the services' own steps
(cases/services/steps.py: the lifecycle table, the counters, the SLA clocks, the events;
`fallen_deadlines` / `mark_past_deadlines` for the deadlines that fell meanwhile;
`history_invitation`, `clean_answer`, `answer_rows` and `withdraw` for its surveys), then
written with the rows of the other tickets of its batch in one COPY per table (executemany
on SQLite): the ticket, its replies, its events, its survey invitations, answers and
follow-ups, its `ImportedRecord` and its `RollupChange`.

The same computation as the service replay (replay_services.py), so the same rows, the same
refusals with the same messages, in far fewer statements. What only the database can decide
— a team's automatic assignment picks an agent by the tickets they hold — goes to the
services: the rows held back are written first, then that ticket is replayed as always.
"""

import json
import secrets
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import TypeVar

from django.db import DatabaseError, connection
from django.db.models import DateTimeField, Model

from cases.errors import CasesError
from cases.models import (
    AssignmentMode,
    Category,
    EventKind,
    Reply,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from cases.services import deadlines, steps
from cases.services.steps import Fact, Step
from cases.services.tickets import _default_team
from surveys.errors import SurveyError
from surveys.models import FollowUp, Source, SurveyInvitation, SurveyResponse
from surveys.services import (
    WITHDRAWABLE,
    answer_rows,
    answered_event_data,
    clean_answer,
    follow_up_event_data,
    history_invitation,
    withdraw,
)

from .. import rollups
from ..bulkload import REPLY_COLUMNS, IdPool, Sink
from ..models import ImportedRecord, RollupChange
from .people import IMPORTED_COLUMNS, Names, People, Refused, invalid
from .records import BY_CUSTOMER, TICKET, Event, Record, Survey
from .replay_services import (
    ServicesReplay,
    event_refusal,
    follow_up_status,
    survey_now,
    survey_refusal,
)
from .report import ImportReport
from .rows import columns_of, row_of

BATCH = 2000  # tickets whose rows are written together
T = TypeVar("T")
EVENT_COLUMNS = ("id", "ticket_id", "actor_id", "kind", "data", "at")
CHANGE_COLUMNS = ("ticket_id", "created_at")
TIMES = [f.attname for f in Ticket._meta.concrete_fields if isinstance(f, DateTimeField)]


class NeedsServices(Exception):
    """Only the database can decide this ticket: the services replay it."""


class ImportStaffing:
    """The steps' questions about people and teams (steps.Staffing), answered from the team
    memberships read once — the import adds none while it replays tickets."""

    def __init__(self, names: Names):
        self.names = names
        self.members: dict[int, set[int]] = {}
        for team_id, user_id in Team.members.through.objects.values_list("team_id", "user_id"):
            self.members.setdefault(team_id, set()).add(user_id)
        self._default_teams: dict[int | None, Team | None] = {}
        self._seen_changes = names.changes

    def is_assignable(self, ticket: Ticket, user: User) -> bool:
        return (
            user.is_active
            and user.role is not None
            and (ticket.team_id is None or user.pk in self.members.get(ticket.team_id, ()))
        )

    def is_member(self, team: Team, user_id: int) -> bool:
        return user_id in self.members.get(team.pk, ())

    def default_team(self, category: Category | None) -> Team | None:
        if self._seen_changes != self.names.changes:  # a team was created or removed
            self._default_teams, self._seen_changes = {}, self.names.changes
        key = category.pk if category is not None else None
        if key not in self._default_teams:
            self._default_teams[key] = _default_team(category)
        return self._default_teams[key]

    def least_loaded(self, team: Team) -> User | None:
        raise NeedsServices

    def automatic_assignee(self, team: Team | None) -> User | None:
        if team is None or team.assignment == AssignmentMode.OFF:
            return None
        raise NeedsServices  # by the load or the turn of the team's members: ask the database


# Rows of each table a ticket writes at most on average, with room (for the id blocks).
PER_TICKET = {
    Ticket: 1,
    Reply: 8,
    TicketEvent: 16,
    SurveyInvitation: 1,
    SurveyResponse: 1,
    FollowUp: 1,
}


class _Ids:
    """The ids the rows of the next batch take, reserved between batches (while no COPY
    holds the connection)."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.pools = {model: IdPool(model, block=batch * n) for model, n in PER_TICKET.items()}
        self._nonces: list[str] = []

    def next(self, model: type[Model]) -> int:
        return self.pools[model].next()

    def top_up(self) -> None:
        """Enough ids for a batch in every pool (a pool that runs short mid-batch reserves
        more then)."""
        for model, pool in self.pools.items():
            pool.reserve_ahead(self.batch * PER_TICKET[model] // 2)

    def discard(self) -> None:
        for pool in self.pools.values():
            pool.discard()

    def nonce(self) -> str:
        """A survey link's 32 random bytes in hex, drawn a thousand at a time."""
        if not self._nonces:
            drawn = secrets.token_bytes(32 * 1000).hex()
            self._nonces = [drawn[start : start + 64] for start in range(0, len(drawn), 64)]
        return self._nonces.pop()


class TicketRows:
    """What one ticket's replay writes, with the ids the services would have given in turn."""

    def __init__(self, ticket: Ticket, ids: _Ids):
        self.ticket, self.ids = ticket, ids
        self._event_id = ids.pools[TicketEvent].next
        self.replies: list[tuple] = []
        self.events: list[tuple] = []
        self.invitations: list[SurveyInvitation] = []
        self.responses: list[SurveyResponse] = []
        self.follow_ups: list[FollowUp] = []
        self._resolution: tuple[int, Fact] | None = None

    def add(self, step: Step) -> None:
        message = step.message
        if message is not None:
            pk = self.ids.next(Reply)
            step.name_reply(pk)
            author = message.author.pk if message.author is not None else None
            self.replies.append(
                (pk, self.ticket.pk, author, message.body, message.public, message.at, "", "")
            )
        for fact in step.facts:
            self.fact(fact)

    def fact(self, fact: Fact) -> None:
        pk = self._event_id()
        actor = fact.actor.pk if fact.actor is not None else None
        self.events.append((pk, self.ticket.pk, actor, fact.kind, json.dumps(fact.data), fact.at))
        if fact.kind == EventKind.RESOLVED:
            self._resolution = (pk, fact)

    def last_resolution(self) -> TicketEvent:
        """The latest resolution, as the row the services would read back."""
        assert self._resolution is not None
        pk, fact = self._resolution
        return TicketEvent(
            pk=pk,
            ticket_id=self.ticket.pk,
            actor=fact.actor,
            kind=fact.kind,
            at=fact.at.astimezone(UTC),
            data=fact.data,
        )


class BulkWriter:
    """Replays each valid ticket in memory and writes the rows in batches. Precondition:
    inside the import's transaction, `replaying_history()` and `sla.rules_held()`."""

    def __init__(self, people: People, report: ImportReport, now: datetime, batch: int = BATCH):
        self.people, self.report, self.now, self.batch = people, report, now, batch
        self.names = people.names
        self.staffing = ImportStaffing(people.names)
        self.services = ServicesReplay(people, report, now)
        self.ids = _Ids(batch)
        # Flushed between batches (`between_batches`); the COPYs run while the next batch
        # is replayed.
        self.sink = Sink(batch=batch * 50, background=True)
        self.add_ticket = self.sink.table(Ticket, columns_of(Ticket))
        assert columns_of(Reply) == REPLY_COLUMNS, "Reply changed: update REPLY_COLUMNS"
        self.add_reply = self.sink.table(Reply, REPLY_COLUMNS)
        assert columns_of(TicketEvent) == EVENT_COLUMNS, "TicketEvent changed: update EVENT_COLUMNS"
        self.add_event = self.sink.table(TicketEvent, EVENT_COLUMNS)
        self.add_invitation = self.sink.table(SurveyInvitation, columns_of(SurveyInvitation))
        self.add_response = self.sink.table(SurveyResponse, columns_of(SurveyResponse))
        self.add_follow_up = self.sink.table(FollowUp, columns_of(FollowUp))
        self.add_record = self.sink.table(ImportedRecord, IMPORTED_COLUMNS)
        self.add_change = self.sink.table(RollupChange, CHANGE_COLUMNS)
        self.mark_changes = rollups.enabled()
        # Foreign keys checked as each COPY ends (the sink writes parents first), so the
        # checks run in the COPY's thread beside the replay, not all at the commit.
        self._constraints("IMMEDIATE")

    @property
    def copies(self) -> int:
        """The COPY statements it sent (Django's query log sees the rest)."""
        return self.sink.copies

    def write(self, record: Record) -> None:
        self.names.start_ticket()
        try:
            rows = self.replay(record.data)
        except NeedsServices:
            self.names.forget_ticket(delete=True)
            self.sink.flush()  # what the database decides by must be there
            self.sink.sync()
            self.ids.discard()
            self.services.write(record)
            self.ids.discard()  # the services took ids after ours (see IdPool)
            self.report.replayed_by_services += 1
            return
        except Refused as refused:
            self.names.forget_ticket(delete=True)
            invalid(self.report, record, str(refused))
            return
        self._hold(rows, record)
        self.report.counts[TICKET].created += 1
        self.report.events += len(record.data["events"])

    def finish(self) -> None:
        self.sink.close()
        self._constraints("DEFERRED")  # as Django declares them

    def abandon(self) -> None:
        """The import failed: write nothing more."""
        self.sink.abandon()
        # The mode outlives a rolled-back savepoint: give the caller theirs back (in an
        # aborted transaction this fails, and the transaction's end resets the mode).
        with suppress(DatabaseError):
            self._constraints("DEFERRED")

    @staticmethod
    def _constraints(mode: str) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS ALL {mode}")

    def _hold(self, rows: TicketRows, record: Record) -> None:
        ticket = rows.ticket
        self.add_ticket(row_of(ticket))
        for reply in rows.replies:
            self.add_reply(reply)
        for event in rows.events:
            self.add_event(event)
        for invitation in rows.invitations:
            self.add_invitation(row_of(invitation))
        for response in rows.responses:
            self.add_response(row_of(response))
        for follow_up in rows.follow_ups:
            self.add_follow_up(row_of(follow_up))
        self.add_record((TICKET, record.external_id, ticket.pk, self.now))
        if self.mark_changes:
            self.add_change((ticket.pk, self.now))

    def between_batches(self, fetch: Callable[[], T]) -> T:
        """A batch is replayed: wait for the previous batch's COPYs, `fetch` what the next
        needs and reserve its ids while the connection is free, then hand this batch's rows
        to the COPY thread."""
        self.sink.sync()
        fetched = fetch()
        self.ids.top_up()
        self.sink.flush()
        return fetched

    # --- one ticket, in memory ------------------------------------------------------------

    def replay(self, data: dict) -> TicketRows:
        """What the service replay does to one ticket, on the ticket in memory."""
        people, names = self.people, self.names
        customer = people.customer(data["customer"])
        category = names.category(data["category"]) if data["category"] else None
        team = names.team(data["team"]) if data["team"] else None
        assignee = people.agent(data["assignee"]) if data["assignee"] else None
        try:
            ticket, step = steps.open_ticket(
                by=None,
                customer=customer,
                subject=data["subject"],
                description=data["description"],
                channel=data["channel"],
                priority=data["priority"],
                category=category,
                team=team,
                assignee=assignee,
                auto_assign=False,
                at=data["created_at"],
                staffing=self.staffing,
            )
        except CasesError as error:
            raise Refused(f"the ticket cannot be registered: {error.message}") from error
        ticket.pk = self.ids.next(Ticket)
        rows = TicketRows(ticket, self.ids)
        rows.add(step)
        if data["created_at"].tzinfo is not UTC:
            _as_stored(ticket)
        surveys = list(data["surveys"])
        for event in data["events"]:
            while surveys and surveys[0].sent_at < event.at:
                self._record_survey(rows, surveys.pop(0))
            self._past_deadlines(rows, event.at)
            try:
                step = self._play(ticket, event)
            except CasesError as error:
                raise event_refusal(event, error) from error
            rows.add(step)
            if step.reopened:
                self._withdraw_surveys(rows, event.at)
            if event.at.tzinfo is not UTC:  # in UTC, every time the step set is in UTC
                _as_stored(ticket)
        for survey in surveys:
            self._record_survey(rows, survey)
        self._past_deadlines(rows, self.now)
        return rows

    def _play(self, ticket: Ticket, event: Event) -> Step:
        """One event's step, after the checks its service makes before it (who acts)."""
        people, names = self.people, self.names
        by, at, kind = people.actor(event.by), event.at, event.kind
        assert at is not None
        if kind == "reply" and event.by == BY_CUSTOMER:
            return steps.customer_reply(ticket, body=event.text, at=at)
        if kind == "escalated":
            team = names.team(event.to_team) if event.to_team else None
            _acts(by)
            return steps.escalate(
                ticket, by=by, reason=event.text, team=team, at=at, staffing=self.staffing
            )
        if kind == "assigned":
            assignee = people.agent(event.assignee) if event.assignee else None
            _acts(by)
            return steps.assign(ticket, by=by, assignee=assignee, at=at, staffing=self.staffing)
        if kind == "resolved":
            steps.required_resolution(event.text)  # resolve_ticket checks it first
            _acts(by)
            return steps.resolve(ticket, by=by, resolution=event.text, at=at)
        _acts(by)
        if kind in ("reply", "note"):
            assert by is not None
            return steps.reply(ticket, by=by, body=event.text, public=event.public, at=at)
        if kind == "pending":
            return steps.set_pending(ticket, by=by, at=at)
        if kind == "resumed":
            return steps.resume(ticket, by=by, at=at)
        if kind == "reopened":
            return steps.reopen(ticket, by=by, reason=event.text, at=at)
        if kind == "closed":
            return steps.close(ticket, by=by, at=at)
        raise AssertionError(kind)  # pragma: no cover - EVENT_FIELDS and this list the same

    def _past_deadlines(self, rows: TicketRows, until: datetime) -> None:
        """`record_past_deadlines`, in memory."""
        marks = deadlines.fallen_deadlines(rows.ticket, until)
        if marks:
            for fact in deadlines.mark_past_deadlines(rows.ticket, marks):
                rows.fact(fact)

    def _withdraw_surveys(self, rows: TicketRows, at: datetime) -> None:
        """`withdraw_surveys` (the reopening's signal), in memory; newest first, as its
        query reads them."""
        for invitation in sorted(rows.invitations, key=lambda i: i.created_at, reverse=True):
            if invitation.status in WITHDRAWABLE:
                rows.fact(Fact(EventKind.SURVEY_WITHDRAWN, None, at, withdraw(invitation, at)))

    def _record_survey(self, rows: TicketRows, survey: Survey) -> None:
        """`record_survey_history` about the latest resolution, in memory."""
        ticket = rows.ticket
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):  # validation rules it out
            raise Refused(f"survey: sent while the ticket was {ticket.status}")
        assert survey.sent_at is not None
        invitation = history_invitation(
            ticket=ticket,
            resolution_event=rows.last_resolution(),
            sent_at=survey.sent_at,
            answered=survey.answered_at is not None,
            now=survey_now(survey, self.now),
            nonce=self.ids.nonce(),
        )
        invitation.pk = self.ids.next(SurveyInvitation)
        rows.invitations.append(invitation)
        if survey.answered_at is None:
            return
        try:
            answer = clean_answer(
                invitation, csat=survey.csat, ces=survey.ces, nps=survey.nps, comment=survey.comment
            )
        except SurveyError as error:
            raise survey_refusal(error) from error
        response, follow_up = answer_rows(
            invitation,
            answer,
            source=Source.IMPORT,
            at=survey.answered_at,
            follow_up_status=follow_up_status(survey, self.now),
            alerted=True,  # history: nobody is alerted about the past
        )
        response.pk = self.ids.next(SurveyResponse)
        rows.responses.append(response)
        answered = answered_event_data(response)
        rows.fact(Fact(EventKind.SURVEY_ANSWERED, None, survey.answered_at, answered))
        if follow_up is not None:
            follow_up.response = response  # now that it has its id
            follow_up.pk = self.ids.next(FollowUp)
            rows.follow_ups.append(follow_up)
            rows.fact(
                Fact(
                    EventKind.FOLLOW_UP_OPENED,
                    None,
                    survey.answered_at,
                    follow_up_event_data(follow_up),
                )
            )


def _acts(by: User | None) -> None:
    """What a service's row lock checks of who acts (`_lock`): staff, unless nobody acts."""
    if by is not None:
        steps.require_staff(by)


def _as_stored(ticket: Ticket) -> None:
    """The ticket's times as the database gives them back (UTC), as every service call
    reads the row afresh."""
    for name in TIMES:
        value = getattr(ticket, name)
        if value is not None and value.tzinfo is not UTC:
            setattr(ticket, name, value.astimezone(UTC))
