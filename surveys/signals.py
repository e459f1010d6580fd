"""The signal `surveys` sends.

- `invitation_sent(sender=SurveyInvitation, invitation_id, ticket_id)` — the survey e-mail
  went out and `sent_at` is set (a conditional UPDATE, so no post_save). The metrics app
  counts it in the response rate's denominator.
"""

from django.dispatch import Signal

invitation_sent = Signal()
