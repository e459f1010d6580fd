"""The README promises that a history import sends nothing, then or later: after importing
open tickets whose SLA deadlines passed long ago, surveys and a manager, every periodic task
of the beat finds nothing of that past to e-mail. The past breaches still count as breaches
in the SLA KPIs (recorded when they happened), but nobody is alerted and nothing escalates;
what is still open goes on live from the import, so its next deadline does alert."""

import json
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cases import services
from cases.models import Customer, EventKind, OutboundEmail, SLAPolicy, Ticket
from cases.services import deadlines
from metrics import digest
from metrics.kpis import Filters, Period
from metrics.kpis import summary as kpi_summary
from metrics.models import ImportedRecord
from surveys.models import FollowUp, InvitationStatus, SurveyInvitation
from tests.test_demo_sends_nothing import run_every_beat_task

pytestmark = pytest.mark.django_db


def stamp(moment: datetime) -> str:
    return moment.isoformat()


def history(now: datetime) -> list[dict]:
    """A desk moving to Pulso today: one agent and one manager of Soporte N1, and tickets of
    the last two months — two still open long past both deadlines, one just past its
    first-response warning, one just opened, two resolved and surveyed."""

    def ago(**delta) -> datetime:
        return now - timedelta(**delta)

    def ticket(external_id, created, priority="high", events=(), **fields):
        return {
            "type": "ticket",
            "external_id": external_id,
            "customer": "c-1",
            "subject": f"Caso {external_id}",
            "description": "No funciona",
            "channel": "email",
            "priority": priority,
            "team": "Soporte N1",
            "assignee": "a-1",
            "created_at": stamp(created),
            "events": list(events),
            **fields,
        }

    def step(kind, at, by="a-1", **fields):
        return {"kind": kind, "by": by, "at": stamp(at), **fields}

    def worked(created):
        return [
            step("reply", created + timedelta(hours=1), body="Lo reviso."),
            step("resolved", created + timedelta(hours=3), resolution="Corregido"),
        ]

    old, replied = ago(days=60), ago(days=30)
    surveyed, unhappy = ago(days=4), ago(days=5)
    return [
        {"type": "customer", "external_id": "c-1", "email": "cliente@example.com", "name": "Eva"},
        {
            "type": "agent",
            "external_id": "a-1",
            "username": "lucia",
            "email": "lucia@example.com",
            "name": "Lucía Gómez",
            "teams": ["Soporte N1"],
        },
        {
            "type": "agent",
            "external_id": "m-1",
            "username": "mateo",
            "email": "mateo@example.com",
            "name": "Mateo Ríos",
            "teams": ["Soporte N1"],
            "manager": True,
        },
        ticket("OLD", old),  # never answered: both clocks breached weeks ago
        ticket(
            "REPLIED",
            replied,
            priority="normal",
            events=[
                step("reply", replied + timedelta(hours=1), body="Lo reviso."),
                step("reply", replied + timedelta(hours=2), by="customer", body="Gracias"),
            ],
        ),  # answered in time, never resolved: the resolution clock breached
        ticket("RECENT", ago(minutes=100)),  # warned at 96 min, due at 120
        ticket("FRESH", ago(minutes=10)),  # both clocks still ahead
        ticket(
            "SURVEYED",
            surveyed,
            priority="normal",
            events=worked(surveyed),
            survey={"sent_at": stamp(surveyed + timedelta(hours=4))},  # its reminder is due
        ),
        ticket(
            "UNHAPPY",
            unhappy,
            priority="normal",
            events=worked(unhappy),
            survey={
                "sent_at": stamp(unhappy + timedelta(hours=4)),
                "answered_at": stamp(ago(days=2)),
                "csat": 1,
                "nps": 2,
                "comment": "Tardaron mucho",
            },
        ),
        ticket("RESOLVED", ago(days=20), priority="normal", events=worked(ago(days=20))),
    ]


@pytest.fixture
def policies(team_n1, team_n2):
    """Around the clock (Soporte N1 has no calendar). High: answer within 2 h, resolve within
    8 h, breaches go to N2; normal: 4 h and 24 h."""
    SLAPolicy.objects.create(
        name="High",
        priority="high",
        first_response_minutes=120,
        resolution_minutes=480,
        escalate_to=team_n2,
    )
    SLAPolicy.objects.create(
        name="Normal", priority="normal", first_response_minutes=240, resolution_minutes=1440
    )


@pytest.fixture
def imported(policies, tmp_path, settings, django_capture_on_commit_callbacks) -> datetime:
    """The history imported just now (the moment is returned)."""
    settings.SURVEY_REMINDER_DAYS = 3
    now = timezone.now()
    path = Path(tmp_path) / "history.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in history(now)) + "\n")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_history", str(path), stdout=StringIO(), stderr=StringIO())
    assert mail.outbox == [] and not OutboundEmail.objects.exists()
    return now


def ticket_of(external_id: str) -> Ticket:
    pk = ImportedRecord.objects.get(type="ticket", external_id=external_id).object_id
    return Ticket.objects.select_related("team", "assignee").get(pk=pk)


def test_no_beat_task_mails_anything_about_the_imported_past(
    imported, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks = run_every_beat_task()

    assert mail.outbox == [], [m.subject for m in mail.outbox]
    assert not OutboundEmail.objects.exists()
    assert tasks["cases.tasks.check_sla"] == {}, "the import recorded the past breaches"
    assert tasks["surveys.tasks.send_reminders_and_expire"]["reminded"] == 0
    # There was something to remind and someone to alert, had it been live.
    reminder_age = timezone.now() - timedelta(days=3)
    assert SurveyInvitation.objects.filter(
        status=InvitationStatus.SENT, sent_at__lte=reminder_age
    ).exists()
    assert FollowUp.objects.get().alert_status == "sent"


def test_past_breaches_are_recorded_when_they_happened_without_escalating(imported):
    old = ticket_of("OLD")
    assert old.first_response_breached_at == old.first_response_due_at
    assert old.resolution_breached_at == old.resolution_due_at
    assert old.first_response_warned_at == old.first_response_warn_at
    # Nothing escalated in the history, so nothing escalates now.
    assert (old.team.name, old.level, old.escalation_count) == ("Soporte N1", 1, 0)
    assert old.assignee.username == "lucia"
    breaches = old.events.filter(kind=EventKind.SLA_BREACHED).order_by("at")
    assert [(e.data["clock"], e.at, e.actor) for e in breaches] == [
        ("first_response", old.first_response_due_at, None),
        ("resolution", old.resolution_due_at, None),
    ]
    assert not old.events.filter(kind__in=[EventKind.ESCALATED, EventKind.SLA_WARNING]).exists()

    replied = ticket_of("REPLIED")
    assert replied.first_response_breached_at is None, "answered in time"
    assert replied.resolution_breached_at == replied.resolution_due_at

    recent = ticket_of("RECENT")
    assert recent.first_response_warned_at == recent.first_response_warn_at
    assert recent.first_response_breached_at is None

    fresh = ticket_of("FRESH")
    assert (fresh.first_response_warned_at, fresh.first_response_breached_at) == (None, None)


def test_the_past_breaches_count_in_the_sla_kpis(imported):
    local = timezone.localdate(imported)
    sla = kpi_summary(Period.of(local - timedelta(days=90), local + timedelta(days=1)))["sla"]

    # OLD missed both clocks, REPLIED its resolution; the rest met theirs or are running.
    assert sla["breached"] == 2
    assert sla["first_response_count"] == 5  # OLD, REPLIED, SURVEYED, UNHAPPY, RESOLVED
    assert sla["first_response_percent"] == 80.0
    assert sla["resolution_count"] == 5
    assert sla["resolution_percent"] == 60.0


def test_an_imported_open_ticket_goes_on_live_and_its_next_deadline_alerts(
    imported, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(imported + timedelta(hours=3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks = run_every_beat_task()

    # RECENT (due 20 min after the import) and FRESH (110 min after) breach live.
    assert tasks["cases.tasks.check_sla"] == {"first_response_breach": 2}
    alerted = sorted((m.to[0], m.subject.split("]")[0][1:]) for m in mail.outbox)
    recent, fresh = ticket_of("RECENT"), ticket_of("FRESH")
    assert alerted == sorted(
        (person, ticket.reference)
        for person in ("lucia@example.com", "mateo@example.com")
        for ticket in (recent, fresh)
    )
    assert (recent.level, recent.team.name, recent.escalation_count) == (2, "Soporte N2", 1)
    assert ticket_of("OLD").level == 1, "its breaches were history"


def test_imported_managers_get_no_digest_of_the_weeks_before_the_import(imported):
    """The week before the import was lived in the old tool; next Monday's digest is about
    a week on Pulso, and goes out."""
    assert digest.send_weekly_digests() == 0
    local = timezone.localtime(imported)
    next_monday = (local + timedelta(days=7 - local.weekday())).replace(hour=8, minute=0)
    with time_machine.travel(next_monday, tick=False):
        assert digest.send_weekly_digests() == 1
    assert [m.to for m in mail.outbox] == [["mateo@example.com"]]


def test_a_closed_history_ticket_records_its_breaches_as_the_live_check_would_have(
    ana, team_n3, tmp_path
):
    """Answered late, set pending (the resolution clock stops), resumed and resolved late:
    imported, its breaches are marked when they happened, as a beat checking every moment
    would have marked them on the same ticket worked live (at level 3, where a breach
    escalates nowhere) — and the SLA figures are the same."""
    SLAPolicy.objects.create(
        name="Normal", priority="normal", first_response_minutes=120, resolution_minutes=480
    )
    team_n3.members.add(ana)

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text)

    live = services.register_ticket(
        by=None,
        customer=Customer.objects.create(email="live@example.com"),
        subject="Factura duplicada",
        description="Me cobraron dos veces",
        channel="email",
        team=team_n3,
        assignee=ana,
        at=at("2025-03-01T10:00:00Z"),
    )

    def fresh() -> Ticket:
        return Ticket.objects.get(pk=live.pk)

    def beat(moment: str) -> None:
        deadlines.check_deadlines(now=at(moment))

    beat("2025-03-01T11:36:00Z")  # 80 % of the first response
    beat("2025-03-01T12:00:00Z")  # first response missed
    services.add_reply(ticket=fresh(), by=ana, body="Lo reviso.", at=at("2025-03-01T13:00:00Z"))
    services.set_pending(ticket=fresh(), by=ana, at=at("2025-03-01T14:00:00Z"))
    services.resume_ticket(ticket=fresh(), by=ana, at=at("2025-03-02T10:00:00Z"))
    beat("2025-03-02T12:24:00Z")  # 80 % of the resolution, 20 h of pending later
    beat("2025-03-02T14:00:00Z")  # resolution missed
    services.resolve_ticket(
        ticket=fresh(), by=ana, resolution="Reverso", at=at("2025-03-02T16:00:00Z")
    )
    services.close_ticket(ticket=fresh(), by=None, at=at("2025-03-09T16:00:00Z"))

    def step(kind, moment, **fields):
        return {"kind": kind, "by": "a-ana", "at": moment, **fields}

    lines = [
        {"type": "customer", "external_id": "c-1", "email": "imported@example.com"},
        {"type": "agent", "external_id": "a-ana", "username": "ana", "teams": []},
        {
            "type": "ticket",
            "external_id": "T-1",
            "customer": "c-1",
            "subject": "Factura duplicada",
            "description": "Me cobraron dos veces",
            "channel": "email",
            "team": team_n3.name,
            "assignee": "a-ana",
            "created_at": "2025-03-01T10:00:00Z",
            "events": [
                step("reply", "2025-03-01T13:00:00Z", body="Lo reviso."),
                step("pending", "2025-03-01T14:00:00Z"),
                step("resumed", "2025-03-02T10:00:00Z"),
                step("resolved", "2025-03-02T16:00:00Z", resolution="Reverso"),
                {"kind": "closed", "at": "2025-03-09T16:00:00Z"},
            ],
        },
    ]
    path = Path(tmp_path) / "history.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    call_command("import_history", str(path), stdout=StringIO(), stderr=StringIO())

    def clocks(ticket: Ticket) -> dict:
        fields = ("first_response", "resolution")
        stages = ("due_at", "warned_at", "breached_at")
        breaches = ticket.events.filter(kind=EventKind.SLA_BREACHED).order_by("at")
        return {
            "fields": [getattr(ticket, f"{f}_{s}") for f in fields for s in stages],
            "breaches": [(e.at, e.actor_id, e.data) for e in breaches],
            "level": (ticket.level, ticket.escalation_count),
            "sla": kpi_summary(
                Period.of(date(2025, 3, 1), date(2025, 4, 1)), Filters(customer=ticket.customer_id)
            )["sla"],
        }

    history = clocks(ticket_of("T-1"))
    assert history == clocks(fresh())
    assert history["fields"] == [
        at("2025-03-01T12:00:00Z"),
        at("2025-03-01T11:36:00Z"),
        at("2025-03-01T12:00:00Z"),
        at("2025-03-02T14:00:00Z"),
        at("2025-03-02T12:24:00Z"),
        at("2025-03-02T14:00:00Z"),
    ]
    assert (history["sla"]["breached"], history["sla"]["resolution_percent"]) == (1, 0.0)
