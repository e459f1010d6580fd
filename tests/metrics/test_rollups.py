"""The KPI rollups (metrics/rollups.py): kept up to date change by change, they answer
exactly what the live queries answer; when they cannot (not built, too far behind, a
question they do not hold) the engine reads live."""

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test import override_settings

from cases import services
from cases.models import Ticket
from metrics import kpis, rollups, tasks
from metrics.kpis import Filters, Grouping, Period
from metrics.models import CreatedRollup, RollupChange, RollupState, TicketFact
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import answer_survey, deliver_invitation
from tests.factories import CategoryFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


def zone():
    return ZoneInfo(settings.TIME_ZONE)


MONDAY = datetime(2025, 3, 3, tzinfo=ZoneInfo("America/Bogota"))
WEEK = Period.of(MONDAY.date(), MONDAY.date() + timedelta(days=7))


def live(fn, *args, **kwargs):
    with override_settings(METRICS_ROLLUPS=False):
        return fn(*args, **kwargs)


def answers(*questions):
    """Each question answered from the rollups and live: (rollups, live) pairs."""
    pairs = []
    for fn, *args in questions:
        assert kpis._rollups_usable(), "the rollups should answer"
        pairs.append((fn(*args), live(fn, *args)))
    return pairs


def assert_same_as_live(team=None, agent=None, period=WEEK):
    f = Filters(team=team, agent=agent)
    for from_rollups, computed_live in answers(
        (kpis.summary, period, f),
        (kpis.timeseries, "frt_median", "day", period, f),
        (kpis.timeseries, "art_p90", "week", period, f),
        (kpis.timeseries, "csat", "day", period, f),
        (kpis.many_breakdowns, "agent", period, f),
        (kpis.breakdown, "volume", "channel", period, f),
        (kpis.breakdown, "resolved", "priority", period, f),
        (kpis.drivers, period, f),
        (kpis.backlog, period.end, f, "team"),
    ):
        assert from_rollups == computed_live


@pytest.fixture(autouse=True)
def _walk(monkeypatch):
    """Small desks would take the direct percentile path: walk the histograms by default."""
    monkeypatch.setattr(kpis, "DIRECT_PERCENTILE_ROWS", 0)


@pytest.fixture(params=["walk", "direct"])
def percentiles(request, monkeypatch):
    """Both ways to a median from the rollups: the rank walk and percentile_cont."""
    if request.param == "direct":
        monkeypatch.setattr(kpis, "DIRECT_PERCENTILE_ROWS", 10**9)
    return request.param


@pytest.fixture
def desk(ana, bruno, carla, team_n1, team_n2, settings):
    """A week of tickets: answered at different speeds, some resolved, one escalated to
    another team, surveys sent and answered."""
    settings.SURVEY_THROTTLE_DAYS = 0
    settings.SURVEY_SAMPLE_RATE = 1.0
    settings.SURVEY_SEND_DELAY = 600
    tickets = []
    for day in range(6):
        for number, (agent, team) in enumerate(
            ((ana, team_n1), (bruno, team_n1), (carla, team_n2))
        ):
            at = MONDAY + timedelta(days=day, hours=9 + number)
            ticket = make_ticket(
                by=agent, team=team, assignee=agent, at=at, channel=("phone", "email")[day % 2]
            )
            # replies 30 s … several hours later: the durations span many histogram buckets
            services.add_reply(
                ticket=ticket, by=agent, body="Hi", at=at + timedelta(seconds=30 * 7**number + day)
            )
            if (day + number) % 3:
                resolved_at = at + timedelta(hours=2 + day, minutes=number)
                services.resolve_ticket(ticket=ticket, by=agent, resolution="Done", at=resolved_at)
                with time_machine.travel(resolved_at + timedelta(minutes=10), tick=False):
                    invitation = SurveyInvitation.objects.get(ticket=ticket)
                    assert deliver_invitation(invitation.pk)
                if day % 2:
                    answer_survey(
                        invitation=invitation,
                        at=resolved_at + timedelta(hours=1),
                        csat=1 + (day + number) % 5,
                        nps=(3 * day + number) % 11,
                        ces=1 + day % 7,
                    )
            tickets.append(ticket)
    return tickets


def test_rebuilt_rollups_answer_what_the_live_queries_answer(desk, team_n1, ana, percentiles):
    rollups.rebuild()

    assert TicketFact.objects.count() == len(desk)
    assert not RollupChange.objects.exists()
    assert_same_as_live()
    assert_same_as_live(team=team_n1.pk)
    assert_same_as_live(team=team_n1.pk, agent=ana.pk)


def test_every_change_is_marked_in_its_own_transaction(ana, team_n1):
    rollups.rebuild()
    with transaction.atomic():
        make_ticket(by=ana, team=team_n1)
        transaction.set_rollback(True)
    assert not RollupChange.objects.exists()  # rolled back with the ticket

    ticket = make_ticket(by=ana, team=team_n1)
    assert RollupChange.objects.filter(ticket_id=ticket.pk).exists()


def test_changes_are_applied_before_the_next_reading(
    desk, ana, bruno, carla, team_n1, team_n2, percentiles
):
    rollups.rebuild()
    first, second, third = desk[2], desk[0], desk[4]  # resolved, open, resolved
    later = MONDAY + timedelta(days=6, hours=8)
    # a resolution moves to another day, a ticket changes team and category, a reopened
    # ticket leaves the resolved counts, a new ticket arrives, a survey is answered
    services.reopen_ticket(ticket=Ticket.objects.get(pk=first.pk), by=carla, at=later)
    services.resolve_ticket(
        ticket=Ticket.objects.get(pk=first.pk), by=carla, resolution="Again", at=later
    )
    services.escalate_ticket(
        ticket=Ticket.objects.get(pk=second.pk), by=ana, reason="N2", team=team_n2, at=later
    )
    services.classify_ticket(
        ticket=Ticket.objects.get(pk=second.pk),
        by=carla,
        category=CategoryFactory(name="Moved"),
        priority="urgent",
        at=later,
    )
    services.reopen_ticket(ticket=Ticket.objects.get(pk=third.pk), by=bruno, at=later)
    make_ticket(by=ana, team=team_n1, assignee=ana, at=later)
    assert RollupChange.objects.count() > 0

    assert_same_as_live()  # the first reading applies the pending changes …
    assert not RollupChange.objects.exists()
    assert_same_as_live(team=team_n2.pk)
    assert_same_as_live(team=team_n1.pk, agent=ana.pk)


def test_a_survey_sent_or_answered_later_counts_on_its_own_day(desk, ana, team_n1, settings):
    rollups.rebuild()
    at = MONDAY + timedelta(days=5, hours=15)
    ticket = make_ticket(by=ana, team=team_n1, assignee=ana, at=at)
    services.add_reply(ticket=ticket, by=ana, body="Hi", at=at)
    services.resolve_ticket(ticket=ticket, by=ana, resolution="Done", at=at)
    rollups.refresh()
    with time_machine.travel(at + timedelta(days=1), tick=False):  # the next day
        invitation = SurveyInvitation.objects.get(ticket=ticket)
        assert deliver_invitation(invitation.pk)
    assert RollupChange.objects.filter(ticket_id=ticket.pk).exists()  # sent_at by UPDATE
    answer_survey(invitation=invitation, at=at + timedelta(days=1, hours=1), csat=5, nps=10)

    assert_same_as_live()
    sunday = Period.of(MONDAY.date() + timedelta(days=6), MONDAY.date() + timedelta(days=7))
    assert kpis.summary(sunday)["surveys_sent"] == 1
    assert kpis.summary(sunday)["csat"]["responses"] == 1


def test_deleted_tickets_and_answers_leave_the_rollups(desk, team_n1):
    rollups.rebuild()
    SurveyResponse.objects.order_by("pk").first().delete()
    Ticket.objects.get(pk=desk[2].pk).delete()

    assert_same_as_live()
    assert not TicketFact.objects.filter(ticket_id=desk[2].pk).exists()


def test_medians_interpolate_across_histogram_buckets(ana, team_n1, percentiles):
    """59 s and 61 s fall in different buckets: the median of the two is 60 s."""
    for seconds in (59, 61, 61.5, 3 * 3600, 40 * 86400):
        at = MONDAY + timedelta(hours=10)
        ticket = make_ticket(by=ana, team=team_n1, at=at)
        services.add_reply(ticket=ticket, by=ana, body="Hi", at=at + timedelta(seconds=seconds))
    rollups.rebuild()
    frt = kpis.summary(WEEK)["frt"]
    assert frt == live(kpis.summary, WEEK)["frt"]
    assert frt["median"] == 62  # 59, 61, 61.5, 10 800, 3 456 000 → 61.5 half-up
    assert frt["p90"] == live(kpis.summary, WEEK)["frt"]["p90"]


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([10, 20, 30, 40], 0.5, 25),  # docs/kpis.md's own example
        ([59, 61], 0.5, 60),  # neighbours in two buckets
        ([59, 61, 62], 0.9, 61.8),
        ([5], 0.9, 5),
        ([100, 100, 100, 7 * 86400], 0.5, 100),
    ],
)
def test_the_rank_walk_is_percentile_cont(ana, team_n1, values, p, expected, percentiles):
    for seconds in values:
        at = MONDAY + timedelta(hours=10)
        ticket = make_ticket(by=ana, team=team_n1, at=at)
        services.add_reply(ticket=ticket, by=ana, body="Hi", at=at + timedelta(seconds=seconds))
    rollups.rebuild()
    [row] = list(
        kpis._rollup_rows(CreatedRollup, "", WEEK, Filters(), None).annotate(
            **kpis._histogram_totals("frt")
        )
    )
    stats = kpis._rollup_duration_stats("frt", [row], WEEK, Filters(), None)[None]
    assert stats["median" if p == 0.5 else "p90"] == kpis.whole_seconds(expected)


def test_the_engine_reads_live_until_the_rollups_are_built(desk):
    assert not kpis._rollups_usable()
    call_command("refresh_rollups")  # the first run builds them
    assert kpis._rollups_usable()


def test_too_many_pending_changes_are_left_to_the_beat(desk, ana, team_n1, monkeypatch):
    rollups.rebuild()
    monkeypatch.setattr(rollups, "SYNC_REFRESH_LIMIT", 2)
    for _ in range(3):
        make_ticket(by=ana, team=team_n1, at=MONDAY + timedelta(hours=8))

    assert not kpis._rollups_usable()  # read live, do not make the reader wait
    assert RollupChange.objects.count() == 3
    assert kpis.summary(WEEK)["volume"] == len(desk) + 3

    assert tasks.refresh_rollups() == 3  # the beat catches up
    assert kpis._rollups_usable()
    assert_same_as_live()


def test_the_beat_task_builds_then_refreshes(desk, ana, team_n1):
    assert tasks.refresh_rollups() == -1  # built
    assert tasks.refresh_rollups() == 0  # nothing pending
    make_ticket(by=ana, team=team_n1, at=MONDAY)
    assert tasks.refresh_rollups() == 1
    assert tasks.refresh_rollups() == 0


def test_questions_the_rollups_do_not_hold_are_answered_live(desk, ana, team_n1):
    rollups.rebuild()
    midday = Period.of(MONDAY + timedelta(hours=12), MONDAY + timedelta(days=3))
    three = Filters(team=team_n1.pk, agent=ana.pk, channel="phone")
    customer = Filters(customer=desk[0].customer_id)
    for period, f, group in (
        (midday, Filters(), None),
        (WEEK, three, None),
        (WEEK, customer, None),
        (WEEK, Filters(channel="phone"), Grouping(by="priority")),
    ):
        assert kpis._rollup_grain(period, f, group) is None
        assert kpis.summary(period, f) == live(kpis.summary, period, f)
    assert kpis._rollup_grain(WEEK, Filters(team=team_n1.pk), Grouping(by="agent")) == "team,agent"


def test_the_command_rebuilds_on_request(desk, capsys):
    call_command("refresh_rollups", "--rebuild")
    assert "Rebuilt" in capsys.readouterr().out
    make_ticket(by=None, customer=CustomerFactory(), at=MONDAY)
    pending = RollupChange.objects.count()
    call_command("refresh_rollups")
    assert f"Applied {pending} changes" in capsys.readouterr().out
    assert not RollupChange.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_apply_each_change_once(ana, bruno, team_n1):
    rollups.rebuild()
    for number in range(20):
        at = MONDAY + timedelta(hours=number)
        ticket = make_ticket(by=(ana, bruno)[number % 2], team=team_n1, at=at)
        services.add_reply(ticket=ticket, by=ana, body="Hi", at=at + timedelta(minutes=number))
    pending = RollupChange.objects.count()
    barrier = threading.Barrier(2)
    applied, errors = [], []

    def refresh():
        try:
            barrier.wait()
            applied.append(rollups.refresh())
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(applied) == [0, pending]  # one applied everything, the other found nothing
    assert CreatedRollup.objects.filter(grain="", day=MONDAY.date()).count() == 1
    assert_same_as_live()


def test_rollups_of_another_time_zone_are_not_read_until_rebuilt(desk, settings):
    rollups.rebuild()
    settings.TIME_ZONE = "America/Santiago"  # other local days: the rollups' days are wrong

    assert not kpis._rollups_usable()
    assert tasks.refresh_rollups() == -1  # the beat rebuilds them in the new zone's days
    assert kpis._rollups_usable()


def test_a_refresh_that_fails_leaves_the_reading_to_the_live_queries(
    desk, ana, team_n1, monkeypatch
):
    rollups.rebuild()
    make_ticket(by=ana, team=team_n1, at=MONDAY + timedelta(hours=8))

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(rollups, "refresh", locked)
    assert not kpis._rollups_usable()
    assert kpis.summary(WEEK)["volume"] == len(desk) + 1  # the new ticket counts, live
    assert RollupChange.objects.exists()  # still pending for the beat


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_reader_does_not_wait_while_the_beat_holds_the_rollups(ana, team_n1):
    rollups.rebuild()
    make_ticket(by=ana, team=team_n1, at=MONDAY + timedelta(hours=8))  # a pending change
    holding, release = threading.Event(), threading.Event()

    def beat():  # a long rebuild, say
        try:
            with transaction.atomic():
                RollupState.objects.select_for_update().get(pk=1)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=beat)
    thread.start()
    assert holding.wait(10)
    try:
        started = time.monotonic()
        assert not kpis._rollups_usable()  # at once, not after the beat's 30 s
        assert kpis.summary(WEEK)["volume"] == 1  # read live, the new ticket included
        assert time.monotonic() - started < 10
    finally:
        release.set()
        thread.join()
    assert kpis._rollups_usable()  # the lock is free: the reading applies the change itself
