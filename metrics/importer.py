"""History import (IMPORT.md): a previous helpdesk's teams, customers, agents and tickets —
with their events and survey answers — read from JSON Lines and replayed through the same
services as live work, so the KPIs start with that history.

Three steps, every problem kept with its line number:
1. **Read** each line: JSON object, `type`, `external_id` (unique within its type), fields,
   enum values, timestamps with an offset and not in the future, `YYYY-MM-DD` dates, survey
   scales, and each ticket's events in time order.
2. **Resolve references** once the whole file is read: a ticket's customer, assignee and
   event actors are valid records of the file or records imported by an earlier file; a team
   named anywhere must not be defined by an invalid team record.
3. **Replay** in one transaction inside `replaying_history()`, so nothing is e-mailed and no
   survey is sent: teams, customers, agents, then the tickets in order of creation, each in
   its own savepoint — `register_ticket`, then every event through its service with `at=`
   (`add_reply`, `add_customer_reply`, `escalate_ticket`, `set_pending`, `resume_ticket`,
   `assign_ticket`, `resolve_ticket`, `reopen_ticket`, `close_ticket`), each survey through
   `record_survey_history` at its place among them. A step the lifecycle or any other
   service rule refuses makes that ticket invalid and rolls back only its savepoint, so one
   run finds every problem. With any problem the whole transaction is rolled back — unless
   `skip_invalid`: then the valid records stay and the invalid ones are listed.

Decisions where IMPORT.md is silent:
- Idempotency: every record written or adopted gets an `ImportedRecord(type, external_id)`.
  A record found there is "already present" and left exactly as it is (not updated); a ticket
  already imported is skipped whole. References may point at records of earlier imports.
- Customers are matched by e-mail, whatever its case: an existing customer is adopted, not
  duplicated, and only its `active_since` moves earlier when the history knows an earlier
  start. A customer record without `active_since` starts on the day of its first ticket in the
  file. Two customer records with one e-mail are an error.
- Agents are matched by username: an existing user is adopted, keeps their password and gains
  the teams and the role group the record names. New users get an unusable password (they
  choose one through "forgot password"). Role group: Agent, or Manager with `"manager": true`.
- Teams named by agents, tickets and escalations are created if missing, at support level 1
  unless a team record gives the level; an existing team of that name is adopted as it is.
  Categories named by tickets are created if missing. Names are matched exactly.
- A ticket's `team` and `assignee` are those at its creation. The assignee must then be a
  member of that team — which they are when their agent record lists it — otherwise
  `register_ticket` refuses and the ticket is invalid, as live work would be.
- Historical authority: an event's actor may act on the ticket whatever their teams are today.
  In IMPORT.md's example a-3 (Soporte N1) sets the ticket pending after escalating it to
  Soporte N2, which live visibility rules would refuse; the services skip that one check
  while replaying history (`cases.signals.replaying_history`). Every other rule — the
  lifecycle, active users, assignees in the ticket's team, non-empty texts, level ≤ 3 — holds.
- `by` is an agent's external id, or "customer" for a customer's reply or reopening; a
  `closed` event without `by` is a system close. Besides IMPORT.md's kinds, `resumed`
  (pending → open by an agent) and `assigned` (`"assignee"`: an agent's id, or null to
  unassign) are accepted.
- Events are listed in time order (equal times keep their order), none before the ticket's
  creation; the list order is the replay order.
- A survey is about the last resolution before its `sent_at` (none: an error) and takes its
  place in the timeline there. When the customer or an agent reopened the ticket after that
  resolution, the reopening withdraws it as it does live (`withdraw_surveys`): unanswered, it
  ends expired with `withdrawn_at` and a "survey withdrawn" event, and still counts as sent
  for the response rate; answered before the reopening, the answer stands (with its
  follow-up). A survey sent at or after that reopening, or answered at or after it, is an
  error: live, the link no longer works then. `survey` may also be a list, in `sent_at` order,
  for a ticket surveyed after each of several resolutions (one survey per resolution at most).
  `answered_at` may not precede `sent_at`, and scores without `answered_at` are an error. An
  unhappy answer opens its follow-up (nobody alerted).
- SLA: a ticket gets the policy that matches it and its due times, as live. A deadline that
  fell during the history (before an event, or before the import for what is still open) is
  marked passed and, for a due time, breached at that moment — as the beat's check would have
  marked it, so the SLA figures count it — but nobody is warned and nothing escalates (the
  history lists its own escalations). An imported ticket still open is live from the import
  on: its next deadline warns and escalates as any other.
- People the import creates, or makes managers, get no weekly digest of the last full week
  before the import (it was lived in the old tool); next Monday's goes out as usual.
- Unknown fields are errors: a misspelt "asignee" must not silently drop the assignee.
- Messages are English, for the operator at the terminal, like Django's own commands.
"""

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services
from cases.errors import CasesError
from cases.models import (
    MAX_LEVEL,
    ROLE_GROUPS,
    Category,
    Channel,
    Customer,
    EventKind,
    Language,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    User,
)
from cases.selectors import customers_with_email
from cases.services import deadlines
from cases.signals import replaying_history
from surveys.errors import InvalidAnswer, SurveyError
from surveys.models import SCALES, FollowUpStatus, Question
from surveys.services import record_survey_history

from .digest import last_full_week
from .models import ImportedRecord

FOLLOW_UP_WINDOW = timedelta(days=30)
TEAM, CUSTOMER, AGENT, TICKET = (t.value for t in ImportedRecord.Type)
TYPES = (TEAM, CUSTOMER, AGENT, TICKET)  # also the order they are written in
BY_CUSTOMER = "customer"
NAME_MAX = 100  # Team.name, Category.name
EXTERNAL_ID_MAX = 200
_CHUNK = 500  # ids per IN (...) query

# kind → the fields it may have besides kind, by and at; and who may act (None: nobody named).
EVENT_FIELDS: dict[str, set[str]] = {
    "reply": {"public", "body"},
    "note": {"body"},
    "escalated": {"to_team", "reason"},
    "pending": set(),
    "resumed": set(),
    "assigned": {"assignee"},
    "resolved": {"resolution"},
    "reopened": {"reason"},
    "closed": set(),
}
EVENT_ACTORS: dict[str, set[str | None]] = {
    "reply": {AGENT, BY_CUSTOMER},
    "note": {AGENT},
    "escalated": {AGENT},
    "pending": {AGENT},
    "resumed": {AGENT},
    "assigned": {AGENT},
    "resolved": {AGENT},
    "reopened": {AGENT, BY_CUSTOMER},
    "closed": {AGENT, None},
}
EVENT_TEXT = {
    "reply": "body",
    "note": "body",
    "escalated": "reason",
    "resolved": "resolution",
    "reopened": "reason",
}


# --- what the import reports ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int
    message: str
    type: str | None = None
    external_id: str | None = None

    def __str__(self) -> str:
        record = " ".join(part for part in (self.type, self.external_id) if part)
        record = f"{record}: " if record else ""
        return f"line {self.line}: {record}{self.message}"


@dataclass
class Counts:
    created: int = 0
    matched: int = 0  # an existing row adopted (customer by e-mail, agent by username …)
    present: int = 0  # imported before: left alone
    invalid: int = 0


@dataclass
class ImportReport:
    counts: dict[str, Counts]
    problems: list[Problem]
    teams_named: int = 0  # teams created because something named them
    categories_named: int = 0
    written: bool = False
    elapsed: float = 0.0


# --- step 1: reading --------------------------------------------------------------------------


@dataclass
class Event:
    number: int  # position in the ticket's list, from 1
    kind: str
    at: datetime | None
    by: str | None  # an agent's external id, BY_CUSTOMER, or None
    public: bool = True
    text: str = ""  # body, reason or resolution
    to_team: str | None = None
    assignee: str | None = None


@dataclass
class Survey:
    sent_at: datetime | None
    answered_at: datetime | None
    csat: int | None
    ces: int | None
    nps: int | None
    comment: str
    # The reopening that withdrew it, when one followed its resolution (and it was not
    # answered by then): its time, for the invitation's state at that moment.
    reopened_at: datetime | None = None


@dataclass
class Record:
    line: int
    type: str
    external_id: str | None
    data: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Fields:
    """Reads the fields of one JSON object, keeping every problem instead of stopping at the
    first. `null` counts as absent."""

    def __init__(self, raw: dict, errors: list[str], now: datetime, where: str = ""):
        self.raw, self.errors, self.now, self.where = raw, errors, now, where

    def error(self, message: str) -> None:
        self.errors.append(self.where + message)

    def only(self, allowed: set[str]) -> None:
        for key in sorted(set(self.raw) - allowed):
            self.error(f'unknown field "{key}"')

    def _get(self, key: str, required: bool):
        value = self.raw.get(key)
        if value is None and required:
            self.error(f'"{key}" is missing')
        return value

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self._get(key, required)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(f'"{key}" must be a string, not {_show(value)}')
            return ""
        value = value.strip()
        if max_length and len(value) > max_length:
            self.error(f'"{key}" is longer than {max_length} characters')
        return value

    def name(self, key: str, *, required: bool = False) -> str | None:
        """A team or category name; an empty optional one counts as absent."""
        value = self.text(key, required=required, max_length=NAME_MAX)
        if required and not value and isinstance(self.raw.get(key), str):
            self.error(f'"{key}" is empty')
        return value or None

    def names(self, key: str) -> list[str]:
        value = self._get(key, False)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(f'"{key}" must be a list of names, not {_show(value)}')
            return []
        names = [v.strip() for v in value]
        for name in names:
            if len(name) > NAME_MAX:
                self.error(f'"{key}": {_show(name)} is longer than {NAME_MAX} characters')
        return list(dict.fromkeys(names))

    def choice(self, key: str, choices, *, default=None, required: bool = False):
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str) or value not in choices:
            self.error(f'"{key}" must be one of {", ".join(choices)}, not {_show(value)}')
            return default
        return value

    def boolean(self, key: str, *, default: bool = False) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(f'"{key}" must be true or false, not {_show(value)}')
            return default
        return value

    def integer(self, key: str, low: int, high: int, *, default=None) -> int | None:
        value = self._get(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(f'"{key}" must be a whole number from {low} to {high}, not {_show(value)}')
            return default
        return value

    def ref(self, key: str, *, required: bool = False) -> str | None:
        """An external id: a string or a whole number (17 and "17" are the same id). An empty
        one counts as absent."""
        value = self.raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            self.error(f'"{key}" must be a string or a whole number, not {_show(value)}')
            return None
        value = (value or "").strip()
        if len(value) > EXTERNAL_ID_MAX:
            self.error(f'"{key}" is longer than {EXTERNAL_ID_MAX} characters')
            return None
        if not value and required:
            self.error(f'"{key}" is missing')
        return value or None

    def timestamp(self, key: str, *, required: bool = False) -> datetime | None:
        value = self._get(key, required)
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.error(f'"{key}" is not an ISO 8601 timestamp: {_show(value)}')
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.error(f'"{key}" has no UTC offset: {_show(value)} (write e.g. {value}Z)')
            return None
        if moment > self.now:
            self.error(f'"{key}" is in the future: {value}')
            return None
        return moment

    def date(self, key: str) -> date | None:
        value = self._get(key, False)
        if value is None:
            return None
        try:
            if not isinstance(value, str) or not _DATE.fullmatch(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.error(f'"{key}" is not a date (YYYY-MM-DD): {_show(value)}')
            return None


def _clean_team(f: _Fields, record: Record) -> None:
    f.only({"type", "external_id", "name", "level"})
    record.data = {
        "name": f.name("name", required=True),
        "level": f.integer("level", 1, MAX_LEVEL, default=1),
    }


def _clean_email(f: _Fields) -> str:
    email = f.text("email", max_length=254)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            f.error(f'"email" is not a valid e-mail address: {_show(email)}')
    return email


def _clean_customer(f: _Fields, record: Record) -> None:
    f.only(
        {"type", "external_id", "email", "name", "phone", "company", "language"}
        | {"active_since", "churned_at"}
    )
    data = {
        "email": _clean_email(f),
        "name": f.text("name", max_length=150),
        "phone": f.text("phone", max_length=40),
        "company": f.text("company", max_length=150),
        "language": f.choice("language", Language.values, default=Language.SPANISH),
        "active_since": f.date("active_since"),
        "churned_at": f.date("churned_at"),
    }
    if not data["email"] and not data["name"]:
        f.error('a customer needs an "email" or a "name"')
    since, churned = data["active_since"], data["churned_at"]
    if since and churned and churned < since:
        f.error(f'"churned_at" ({churned}) is before "active_since" ({since})')
    record.data = data


def _clean_agent(f: _Fields, record: Record) -> None:
    f.only({"type", "external_id", "username", "email", "name", "teams", "manager", "language"})
    username = f.text("username", required=True, max_length=150)
    if username:
        try:
            User.username_validator(username)
        except DjangoValidationError:
            f.error(f'"username" may only hold letters, digits and @.+-_: {_show(username)}')
    first, _space, last = f.text("name").partition(" ")
    if len(first) > 150 or len(last.strip()) > 150:
        f.error('"name" is too long')
    if record.external_id == BY_CUSTOMER:
        f.error(f'"{BY_CUSTOMER}" is reserved: events use it for the customer')
    record.data = {
        "username": username,
        "email": _clean_email(f),
        "first_name": first,
        "last_name": last.strip(),
        "teams": f.names("teams"),
        "manager": f.boolean("manager"),
        "language": f.choice("language", Language.values, default=Language.SPANISH),
    }


def _clean_event(raw, number: int, record: Record, now: datetime) -> Event | None:
    if not isinstance(raw, dict):
        record.errors.append(f"event {number} is not a JSON object")
        return None
    kind = raw.get("kind")
    prefix = f"event {number} ({kind}): " if isinstance(kind, str) else f"event {number}: "
    f = _Fields(raw, record.errors, now, prefix)
    if kind not in EVENT_FIELDS:
        f.error(f'"kind" must be one of {", ".join(EVENT_FIELDS)}, not {_show(kind)}')
        return None
    f.only({"kind", "by", "at"} | EVENT_FIELDS[kind])
    event = Event(number=number, kind=kind, at=f.timestamp("at", required=True), by=f.ref("by"))
    allowed = EVENT_ACTORS[kind]
    if event.by is None and None not in allowed:
        f.error('"by" is missing')
    elif event.by == BY_CUSTOMER and BY_CUSTOMER not in allowed:
        f.error(f'"{kind}" is done by an agent, not by the customer')
    if kind in EVENT_TEXT:
        event.text = f.text(EVENT_TEXT[kind])
    if kind == "reply":
        event.public = f.boolean("public", default=True)
        if event.by == BY_CUSTOMER and not event.public:
            f.error("a customer's reply cannot be private")
    elif kind == "note":
        event.public = False
    elif kind == "escalated":
        event.to_team = f.name("to_team")
    elif kind == "assigned":
        event.assignee = f.ref("assignee")
        if "assignee" not in raw:
            f.error('"assignee" is missing (null unassigns)')
    return event


def _clean_surveys(raw, record: Record, now: datetime, events: list[Event]) -> list[Survey]:
    """The ticket's survey, or its surveys in time order (one per resolution at most)."""
    many = isinstance(raw, list)
    surveys = []
    for number, item in enumerate(raw if many else [raw], start=1):
        where = f"survey {number}: " if many else "survey: "
        survey = _clean_survey(item, record, now, events, where)
        if survey is not None:
            surveys.append(survey)
    times = [s.sent_at for s in surveys if s.sent_at]
    if times != sorted(times):
        record.errors.append('survey: the surveys must be listed in the order of "sent_at"')
    about = [_resolution_before(events, s.sent_at) for s in surveys if s.sent_at]
    numbers = [resolution.number for resolution in about if resolution is not None]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        record.errors.append(
            f"survey: two surveys follow the resolution of event {number}; a resolution has "
            "one survey at most"
        )
    return surveys


def _resolution_before(events: list[Event], moment: datetime) -> Event | None:
    """The last resolution at or before `moment`: the one a survey sent then is about."""
    resolutions = [e for e in events if e.kind == "resolved" and e.at and e.at <= moment]
    return resolutions[-1] if resolutions else None


def _reopening_after(events: list[Event], resolution: Event) -> Event | None:
    """The event that reopened the ticket after this resolution, if any: an agent's
    `reopened` or the customer's reply (which reopens a resolved ticket, as live)."""
    for event in events[events.index(resolution) + 1 :]:
        if event.kind == "resolved":
            return None
        if event.kind == "reopened" or (event.kind == "reply" and event.by == BY_CUSTOMER):
            return event
    return None


def _clean_survey(
    raw, record: Record, now: datetime, events: list[Event], where: str
) -> Survey | None:
    """One survey, about the last resolution before it was sent. A reopening after that
    resolution withdraws it, as live (surveys.services.withdraw_surveys): it must have been
    sent before the reopening, and an answer stands only if given before it."""
    if not isinstance(raw, dict):
        record.errors.append(f"{where}not a JSON object")
        return None
    f = _Fields(raw, record.errors, now, where)
    f.only({"sent_at", "answered_at", "csat", "ces", "nps", "comment"})
    survey = Survey(
        sent_at=f.timestamp("sent_at", required=True),
        answered_at=f.timestamp("answered_at"),
        csat=f.integer("csat", *SCALES[Question.CSAT]),
        ces=f.integer("ces", *SCALES[Question.CES]),
        nps=f.integer("nps", *SCALES[Question.NPS]),
        comment=f.text("comment"),
    )
    if raw.get("answered_at") is None:
        for key in ("csat", "ces", "nps", "comment"):
            if raw.get(key) not in (None, ""):
                f.error(f'"{key}" is given but "answered_at" is not (an unanswered survey)')
    if survey.sent_at and survey.answered_at and survey.answered_at < survey.sent_at:
        f.error('"answered_at" is before "sent_at"')
    resolutions = [e for e in events if e.kind == "resolved" and e.at]
    if not any(e.kind == "resolved" for e in events):
        f.error("no event resolves the ticket, so it cannot have been surveyed")
        return survey
    if survey.sent_at is None or not resolutions:
        return survey
    resolution = _resolution_before(events, survey.sent_at)
    if resolution is None:
        first = resolutions[0]
        f.error(
            f'"sent_at" ({survey.sent_at.isoformat()}) is before the first resolution '
            f"(event {first.number}, {first.at.isoformat()})"
        )
        return survey
    reopening = _reopening_after(events, resolution)
    if reopening is None or reopening.at is None:
        return survey
    reopened = f"event {reopening.number} ({reopening.kind} at {reopening.at.isoformat()})"
    if survey.sent_at >= reopening.at:
        f.error(
            f'"sent_at" ({survey.sent_at.isoformat()}) is not before {reopened}, which reopened '
            f"the ticket resolved by event {resolution.number}: a reopening withdraws the "
            "survey of that resolution before it is sent"
        )
    elif survey.answered_at and survey.answered_at >= reopening.at:
        f.error(
            f'"answered_at" ({survey.answered_at.isoformat()}) is not before {reopened}, '
            "which reopened the ticket and withdrew the survey: only an answer given before "
            "the reopening stands"
        )
    elif survey.answered_at is None:
        survey.reopened_at = reopening.at
    return survey


def _clean_ticket(f: _Fields, record: Record) -> None:
    f.only(
        {"type", "external_id", "customer", "subject", "description", "channel", "priority"}
        | {"category", "team", "assignee", "created_at", "events", "survey"}
    )
    data = {
        "customer": f.ref("customer", required=True),
        "subject": f.text("subject", required=True),
        "description": f.text("description", required=True),
        "channel": f.choice("channel", Channel.values, required=True),
        "priority": f.choice("priority", Priority.values, default=Priority.NORMAL),
        "category": f.name("category"),
        "team": f.name("team"),
        "assignee": f.ref("assignee"),
        "created_at": f.timestamp("created_at", required=True),
        "events": [],
        "surveys": [],
    }
    raw_events = f.raw.get("events")
    if raw_events is not None and not isinstance(raw_events, list):
        f.error('"events" must be a list')
        raw_events = None
    for number, raw in enumerate(raw_events or [], start=1):
        event = _clean_event(raw, number, record, f.now)
        if event is not None:
            data["events"].append(event)
    # Time order: the list is the replay order, and time must not run backwards in it.
    previous, previous_name = data["created_at"], "the ticket's creation"
    for event in data["events"]:
        if event.at is None:
            continue
        if previous is not None and event.at < previous:
            f.error(
                f"event {event.number} ({event.kind} at {event.at.isoformat()}) is earlier "
                f"than {previous_name} ({previous.isoformat()}): events must be in time order"
            )
        previous, previous_name = event.at, f"event {event.number}"
    if f.raw.get("survey") is not None:
        data["surveys"] = _clean_surveys(f.raw["survey"], record, f.now, data["events"])
    record.data = data


CLEANERS = {
    TEAM: _clean_team,
    CUSTOMER: _clean_customer,
    AGENT: _clean_agent,
    TICKET: _clean_ticket,
}


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def read_records(
    lines: Iterable[bytes | str], *, now: datetime
) -> tuple[list[Record], list[Problem]]:
    """Parse and check each line on its own. Returns the records (valid or not) and the
    problems of lines that are not records at all (bad JSON, unknown type …)."""
    records: list[Record] = []
    problems: list[Problem] = []
    first_line: dict[tuple[str, str], int] = {}
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(number, "not valid UTF-8"))
                continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            detail = f"{error.msg} at column {error.colno}"
            problems.append(Problem(number, f"not valid JSON ({detail})"))
            continue
        except (ValueError, RecursionError) as error:  # a 5000-digit number, deep nesting
            problems.append(Problem(number, f"not valid JSON ({str(error)[:80]})"))
            continue
        if not isinstance(raw, dict):
            problems.append(Problem(number, "not a JSON object"))
            continue
        if "\\u0000" in line and _has_nul(raw):  # PostgreSQL refuses NUL in text
            problems.append(Problem(number, "a text holds a NUL character (\\u0000)"))
            continue
        kind = raw.get("type")
        if kind not in TYPES:
            problems.append(
                Problem(number, f"unknown type {_show(kind)}: expected {', '.join(TYPES)}")
                if "type" in raw
                else Problem(number, '"type" is missing')
            )
            continue
        record = Record(line=number, type=kind, external_id=None)
        fields = _Fields(raw, record.errors, now)
        record.external_id = fields.ref("external_id", required=True)
        if record.external_id is not None:
            key = (kind, record.external_id)
            if key in first_line:
                fields.error(
                    f"duplicate external_id: {kind} {record.external_id} is already on line "
                    f"{first_line[key]}"
                )
            else:
                first_line[key] = number
        CLEANERS[kind](fields, record)
        records.append(record)
    return records, problems


# --- step 2: references -----------------------------------------------------------------------


def _imported(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """{(type, external id): object id} of the pairs imported before."""
    by_type: dict[str, set[str]] = {}
    for kind, external_id in pairs:
        by_type.setdefault(kind, set()).add(external_id)
    found = {}
    for kind, ids in by_type.items():
        ids = sorted(ids)
        for start in range(0, len(ids), _CHUNK):
            rows = ImportedRecord.objects.filter(
                type=kind, external_id__in=ids[start : start + _CHUNK]
            ).values_list("external_id", "object_id")
            found.update({(kind, external_id): pk for external_id, pk in rows})
    return found


def _references(record: Record) -> list[tuple[str, str]]:
    if record.type != TICKET:
        return []
    data = record.data
    refs = [(CUSTOMER, data["customer"])] if data.get("customer") else []
    agents = [data.get("assignee")]
    for event in data.get("events", []):
        agents += [event.by if event.by != BY_CUSTOMER else None, event.assignee]
    return refs + [(AGENT, a) for a in agents if a]


def _team_names(record: Record) -> list[str]:
    if record.type == AGENT:
        return record.data.get("teams", [])
    if record.type == TICKET:
        names = [record.data.get("team")] + [e.to_team for e in record.data.get("events", [])]
        return [n for n in names if n]
    return []


def check_references(records: list[Record], imported: dict[tuple[str, str], int]) -> None:
    """Mark records whose references are unknown or invalid, layer by layer: teams, then the
    customers and agents, then the tickets that refer to them."""
    index = {}
    for record in records:
        if record.external_id is not None:
            index.setdefault((record.type, record.external_id), record)

    def unique(kind: str, key: str, label: str) -> None:
        seen: dict[str, Record] = {}
        for record in records:
            value = record.data.get(key)
            if record.type != kind or not value:
                continue
            folded = value.casefold() if key == "email" else value
            other = seen.setdefault(folded, record)
            if other is not record:
                record.errors.append(
                    f"{label} {_show(value)} is already used by {kind} {other.external_id} "
                    f"on line {other.line}"
                )

    unique(TEAM, "name", "the team name")
    unique(CUSTOMER, "email", "the e-mail")
    unique(AGENT, "username", "the username")
    team_records: dict[str, Record] = {}
    for record in records:
        if record.type == TEAM and record.data.get("name"):
            team_records.setdefault(record.data["name"], record)

    def check(record: Record) -> None:
        for name in _team_names(record):
            team = team_records.get(name)
            if team is not None and not team.valid:
                record.errors.append(
                    f'team "{name}" is defined by team {team.external_id} on line {team.line}, '
                    "which is invalid"
                )
        for kind, external_id in dict.fromkeys(_references(record)):
            other = index.get((kind, external_id))
            if other is not None:
                if not other.valid:
                    record.errors.append(
                        f"{kind} {external_id} (line {other.line}) is invalid: see that line"
                    )
            elif (kind, external_id) not in imported:
                record.errors.append(f"unknown {kind} {_show(external_id)}")

    for layer in ((CUSTOMER, AGENT), (TICKET,)):
        for record in records:
            if record.type in layer:
                check(record)


# --- step 3: replay ---------------------------------------------------------------------------


class _Refused(Exception):
    """A service refused a step of a ticket's replay: the ticket is invalid."""


class _Writer:
    """Writes the valid records. Precondition: inside the import's transaction and
    `replaying_history()`."""

    def __init__(self, report: ImportReport, imported: dict, now: datetime):
        self.report, self.imported, self.now = report, imported, now
        self.teams: dict[str, Team] = {}
        self.categories: dict[str, Category] = {}
        self.customers: dict[str, Customer] = {}
        self.agents: dict[str, User] = {}
        self.actors: dict[str, User] = {}
        self.created_names: list[tuple[dict, str]] = []  # within the current ticket

    def _todo(self, records: list[Record], kind: str) -> list[Record]:
        """The valid records of a type not imported before (those are counted present)."""
        todo = []
        for record in records:
            if record.type != kind or not record.valid:
                continue
            if (kind, record.external_id) in self.imported:
                self.report.counts[kind].present += 1
            else:
                todo.append(record)
        return todo

    def _remember(self, kind: str, records_and_ids: list[tuple[Record, int]]) -> None:
        ImportedRecord.objects.bulk_create(
            ImportedRecord(type=kind, external_id=r.external_id, object_id=pk, imported_at=self.now)
            for r, pk in records_and_ids
        )

    # --- named things -------------------------------------------------------------------------

    def team(self, name: str) -> Team:
        if name not in self.teams:
            team = Team.objects.filter(name=name).first()
            if team is None:
                team = Team.objects.create(name=name, level=1)
                self.report.teams_named += 1
                self.created_names.append((self.teams, name))
            self.teams[name] = team
        return self.teams[name]

    def category(self, name: str) -> Category:
        if name not in self.categories:
            category = Category.objects.filter(name=name).first()
            if category is None:
                category = Category.objects.create(name=name)
                self.report.categories_named += 1
                self.created_names.append((self.categories, name))
            self.categories[name] = category
        return self.categories[name]

    def _forget_created_names(self) -> None:
        """The ticket's savepoint was rolled back: so were the teams and categories it made."""
        for cache, name in self.created_names:
            cache.pop(name, None)
            if cache is self.teams:
                self.report.teams_named -= 1
            else:
                self.report.categories_named -= 1
        self.created_names = []

    def _earlier(self, kind: str, external_id: str, model):
        pk = self.imported.get((kind, external_id))
        if pk is None:  # its record is in the file but could not be written
            raise _Refused(f"{kind} {external_id} could not be imported: see its line")
        found = model.objects.filter(pk=pk).first()
        if found is None:
            raise _Refused(f"{kind} {external_id} was imported before but no longer exists")
        return found

    def customer(self, external_id: str) -> Customer:
        if external_id not in self.customers:
            self.customers[external_id] = self._earlier(CUSTOMER, external_id, Customer)
        return self.customers[external_id]

    def agent(self, external_id: str) -> User:
        if external_id not in self.agents:
            self.agents[external_id] = self._earlier(AGENT, external_id, User)
        return self.agents[external_id]

    def actor(self, external_id: str | None) -> User | None:
        if external_id in (None, BY_CUSTOMER):
            return None
        if external_id not in self.actors:
            self.actors[external_id] = self.agent(external_id)
        return self.actors[external_id]

    # --- teams, customers, agents -------------------------------------------------------------

    def write_teams(self, records: list[Record]) -> None:
        done = []
        for record in self._todo(records, TEAM):
            name, counts = record.data["name"], self.report.counts[TEAM]
            team = Team.objects.filter(name=name).first()
            if team is None:
                team = Team.objects.create(name=name, level=record.data["level"])
                counts.created += 1
            else:
                counts.matched += 1
            self.teams[name] = team
            done.append((record, team.pk))
        self._remember(TEAM, done)

    def write_customers(self, records: list[Record]) -> None:
        first_day: dict[str, date] = {}
        for record in records:
            if record.type == TICKET and record.valid:
                day = timezone.localdate(record.data["created_at"])
                ref = record.data["customer"]
                first_day[ref] = min(day, first_day.get(ref, day))
        done = []
        for record in self._todo(records, CUSTOMER):
            data, counts = record.data, self.report.counts[CUSTOMER]
            since = data["active_since"] or first_day.get(record.external_id)
            if since and data["churned_at"] and since > data["churned_at"]:
                since = data["churned_at"]  # a derived start never comes after the churn
            try:
                with transaction.atomic():
                    existing = (
                        customers_with_email(data["email"]).first() if data["email"] else None
                    )
                    if existing is not None:
                        customer = existing
                        if since and since < existing.active_since:
                            services.update_customer(customer=existing, by=None, active_since=since)
                    else:
                        customer = services.find_or_create_customer(
                            email=data["email"],
                            name=data["name"],
                            phone=data["phone"],
                            company=data["company"],
                            language=data["language"],
                        )
                        changes = {"active_since": since, "churned_at": data["churned_at"]}
                        changes = {k: v for k, v in changes.items() if v}
                        if changes:
                            services.update_customer(customer=customer, by=None, **changes)
            except CasesError as error:
                self._invalid(record, error.message)
                continue
            if existing is not None:
                counts.matched += 1
            else:
                counts.created += 1
            self.customers[record.external_id] = customer
            done.append((record, customer.pk))
        self._remember(CUSTOMER, done)

    def write_agents(self, records: list[Record]) -> None:
        groups = {
            role: Group.objects.get_or_create(name=ROLE_GROUPS[role])[0]
            for role in (Role.AGENT, Role.MANAGER)
        }
        # The last full week before the import was lived in the old tool: the people the
        # import brings in (or makes managers) get no weekly digest of it. Next Monday's
        # digest, about a week on Pulso, goes out as usual.
        digested = last_full_week(timezone.localdate(self.now)).start_date
        done = []
        for record in self._todo(records, AGENT):
            data, counts = record.data, self.report.counts[AGENT]
            user = User.objects.filter(username=data["username"]).first()
            new = user is None
            if new:
                user = User(
                    username=data["username"],
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    language=data["language"],
                )
                user.set_unusable_password()
                user.save()
                counts.created += 1
            else:
                counts.matched += 1
            was_manager = not new and user.role in (Role.MANAGER, Role.ADMIN)
            user.groups.add(groups[Role.MANAGER if data["manager"] else Role.AGENT])
            user.__dict__.pop("role", None)
            if not was_manager and (
                user.weekly_digest_sent_for is None or user.weekly_digest_sent_for < digested
            ):
                User.objects.filter(pk=user.pk).update(weekly_digest_sent_for=digested)
            for name in data["teams"]:
                self.team(name).members.add(user)
            self.agents[record.external_id] = user
            done.append((record, user.pk))
        self._remember(AGENT, done)

    # --- tickets ------------------------------------------------------------------------------

    def write_tickets(
        self, records: list[Record], progress: Callable[[int, int], None] | None
    ) -> None:
        todo = sorted(self._todo(records, TICKET), key=lambda r: (r.data["created_at"], r.line))
        counts = self.report.counts[TICKET]
        for done, record in enumerate(todo, start=1):
            self.created_names = []
            try:
                with transaction.atomic():
                    ticket = self._replay(record.data)
                    ImportedRecord.objects.create(
                        type=TICKET,
                        external_id=record.external_id,
                        object_id=ticket.pk,
                        imported_at=self.now,
                    )
                counts.created += 1
            except _Refused as refused:
                self._forget_created_names()
                self._invalid(record, str(refused))
            except IntegrityError as error:
                self._forget_created_names()
                self._invalid(record, f"the database refused it: {error}")
            if progress is not None:
                progress(done, len(todo))

    def _invalid(self, record: Record, message: str) -> None:
        record.errors.append(message)
        self.report.counts[record.type].invalid += 1
        self.report.problems.append(Problem(record.line, message, record.type, record.external_id))

    def _replay(self, data: dict) -> Ticket:
        try:
            ticket = services.register_ticket(
                by=None,
                customer=self.customer(data["customer"]),
                subject=data["subject"],
                description=data["description"],
                channel=data["channel"],
                priority=data["priority"],
                category=self.category(data["category"]) if data["category"] else None,
                team=self.team(data["team"]) if data["team"] else None,
                assignee=self.agent(data["assignee"]) if data["assignee"] else None,
                at=data["created_at"],
            )
        except CasesError as error:
            raise _Refused(f"the ticket cannot be registered: {error.message}") from error
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
                raise _Refused(
                    f"event {event.number} ({event.kind} at {event.at.isoformat()}) is refused: "
                    f"{error.message}"
                ) from error
        for survey in surveys:
            self._record_survey(ticket, survey)
        deadlines.record_past_deadlines(ticket, self.now)
        return ticket

    def _play(self, ticket: Ticket, event: Event) -> Ticket:
        """Replay one event; the ticket as the service left it."""
        by, at = self.actor(event.by), event.at
        kind = event.kind
        if kind == "reply" and event.by == BY_CUSTOMER:
            # On a resolved ticket this reopens it, as the customer's reply does live.
            return services.add_customer_reply(ticket=ticket, body=event.text, at=at).ticket
        if kind in ("reply", "note"):
            return services.add_reply(
                ticket=ticket, by=by, body=event.text, public=event.public, at=at
            ).ticket
        if kind == "escalated":
            team = self.team(event.to_team) if event.to_team else None
            return services.escalate_ticket(
                ticket=ticket, by=by, reason=event.text, team=team, at=at
            )
        if kind == "pending":
            return services.set_pending(ticket=ticket, by=by, at=at)
        if kind == "resumed":
            return services.resume_ticket(ticket=ticket, by=by, at=at)
        if kind == "assigned":
            assignee = self.agent(event.assignee) if event.assignee else None
            return services.assign_ticket(ticket=ticket, by=by, assignee=assignee, at=at)
        if kind == "resolved":
            return services.resolve_ticket(ticket=ticket, by=by, resolution=event.text, at=at)
        if kind == "reopened":
            return services.reopen_ticket(ticket=ticket, by=by, reason=event.text, at=at)
        if kind == "closed":
            return services.close_ticket(ticket=ticket, by=by, at=at)
        raise AssertionError(kind)  # pragma: no cover - EVENT_FIELDS and this list the same

    def _record_survey(self, ticket: Ticket, survey: Survey) -> None:
        ticket = Ticket.objects.select_related("customer", "team", "assignee").get(pk=ticket.pk)
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):  # validation rules it out
            raise _Refused(f"survey: sent while the ticket was {ticket.status}")
        resolution = (
            ticket.events.filter(kind=EventKind.RESOLVED)
            .select_related("actor")
            .order_by("at", "pk")
            .last()
        )
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
                # An unhappy answer older than a month was followed up (or not) in the old
                # tool: it must not flood today's inbox. Recent ones stay open.
                follow_up_status=(
                    FollowUpStatus.RESOLVED
                    if survey.answered_at and survey.answered_at < self.now - FOLLOW_UP_WINDOW
                    else FollowUpStatus.OPEN
                ),
                # Unanswered and then withdrawn by a reopening: its state is the one it had
                # when the ticket reopened (sent, or expired already), which the replayed
                # reopening then withdraws, as live.
                now=min(self.now, survey.reopened_at) if survey.reopened_at else self.now,
            )
        except InvalidAnswer as error:
            details = (m if k == "__all__" else f'"{k}": {m}' for k, m in error.errors.items())
            raise _Refused(f"survey: {'; '.join(details)}") from error
        except SurveyError as error:
            raise _Refused(f"survey: {error.message}") from error


# --- the whole import -------------------------------------------------------------------------


def import_history(
    lines: Iterable[bytes | str],
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import the JSON Lines in `lines` (see the module docstring). All or nothing unless
    `skip_invalid`; `dry_run` checks and replays everything, then writes nothing.
    `progress(done, total)` is called after each ticket."""
    started = time.monotonic()
    now = now or timezone.now()
    report = ImportReport(counts={kind: Counts() for kind in TYPES}, problems=[])
    records, report.problems = read_records(lines, now=now)
    pairs = [(r.type, r.external_id) for r in records if r.external_id is not None]
    pairs += [ref for r in records for ref in _references(r)]
    with transaction.atomic(), replaying_history():
        imported = _imported(pairs)
        check_references(records, imported)
        for record in records:
            if not record.valid:
                report.counts[record.type].invalid += 1
                report.problems += [
                    Problem(record.line, e, record.type, record.external_id) for e in record.errors
                ]
        writer = _Writer(report, imported, now)
        writer.write_teams(records)
        writer.write_customers(records)
        writer.write_agents(records)
        writer.write_tickets(records, progress)
        report.written = not dry_run and (skip_invalid or not report.problems)
        if not report.written:
            transaction.set_rollback(True)
    report.problems.sort(key=lambda p: p.line)
    report.elapsed = time.monotonic() - started
    return report
