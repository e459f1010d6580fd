"""SLA policies on tickets: which one applies, the due times on the team's business calendar,
the resolution clock stopped while pending or resolved, and the breach check (warn at 80 %,
escalate and alert on a breach, once)."""

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from cases import services
from cases.models import (
    BusinessCalendar,
    EventKind,
    Holiday,
    SLAPolicy,
    Ticket,
    TicketEvent,
    WorkingHours,
)
from cases.services import deadlines
from tests.factories import CategoryFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

BOGOTA = ZoneInfo("America/Bogota")
FRIDAY_5PM = datetime(2025, 3, 7, 17, tzinfo=BOGOTA)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BOGOTA)


@pytest.fixture
def office(team_n1):
    """Team N1 works Monday to Friday 08:00–18:00 in Bogotá; 24 March 2025 is a holiday."""
    calendar = BusinessCalendar.objects.create(name="Oficina Bogotá", time_zone="America/Bogota")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(8), closes=time(18)
        )
    Holiday.objects.create(calendar=calendar, day=local(2025, 3, 24).date(), name="San José")
    team_n1.calendar = calendar
    team_n1.save()
    return calendar


@pytest.fixture
def policies(team_n2):
    """High: answer within 2 working hours, resolve within 8, breaches go to N2."""
    high = SLAPolicy.objects.create(
        name="High",
        priority="high",
        first_response_minutes=120,
        resolution_minutes=480,
        escalate_to=team_n2,
    )
    normal = SLAPolicy.objects.create(
        name="Normal", priority="normal", first_response_minutes=240, resolution_minutes=1440
    )
    return {"high": high, "normal": normal}


def open_ticket(by, team, at, priority="high", **kwargs) -> Ticket:
    with time_machine.travel(at, tick=False):
        return make_ticket(
            by=by,
            team=team,
            assignee=by,
            priority=priority,
            customer=CustomerFactory.create(),
            **kwargs,
        )


def events(ticket, kind) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("pk"))


# --- which policy, which due times -------------------------------------------------------------


def test_a_new_ticket_gets_due_times_on_its_teams_working_hours(ana, team_n1, office, policies):
    ticket = open_ticket(ana, team_n1, FRIDAY_5PM)

    assert ticket.sla_policy == policies["high"]
    assert ticket.first_response_due_at == local(2025, 3, 10, 9)  # 1 h Friday + 1 h Monday
    assert ticket.resolution_due_at == local(2025, 3, 10, 15)  # 1 h Friday + 7 h Monday
    assert ticket.first_response_warn_at == local(2025, 3, 10, 8, 36)  # 80 % of 2 h
    [applied] = events(ticket, EventKind.SLA_APPLIED)
    assert applied.data["policy"] == "High"


def test_without_a_calendar_the_clock_runs_around_the_clock(ana, team_n1, policies):
    ticket = open_ticket(ana, team_n1, FRIDAY_5PM)
    assert ticket.first_response_due_at == FRIDAY_5PM + timedelta(hours=2)


def test_holidays_do_not_count(ana, team_n1, office, policies):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 21, 17))  # Friday before the holiday
    assert ticket.first_response_due_at == local(2025, 3, 25, 9)


def test_the_most_specific_policy_wins(ana, team_n1, office, policies):
    billing = CategoryFactory(name="Billing")
    narrow = SLAPolicy.objects.create(
        name="High billing by phone",
        priority="high",
        first_response_minutes=30,
        resolution_minutes=240,
        channels=["phone"],
    )
    narrow.categories.add(billing)
    SLAPolicy.objects.create(
        name="Inactive", priority="high", first_response_minutes=1, resolution_minutes=1,
        is_active=False,
    )  # fmt: skip

    on_phone = open_ticket(ana, team_n1, local(2025, 3, 4, 9), category=billing, channel="phone")
    by_mail = open_ticket(ana, team_n1, local(2025, 3, 4, 9), category=billing, channel="email")

    assert on_phone.sla_policy == narrow
    assert by_mail.sla_policy == policies["high"]


def test_no_matching_policy_means_no_deadlines(ana, team_n1, policies):
    ticket = open_ticket(ana, team_n1, FRIDAY_5PM, priority="low")
    assert ticket.sla_policy is None
    assert ticket.first_response_due_at is None and ticket.resolution_due_at is None
    assert events(ticket, EventKind.SLA_APPLIED) == []


def test_reclassifying_recomputes_the_due_times_and_says_so(ana, team_n1, office, policies):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))
    with time_machine.travel(local(2025, 3, 4, 9, 30), tick=False):
        ticket = services.classify_ticket(ticket=ticket, by=ana, priority="normal")

    assert ticket.sla_policy == policies["normal"]
    assert ticket.first_response_due_at == local(2025, 3, 4, 13)  # 4 h from creation
    assert [e.data["policy"] for e in events(ticket, EventKind.SLA_APPLIED)] == [
        "High",
        "Normal",
    ]


# --- the resolution clock stops while waiting ---------------------------------------------------


def test_pending_stops_the_resolution_clock_and_resuming_moves_the_due_time(
    ana, team_n1, office, policies
):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))  # due 17:00 the same day
    assert ticket.resolution_due_at == local(2025, 3, 4, 17)
    with time_machine.travel(local(2025, 3, 4, 10), tick=False):
        services.add_reply(ticket=ticket, by=ana, body="Send me the invoice")
        ticket = services.set_pending(ticket=Ticket.objects.get(pk=ticket.pk), by=ana)
    with time_machine.travel(local(2025, 3, 5, 10), tick=False):  # 10 working hours later
        ticket = services.resume_ticket(ticket=ticket, by=ana)

    assert ticket.sla_paused_seconds == 10 * 3600  # 10:00–18:00 and 08:00–10:00
    assert ticket.resolution_due_at == local(2025, 3, 5, 17)
    assert ticket.first_response_due_at == local(2025, 3, 4, 11)  # not paused


def test_reopening_resumes_the_clock_where_the_resolution_stopped_it(
    ana, team_n1, office, policies
):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))
    with time_machine.travel(local(2025, 3, 4, 12), tick=False):
        ticket = services.add_reply(ticket=ticket, by=ana, body="Try this").ticket
        ticket = services.resolve_ticket(
            ticket=Ticket.objects.get(pk=ticket.pk), by=ana, resolution="Done"
        )
    with time_machine.travel(local(2025, 3, 4, 14), tick=False):
        ticket = services.reopen_ticket(ticket=ticket, by=ana, reason="Still broken")

    # stood still 12:00–14:00: the two hours move 17:00 past closing time, to 09:00 next day
    assert ticket.sla_paused_seconds == 2 * 3600
    assert ticket.resolution_due_at == local(2025, 3, 5, 9)


# --- the breach check ---------------------------------------------------------------------------


def check(at):
    sent = []
    with time_machine.travel(at, tick=False), django_capture_on_commit():
        counts = deadlines.check_deadlines(notify=lambda *args: sent.append(args))
    return counts, sent


class django_capture_on_commit:
    """Run on_commit callbacks at the end of the block (tests run inside a transaction)."""

    def __enter__(self):
        from django.test import TestCase

        self.context = TestCase.captureOnCommitCallbacks(execute=True)
        return self.context.__enter__()

    def __exit__(self, *exc):
        return self.context.__exit__(*exc)


def test_the_assignee_is_warned_at_eighty_percent_once(ana, team_n1, office, policies):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))  # first response due 11:00

    assert check(local(2025, 3, 4, 10, 30))[0] == {}  # 75 %
    counts, sent = check(local(2025, 3, 4, 10, 37))
    assert counts == {"first_response_warning": 1}
    assert sent == [(ticket.pk, "first_response", "warning", [ana.pk])]
    assert check(local(2025, 3, 4, 10, 40))[0] == {}  # once
    assert len(events(ticket, EventKind.SLA_WARNING)) == 1


def test_a_breach_escalates_once_to_the_policys_team_and_alerts(
    ana, marta, team_n1, team_n2, office, policies
):
    team_n1.members.add(marta)
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))

    counts, sent = check(local(2025, 3, 4, 11, 1))
    assert counts == {"first_response_breach": 1}  # past due: no separate warning
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == local(2025, 3, 4, 11, 1)
    assert (ticket.level, ticket.team, ticket.escalation_count) == (2, team_n2, 1)
    assert (ticket.first_response_breached_at, ticket.assignee) == (local(2025, 3, 4, 11, 1), None)
    assert sent == [(ticket.pk, "first_response", "breach", sorted([ana.pk, marta.pk]))]
    [breach] = events(ticket, EventKind.SLA_BREACHED)
    assert breach.data["clock"] == "first_response" and breach.actor is None
    [escalated] = events(ticket, EventKind.ESCALATED)
    assert "SLA" in escalated.data["reason"]

    assert check(local(2025, 3, 4, 11, 5))[0] == {}  # however often it runs
    ticket.refresh_from_db()
    assert ticket.level == 2


def test_an_answered_ticket_does_not_breach_its_first_response(ana, team_n1, office, policies):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))
    with time_machine.travel(local(2025, 3, 4, 10), tick=False):
        services.add_reply(ticket=ticket, by=ana, body="On it")
    assert check(local(2025, 3, 4, 12))[0] == {}


def test_a_pending_ticket_does_not_breach_its_resolution(ana, team_n1, office, policies):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))
    with time_machine.travel(local(2025, 3, 4, 10), tick=False):
        services.add_reply(ticket=ticket, by=ana, body="Send me the invoice")
        services.set_pending(ticket=Ticket.objects.get(pk=ticket.pk), by=ana)
    assert check(local(2025, 3, 6, 12))[0] == {}


def test_at_the_highest_level_the_breach_is_recorded_without_escalating(
    ana, team_n1, office, policies
):
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))
    Ticket.objects.filter(pk=ticket.pk).update(level=3)
    counts, _ = check(local(2025, 3, 4, 11, 1))
    assert counts["first_response_breach"] == 1
    ticket.refresh_from_db()
    assert (ticket.level, ticket.escalation_count) == (3, 0)


def test_the_alert_is_an_email_in_each_persons_language(ana, marta, team_n1, office, policies):
    marta.language = "en"
    marta.save()
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))
    mail.outbox.clear()
    sent = deadlines.send_alert(ticket.pk, "first_response", "breach", [ana.pk, marta.pk])

    assert sent == 2
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        f"[{ticket.reference}] First response deadline missed",
        f"[{ticket.reference}] Primera respuesta fuera de plazo",
    ]


def test_the_command_runs_the_check(ana, team_n1, office, policies, capsys):
    open_ticket(ana, team_n1, local(2025, 3, 4, 9))
    with time_machine.travel(local(2025, 3, 4, 11, 1), tick=False):
        call_command("check_sla")
    assert "first_response_breach: 1" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_escalate_each_breach_once(ana, team_n1, team_n2, office, policies):
    tickets = [open_ticket(ana, team_n1, local(2025, 3, 4, 9)) for _ in range(10)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            with time_machine.travel(local(2025, 3, 4, 11, 1), tick=False):
                results.append(deadlines.check_deadlines())
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r["first_response_breach"] for r in results) == 10
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.level, ticket.escalation_count) == (2, 1)
        assert len(events(ticket, EventKind.SLA_BREACHED)) == 1


def test_a_history_import_records_past_breaches_of_a_ticket_whose_policy_was_deleted(
    ana, team_n1, policies
):
    """Deleting a policy leaves its tickets' due times (SET_NULL): their past breaches are
    still recorded, naming no policy — as the live check does."""
    ticket = open_ticket(ana, team_n1, local(2025, 3, 4, 9))  # due 11:00 and 17:00
    policies["high"].delete()
    ticket.refresh_from_db()

    breached = deadlines.record_past_deadlines(ticket, local(2025, 3, 4, 18))

    assert breached == ["first_response", "resolution"]
    assert [e.data["policy"] for e in events(ticket, EventKind.SLA_BREACHED)] == [None, None]
