"""Step 2 of the history import: references resolved once the whole file is read.

A ticket's customer, assignee and event actors must be valid records of the file, or records
of an earlier import (`ImportedRecord`); a team named anywhere must not be defined by an
invalid team record; team names, customer e-mails (in any case) and usernames are unique
among the file's records (the first one by line keeps it). Records are checked layer by
layer — teams, then customers and agents, then the tickets that refer to them — each
layer's validity known before the next is checked.

What is kept of the file for this is small: the team and agent records (few), and of each
customer its line and validity. Tickets are checked one at a time as they are read again.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ..models import ImportedRecord
from .records import AGENT, BY_CUSTOMER, CUSTOMER, TEAM, TICKET, Record, _show

CHUNK = 500  # ids per IN (...) query


@dataclass(slots=True)
class Entry:
    """A record others may refer to: the first of the file with its type and id."""

    line: int
    offset: int
    valid: bool  # after its own checks, before anything is written
    data_since: bool = False  # a customer whose record gives `active_since`


class Index:
    """The records of the file that others refer to, filled in line order (first pass)."""

    def __init__(self) -> None:
        self.teams: list[Record] = []
        self.agents: list[Record] = []
        self.customers: dict[str, Entry] = {}
        self.agent_records: dict[str, Record] = {}  # external id → the first agent record
        self.team_records: dict[str, Record] = {}  # team name → the first record naming it
        self._unique: dict[tuple[str, str], tuple[str | None, int]] = {}
        self._first_lines: dict[tuple[str, str], int] = {}  # of teams and agents

    def first_line(self, kind: str, external_id: str | None, line: int) -> int | None:
        """The line of an earlier team, customer or agent record with this id, if any; else
        this line is now the first."""
        if external_id is None:
            return None
        if kind == CUSTOMER:
            entry = self.customers.get(external_id)
            return entry.line if entry is not None else None
        first = self._first_lines.setdefault((kind, external_id), line)
        return first if first != line else None

    def unique(self, record: Record, key: str, label: str) -> None:
        """The first record (by line) of its type with this name, e-mail or username keeps
        it; a later one is an error."""
        value = record.data.get(key)
        if not value:
            return
        folded = value.casefold() if key == "email" else value
        other = self._unique.setdefault((record.type, folded), (record.external_id, record.line))
        if other[1] != record.line:
            record.errors.append(
                f"{label} {_show(value)} is already used by {record.type} {other[0]} "
                f"on line {other[1]}"
            )

    def add(self, record: Record, offset: int) -> None:
        """A team, customer or agent record read (and cleaned) in the first pass."""
        if record.type == TEAM:
            self.unique(record, "name", "the team name")
            self.teams.append(record)
            if record.data.get("name"):
                self.team_records.setdefault(record.data["name"], record)
        elif record.type == CUSTOMER:
            self.unique(record, "email", "the e-mail")
            if record.external_id is not None and record.external_id not in self.customers:
                self.customers[record.external_id] = Entry(
                    record.line, offset, record.valid, bool(record.data.get("active_since"))
                )
        elif record.type == AGENT:
            self.unique(record, "username", "the username")
            self.agents.append(record)
            if record.external_id is not None:
                self.agent_records.setdefault(record.external_id, record)

    def close_first_pass(self) -> None:
        """Every record is read: the names, e-mails and ids seen are no longer needed."""
        self._unique.clear()
        self._first_lines.clear()

    def check_agents(self, imported: dict[tuple[str, str], int]) -> None:
        """The second layer's references, once every team record is known."""
        for record in self.agents:
            self.check(record, imported)

    def check(
        self,
        record: Record,
        imported: dict[tuple[str, str], int],
        refs: list[tuple[str, str]] | None = None,
    ) -> None:
        """Append the reference errors of an agent or ticket record to its errors.
        `imported` must hold the earlier imports of every reference not in the file; `refs`
        are its `references()` when the caller has them."""
        for name in team_names(record):
            team = self.team_records.get(name)
            if team is not None and not team.valid:
                record.errors.append(
                    f'team "{name}" is defined by team {team.external_id} on line {team.line}, '
                    "which is invalid"
                )
        for kind, external_id in dict.fromkeys(references(record) if refs is None else refs):
            line, valid = self._entry(kind, external_id)
            if line is not None:
                if not valid:
                    record.errors.append(
                        f"{kind} {external_id} (line {line}) is invalid: see that line"
                    )
            elif (kind, external_id) not in imported:
                record.errors.append(f"unknown {kind} {_show(external_id)}")

    def _entry(self, kind: str, external_id: str) -> tuple[int | None, bool]:
        if kind == CUSTOMER:
            entry = self.customers.get(external_id)
            return (entry.line, entry.valid) if entry else (None, False)
        agent = self.agent_records.get(external_id)
        return (agent.line, agent.valid) if agent else (None, False)

    def in_file(self, kind: str, external_id: str) -> bool:
        return self._entry(kind, external_id)[0] is not None


def references(record: Record) -> list[tuple[str, str]]:
    """(type, external id) of the customer and agents a ticket names."""
    if record.type != TICKET:
        return []
    data = record.data
    refs = [(CUSTOMER, data["customer"])] if data.get("customer") else []
    agents = [data.get("assignee")]
    for event in data.get("events", []):
        agents += [event.by if event.by != BY_CUSTOMER else None, event.assignee]
    return refs + [(AGENT, a) for a in agents if a]


def team_names(record: Record) -> list[str]:
    if record.type == AGENT:
        return record.data.get("teams", [])
    if record.type == TICKET:
        names = [record.data.get("team")] + [e.to_team for e in record.data.get("events", [])]
        return [n for n in names if n]
    return []


def imported_before(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """{(type, external id): object id} of the pairs imported before."""
    by_type: dict[str, set[str]] = {}
    for kind, external_id in pairs:
        by_type.setdefault(kind, set()).add(external_id)
    found = {}
    for kind, ids in by_type.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            rows = ImportedRecord.objects.filter(
                type=kind, external_id__in=ordered[start : start + CHUNK]
            ).values_list("external_id", "object_id")
            found.update({(kind, external_id): pk for external_id, pk in rows})
    return found
