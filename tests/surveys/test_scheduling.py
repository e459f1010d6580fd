"""Scheduling a survey: the resolving transaction writes exactly one invitation (the outbox),
or records why there is none; a reopening withdraws an unanswered one; the send is enqueued
on commit when there is no delay, and found by the sweep when there is."""

import base64
import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services as case_services
from cases.models import EventKind, Status, TicketEvent
from cases.signals import replaying_history
from surveys import services
from surveys.errors import InvitationNotFound, SurveyExpired
from surveys.models import InvitationStatus, SurveyInvitation
from surveys.services import invitation_for_token, token_for
from surveys.tasks import sweep_invitations
from tests.factories import CustomerFactory, make_ticket


@pytest.fixture
def new_ticket(ana, team_n1, customer):
    """An open ticket of Lucía's, Soporte N1, assigned to Ana."""
    return make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana)


def events(ticket, kind) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("at", "id"))


def reopen(ticket, by):
    return case_services.reopen_ticket(ticket=ticket, by=by, reason="Still broken.")


def re_resolve(ticket, by):
    return case_services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed it for real.")


# --- the invitation -----------------------------------------------------------------------------


def test_a_resolution_writes_exactly_one_invitation_for_its_resolution_event(resolved_ticket):
    [resolved] = events(resolved_ticket, EventKind.RESOLVED)
    [invitation] = SurveyInvitation.objects.filter(ticket=resolved_ticket)
    assert invitation.resolution_event_id == resolved.pk
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.customer == resolved_ticket.customer
    assert invitation.resolved_at == resolved_ticket.resolved_at == resolved.at
    assert events(resolved_ticket, EventKind.SURVEY_SKIPPED) == []


def test_the_database_refuses_a_second_invitation_for_the_same_resolution(invitation):
    twin = SurveyInvitation(
        ticket=invitation.ticket,
        customer=invitation.customer,
        resolution_event=invitation.resolution_event,
        resolved_at=invitation.resolved_at,
        language=invitation.language,
        nonce="f" * 64,
        token_hash="e" * 64,
        send_after=invitation.send_after,
        expires_at=invitation.expires_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    assert SurveyInvitation.objects.count() == 1


def test_only_a_hash_of_the_token_is_stored(invitation):
    token = token_for(invitation)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = SurveyInvitation.objects.filter(pk=invitation.pk).values().get()
    assert all(token not in str(value) for value in stored.values())


def test_the_token_carries_at_least_128_random_bits(invitation, ana, team_n1):
    token = token_for(invitation)
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 16
    assert len(bytes.fromhex(invitation.nonce)) >= 16  # the random part, from `secrets`
    other = make_ticket(by=ana, customer=CustomerFactory(), team=team_n1, assignee=ana)
    case_services.add_reply(ticket=other, by=ana, body="Done.")
    case_services.resolve_ticket(ticket=other, by=ana, resolution="Fixed.")
    other_invitation = SurveyInvitation.objects.get(ticket=other)
    assert token_for(other_invitation) != token
    assert other_invitation.nonce != invitation.nonce


def test_the_token_opens_its_invitation_and_a_damaged_one_opens_nothing(invitation):
    token = token_for(invitation)
    assert invitation_for_token(token) == invitation
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for damaged in (flipped, token[:-1], token[:20], token + "x", "", "x" * 500):
        assert invitation_for_token(damaged) is None


def test_send_after_and_expiry_follow_the_settings(settings, new_ticket, ana, resolve):
    settings.SURVEY_SEND_DELAY = 120
    settings.SURVEY_EXPIRY_DAYS = 14
    ticket = resolve(new_ticket)
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert invitation.send_after == ticket.resolved_at + timedelta(seconds=120)
    assert invitation.expires_at == ticket.resolved_at + timedelta(days=14)


def test_by_default_the_survey_waits_ten_minutes_and_lives_thirty_days(invitation):
    assert invitation.send_after == invitation.resolved_at + timedelta(minutes=10)
    assert invitation.expires_at == invitation.resolved_at + timedelta(days=30)


def test_the_invitation_records_the_agent_and_team_at_resolution_and_keeps_them(
    invitation, ana, bruno, team_n1
):
    assert (invitation.agent, invitation.team) == (ana, team_n1)
    services.answer_survey(invitation=invitation, csat=5)
    ticket = reopen(invitation.ticket, ana)
    case_services.assign_ticket(ticket=ticket, by=ana, assignee=bruno)
    invitation.refresh_from_db()
    assert (invitation.agent, invitation.team) == (ana, team_n1)
    assert (invitation.response.agent, invitation.response.team) == (ana, team_n1)


def test_the_questions_come_from_the_settings(settings, new_ticket, resolve):
    settings.SURVEY_QUESTIONS = ["nps", "not-a-question", "csat"]
    invitation = SurveyInvitation.objects.get(ticket=resolve(new_ticket))
    assert invitation.questions == ["nps", "csat"]


def test_all_three_questions_by_default(invitation):
    assert invitation.questions == ["csat", "ces", "nps"]


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_invitation_speaks_the_customers_language(language, ana, team_n1, resolve):
    customer = CustomerFactory(language=language)
    ticket = resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    assert SurveyInvitation.objects.get(ticket=ticket).language == language


# --- no survey, and why -------------------------------------------------------------------------


def assert_skipped(ticket, reason):
    assert not SurveyInvitation.objects.filter(ticket=ticket).exists()
    [skipped] = events(ticket, EventKind.SURVEY_SKIPPED)
    assert skipped.data["reason"] == reason
    assert skipped.at == ticket.resolved_at


def test_a_customer_without_email_is_not_surveyed(ana, team_n1, resolve):
    phone_only = CustomerFactory(email="", name="Pedro Phone")
    ticket = resolve(make_ticket(by=ana, customer=phone_only, team=team_n1, assignee=ana))
    assert_skipped(ticket, "no_email")


def test_a_customer_surveyed_within_the_throttle_window_is_not_surveyed_again(
    invitation, ana, team_n1, customer, resolve
):
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        second = resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    assert_skipped(second, "recently_surveyed")


def test_after_the_throttle_window_the_customer_is_surveyed_again(
    invitation, ana, team_n1, customer, resolve
):
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        second = resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    assert SurveyInvitation.objects.filter(ticket=second).count() == 1
    assert events(second, EventKind.SURVEY_SKIPPED) == []


def test_the_throttle_window_follows_the_setting(
    settings, invitation, ana, team_n1, customer, resolve
):
    settings.SURVEY_THROTTLE_DAYS = 0
    second = resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    assert SurveyInvitation.objects.filter(customer=customer).count() == 2
    assert events(second, EventKind.SURVEY_SKIPPED) == []


def test_an_answered_survey_counts_for_the_throttle(invitation, ana, team_n1, customer, resolve):
    services.answer_survey(invitation=invitation, csat=4)
    second = resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    assert_skipped(second, "recently_surveyed")


def test_a_failed_invitation_does_not_count_for_the_throttle(
    invitation, ana, team_n1, customer, resolve
):
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.FAILED)
    second = resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    assert SurveyInvitation.objects.filter(ticket=second).count() == 1


def test_a_reopened_and_re_resolved_ticket_gets_a_fresh_invitation(invitation, ana):
    ticket = reopen(invitation.ticket, ana)
    ticket = re_resolve(ticket, ana)
    invitations = SurveyInvitation.objects.filter(ticket=ticket).order_by("created_at", "id")
    first, fresh = invitations
    assert first.pk == invitation.pk
    assert first.status == InvitationStatus.CANCELLED
    assert fresh.status == InvitationStatus.PENDING
    second_resolution = events(ticket, EventKind.RESOLVED)[-1]
    assert fresh.resolution_event_id == second_resolution.pk
    assert fresh.token_hash != first.token_hash
    assert events(ticket, EventKind.SURVEY_SKIPPED) == []


def test_a_sampled_out_resolution_is_not_surveyed(settings, new_ticket, resolve, monkeypatch):
    settings.SURVEY_SAMPLE_RATE = 0
    monkeypatch.setattr(services.random, "random", lambda: 0.0)
    assert_skipped(resolve(new_ticket), "sampled_out")


def test_a_sample_rate_of_one_surveys_every_resolution(settings, new_ticket, resolve, monkeypatch):
    settings.SURVEY_SAMPLE_RATE = 1.0
    monkeypatch.setattr(services.random, "random", lambda: 0.999999)
    ticket = resolve(new_ticket)
    assert SurveyInvitation.objects.filter(ticket=ticket).count() == 1


@pytest.mark.parametrize(("draw", "surveyed"), [(0.29, True), (0.3, False), (0.9, False)])
def test_a_partial_sample_rate_surveys_the_draws_below_it(
    draw, surveyed, settings, new_ticket, resolve, monkeypatch
):
    settings.SURVEY_SAMPLE_RATE = 0.3
    monkeypatch.setattr(services.random, "random", lambda: draw)
    ticket = resolve(new_ticket)
    assert SurveyInvitation.objects.filter(ticket=ticket).exists() is surveyed
    assert bool(events(ticket, EventKind.SURVEY_SKIPPED)) is not surveyed


def test_replayed_history_writes_no_invitation_and_no_skip(
    settings, new_ticket, resolve, django_capture_on_commit_callbacks
):
    settings.SURVEY_SEND_DELAY = 0
    with django_capture_on_commit_callbacks(execute=True), replaying_history():
        ticket = resolve(new_ticket)
    assert ticket.status == Status.RESOLVED
    assert not SurveyInvitation.objects.exists()
    assert events(ticket, EventKind.SURVEY_SKIPPED) == []
    assert mail.outbox == []


# --- withdrawal on reopening --------------------------------------------------------------------


def test_reopening_before_sending_cancels_the_invitation(invitation, ana):
    ticket = reopen(invitation.ticket, ana)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.CANCELLED
    assert invitation.withdrawn_reason == "ticket_reopened"
    [withdrawn] = events(ticket, EventKind.SURVEY_WITHDRAWN)
    assert invitation.withdrawn_at == withdrawn.at
    assert withdrawn.data["reason"] == "ticket_reopened"
    assert withdrawn.data["was_sent"] is False
    # Even when it falls due, a cancelled invitation is never mailed, and its link is dead.
    with time_machine.travel(invitation.send_after + timedelta(minutes=1)):
        assert sweep_invitations() == 0
        assert services.deliver_invitation(invitation.pk) is False
    assert mail.outbox == []
    with pytest.raises(InvitationNotFound):
        services.answer_survey(invitation=invitation, csat=5)


def test_reopening_after_sending_expires_the_invitation(invitation, ana):
    with time_machine.travel(invitation.send_after + timedelta(minutes=1)):
        assert services.deliver_invitation(invitation.pk) is True
    ticket = reopen(invitation.ticket, ana)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED
    assert invitation.withdrawn_reason == "ticket_reopened"
    [withdrawn] = events(ticket, EventKind.SURVEY_WITHDRAWN)
    assert withdrawn.data["was_sent"] is True
    with pytest.raises(SurveyExpired):
        services.answer_survey(invitation=invitation, csat=5)


def test_a_customer_reply_that_reopens_the_ticket_withdraws_the_survey(invitation):
    case_services.add_customer_reply(ticket=invitation.ticket, body="It broke again.")
    invitation.refresh_from_db()
    assert invitation.ticket.status == Status.OPEN
    assert invitation.status == InvitationStatus.CANCELLED
    assert len(events(invitation.ticket, EventKind.SURVEY_WITHDRAWN)) == 1


def test_an_answered_survey_stands_when_the_ticket_is_reopened(invitation, ana):
    response = services.answer_survey(invitation=invitation, csat=2, nps=4)
    ticket = reopen(invitation.ticket, ana)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert invitation.withdrawn_at is None
    assert invitation.response == response
    assert events(ticket, EventKind.SURVEY_WITHDRAWN) == []


# --- the fast path and the sweep ----------------------------------------------------------------


def survey_mails():
    """The survey e-mails sent (a resolution also sends the customer the resolution)."""
    return [m for m in mail.outbox if m.extra_headers.get("X-Pulso-Mail") == "survey-invitation"]


def test_with_no_delay_the_survey_is_sent_as_soon_as_the_resolution_commits(
    settings, new_ticket, customer, resolve, django_capture_on_commit_callbacks
):
    settings.SURVEY_SEND_DELAY = 0
    with django_capture_on_commit_callbacks(execute=True):
        ticket = resolve(new_ticket)
        assert mail.outbox == []  # nothing leaves before the commit (the reply's e-mail neither)
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert invitation.status == InvitationStatus.SENT
    assert invitation.enqueued_at is not None
    assert invitation.attempts == 1
    assert [m.to for m in survey_mails()] == [[customer.email]]
    assert sweep_invitations() == 0  # nothing left for the safety net


def test_with_the_default_delay_nothing_is_enqueued_until_the_sweep_finds_it_due(
    new_ticket, customer, resolve, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = resolve(new_ticket)
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert invitation.enqueued_at is None
    assert survey_mails() == []
    assert sweep_invitations() == 0
    with time_machine.travel(invitation.send_after - timedelta(seconds=5)):
        assert sweep_invitations() == 0
    assert survey_mails() == []
    with time_machine.travel(invitation.send_after + timedelta(seconds=5)):
        assert sweep_invitations() == 1
        assert sweep_invitations() == 0
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    assert [m.to for m in survey_mails()] == [[customer.email]]


def test_a_rolled_back_resolution_leaves_no_invitation_and_sends_nothing(
    settings, new_ticket, resolve, django_capture_on_commit_callbacks
):
    settings.SURVEY_SEND_DELAY = 0
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        resolve(new_ticket)
        assert SurveyInvitation.objects.count() == 1
        raise RuntimeError("the request failed after the resolution")
    assert callbacks == []
    assert not SurveyInvitation.objects.exists()
    new_ticket.refresh_from_db()
    assert new_ticket.status != Status.RESOLVED
    assert events(new_ticket, EventKind.RESOLVED) == []
    assert mail.outbox == []


def test_a_resolution_whose_invitation_cannot_be_written_is_not_resolved(
    new_ticket, ana, monkeypatch
):
    case_services.add_reply(ticket=new_ticket, by=ana, body="Here is the fix.")

    def broken_save(self, *args, **kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr(SurveyInvitation, "save", broken_save)
    with pytest.raises(IntegrityError):
        case_services.resolve_ticket(ticket=new_ticket, by=ana, resolution="Fixed.")
    new_ticket.refresh_from_db()
    assert new_ticket.status == Status.OPEN
    assert events(new_ticket, EventKind.RESOLVED) == []
