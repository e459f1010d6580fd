"""What a history import reports: every problem with its line, and counts per record type."""

from dataclasses import dataclass, field


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
    problems: list[Problem] = field(default_factory=list)
    teams_named: int = 0  # teams created because something named them
    categories_named: int = 0
    written: bool = False
    elapsed: float = 0.0
    events: int = 0  # events of the tickets replayed (created ones)
    replayed_by_services: int = 0  # tickets the batched writer handed to the services
    copies: int = 0  # COPY statements sent (Django's query log sees every other statement)
