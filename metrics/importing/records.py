"""Step 1 of the history import (docs/import.md): one line of the file read and checked on its
own — JSON object, `type`, `external_id`, fields, enum values, timestamps with an offset and
not in the future, `YYYY-MM-DD` dates, survey scales, and a ticket's events in time order.
Every problem is kept (with the line number the caller knows) instead of stopping at the
first; unknown fields are errors, so a misspelt "asignee" cannot silently drop the assignee.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from cases.models import MAX_LEVEL, Channel, Language, Priority, User
from surveys.models import SCALES, Question

from ..models import ImportedRecord
from .report import Problem

TEAM, CUSTOMER, AGENT, TICKET = (t.value for t in ImportedRecord.Type)
TYPES = (TEAM, CUSTOMER, AGENT, TICKET)  # also the order they are written in
BY_CUSTOMER = "customer"
NAME_MAX = 100  # Team.name, Category.name
EXTERNAL_ID_MAX = 200
# The choices, read once (an enum's `.values` builds a new list each time).
LANGUAGES, CHANNELS, PRIORITIES = Language.values, Channel.values, Priority.values

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

    @property
    def ref(self) -> str:
        """The external id, for a record read as valid: it is required, so such a record has
        one (and keeps it if it is refused later, while it is written)."""
        assert self.external_id is not None, f"line {self.line}: no external_id"
        return self.external_id


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
        if self.raw.keys() <= allowed:  # the usual case, without building a set
            return
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
        "language": f.choice("language", LANGUAGES, default=Language.SPANISH),
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
        "language": f.choice("language", LANGUAGES, default=Language.SPANISH),
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
        assert first.at is not None  # resolutions: the resolved events with a moment
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
        "channel": f.choice("channel", CHANNELS, required=True),
        "priority": f.choice("priority", PRIORITIES, default=Priority.NORMAL),
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


def parse_line(number: int, line: bytes | str) -> dict[str, Any] | Problem | None:
    """The JSON object of a line with a known `type`; a Problem when it is not one; None for
    a blank line."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            return Problem(number, "not valid UTF-8")
    if number == 1:
        line = line.removeprefix("\ufeff")
    if not line.strip():
        return None
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        return Problem(number, f"not valid JSON ({error.msg} at column {error.colno})")
    except (ValueError, RecursionError) as error:  # a 5000-digit number, deep nesting
        return Problem(number, f"not valid JSON ({str(error)[:80]})")
    if not isinstance(raw, dict):
        return Problem(number, "not a JSON object")
    if "\\u0000" in line and _has_nul(raw):  # PostgreSQL refuses NUL in text
        return Problem(number, "a text holds a NUL character (\\u0000)")
    kind = raw.get("type")
    if kind not in TYPES:
        return (
            Problem(number, f"unknown type {_show(kind)}: expected {', '.join(TYPES)}")
            if "type" in raw
            else Problem(number, '"type" is missing')
        )
    return raw


def external_id_of(raw: dict[str, Any]) -> str | None:
    """The record's external id as `clean_record` reads it (None: missing or unreadable)."""
    return _Fields(raw, [], datetime.max).ref("external_id", required=True)


def ticket_keys(raw: dict[str, Any], now: datetime) -> tuple[datetime | None, str | None]:
    """A ticket's `created_at` and `customer` as `clean_record` reads them (None: missing
    or unreadable): what the import needs of a ticket before it reads it whole."""
    fields = _Fields(raw, [], now)
    return fields.timestamp("created_at", required=True), fields.ref("customer", required=True)


def clean_record(
    number: int, raw: dict[str, Any], *, now: datetime, first_line: int | None = None
) -> Record:
    """Check one record (`raw` from `parse_line`). `first_line`: the line of an earlier
    record of the same type and id, which makes this one a duplicate."""
    kind = raw["type"]
    record = Record(line=number, type=kind, external_id=None)
    fields = _Fields(raw, record.errors, now)
    record.external_id = fields.ref("external_id", required=True)
    if record.external_id is not None and first_line is not None:
        fields.error(
            f"duplicate external_id: {kind} {record.external_id} is already on line {first_line}"
        )
    CLEANERS[kind](fields, record)
    return record
