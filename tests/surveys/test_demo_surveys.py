"""The demo desk comes with survey history: answered and unanswered surveys of resolved
tickets, follow-ups for unhappy customers — recorded as history, nothing sent."""

from io import StringIO

from django.core import mail
from django.core.management import call_command

from cases.models import EventKind, Status
from surveys.models import FollowUp, InvitationStatus, Source, SurveyInvitation, SurveyResponse


def test_the_demo_has_a_believable_survey_history_loaded_once(db, settings):
    settings.EMBEDDED = True
    call_command("load_demo", stdout=StringIO())

    invitations = SurveyInvitation.objects.all()
    responses = SurveyResponse.objects.all()
    assert 150 <= invitations.count() <= 300
    assert 0.3 < responses.count() / invitations.count() < 0.6
    assert not invitations.filter(
        status__in=[InvitationStatus.PENDING, InvitationStatus.SENDING]
    ).exists(), "history is never waiting to be sent"
    assert set(responses.values_list("source", flat=True)) == {Source.IMPORT}
    # Only the latest resolution of a resolved or closed ticket was surveyed.
    for invitation in invitations.select_related("ticket", "resolution_event"):
        assert invitation.ticket.status in (Status.RESOLVED, Status.CLOSED)
        assert invitation.resolution_event.kind == EventKind.RESOLVED
        assert invitation.resolved_at == invitation.ticket.resolved_at
    # Every unhappy answer has its follow-up and its timeline entries.
    unhappy = [r for r in responses if r.is_detractor or r.is_unhappy]
    assert unhappy and FollowUp.objects.count() == len(unhappy)
    for response in responses:
        assert response.ticket.events.filter(kind=EventKind.SURVEY_ANSWERED).exists()
    assert mail.outbox == []

    before = (invitations.count(), responses.count(), FollowUp.objects.count())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert before == (invitations.count(), responses.count(), FollowUp.objects.count())
