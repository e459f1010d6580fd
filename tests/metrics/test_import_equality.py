"""The batched import writes what the service replay writes, figure for figure: one generated
history — every event kind, reopenings after surveys, escalations, pending and resumed,
reassignments, surveys answered, unanswered and withdrawn, SLA deadlines that fell long ago,
a team that assigns by itself, refused tickets of every kind — imported both ways into the
same starting database, then compared ticket by ticket, event by event, and in every table,
the KPIs and the rollups."""

import io
import json
from dataclasses import asdict
from datetime import UTC, date, datetime, time

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from cases.models import (
    AssignmentMode,
    BusinessCalendar,
    Category,
    Customer,
    Holiday,
    Organisation,
    SLAPolicy,
    Team,
    Ticket,
    User,
    WorkingHours,
)
from metrics import rollups
from metrics.importing import import_history
from metrics.importing.generate import INVALID_KINDS, history
from metrics.kpis import Filters, Period
from metrics.kpis import summary as kpi_summary
from metrics.models import (
    CreatedRollup,
    DriverRollup,
    ImportedRecord,
    ResolvedRollup,
    SentRollup,
    SurveyRollup,
    TicketFact,
)
from surveys.models import FollowUp, SurveyInvitation, SurveyResponse
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
PERIOD = Period.of(date(2023, 5, 1), date(2025, 6, 3))
# What differs by nature between two runs: ids, random tokens, the moment rows were made.
RANDOM = {"id", "nonce", "token_hash", "password", "date_joined", "last_login"}


@pytest.fixture
def desk(db, settings):
    """The desk the history comes to: a team with a business calendar and one that assigns
    by round robin, a category, SLA policies that narrow by team, category and channel, a
    customer and a user the history adopts, and rollups built."""
    settings.SURVEY_EXPIRY_DAYS = 30
    calendar = BusinessCalendar.objects.create(name="Oficina", time_zone="Europe/Madrid")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(9), closes=time(18)
        )
    Holiday.objects.create(calendar=calendar, day=date(2025, 5, 1), name="Día del trabajo")
    n2 = Team.objects.create(name="Soporte N2", level=2, calendar=calendar)
    guardia = Team.objects.create(name="Guardia", level=1, assignment=AssignmentMode.ROUND_ROBIN)
    AgentFactory(username="guardia1", teams=[guardia])
    AgentFactory(username="guardia2", teams=[guardia])
    AgentFactory(username="agente2", first_name="Ya", last_name="Estaba", teams=[])
    billing = Category.objects.create(name="Facturación")
    Customer.objects.create(
        email="Cliente1@Ejemplo.test", name="Cliente de siempre", active_since=date(2025, 1, 1)
    )
    SLAPolicy.objects.create(
        name="Urgente", priority="urgent", first_response_minutes=60, resolution_minutes=240
    )
    alta_n2 = SLAPolicy.objects.create(
        name="Alta N2", priority="high", first_response_minutes=120, resolution_minutes=960
    )
    alta_n2.teams.add(n2)
    SLAPolicy.objects.create(
        name="Alta", priority="high", first_response_minutes=240, resolution_minutes=1440
    )
    cobros = SLAPolicy.objects.create(
        name="Cobros", priority="normal", first_response_minutes=480, resolution_minutes=2880
    )
    cobros.categories.add(billing)
    SLAPolicy.objects.create(
        name="Correo",
        priority="normal",
        first_response_minutes=720,
        resolution_minutes=4320,
        channels=["email", "web"],
    )
    rollups.rebuild()


def lines(tickets: int = 300, invalid: int = len(INVALID_KINDS)) -> list[str]:
    return [
        json.dumps(line, ensure_ascii=False)
        for line in history(tickets, now=NOW, seed=7, invalid=invalid, auto_team="Guardia")
    ]


# --- what is compared -------------------------------------------------------------------------


def _names() -> dict[str, dict[int, str]]:
    return {
        "user": dict(User.objects.values_list("pk", "username")),
        "team": dict(Team.objects.values_list("pk", "name")),
        "category": dict(Category.objects.values_list("pk", "name")),
        "customer": {c.pk: c.email or c.name for c in Customer.objects.all()},
        "sla_policy": dict(SLAPolicy.objects.values_list("pk", "name")),
        "organisation": dict(Organisation.objects.values_list("pk", "name")),
    }


FOREIGN = {
    "customer_id": "customer",
    "team_id": "team",
    "assignee_id": "user",
    "author_id": "user",
    "actor_id": "user",
    "agent_id": "user",
    "owner_id": "user",
    "last_assigned_id": "user",
    "category_id": "category",
    "sla_policy_id": "sla_policy",
    "default_team_id": "team",
    "organisation_id": "organisation",
}


def _row(instance, names, **mapped) -> dict:
    """A row's stored values, ids of people, teams and the like by name."""
    values = {}
    for field in type(instance)._meta.concrete_fields:
        if field.attname in RANDOM:
            continue
        value = getattr(instance, field.attname)
        if field.attname in mapped:
            value = mapped[field.attname](value)
        elif field.attname in FOREIGN and value is not None:
            value = names[FOREIGN[field.attname]][value]
        values[field.attname] = value
    return values


def _timeline(ticket: Ticket, names) -> dict:
    replies = list(ticket.replies.order_by("created_at", "pk"))
    reply_number = {reply.pk: number for number, reply in enumerate(replies)}
    events = list(ticket.events.order_by("at", "pk"))
    event_number = {event.pk: number for number, event in enumerate(events)}
    invitations = list(SurveyInvitation.objects.filter(ticket=ticket).order_by("created_at", "pk"))
    responses = list(SurveyResponse.objects.filter(ticket=ticket).order_by("answered_at", "pk"))
    response_number = {response.pk: number for number, response in enumerate(responses)}
    follow_ups = list(FollowUp.objects.filter(ticket=ticket).order_by("created_at", "pk"))
    follow_up_number = {follow_up.pk: number for number, follow_up in enumerate(follow_ups)}
    invitation_number = {invitation.pk: number for number, invitation in enumerate(invitations)}

    def data(event) -> dict:
        values = dict(event.data)
        for key, numbers in (
            ("reply_id", reply_number),
            ("response_id", response_number),
            ("follow_up_id", follow_up_number),
        ):
            if values.get(key) is not None:
                values[key] = numbers[values[key]]
        if values.get("assignee_id") is not None:
            values["assignee_id"] = names["user"][values["assignee_id"]]
        return values

    no_ticket = {"ticket_id": lambda _pk: "this ticket"}
    return {
        "ticket": _row(ticket, names),
        "replies": [_row(reply, names, **no_ticket) for reply in replies],
        "events": [
            _row(event, names, **no_ticket, data=lambda _d, e=event: data(e)) for event in events
        ],
        "invitations": [
            _row(invitation, names, **no_ticket, resolution_event_id=event_number.get)
            for invitation in invitations
        ],
        "responses": [
            _row(response, names, **no_ticket, invitation_id=invitation_number.get)
            for response in responses
        ],
        "follow_ups": [
            _row(follow_up, names, **no_ticket, response_id=response_number.get)
            for follow_up in follow_ups
        ],
    }


def _rollups(names) -> dict:
    tables = {}
    for model in (CreatedRollup, ResolvedRollup, SurveyRollup, SentRollup, DriverRollup):
        rows = [
            _row(row, names, agent_id=lambda pk: names["user"].get(pk))
            for row in model.objects.all()
        ]
        for row in rows:  # the category driver keeps the category's id
            if row.get("fact") == "category" and row["value"] is not None:
                row["value"] = names["category"][int(row["value"])]
        tables[model.__name__] = sorted(rows, key=repr)
    return tables


def snapshot() -> dict:
    """Everything an import writes, with nothing that depends on ids or random tokens."""
    names = _names()
    by_id = {
        pk: external_id
        for external_id, pk in ImportedRecord.objects.filter(type="ticket").values_list(
            "external_id", "object_id"
        )
    }
    tickets = {
        by_id.get(ticket.pk, f"not imported {ticket.pk}"): _timeline(ticket, names)
        for ticket in Ticket.objects.all()
    }
    facts = {
        by_id[fact.ticket_id]: _row(fact, names, ticket_id=by_id.get, agent_id=names["user"].get)
        for fact in TicketFact.objects.all()
    }
    return {
        "tickets": tickets,
        "facts": facts,
        "customers": sorted(
            (_row(c, names, created_at=lambda _at: None) for c in Customer.objects.all()),
            key=repr,
        ),
        "users": sorted(
            (
                _row(user, names)
                | {
                    "usable password": user.has_usable_password(),
                    "groups": sorted(user.groups.values_list("name", flat=True)),
                    "teams": sorted(user.teams.values_list("name", flat=True)),
                }
                for user in User.objects.all()
            ),
            key=repr,
        ),
        "teams": sorted((_row(team, names) for team in Team.objects.all()), key=repr),
        "categories": sorted(Category.objects.values_list("name", "is_active")),
        "organisations": sorted(Organisation.objects.values_list("name", flat=True)),
        "imported": sorted(ImportedRecord.objects.values_list("type", "external_id")),
        "rollups": _rollups(names),
        # Every table, so that a table one way writes and the other forgets shows up.
        "rows per table": {
            model._meta.db_table: model._default_manager.count()  # (= objects, for any model)
            for model in apps.get_models(include_auto_created=True)
        },
    }


def kpis() -> dict:
    """The KPI summary from the rollups and live, without filters and with some."""
    figures = {}
    for label, filters in (
        ("all", Filters()),
        ("email", Filters(channel="email")),
        ("high", Filters(priority="high")),
    ):
        figures[label] = kpi_summary(PERIOD, filters)
    return figures


def imported_both_ways(history_lines: list[str], **options) -> dict[str, dict]:
    """Import the history into the same starting database once per way, each inside a
    savepoint rolled back afterwards; what each left."""
    results = {}
    for replay in ("services", "bulk"):
        with transaction.atomic():
            report = import_history(history_lines, replay=replay, now=NOW, **options)
            rollups.refresh()  # what the beat does next
            results[replay] = {
                "report": {
                    "counts": {kind: asdict(counts) for kind, counts in report.counts.items()},
                    "problems": [str(problem) for problem in report.problems],
                    "written": report.written,
                    "named": (report.teams_named, report.categories_named),
                    "events": report.events,
                },
                "replayed by services": report.replayed_by_services,
                "database": snapshot(),
                "kpis": kpis(),
            }
            transaction.set_rollback(True)
    return results


# --- the tests --------------------------------------------------------------------------------


def test_a_generated_history_imports_the_same_both_ways(desk):
    results = imported_both_ways(lines(), skip_invalid=True)
    services, bulk = results["services"], results["bulk"]

    assert bulk["report"] == services["report"]
    assert bulk["database"]["rows per table"] == services["database"]["rows per table"]
    for external_id, timeline in services["database"]["tickets"].items():
        assert bulk["database"]["tickets"].get(external_id) == timeline, external_id
    assert bulk["database"] == services["database"]
    assert bulk["kpis"] == services["kpis"]
    # The history is what it claims to be: every refusal, surveys, SLA, a team that
    # assigns by itself (the only tickets the batched writer hands to the services).
    report = services["report"]
    assert report["counts"]["ticket"]["invalid"] == len(INVALID_KINDS)
    assert report["counts"]["customer"]["matched"] == 1
    assert report["counts"]["agent"]["matched"] == 1
    assert report["counts"]["team"]["matched"] == 1
    assert bulk["replayed by services"] > 0
    rows = services["database"]["rows per table"]
    assert rows["surveys_followup"] > 0 and rows["surveys_surveyresponse"] > 0
    figures = services["kpis"]["all"]
    assert figures["sla"]["breached"] > 0 and figures["reopen_rate"] > 0
    kinds = {e["kind"] for t in services["database"]["tickets"].values() for e in t["events"]}
    assert {"survey_withdrawn", "sla_breached", "sla_applied", "escalated", "resumed"} <= kinds


def test_a_history_with_problems_is_refused_alike_and_nothing_is_written(desk):
    results = imported_both_ways(lines(tickets=60))
    services, bulk = results["services"], results["bulk"]

    assert bulk["report"] == services["report"]
    assert not bulk["report"]["written"]
    assert len(bulk["report"]["problems"]) == len(INVALID_KINDS)
    assert bulk["database"] == services["database"]
    assert not bulk["database"]["imported"]


def test_importing_the_generated_history_again_changes_nothing(desk, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines(tickets=80, invalid=0)) + "\n", encoding="utf-8")
    call_command("import_history", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    before = snapshot()

    out = io.StringIO()
    call_command("import_history", str(path), stdout=out, stderr=io.StringIO())

    assert snapshot() == before
    ticket_row = next(line for line in out.getvalue().splitlines() if line.startswith("ticket"))
    assert ticket_row.split()[1:] == ["0", "0", "80", "0"]
