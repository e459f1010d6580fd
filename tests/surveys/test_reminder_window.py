"""A reminder goes out on its day, or within REMINDER_WINDOW after it (a beat that was down
for a while catches up); one missed by more is skipped, never sent out of the blue — and a
survey recorded as history (demo data, imports) is never reminded."""

from datetime import timedelta

import time_machine
from django.core import mail

from cases.models import EventKind
from surveys import services
from surveys.models import SurveyInvitation
from surveys.services import REMINDER_WINDOW, deliver_invitation, record_survey_history


def sent(invitation: SurveyInvitation) -> SurveyInvitation:
    with time_machine.travel(invitation.send_after + timedelta(seconds=1), tick=False):
        assert deliver_invitation(invitation.pk) is True
    return SurveyInvitation.objects.get(pk=invitation.pk)


def test_a_reminder_late_by_less_than_the_window_still_goes_out(invitation):
    invitation = sent(invitation)
    late = invitation.sent_at + timedelta(days=3) + REMINDER_WINDOW - timedelta(minutes=5)
    with time_machine.travel(late, tick=False):
        assert services.send_due_reminders() == 1
    assert len(mail.outbox) == 2


def test_a_reminder_missed_by_more_than_the_window_is_skipped(invitation):
    invitation = sent(invitation)
    too_late = invitation.sent_at + timedelta(days=3) + REMINDER_WINDOW + timedelta(minutes=5)
    with time_machine.travel(too_late, tick=False):
        assert services.send_due_reminders() == 0
    assert len(mail.outbox) == 1  # the invitation only
    assert SurveyInvitation.objects.get(pk=invitation.pk).reminder_sent_at is None


def test_a_survey_recorded_as_history_is_never_reminded(resolved_ticket):
    SurveyInvitation.objects.filter(ticket=resolved_ticket).delete()  # the live one
    resolution = resolved_ticket.events.get(kind=EventKind.RESOLVED)
    history = record_survey_history(
        ticket=resolved_ticket, resolution_event=resolution, sent_at=resolution.at
    )
    assert history.from_history
    with time_machine.travel(history.sent_at + timedelta(days=3, minutes=1), tick=False):
        assert services.send_due_reminders() == 0
    assert mail.outbox == []
