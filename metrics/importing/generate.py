"""A generated history in the import format (docs/import.md), deterministic for a seed: for
the test that imports one history both ways (tests/metrics/test_import_equality.py) and for
the import benchmark (tests/bench/bench_import.py).

Every event kind and survey shape occurs: agent replies and notes, customer replies (one
that reopens a resolved ticket), reassignments and unassignments, pending then resumed or
answered, escalations with and without a new team (an assignee who is not in it is
dropped), resolutions, reopenings by the customer or an agent (after a survey: answered, it
stands; unanswered, it is withdrawn), second resolutions with a second survey (`survey` as a
list), closes by an agent or the system, unhappy answers (follow-ups), unanswered and expired
surveys, tickets still open whose deadlines fell long ago. ~7 events a ticket.

`invalid=N` adds N tickets that the import must refuse, of every kind of refusal: the
lifecycle, a service rule, an unknown reference, a field, a survey rule, a repeated id.
"""

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

TEAMS = (("Soporte N1", 1), ("Soporte N2", 2), ("Especialistas N3", 3))
MEMBERS = (7, 4, 2)  # agents per team; the last agent of N1 is also in N2
CATEGORIES = ("Facturación", "Envíos", "Cuentas", "Devoluciones", "Consultas generales")
CHANNELS = {"email": 30, "web": 22, "phone": 20, "chat": 15, "social": 8, "in_person": 3}
CHANNELS["field_visit"] = 2
PRIORITIES = {"low": 20, "normal": 50, "high": 22, "urgent": 8}
ZONES = (UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)))
INVALID_KINDS = (
    "resolved while new",
    "empty resolution",
    "unknown agent",
    "bad channel",
    "assignee outside the team",
    "reply to a closed ticket",
    "survey after the reopening",
    "escalated past level 3",
    "repeated external id",
    "pending while new",
    "unknown customer",
    "scores without an answer",
)

Line = dict[str, Any]


def stamp(moment: datetime, zone: tzinfo = UTC) -> str:
    """ISO 8601 with the offset of `zone` (UTC as `Z`): the import reads any offset."""
    return moment.astimezone(zone).isoformat().replace("+00:00", "Z")


class _Story:
    """One ticket's events, told in time order and never past `end`."""

    def __init__(self, start: datetime, end: datetime, zone: tzinfo):
        self.at, self.end, self.zone = start, end, zone
        self.events: list[Line] = []
        self.over = False

    def later(self, rng: random.Random, minutes: float) -> datetime | None:
        """A moment some `minutes` (lognormal around it) after the last one; None past the end."""
        moment = self.at + timedelta(minutes=max(1.0, rng.lognormvariate(0, 0.8) * minutes))
        if moment >= self.end:
            self.over = True
            return None
        return moment

    def add(self, moment: datetime | None, kind: str, by: str | None, **fields: Any) -> bool:
        if moment is None or self.over:
            return False
        self.at = moment
        event: Line = {"kind": kind, "at": stamp(moment, self.zone), **fields}
        if by is not None:
            event["by"] = by
        self.events.append(event)
        return True


class Generator:
    def __init__(self, *, now: datetime, seed: int = 1, days: int = 730, auto_team: str = ""):
        self.now, self.days, self.auto_team = now, days, auto_team
        self.rng = random.Random(seed)
        self.members: list[list[str]] = []
        serial = 0
        for size in MEMBERS:
            self.members.append([f"a-{serial + k + 1}" for k in range(size)])
            serial += size
        self.members[1].append(self.members[0][-1])  # one agent in N1 and N2

    # --- people ---------------------------------------------------------------------------

    def people(self, customers: int) -> Iterator[Line]:
        rng = self.rng
        for (name, level), external_id in zip(TEAMS[1:], ("t-2", "t-3"), strict=True):
            yield {"type": "team", "external_id": external_id, "name": name, "level": level}
        seen: set[str] = set()
        for index in range(len(TEAMS)):
            for external_id in self.members[index]:
                if external_id in seen:
                    continue
                seen.add(external_id)
                teams = [t for i, (t, _l) in enumerate(TEAMS) if external_id in self.members[i]]
                agent_number = external_id.removeprefix("a-")
                yield {
                    "type": "agent",
                    "external_id": external_id,
                    "username": f"agente{agent_number}",
                    "email": f"agente{agent_number}@ejemplo.test",
                    "name": f"Agente {agent_number} Histórico",
                    "teams": teams,
                    "language": rng.choice(("es", "es", "en")),
                }
        yield {
            "type": "agent",
            "external_id": "m-1",
            "username": "jefa.soporte",
            "name": "Jefa Soporte",
            "teams": [],
            "manager": True,
        }
        today = self.now.date()
        for number in range(1, customers + 1):
            record: Line = {"type": "customer", "external_id": f"c-{number}"}
            if rng.random() < 0.97:
                record["email"] = f"cliente{number}@ejemplo.test"
            record["name"] = f"Cliente {number}"
            if rng.random() < 0.3:
                record["company"] = f"Empresa {number % 50}"
            record["language"] = "es" if rng.random() < 0.8 else "en"
            if rng.random() < 0.7:  # the others start with their first ticket
                since = today - timedelta(days=rng.randrange(self.days, self.days + 400))
                record["active_since"] = since.isoformat()
                if rng.random() < 0.12:
                    churned = since + timedelta(days=rng.randrange(30, self.days))
                    record["churned_at"] = min(churned, today).isoformat()
            yield record

    # --- tickets --------------------------------------------------------------------------

    def ticket(self, number: int, created: datetime, customers: int) -> Line:
        rng = self.rng
        # Most old tools write UTC; some write the desk's local offset.
        zone = rng.choices(ZONES, weights=(80, 12, 8))[0]
        team_index = rng.choices((0, 1, 2), weights=(80, 15, 5))[0]
        team = TEAMS[team_index][0]
        assignee = rng.choice(self.members[team_index]) if rng.random() < 0.85 else None
        line: Line = {
            "type": "ticket",
            "external_id": f"T-{number}",
            "customer": f"c-{rng.randrange(1, customers + 1)}",
            "subject": f"Caso {number}: {rng.choice(CATEGORIES).lower()}",
            "description": "Historia generada para probar la importación.",
            "channel": rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
            "priority": rng.choices(list(PRIORITIES), weights=list(PRIORITIES.values()))[0],
            "team": team,
            "created_at": stamp(created, zone),
        }
        if rng.random() < 0.95:
            line["category"] = rng.choice(CATEGORIES)
        if assignee:
            line["assignee"] = assignee
        automatic = bool(self.auto_team) and rng.random() < 0.03
        if automatic:  # the team assigns by itself; N1's agents work the case
            line["team"] = self.auto_team
            line.pop("assignee", None)
            team_index, assignee = 0, None
        story = _Story(created, self.now - timedelta(minutes=1), zone)
        surveys = self._work(story, team_index, assignee, reassign=not automatic)
        line["events"] = story.events
        if surveys:
            line["survey"] = surveys[0] if len(surveys) == 1 else surveys
        return line

    def _agent(self, team_index: int) -> str:
        return self.rng.choice(self.members[team_index])

    def _work(
        self, story: _Story, team: int, assignee: str | None, *, reassign: bool = True
    ) -> list[Line]:
        """Tell the ticket's story; its surveys."""
        rng = self.rng
        agent = assignee or self._agent(team)
        if rng.random() < 0.2:
            story.add(story.later(rng, 10), "note", agent, body="Revisar el historial.")
        if rng.random() < 0.07:  # never answered
            if rng.random() < 0.5:
                story.add(story.later(rng, 600), "reply", "customer", body="¿Alguna novedad?")
            return []
        story.add(story.later(rng, 90), "reply", agent, body="Estamos en ello.", public=True)
        level = TEAMS[team][1]
        for _ in range(min(int(rng.expovariate(0.4)), 6)):
            story.add(story.later(rng, 240), "reply", "customer", body="Gracias, sigo esperando.")
            story.add(story.later(rng, 120), "reply", agent, body="Le respondo enseguida.")
        if reassign and rng.random() < 0.1:
            if rng.random() < 0.2:
                story.add(story.later(rng, 30), "assigned", agent, assignee=None)
                assignee = None
            else:
                assignee = agent = self._agent(team)
                story.add(story.later(rng, 30), "assigned", agent, assignee=agent)
        if rng.random() < 0.15 and story.add(story.later(rng, 20), "pending", agent):
            if rng.random() < 0.6:
                story.add(story.later(rng, 600), "reply", "customer", body="Aquí tienen los datos.")
            else:
                story.add(story.later(rng, 900), "resumed", agent)
        escalations = 1 if rng.random() < 0.12 else 0
        escalations += 1 if escalations and rng.random() < 0.25 else 0
        for _ in range(escalations):
            if level >= 3:
                break
            fields: Line = {"reason": "Necesita el nivel siguiente."}
            moved = rng.random() < 0.7
            if moved:
                team = level  # the next level's team
                fields["to_team"] = TEAMS[team][0]
            if not story.add(story.later(rng, 60), "escalated", agent, **fields):
                break
            level += 1
            if moved and assignee not in self.members[team]:
                assignee = None
                if rng.random() < 0.6:
                    assignee = agent = self._agent(team)
                    story.add(story.later(rng, 30), "assigned", agent, assignee=agent)
        if rng.random() < 0.12 and story.add(story.later(rng, 30), "note", agent, body="Nota."):
            pass
        if rng.random() < 0.13:  # left open
            return []
        return self._resolve(story, team, agent)

    def _resolve(self, story: _Story, team: int, agent: str) -> list[Line]:
        rng = self.rng
        surveys: list[Line] = []
        for round_ in range(3):
            resolver = agent if rng.random() < 0.9 else self._agent(team)
            resolution = "Resuelto." if round_ == 0 else "Resuelto de nuevo."
            if not story.add(story.later(rng, 600), "resolved", resolver, resolution=resolution):
                return surveys
            survey = self._survey(story) if rng.random() < (0.6 if round_ == 0 else 0.4) else None
            if survey is not None:
                surveys.append(survey)
            if rng.random() >= (0.12 if round_ == 0 else 0.2):
                break
            # Reopened: by the customer writing back, or by an agent.
            if rng.random() < 0.5:
                kind, by, fields = "reply", "customer", {"body": "Sigue sin funcionar."}
            else:
                kind, by, fields = "reopened", agent, {"reason": "El cliente llamó de nuevo."}
            if not story.add(story.later(rng, 1440), kind, by, **fields):
                return surveys
            story.add(story.later(rng, 120), "reply", agent, body="Lo vuelvo a revisar.")
        else:
            return surveys
        close_at = story.at + timedelta(days=7)
        if rng.random() < 0.7 and close_at < story.end:
            story.add(close_at, "closed", agent if rng.random() < 0.4 else None)
        return surveys

    def _survey(self, story: _Story) -> Line | None:
        """A survey sent after the resolution just told; the story goes on after it (and
        after its answer), so a reopening comes later than both."""
        rng = self.rng
        sent = story.later(rng, 20)
        if sent is None:
            return None
        survey: Line = {"sent_at": stamp(sent, story.zone)}
        story.at = sent
        if rng.random() < 0.55:
            answered = story.later(rng, 300)
            if answered is None:
                story.over = False  # the survey stays unanswered; the story may go on
                return survey
            survey["answered_at"] = stamp(answered, story.zone)
            story.at = answered
            mood = rng.random()
            if rng.random() < 0.9:
                survey["csat"] = 1 + min(int(mood * 5.5), 4)
            if rng.random() < 0.7:
                survey["ces"] = 1 + min(int(mood * 7.5), 6)
            if rng.random() < 0.85 or "csat" not in survey:
                survey["nps"] = min(int(mood * 11.5), 10)
            if rng.random() < 0.2:
                survey["comment"] = "Muy amables." if mood > 0.5 else "Tardaron demasiado."
        return survey

    # --- refusals -------------------------------------------------------------------------

    def refused(self, number: int, created: datetime, customers: int, kind: str) -> Line:
        """A ticket the import must refuse, for `kind` (one of INVALID_KINDS)."""
        at = [stamp(created + timedelta(hours=h)) for h in range(1, 6)]
        line: Line = {
            "type": "ticket",
            "external_id": f"X-{number}",
            "customer": f"c-{1 + number % customers}",
            "subject": f"Caso inválido {number}",
            "description": "No debe importarse.",
            "channel": "email",
            "team": TEAMS[0][0],
            "assignee": self.members[0][0],
            "created_at": stamp(created),
            "events": [],
        }
        agent = self.members[0][0]
        reply = {"kind": "reply", "by": agent, "at": at[0], "body": "Hola."}
        resolved = {"kind": "resolved", "by": agent, "at": at[1], "resolution": "Hecho."}
        if kind == "resolved while new":
            line["events"] = [{**resolved, "at": at[0]}]
        elif kind == "empty resolution":
            line["events"] = [reply, {"kind": "resolved", "by": agent, "at": at[1]}]
        elif kind == "unknown agent":
            line["events"] = [{**reply, "by": "a-404"}]
        elif kind == "bad channel":
            line["channel"] = "fax"
        elif kind == "assignee outside the team":
            line["team"] = TEAMS[2][0]
        elif kind == "reply to a closed ticket":
            line["events"] = [
                reply,
                resolved,
                {"kind": "closed", "at": at[2]},
                {"kind": "reply", "by": "customer", "at": at[3], "body": "¿Hola?"},
            ]
        elif kind == "survey after the reopening":
            line["events"] = [reply, resolved, {"kind": "reopened", "by": agent, "at": at[2]}]
            line["survey"] = {"sent_at": at[3]}
        elif kind == "escalated past level 3":
            line["team"], line["assignee"] = TEAMS[2][0], self.members[2][0]
            line["events"] = [
                {"kind": "escalated", "by": self.members[2][0], "at": at[0], "reason": "Más."}
            ]
        elif kind == "repeated external id":
            line["external_id"] = "T-1"
        elif kind == "pending while new":
            line["events"] = [{"kind": "pending", "by": agent, "at": at[0]}]
        elif kind == "unknown customer":
            line["customer"] = "c-404"
        elif kind == "scores without an answer":
            line["events"] = [reply, resolved]
            line["survey"] = {"sent_at": at[2], "csat": 4}
        return line


def history(
    tickets: int,
    *,
    now: datetime,
    seed: int = 1,
    invalid: int = 0,
    customers: int | None = None,
    days: int = 730,
    auto_team: str = "",
) -> Iterator[Line]:
    """The lines of a history of `tickets` tickets (created over the last `days`, nearly in
    order of creation) and `invalid` refused ones among them."""
    generator = Generator(now=now, seed=seed, days=days, auto_team=auto_team)
    rng = generator.rng
    customers = customers or max(20, tickets // 8)
    yield from generator.people(customers)
    start = now - timedelta(days=days)
    step = timedelta(days=days) / max(tickets, 1)
    bad = set(rng.sample(range(tickets), min(invalid, tickets)))
    held: Line | None = None
    for index in range(tickets):
        created = start + step * index + step * rng.random()
        created = created.replace(microsecond=0)
        if index in bad:
            kind = INVALID_KINDS[sorted(bad).index(index) % len(INVALID_KINDS)]
            line = generator.refused(index + 1, created, customers, kind)
        else:
            line = generator.ticket(index + 1, created, customers)
        # Now and then two neighbours swap places: the import sorts by creation itself.
        if held is None and rng.random() < 0.05:
            held = line
            continue
        yield line
        if held is not None:
            yield held
            held = None
    if held is not None:
        yield held


def write_history(path: Path | str, tickets: int, **options: Any) -> dict[str, int]:
    """Write a history file; how many lines and events it has."""
    lines = events = 0
    with open(path, "w", encoding="utf-8") as out:
        for line in history(tickets, **options):
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            lines += 1
            events += len(line.get("events", ()))
    return {"lines": lines, "events": events}
