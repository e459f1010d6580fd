"""Step 3, the reference way: each ticket replayed through the same services as live work, in
its own savepoint — `register_ticket`, then every event through its service with `at=`
(`add_reply`, `add_customer_reply`, `escalate_ticket`, `set_pending`, `resume_ticket`,
`assign_ticket`, `resolve_ticket`, `reopen_ticket`, `close_ticket`), each survey through
`record_survey_history` at its place among them, and before every event the SLA deadlines
that fell meanwhile (`record_past_deadlines`). A step a service refuses makes the ticket
invalid and rolls back only its savepoint.

About 40 statements a ticket. The batched writer (bulk.py) gives the same rows much faster
and hands it a ticket only when the database must decide (automatic assignment); the
equality test (tests/metrics/test_import_equality.py) imports one history both ways.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import IntegrityError, transaction

from cases import services
from cases.errors import CasesError
from cases.models import EventKind, Status, Ticket
from cases.services import deadlines
from surveys.errors import InvalidAnswer, SurveyError
from surveys.models import FollowUpStatus
from surveys.services import record_survey_history

from ..models import ImportedRecord
from .people import People, Refused, invalid
from .records import BY_CUSTOMER, TICKET, Event, Record, Survey
from .report import ImportReport

T = TypeVar("T")
# An unhappy answer older than this was followed up (or not) in the old tool.
FOLLOW_UP_WINDOW = timedelta(days=30)


def follow_up_status(survey: Survey, now: datetime) -> str:
    """An unhappy answer older than a month was followed up (or not) in the old tool: it
    must not flood today's inbox. Recent ones stay open."""
    if survey.answered_at and survey.answered_at < now - FOLLOW_UP_WINDOW:
        return FollowUpStatus.RESOLVED
    return FollowUpStatus.OPEN


def survey_now(survey: Survey, now: datetime) -> datetime:
    """The moment a survey's state is taken at. Unanswered and then withdrawn by a
    reopening: the state it had when the ticket reopened (sent, or expired already), which
    the replayed reopening then withdraws, as live."""
    return min(now, survey.reopened_at) if survey.reopened_at else now


def survey_refusal(error: SurveyError) -> Refused:
    if isinstance(error, InvalidAnswer):
        details = (m if k == "__all__" else f'"{k}": {m}' for k, m in error.errors.items())
        return Refused(f"survey: {'; '.join(details)}")
    return Refused(f"survey: {error.message}")


def event_refusal(event: Event, error: CasesError) -> Refused:
    assert event.at is not None
    return Refused(
        f"event {event.number} ({event.kind} at {event.at.isoformat()}) is refused: {error.message}"
    )


class ServicesReplay:
    """Writes each valid ticket through the services. Precondition: inside the import's
    transaction and `replaying_history()`."""

    def __init__(self, people: People, report: ImportReport, now: datetime):
        self.people, self.report, self.now = people, report, now

    def write(self, record: Record) -> None:
        names = self.people.names
        names.start_ticket()
        try:
            with transaction.atomic():
                ticket = self.replay(record.data)
                ImportedRecord.objects.create(
                    type=TICKET,
                    external_id=record.ref,
                    object_id=ticket.pk,
                    imported_at=self.now,
                )
        except Refused as refused:
            names.forget_ticket(delete=False)
            invalid(self.report, record, str(refused))
            return
        except IntegrityError as error:
            names.forget_ticket(delete=False)
            invalid(self.report, record, f"the database refused it: {error}")
            return
        self.report.counts[TICKET].created += 1
        self.report.events += len(record.data["events"])

    def between_batches(self, fetch: Callable[[], T]) -> T:
        return fetch()

    def finish(self) -> None:
        """Nothing is held back."""

    def abandon(self) -> None:
        """Nothing is held back."""

    def replay(self, data: dict) -> Ticket:
        people, names = self.people, self.people.names
        try:
            ticket = services.register_ticket(
                by=None,
                customer=people.customer(data["customer"]),
                subject=data["subject"],
                description=data["description"],
                channel=data["channel"],
                priority=data["priority"],
                category=names.category(data["category"]) if data["category"] else None,
                team=names.team(data["team"]) if data["team"] else None,
                assignee=people.agent(data["assignee"]) if data["assignee"] else None,
                at=data["created_at"],
            )
        except CasesError as error:
            raise Refused(f"the ticket cannot be registered: {error.message}") from error
        # Each survey takes its place in the timeline — after the resolution it follows and
        # everything before it was sent — so a later reopening withdraws it as it does live.
        surveys = list(data["surveys"])
        for event in data["events"]:
            while surveys and surveys[0].sent_at < event.at:
                self._record_survey(ticket, surveys.pop(0))
            # The deadlines that fell before this event: counted, never alerted.
            deadlines.record_past_deadlines(ticket, event.at)
            try:
                ticket = self._play(ticket, event)
            except CasesError as error:
                raise event_refusal(event, error) from error
        for survey in surveys:
            self._record_survey(ticket, survey)
        deadlines.record_past_deadlines(ticket, self.now)
        return ticket

    def _play(self, ticket: Ticket, event: Event) -> Ticket:
        """Replay one event; the ticket as the service left it."""
        people = self.people
        by, at = people.actor(event.by), event.at
        kind = event.kind
        if kind == "reply" and event.by == BY_CUSTOMER:
            # On a resolved ticket this reopens it, as the customer's reply does live.
            return services.add_customer_reply(ticket=ticket, body=event.text, at=at).ticket
        if kind in ("reply", "note"):
            assert by is not None  # an agent's event (records.EVENT_ACTORS)
            return services.add_reply(
                ticket=ticket, by=by, body=event.text, public=event.public, at=at
            ).ticket
        if kind == "escalated":
            team = people.names.team(event.to_team) if event.to_team else None
            return services.escalate_ticket(
                ticket=ticket, by=by, reason=event.text, team=team, at=at
            )
        if kind == "pending":
            assert by is not None  # an agent's event (records.EVENT_ACTORS)
            return services.set_pending(ticket=ticket, by=by, at=at)
        if kind == "resumed":
            assert by is not None  # an agent's event (records.EVENT_ACTORS)
            return services.resume_ticket(ticket=ticket, by=by, at=at)
        if kind == "assigned":
            assert by is not None  # an agent's event (records.EVENT_ACTORS)
            assignee = people.agent(event.assignee) if event.assignee else None
            return services.assign_ticket(ticket=ticket, by=by, assignee=assignee, at=at)
        if kind == "resolved":
            assert by is not None  # an agent's event (records.EVENT_ACTORS)
            return services.resolve_ticket(ticket=ticket, by=by, resolution=event.text, at=at)
        if kind == "reopened":
            return services.reopen_ticket(ticket=ticket, by=by, reason=event.text, at=at)
        if kind == "closed":
            return services.close_ticket(ticket=ticket, by=by, at=at)
        raise AssertionError(kind)  # pragma: no cover - EVENT_FIELDS and this list the same

    def _record_survey(self, ticket: Ticket, survey: Survey) -> None:
        ticket = Ticket.objects.select_related("customer", "team", "assignee").get(pk=ticket.pk)
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):  # validation rules it out
            raise Refused(f"survey: sent while the ticket was {ticket.status}")
        resolution = (
            ticket.events.filter(kind=EventKind.RESOLVED)
            .select_related("actor")
            .order_by("at", "pk")
            .last()
        )
        assert resolution is not None and survey.sent_at is not None
        try:
            record_survey_history(
                ticket=ticket,
                resolution_event=resolution,
                sent_at=survey.sent_at,
                answered_at=survey.answered_at,
                csat=survey.csat,
                ces=survey.ces,
                nps=survey.nps,
                comment=survey.comment,
                follow_up_status=follow_up_status(survey, self.now),
                now=survey_now(survey, self.now),
            )
        except SurveyError as error:
            raise survey_refusal(error) from error
