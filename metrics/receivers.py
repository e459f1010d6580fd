"""Where metrics hears that a ticket, a survey answer or an invitation changed: a
RollupChange row in the same transaction, so the rollups can never miss a committed change
(metrics/rollups.py applies them)."""

from . import rollups


def on_ticket_saved(sender, instance, **kwargs):
    rollups.mark_ticket(instance.pk)


def on_ticket_deleted(sender, instance, **kwargs):
    rollups.mark_ticket(instance.pk)


def on_survey_row_saved(sender, instance, **kwargs):
    rollups.mark_ticket(instance.ticket_id)


def on_response_deleted(sender, instance, **kwargs):
    rollups.mark_day(instance.answered_at)


def on_invitation_deleted(sender, instance, **kwargs):
    rollups.mark_day(instance.sent_at)


def on_invitation_sent(sender, ticket_id, **kwargs):
    rollups.mark_ticket(ticket_id)
