"""`manage.py import_history` (docs/import.md): history replayed through the lifecycle services,
checked first with line numbers, all or nothing (or --skip-invalid), idempotent, silent."""

import gc
import io
import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases import services
from cases.models import (
    Category,
    Customer,
    EventKind,
    OutboundEmail,
    Reply,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from metrics.kpis import Filters, Period
from metrics.kpis import summary as kpi_summary
from metrics.models import ImportedRecord
from surveys.models import FollowUp, InvitationStatus, Source, SurveyInvitation, SurveyResponse
from surveys.services import answer_survey, deliver_invitation, expire_invitations

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).parent / "fixtures" / "example.jsonl"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- records ----------------------------------------------------------------------------------


def customer(external_id="c-17", **fields):
    return {
        "type": "customer",
        "external_id": external_id,
        "email": f"{external_id}@example.com",
        "name": "Ana Pérez",
        **fields,
    }


def agent(external_id="a-3", **fields):
    return {
        "type": "agent",
        "external_id": external_id,
        "username": f"user-{external_id}",
        "name": "Lucía Gómez",
        "teams": ["Soporte N1"],
        **fields,
    }


def ticket(external_id="T-1", *events, **fields):
    return {
        "type": "ticket",
        "external_id": external_id,
        "customer": "c-17",
        "subject": "Factura duplicada",
        "description": "Me cobraron dos veces",
        "channel": "email",
        "team": "Soporte N1",
        "created_at": "2025-03-01T10:00:00Z",
        "events": list(events),
        **fields,
    }


def event(kind, at, by="a-3", **fields):
    return {"kind": kind, "by": by, "at": at, **fields}


def resolved_events(day="2025-03-01"):
    """Answered, then resolved by a-3."""
    return (
        event("reply", f"{day}T11:00:00Z", body="Ya está."),
        event("resolved", f"{day}T12:00:00Z", resolution="Reverso aplicado"),
    )


# --- running the command ----------------------------------------------------------------------


def write(tmp_path, lines) -> Path:
    path = tmp_path / "history.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def run(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_history", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_refused(path, *args) -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_history", str(path), *args, stdout=out, stderr=err)
    return err.getvalue() + str(refused.value)


def counts_row(output: str, kind: str) -> list[int]:
    """created, matched, already present, invalid"""
    line = next(line for line in output.splitlines() if line.split()[:1] == [kind])
    return [int(value) for value in line.split()[1:]]


def snapshot() -> dict:
    """Everything the import may touch."""
    return {
        "customers": list(Customer.objects.values_list("id", "email", "active_since")),
        "users": list(User.objects.values_list("id", "username", "password")),
        "groups": list(User.groups.through.objects.values_list("user_id", "group_id")),
        "teams": list(Team.objects.values_list("id", "name", "level")),
        "members": list(Team.members.through.objects.values_list("team_id", "user_id")),
        "categories": list(Category.objects.values_list("id", "name")),
        "tickets": list(Ticket.objects.values_list("id", "status", "version", "updated_at")),
        "events": TicketEvent.objects.count(),
        "replies": Reply.objects.count(),
        "invitations": SurveyInvitation.objects.count(),
        "responses": SurveyResponse.objects.count(),
        "imported": ImportedRecord.objects.count(),
    }


# --- docs/import.md's example ---------------------------------------------------------------------


def test_the_example_ticket_ends_with_the_counters_live_work_would_give():
    out, err = run(EXAMPLE)

    imported = Ticket.objects.get()
    assert imported.status == Status.CLOSED
    assert imported.first_response_at == utc("2025-03-01T10:42:00Z")
    assert imported.resolved_at == utc("2025-03-03T10:00:00Z")
    assert imported.closed_at == utc("2025-03-10T10:00:00Z")
    assert imported.created_at == utc("2025-03-01T10:00:00Z")
    assert imported.escalation_count == 1
    assert imported.reopen_count == 1
    assert imported.public_agent_replies == 1
    # Escalated to Soporte N2 (level 2), where Lucía is no member: unassigned, as live.
    assert (imported.team.name, imported.level, imported.assignee) == ("Soporte N2", 2, None)
    assert (imported.priority, imported.channel, imported.category.name) == (
        "high",
        "email",
        "Facturación",
    )
    assert [e.kind for e in imported.events.all()] == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.REPLIED,
        EventKind.NOTE,
        EventKind.CUSTOMER_REPLIED,
        EventKind.ESCALATED,
        EventKind.PENDING,
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.RESOLVED,
        EventKind.SURVEY_ANSWERED,
        EventKind.CLOSED,
    ]
    lucia = User.objects.get(username="lucia")
    assert set(imported.events.exclude(actor=None).values_list("actor", flat=True)) == {lucia.pk}
    assert [(r.author, r.public) for r in imported.replies.all()] == [
        (lucia, True),
        (lucia, False),
        (None, True),
    ]
    assert counts_row(out, "ticket") == [1, 0, 0, 0]
    assert "tickets 1/1" in err


def test_the_example_brings_its_people_teams_and_survey():
    run(EXAMPLE)

    lucia = User.objects.get(username="lucia")
    assert (lucia.email, lucia.first_name, lucia.last_name) == (
        "lucia@example.com",
        "Lucía",
        "Gómez",
    )
    assert lucia.role == "agent" and not lucia.has_usable_password()
    assert [t.name for t in lucia.teams.all()] == ["Soporte N1"]
    assert dict(Team.objects.values_list("name", "level")) == {"Soporte N1": 1, "Soporte N2": 2}
    ana = Customer.objects.get()
    assert (ana.email, ana.name, ana.company, ana.language) == (
        "ana@example.com",
        "Ana Pérez",
        "Ferretería Sur",
        "es",
    )
    assert (ana.active_since, ana.churned_at) == (date(2024, 2, 1), None)

    response = SurveyResponse.objects.get()
    assert (response.csat, response.ces, response.nps, response.comment) == (4, 6, 9, "Muy amables")
    assert (response.source, response.answered_at) == (Source.IMPORT, utc("2025-03-03T18:30:00Z"))
    assert response.agent == lucia
    invitation = response.invitation
    assert invitation.status == InvitationStatus.ANSWERED
    assert invitation.sent_at == utc("2025-03-03T10:05:00Z")
    assert invitation.resolution_event.at == utc("2025-03-03T10:00:00Z")  # the last resolution


def test_importing_sends_nothing_and_leaves_no_invitation_to_send(
    tmp_path, django_capture_on_commit_callbacks
):
    lines = EXAMPLE.read_text().splitlines() + [
        json.dumps(
            ticket(
                "T-2",
                *resolved_events(),
                survey={
                    "sent_at": "2025-03-01T12:10:00Z",
                    "answered_at": "2025-03-02T08:00:00Z",
                    "csat": 1,
                    "nps": 2,
                    "comment": "Mal",
                },
            )
        ),
        json.dumps(ticket("T-3", *resolved_events())),  # resolved, no survey in the history
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(write(tmp_path, lines))

    assert Ticket.objects.count() == 3
    assert callbacks == []
    assert mail.outbox == []
    assert not SurveyInvitation.objects.filter(
        status__in=[InvitationStatus.PENDING, InvitationStatus.SENDING]
    ).exists()
    assert SurveyInvitation.objects.count() == 2  # the two surveys of the history, no more
    assert not OutboundEmail.objects.exists()
    # The unhappy answer opens its follow-up, but nobody is alerted about the past.
    follow_up = FollowUp.objects.get()
    t2 = ImportedRecord.objects.get(type="ticket", external_id="T-2").object_id
    assert (follow_up.ticket_id, follow_up.alert_status) == (t2, "sent")


# --- idempotency ------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing():
    run(EXAMPLE)
    before = snapshot()

    out, _err = run(EXAMPLE)

    assert snapshot() == before
    for kind in ("team", "customer", "agent", "ticket"):
        assert counts_row(out, kind) == [0, 0, 1, 0]


def test_the_process_gets_its_garbage_collector_back_after_an_import(tmp_path):
    """The import freezes what is alive and collects rarely while it runs
    (metrics/importing/run.py): a web or worker process that imports must find its
    collector as it was afterwards, whether the import was written or refused."""
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()

    run(EXAMPLE)
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)

    run_refused(write(tmp_path, ['{"type": "ticket", ']))
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)


def test_a_later_file_may_refer_to_records_imported_before(tmp_path):
    run(EXAMPLE)

    out, _err = run(write(tmp_path, [ticket("T-2", *resolved_events(), customer="c-17")]))

    assert counts_row(out, "ticket") == [1, 0, 0, 0]
    later = Ticket.objects.get(subject="Factura duplicada", status=Status.RESOLVED)
    assert later.customer.email == "ana@example.com"
    assert later.events.get(kind=EventKind.RESOLVED).actor.username == "lucia"


def test_an_existing_customer_with_that_email_is_matched_not_duplicated(tmp_path, customer):
    assert customer.email == "lucia@example.com"
    lines = [
        {
            "type": "customer",
            "external_id": "c-1",
            "email": "LUCIA@example.com",
            "name": "Otra",
            "active_since": "2023-05-01",
            "churned_at": "2024-01-01",
        }
    ]

    out, _err = run(write(tmp_path, lines))

    assert counts_row(out, "customer") == [0, 1, 0, 0]
    customer.refresh_from_db()
    assert Customer.objects.count() == 1
    # Only the start moves earlier; the live record keeps its name and (no) churn.
    assert (customer.name, customer.active_since, customer.churned_at) == (
        "Lucía Torres",
        date(2023, 5, 1),
        None,
    )
    assert ImportedRecord.objects.get(type="customer", external_id="c-1").object_id == customer.pk


def test_an_existing_user_with_that_username_is_matched_and_keeps_their_password(tmp_path, carla):
    out, _err = run(write(tmp_path, [agent("a-1", username="carla", teams=["Soporte N1"])]))

    assert counts_row(out, "agent") == [0, 1, 0, 0]
    carla.refresh_from_db()
    assert carla.has_usable_password()
    assert sorted(t.name for t in carla.teams.all()) == ["Soporte N1", "Soporte N2"]


def test_external_ids_may_be_numbers(tmp_path):
    lines = [customer(17), agent(3), ticket(1, customer="17", assignee=3)]

    out, _err = run(write(tmp_path, lines))

    assert counts_row(out, "ticket") == [1, 0, 0, 0]
    assert Ticket.objects.get().assignee.username == "user-3"
    assert ImportedRecord.objects.filter(external_id="17", type="customer").exists()


def test_a_manager_record_gets_the_manager_group(tmp_path):
    run(write(tmp_path, [agent("m-1", manager=True, teams=[])]))

    boss = User.objects.get(username="user-m-1")
    assert boss.role == "manager"
    assert list(boss.groups.values_list("name", flat=True)) == ["Manager"]


def test_a_customer_without_active_since_starts_with_their_first_ticket(tmp_path):
    lines = [
        customer(),
        agent(),
        ticket("T-2", created_at="2024-06-05T15:00:00Z"),
        ticket("T-1", created_at="2024-07-01T15:00:00Z"),
    ]

    run(write(tmp_path, lines))

    assert Customer.objects.get().active_since == date(2024, 6, 5)
    # Tickets are registered in order of creation, so references grow with time.
    assert list(Ticket.objects.order_by("id").values_list("created_at", flat=True)) == [
        utc("2024-06-05T15:00:00Z"),
        utc("2024-07-01T15:00:00Z"),
    ]


# --- events -----------------------------------------------------------------------------------


def test_a_customer_reply_to_a_resolved_ticket_reopens_it(tmp_path):
    lines = [
        customer(),
        agent(),
        ticket(
            "T-1",
            *resolved_events(),
            event("reply", "2025-03-02T09:00:00Z", by="customer", body="Sigue igual"),
        ),
    ]

    run(write(tmp_path, lines))

    reopened = Ticket.objects.get()
    assert (reopened.status, reopened.reopen_count) == (Status.OPEN, 1)
    assert reopened.events.get(kind=EventKind.REOPENED).data["via"] == "customer_reply"


def test_an_agent_may_reopen_and_a_close_without_by_is_the_systems(tmp_path):
    lines = [
        customer(),
        agent(),
        ticket(
            "T-1",
            *resolved_events(),
            event("reopened", "2025-03-02T09:00:00Z", reason="Faltó el reverso"),
            event("resolved", "2025-03-02T10:00:00Z", resolution="Reverso hecho"),
            {"kind": "closed", "at": "2025-03-05T10:00:00Z"},
        ),
    ]

    run(write(tmp_path, lines))

    closed = Ticket.objects.get()
    assert (closed.status, closed.reopen_count, closed.resolved_at) == (
        Status.CLOSED,
        1,
        utc("2025-03-02T10:00:00Z"),
    )
    reopen = closed.events.get(kind=EventKind.REOPENED)
    assert (reopen.actor.username, reopen.data["reason"]) == ("user-a-3", "Faltó el reverso")
    assert closed.events.get(kind=EventKind.CLOSED).actor is None


def test_assigned_and_resumed_events_are_replayed_too(tmp_path):
    lines = [
        customer(),
        agent(),
        agent("a-4", username="pedro"),
        ticket(
            "T-1",
            event("assigned", "2025-03-01T10:10:00Z", assignee="a-4"),
            event("reply", "2025-03-01T10:20:00Z", by="a-4", body="¿Me envía la factura?"),
            event("pending", "2025-03-01T10:21:00Z", by="a-4"),
            event("resumed", "2025-03-02T10:00:00Z", by="a-4"),
            event("assigned", "2025-03-02T10:05:00Z", by="a-4", assignee=None),
        ),
    ]

    run(write(tmp_path, lines))

    worked = Ticket.objects.get()
    assert (worked.status, worked.assignee, worked.first_response_at) == (
        Status.OPEN,
        None,
        utc("2025-03-01T10:20:00Z"),
    )
    assert worked.events.filter(kind=EventKind.ASSIGNED).count() == 2


def test_a_survey_without_answered_at_was_sent_but_never_answered(tmp_path):
    recent = timezone.now() - timedelta(days=2)
    lines = [
        customer(),
        agent(),
        ticket(
            "T-old", *resolved_events(), survey={"sent_at": "2025-03-01T12:30:00Z", "nps": None}
        ),
        ticket(
            "T-new",
            event("reply", (recent - timedelta(hours=2)).isoformat(), body="Hecho"),
            event("resolved", (recent - timedelta(hours=1)).isoformat(), resolution="Hecho"),
            created_at=(recent - timedelta(hours=3)).isoformat(),
            survey={"sent_at": recent.isoformat()},
        ),
    ]

    run(write(tmp_path, lines))

    assert not SurveyResponse.objects.exists()
    old = SurveyInvitation.objects.get(ticket__events__data__resolution="Reverso aplicado")
    new = SurveyInvitation.objects.get(ticket__events__data__resolution="Hecho")
    assert (old.sent_at, old.answered_at, old.status) == (
        utc("2025-03-01T12:30:00Z"),
        None,
        InvitationStatus.EXPIRED,  # its 30 days ran out long ago
    )
    assert (new.sent_at, new.answered_at, new.status) == (recent, None, InvitationStatus.SENT)


# --- surveys and reopenings: as live work gives them -----------------------------------------

PERIOD = Period.of(date(2025, 3, 1), date(2025, 5, 1))
SURVEY_EVENTS = {EventKind.SURVEY_WITHDRAWN, EventKind.SURVEY_ANSWERED, EventKind.FOLLOW_UP_OPENED}


@pytest.fixture
def live_surveys(settings):
    settings.SURVEY_SEND_DELAY = 600
    settings.SURVEY_THROTTLE_DAYS = 7
    settings.SURVEY_SAMPLE_RATE = 1.0
    settings.SURVEY_EXPIRY_DAYS = 30


class Live:
    """The same history worked through the live services, the clock set to each step."""

    def __init__(self, agent: User, team: Team, email: str):
        self.agent = agent
        self.customer = Customer.objects.create(email=email, name="Ana Pérez")
        self.ticket = services.register_ticket(
            by=None,
            customer=self.customer,
            subject="Factura duplicada",
            description="Me cobraron dos veces",
            channel="email",
            team=team,
            assignee=agent,
            at=utc("2025-03-01T10:00:00Z"),
        )

    def fresh(self) -> Ticket:
        return Ticket.objects.get(pk=self.ticket.pk)

    def reply(self, at: str) -> None:
        services.add_reply(ticket=self.fresh(), by=self.agent, body="Ya está.", at=utc(at))

    def resolve(self, at: str, resolution: str = "Reverso aplicado") -> None:
        services.resolve_ticket(
            ticket=self.fresh(), by=self.agent, resolution=resolution, at=utc(at)
        )

    def customer_reply(self, at: str) -> None:
        services.add_customer_reply(ticket=self.fresh(), body="Sigue igual", at=utc(at))

    def reopen(self, at: str) -> None:
        services.reopen_ticket(ticket=self.fresh(), by=self.agent, reason="Faltó", at=utc(at))

    def send_due_surveys(self, at: str) -> None:
        """What the beat and the worker do at that moment: expire, then send what is due."""
        with time_machine.travel(utc(at), tick=False):
            expire_invitations()
            due = SurveyInvitation.objects.filter(
                ticket=self.ticket, status=InvitationStatus.PENDING, send_after__lte=utc(at)
            )
            for invitation in due:
                assert deliver_invitation(invitation.pk)

    def answer(self, at: str, **scores) -> None:
        invitation = SurveyInvitation.objects.filter(ticket=self.ticket).latest("created_at")
        answer_survey(invitation=invitation, at=utc(at), **scores)


def imported(external_id: str) -> Ticket:
    return Ticket.objects.get(
        pk=ImportedRecord.objects.get(type="ticket", external_id=external_id).object_id
    )


def survey_trail(ticket: Ticket) -> dict:
    """What a ticket's surveys became: each invitation's state and times, its answer, the
    survey events on the timeline, and every event kind in order."""
    invitations = ticket.survey_invitations.order_by("created_at", "pk")
    return {
        "invitations": list(
            invitations.values_list(
                "status",
                "created_at",
                "resolved_at",
                "sent_at",
                "withdrawn_at",
                "withdrawn_reason",
                "answered_at",
                "agent__username",
                "team__name",
            )
        ),  # fmt: skip
        "answers": list(
            SurveyResponse.objects.filter(ticket=ticket)
            .order_by("pk")
            .values_list("answered_at", "csat", "ces", "nps", "comment")
        ),
        "follow_ups": list(FollowUp.objects.filter(ticket=ticket).values_list("reasons")),
        "survey_events": [
            (e.kind, e.at, e.data.get("was_sent"))
            for e in ticket.events.order_by("at", "pk")
            if e.kind in SURVEY_EVENTS
        ],
        # A history lists the surveys there were, not why there was none (live's "survey
        # skipped" for a customer surveyed in the last days has no counterpart).
        "kinds": [
            e.kind for e in ticket.events.order_by("at", "pk") if e.kind != EventKind.SURVEY_SKIPPED
        ],
        "status": (ticket.status, ticket.reopen_count, ticket.resolved_at),
    }


def kpis(ticket: Ticket) -> dict:
    return kpi_summary(PERIOD, Filters(customer=ticket.customer_id))


def test_a_survey_withdrawn_by_a_reopening_and_the_next_ones_answer_import_as_live_gives_them(
    tmp_path, team_n1, ana, live_surveys
):
    # Live: resolved, surveyed, the customer writes back (reopens: the unanswered survey is
    # withdrawn), resolved again, surveyed again, and this second survey is answered.
    live = Live(ana, team_n1, "live@example.com")
    live.reply("2025-03-01T11:00:00Z")
    live.resolve("2025-03-01T12:00:00Z")
    live.send_due_surveys("2025-03-01T12:10:00Z")
    live.customer_reply("2025-03-02T09:00:00Z")
    live.reply("2025-03-02T11:00:00Z")
    live.resolve("2025-03-02T12:00:00Z", "Reverso hecho")
    live.send_due_surveys("2025-03-02T12:10:00Z")
    live.answer("2025-03-03T08:00:00Z", csat=4, ces=6, nps=9, comment="Bien")
    # The same history, imported.
    lines = [
        customer("c-imp", email="imported@example.com"),
        agent("a-ana", username="ana"),
        ticket(
            "T-1",
            *resolved_events(),
            event("reply", "2025-03-02T09:00:00Z", by="customer", body="Sigue igual"),
            event("reply", "2025-03-02T11:00:00Z", by="a-ana", body="Ya está."),
            event("resolved", "2025-03-02T12:00:00Z", by="a-ana", resolution="Reverso hecho"),
            customer="c-imp",
            assignee="a-ana",
            survey=[
                {"sent_at": "2025-03-01T12:10:00Z"},
                {"sent_at": "2025-03-02T12:10:00Z", "answered_at": "2025-03-03T08:00:00Z"}
                | {"csat": 4, "ces": 6, "nps": 9, "comment": "Bien"},
            ],
        ),
    ]
    lines[2]["events"][:2] = [
        event("reply", "2025-03-01T11:00:00Z", by="a-ana", body="Ya está."),
        event("resolved", "2025-03-01T12:00:00Z", by="a-ana", resolution="Reverso aplicado"),
    ]

    run(write(tmp_path, lines))

    history = imported("T-1")
    assert survey_trail(history) == survey_trail(live.fresh())
    first, second = history.survey_invitations.order_by("created_at")
    assert (first.status, first.sent_at, first.withdrawn_at, first.withdrawn_reason) == (
        InvitationStatus.EXPIRED,
        utc("2025-03-01T12:10:00Z"),
        utc("2025-03-02T09:00:00Z"),
        "ticket_reopened",
    )
    assert (second.status, second.response.csat) == (InvitationStatus.ANSWERED, 4)
    figures = kpis(history)
    assert figures == kpis(live.fresh())
    # Both invitations were sent; one was answered (docs/kpis.md: answered / sent in the period).
    assert (figures["surveys_sent"], figures["response_rate"], figures["csat"]["percent"]) == (
        2,
        50.0,
        100.0,
    )


def test_the_dashboards_rollups_give_the_imported_reopening_the_live_figures(
    tmp_path, team_n1, ana, live_surveys
):
    """The same comparison without filters, where the dashboard reads its per-day rollups:
    the live desk's figures, then the live ticket deleted and the history imported."""
    call_command("refresh_rollups", "--rebuild", stdout=io.StringIO())  # as the beat does
    live = Live(ana, team_n1, "live@example.com")
    live.reply("2025-03-01T11:00:00Z")
    live.resolve("2025-03-01T12:00:00Z")
    live.send_due_surveys("2025-03-01T12:10:00Z")
    live.reopen("2025-03-02T09:00:00Z")
    live.resolve("2025-03-02T12:00:00Z", "Reverso hecho")
    live.send_due_surveys("2025-03-02T12:10:00Z")
    live.answer("2025-03-03T08:00:00Z", csat=2, nps=6)
    unfiltered = ("customers", "churn_rate", "retention_rate")  # whole-desk customer counts

    def figures() -> dict:
        return {k: v for k, v in kpi_summary(PERIOD).items() if k not in unfiltered}

    expected = figures()
    live.fresh().delete()
    lines = [
        customer("c-imp", email="imported@example.com"),
        agent("a-ana", username="ana"),
        ticket(
            "T-1",
            event("reply", "2025-03-01T11:00:00Z", by="a-ana", body="Ya está."),
            event("resolved", "2025-03-01T12:00:00Z", by="a-ana", resolution="Reverso aplicado"),
            event("reopened", "2025-03-02T09:00:00Z", by="a-ana", reason="Faltó"),
            event("resolved", "2025-03-02T12:00:00Z", by="a-ana", resolution="Reverso hecho"),
            customer="c-imp",
            assignee="a-ana",
            survey=[
                {"sent_at": "2025-03-01T12:10:00Z"},
                {"sent_at": "2025-03-02T12:10:00Z", "answered_at": "2025-03-03T08:00:00Z"}
                | {"csat": 2, "nps": 6},
            ],
        ),
    ]

    run(write(tmp_path, lines))

    assert figures() == expected
    assert (expected["surveys_sent"], expected["response_rate"], expected["nps"]["score"]) == (
        2,
        50.0,
        -100.0,
    )
    assert expected["reopen_rate"] == 100.0


def test_an_answered_survey_followed_by_a_reopening_keeps_its_answer(
    tmp_path, team_n1, ana, live_surveys
):
    # Live: surveyed and answered unhappy, then the customer reopens, and the case is
    # resolved again a week later (a second survey would go to someone surveyed 7 days ago:
    # no, the throttle skips it).
    live = Live(ana, team_n1, "live@example.com")
    live.reply("2025-03-01T11:00:00Z")
    live.resolve("2025-03-01T12:00:00Z")
    live.send_due_surveys("2025-03-01T12:10:00Z")
    live.answer("2025-03-01T12:40:00Z", csat=2, nps=3, comment="Sigue mal")
    live.customer_reply("2025-03-01T13:00:00Z")
    live.reply("2025-03-02T11:00:00Z")
    live.resolve("2025-03-02T12:00:00Z", "Reverso hecho")
    lines = [
        customer("c-imp", email="imported@example.com"),
        agent("a-ana", username="ana"),
        ticket(
            "T-1",
            event("reply", "2025-03-01T11:00:00Z", by="a-ana", body="Ya está."),
            event("resolved", "2025-03-01T12:00:00Z", by="a-ana", resolution="Reverso aplicado"),
            event("reply", "2025-03-01T13:00:00Z", by="customer", body="Sigue igual"),
            event("reply", "2025-03-02T11:00:00Z", by="a-ana", body="Ya está."),
            event("resolved", "2025-03-02T12:00:00Z", by="a-ana", resolution="Reverso hecho"),
            customer="c-imp",
            assignee="a-ana",
            survey={"sent_at": "2025-03-01T12:10:00Z", "answered_at": "2025-03-01T12:40:00Z"}
            | {"csat": 2, "nps": 3, "comment": "Sigue mal"},
        ),
    ]

    run(write(tmp_path, lines))

    history = imported("T-1")
    assert survey_trail(history) == survey_trail(live.fresh())
    assert live.fresh().events.filter(kind=EventKind.SURVEY_SKIPPED).count() == 1  # throttled
    invitation = history.survey_invitations.get()
    assert (invitation.status, invitation.withdrawn_at) == (InvitationStatus.ANSWERED, None)
    assert (invitation.response.csat, invitation.response.comment) == (2, "Sigue mal")
    assert FollowUp.objects.get(ticket=history).reasons == ["detractor", "unhappy_csat"]
    figures = kpis(history)
    assert figures == kpis(live.fresh())
    assert (figures["surveys_sent"], figures["response_rate"], figures["csat"]["percent"]) == (
        1,
        100.0,
        0.0,
    )


def test_a_ticket_that_ends_reopened_keeps_its_answer_or_its_withdrawn_survey(tmp_path):
    lines = [
        customer(),
        agent(),
        ticket(
            "T-answered",
            *resolved_events(),
            event("reply", "2025-03-01T13:00:00Z", by="customer", body="Sigue mal"),
            survey={"sent_at": "2025-03-01T12:30:00Z", "answered_at": "2025-03-01T12:40:00Z"}
            | {"csat": 2},
        ),
        ticket(
            "T-unanswered",
            *resolved_events(),
            event("reopened", "2025-03-02T09:00:00Z", reason="Faltó el reverso"),
            survey={"sent_at": "2025-03-01T12:30:00Z"},
        ),
    ]

    run(write(tmp_path, lines))

    answered, unanswered = imported("T-answered"), imported("T-unanswered")
    assert answered.status == unanswered.status == Status.OPEN
    kept = answered.survey_invitations.get()
    assert (kept.status, kept.response.csat) == (InvitationStatus.ANSWERED, 2)
    withdrawn = unanswered.survey_invitations.get()
    assert (withdrawn.status, withdrawn.sent_at, withdrawn.withdrawn_at) == (
        InvitationStatus.EXPIRED,
        utc("2025-03-01T12:30:00Z"),
        utc("2025-03-02T09:00:00Z"),
    )
    assert unanswered.events.get(kind=EventKind.SURVEY_WITHDRAWN).data["was_sent"] is True


def test_a_survey_expired_before_the_reopening_is_not_withdrawn_as_live(
    tmp_path, team_n1, ana, live_surveys
):
    live = Live(ana, team_n1, "live@example.com")
    live.reply("2025-03-01T11:00:00Z")
    live.resolve("2025-03-01T12:00:00Z")
    live.send_due_surveys("2025-03-01T12:10:00Z")
    live.send_due_surveys("2025-04-05T00:00:00Z")  # the beat expires it after 30 days
    live.reopen("2025-04-10T09:00:00Z")
    lines = [
        customer("c-imp", email="imported@example.com"),
        agent("a-ana", username="ana"),
        ticket(
            "T-1",
            event("reply", "2025-03-01T11:00:00Z", by="a-ana", body="Ya está."),
            event("resolved", "2025-03-01T12:00:00Z", by="a-ana", resolution="Reverso aplicado"),
            event("reopened", "2025-04-10T09:00:00Z", by="a-ana", reason="Faltó"),
            customer="c-imp",
            assignee="a-ana",
            survey={"sent_at": "2025-03-01T12:10:00Z"},
        ),
    ]

    run(write(tmp_path, lines))

    history = imported("T-1")
    assert survey_trail(history) == survey_trail(live.fresh())
    invitation = history.survey_invitations.get()
    assert (invitation.status, invitation.withdrawn_at) == (InvitationStatus.EXPIRED, None)
    assert kpis(history) == kpis(live.fresh())


# --- validation -------------------------------------------------------------------------------

BASE = [customer(), agent()]  # lines 1 and 2; the case's lines follow


def _case(*lines, line, message):
    return pytest.param(list(lines), line, message)


VALIDATION_CASES = {
    "bad JSON": _case('{"type": "ticket", ', line=3, message="not valid JSON"),
    "not an object": _case("[1, 2]", line=3, message="not a JSON object"),
    "a number too big to read": _case(
        '{"type": "team", "external_id": 1' + "0" * 5000 + "}",
        line=3,
        message="not valid JSON (Exceeds the limit",
    ),
    "a NUL character": _case(
        customer("c-2", name="Ana\x00"), line=3, message="a text holds a NUL character"
    ),
    "unknown type": _case(
        {"type": "order", "external_id": "o-1"}, line=3, message='unknown type "order"'
    ),
    "missing type": _case({"external_id": "o-1"}, line=3, message='"type" is missing'),
    "missing external_id": _case(
        {"type": "customer", "email": "x@example.com"},
        line=3,
        message='"external_id" is missing',
    ),
    "duplicate external_id": _case(
        customer("c-17", email="otra@example.com"),
        line=3,
        message="duplicate external_id: customer c-17 is already on line 1",
    ),
    "unknown customer": _case(
        ticket(customer="c-99"), line=3, message='T-1: unknown customer "c-99"'
    ),
    "unknown agent in an event": _case(
        ticket("T-1", event("reply", "2025-03-01T11:00:00Z", by="a-9", body="Hola")),
        line=3,
        message='unknown agent "a-9"',
    ),
    "unknown assignee": _case(ticket(assignee="a-9"), line=3, message='unknown agent "a-9"'),
    "bad channel": _case(
        ticket(channel="fax"), line=3, message='"channel" must be one of email, phone'
    ),
    "bad priority": _case(ticket(priority="asap"), line=3, message='"priority" must be one of'),
    "bad language": _case(
        customer("c-2", language="fr"), line=3, message='"language" must be one of es, en'
    ),
    "bad team level": _case(
        {"type": "team", "external_id": "t-9", "name": "N4", "level": 4},
        line=3,
        message='"level" must be a whole number from 1 to 3, not 4',
    ),
    "bad event kind": _case(
        ticket("T-1", event("merged", "2025-03-01T11:00:00Z")),
        line=3,
        message='event 1 (merged): "kind" must be one of reply',
    ),
    "timestamp without offset": _case(
        ticket(created_at="2025-03-01T10:00:00"), line=3, message='"created_at" has no UTC offset'
    ),
    "event timestamp without offset": _case(
        ticket("T-1", event("reply", "2025-03-01 11:00", body="Hola")),
        line=3,
        message='event 1 (reply): "at" has no UTC offset',
    ),
    "not a timestamp": _case(
        ticket(created_at="ayer"), line=3, message='"created_at" is not an ISO 8601 timestamp'
    ),
    "timestamp in the future": _case(
        ticket(created_at="2999-01-01T00:00:00Z"), line=3, message='"created_at" is in the future'
    ),
    "bad date": _case(
        customer("c-2", active_since="01/02/2024"),
        line=3,
        message='"active_since" is not a date (YYYY-MM-DD)',
    ),
    "churn before start": _case(
        customer("c-2", active_since="2024-02-01", churned_at="2023-01-01"),
        line=3,
        message='"churned_at" (2023-01-01) is before "active_since"',
    ),
    "events out of order": _case(
        ticket(
            "T-1",
            event("reply", "2025-03-01T12:00:00Z", body="Hola"),
            event("note", "2025-03-01T11:00:00Z", body="Nota"),
        ),
        line=3,
        message="event 2 (note at 2025-03-01T11:00:00+00:00) is earlier than event 1",
    ),
    "event before the ticket": _case(
        ticket("T-1", event("reply", "2025-02-01T12:00:00Z", body="Hola")),
        line=3,
        message="is earlier than the ticket's creation",
    ),
    "lifecycle refuses resolving a new ticket": _case(
        ticket("T-1", event("resolved", "2025-03-01T11:00:00Z", resolution="Listo")),
        line=3,
        message="event 1 (resolved at 2025-03-01T11:00:00+00:00) is refused: A new ticket "
        "cannot be resolved",
    ),
    "lifecycle refuses replying to a closed ticket": _case(
        ticket(
            "T-1",
            *resolved_events(),
            event("closed", "2025-03-02T11:00:00Z"),
            event("reply", "2025-03-03T11:00:00Z", by="customer", body="¿Hola?"),
        ),
        line=3,
        message="event 4 (reply at 2025-03-03T11:00:00+00:00) is refused: A closed ticket",
    ),
    "a service rule refuses an empty resolution": _case(
        ticket(
            "T-1",
            event("reply", "2025-03-01T11:00:00Z", body="Ok"),
            event("resolved", "2025-03-01T12:00:00Z"),
        ),
        line=3,
        message="event 2 (resolved at 2025-03-01T12:00:00+00:00) is refused: Describe how",
    ),
    "an assignee outside the ticket's team": _case(
        ticket(assignee="a-3", team="Soporte N2"),
        line=3,
        message="cannot be registered: Lucía Gómez is not a member of the team Soporte N2",
    ),
    "a customer cannot set pending": _case(
        ticket("T-1", event("pending", "2025-03-01T11:00:00Z", by="customer")),
        line=3,
        message='"pending" is done by an agent, not by the customer',
    ),
    "a survey on a ticket never resolved": _case(
        ticket(survey={"sent_at": "2025-03-02T10:00:00Z", "answered_at": None}),
        line=3,
        message="survey: no event resolves the ticket",
    ),
    "a survey answered after the reopening withdrew it": _case(
        ticket(
            "T-1",
            *resolved_events(),
            event("reply", "2025-03-01T13:00:00Z", by="customer", body="Sigue mal"),
            survey={"sent_at": "2025-03-01T12:30:00Z", "answered_at": "2025-03-01T14:00:00Z"}
            | {"csat": 2},
        ),
        line=3,
        message='survey: "answered_at" (2025-03-01T14:00:00+00:00) is not before event 3 (reply '
        "at 2025-03-01T13:00:00+00:00), which reopened the ticket and withdrew the survey",
    ),
    "a survey sent after the reopening": _case(
        ticket(
            "T-1",
            *resolved_events(),
            event("reopened", "2025-03-01T13:00:00Z", reason="Faltó"),
            survey={"sent_at": "2025-03-01T13:30:00Z"},
        ),
        line=3,
        message='survey: "sent_at" (2025-03-01T13:30:00+00:00) is not before event 3 (reopened',
    ),
    "two surveys after one resolution": _case(
        ticket(
            "T-1",
            *resolved_events(),
            survey=[{"sent_at": "2025-03-01T12:30:00Z"}, {"sent_at": "2025-03-01T12:40:00Z"}],
        ),
        line=3,
        message="survey: two surveys follow the resolution of event 2",
    ),
    "surveys out of order": _case(
        ticket(
            "T-1",
            *resolved_events(),
            event("reopened", "2025-03-02T09:00:00Z", reason="Faltó"),
            *resolved_events("2025-03-02"),
            survey=[{"sent_at": "2025-03-02T12:30:00Z"}, {"sent_at": "2025-03-01T12:30:00Z"}],
        ),
        line=3,
        message='survey: the surveys must be listed in the order of "sent_at"',
    ),
    "a bad survey in a list": _case(
        ticket("T-1", *resolved_events(), survey=[{"sent_at": "2025-03-01T12:30:00Z"}, 7]),
        line=3,
        message="survey 2: not a JSON object",
    ),
    "a survey score off its scale": _case(
        ticket(
            "T-1",
            *resolved_events(),
            survey={"sent_at": "2025-03-01T12:30:00Z", "answered_at": "2025-03-01T12:40:00Z"}
            | {"csat": 6},
        ),
        line=3,
        message='survey: "csat" must be a whole number from 1 to 5, not 6',
    ),
    "a survey sent before the resolution": _case(
        ticket("T-1", *resolved_events(), survey={"sent_at": "2025-03-01T11:30:00Z"}),
        line=3,
        message='survey: "sent_at" (2025-03-01T11:30:00+00:00) is before the first resolution',
    ),
    "an answer without any score": _case(
        ticket(
            "T-1",
            *resolved_events(),
            survey={"sent_at": "2025-03-01T12:30:00Z", "answered_at": "2025-03-01T12:40:00Z"},
        ),
        line=3,
        message="survey: Answer at least one question.",
    ),
    "scores without an answer": _case(
        ticket(
            "T-1",
            *resolved_events(),
            survey={"sent_at": "2025-03-01T12:30:00Z", "answered_at": None, "csat": 4},
        ),
        line=3,
        message='survey: "csat" is given but "answered_at" is not',
    ),
    "an unknown field": _case(ticket(asignee="a-3"), line=3, message='unknown field "asignee"'),
    "a duplicate e-mail": _case(
        customer("c-2", email="C-17@example.com"),
        line=3,
        message='the e-mail "C-17@example.com" is already used by customer c-17 on line 1',
    ),
    "a bad e-mail": _case(
        customer("c-2", email="no es correo"), line=3, message='"email" is not a valid e-mail'
    ),
}


@pytest.mark.parametrize(
    ("lines", "line", "message"), list(VALIDATION_CASES.values()), ids=list(VALIDATION_CASES)
)
def test_every_invalid_record_is_reported_with_its_line_and_nothing_is_written(
    tmp_path, lines, line, message
):
    output = run_refused(write(tmp_path, BASE + lines))

    assert any(
        text.startswith(f"line {line}:") and message in text for text in output.splitlines()
    ), output
    assert "nothing was imported" in output
    assert not Customer.objects.exists()
    assert not User.objects.exists()
    assert not Ticket.objects.exists()
    assert not ImportedRecord.objects.exists()


def test_a_ticket_of_an_invalid_customer_is_invalid_too(tmp_path):
    lines = [customer(language="fr"), agent(), ticket("T-1")]

    _out, output = run(write(tmp_path, lines), "--skip-invalid")

    assert 'line 1: customer c-17: "language" must be one of es, en' in output
    assert "line 3: ticket T-1: customer c-17 (line 1) is invalid" in output
    assert User.objects.count() == 1 and not Ticket.objects.exists()


def test_every_problem_of_the_file_is_reported_in_one_run(tmp_path):
    lines = [
        *BASE,
        ticket("T-1", channel="fax"),
        "not json",
        ticket("T-2", event("resolved", "2025-03-01T11:00:00Z", resolution="Listo")),
        ticket("T-3", *resolved_events()),
    ]

    output = run_refused(write(tmp_path, lines))

    problems = [line for line in output.splitlines() if line.startswith("line ")]
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5"]
    assert "3 problem(s): nothing was imported" in output


# --- all or nothing, or --skip-invalid --------------------------------------------------------


MIXED = [
    *BASE,
    ticket("T-ok", *resolved_events(), category="Facturación"),
    ticket(
        "T-bad",
        event("resolved", "2025-03-01T11:00:00Z", resolution="Listo"),
        category="Categoría del malo",
        team="Equipo del malo",
    ),
    ticket("T-orphan", customer="c-404"),
]


def test_one_invalid_ticket_and_nothing_is_written(tmp_path):
    output = run_refused(write(tmp_path, MIXED))

    assert "line 4: ticket T-bad:" in output and "line 5: ticket T-orphan:" in output
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()
    assert not Team.objects.exists()
    assert not Category.objects.exists()


def test_skip_invalid_imports_the_valid_records_and_lists_the_invalid(tmp_path):
    out, err = run(write(tmp_path, MIXED), "--skip-invalid")

    assert Ticket.objects.get().subject == "Factura duplicada"
    assert ImportedRecord.objects.filter(type="ticket").get().external_id == "T-ok"
    assert counts_row(out, "ticket") == [1, 0, 0, 2]
    assert counts_row(out, "customer") == [1, 0, 0, 0]
    assert "line 4: ticket T-bad: event 1 (resolved" in err
    assert 'line 5: ticket T-orphan: unknown customer "c-404"' in err
    # What only the refused ticket named went with it.
    assert list(Category.objects.values_list("name", flat=True)) == ["Facturación"]
    assert list(Team.objects.values_list("name", flat=True)) == ["Soporte N1"]
    assert "Categories created from names: 1" in out

    # The invalid ones can be fixed and imported later; the rest is already there.
    fixed = [*MIXED[:3], ticket("T-bad", *resolved_events())]
    out, _err = run(write(tmp_path, fixed))
    assert counts_row(out, "ticket") == [1, 0, 1, 0]


def test_a_dry_run_checks_and_replays_but_writes_nothing(tmp_path):
    out, _err = run(EXAMPLE, "--dry-run")

    assert "Dry run" in out and counts_row(out, "ticket") == [1, 0, 0, 0]
    assert not Ticket.objects.exists() and not ImportedRecord.objects.exists()


# --- input and output -------------------------------------------------------------------------


def test_a_dash_reads_standard_input(monkeypatch):
    data = EXAMPLE.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))

    out, _err = run("-")

    assert counts_row(out, "ticket") == [1, 0, 0, 0]
    assert Ticket.objects.get().status == Status.CLOSED


def test_blank_lines_and_a_byte_order_mark_are_fine(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes().replace(b"\n", b"\n\n", 2))

    out, _err = run(path)

    assert counts_row(out, "ticket") == [1, 0, 0, 0]


def test_a_file_that_is_not_utf8_is_reported_by_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(customer(name="Peña")).encode() + b"\n" + "ñ\n".encode("latin-1"))

    output = run_refused(path)

    assert "line 2: not valid UTF-8" in output


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_history", str(tmp_path / "nope.jsonl"), stdout=io.StringIO())


def test_it_shows_progress_and_ends_with_counts_per_type(tmp_path):
    lines = [customer(), agent(), *(ticket(f"T-{n}", *resolved_events()) for n in range(3))]

    out, err = run(write(tmp_path, lines))

    assert "tickets 3/3 (100 %)" in err
    header = out.splitlines()[0].split()
    assert header == ["created", "matched", "already", "present", "invalid"]
    assert counts_row(out, "team") == [0, 0, 0, 0]
    assert counts_row(out, "customer") == [1, 0, 0, 0]
    assert counts_row(out, "agent") == [1, 0, 0, 0]
    assert counts_row(out, "ticket") == [3, 0, 0, 0]
    assert "Teams created from names: 1." in out
    assert "Imported in" in out
    assert Group.objects.filter(name="Agent").exists()
