"""The only code that changes survey state.

Life of an invitation: written by `schedule_survey` in the resolving transaction → sent by
`deliver_invitation` (claimed by a conditional UPDATE, so a duplicate task never mails
twice) → answered by `answer_survey`, or reminded once, or expired, or withdrawn when the
ticket is reopened first.
"""

import base64
import hashlib
import hmac
import logging
import random
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from types import EllipsisType
from typing import Any, Protocol, TypeAlias

from django.conf import settings
from django.core.mail import BadHeaderError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.emails import (
    MAX_ATTEMPTS,
    TRANSIENT_ERRORS,
    describe_error,
    is_transient,
    retry_delay,
    send_templated_email,
)
from cases.models import (
    AttemptOutcome,
    EventKind,
    NotificationStatus,
    Role,
    Ticket,
    TicketEvent,
    User,
)
from cases.publishing import publish_on_commit
from cases.selectors import team_managers
from cases.services import record_ticket_event
from cases.services.send_attempts import (
    abandon_open_attempts,
    finish_attempt,
    lease,
    open_attempt,
)

from .errors import AlreadyAnswered, FollowUpError, InvalidAnswer, InvitationNotFound, SurveyExpired
from .models import (
    SCALES,
    FollowUp,
    FollowUpNote,
    FollowUpStatus,
    InvitationStatus,
    Question,
    Source,
    SurveyInvitation,
    SurveyInvitationAttempt,
    SurveyMail,
    SurveyResponse,
)
from .signals import invitation_sent

log = logging.getLogger(__name__)

# The data of a timeline event (TicketEvent.data: JSON).
EventData: TypeAlias = dict[str, Any]
# A checked answer: each question's score (None: not answered) by name, and "comment".
Answer: TypeAlias = dict[str, int | str | None]
# Hands an id to the task queue (surveys/tasks.py).
Enqueue: TypeAlias = Callable[[int], object]

REENQUEUE_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 500
# How late a reminder may still go out after its day (the beat runs every few minutes).
REMINDER_WINDOW = timedelta(days=1)


class SkipReason:
    NO_EMAIL = "no_email"
    RECENTLY_SURVEYED = "recently_surveyed"
    SAMPLED_OUT = "sampled_out"


# --- tokens -----------------------------------------------------------------------------------


class Nonced(Protocol):
    """What `token_for` reads of an invitation (the bulk loaders have the nonce alone)."""

    @property
    def nonce(self) -> str: ...


def token_for(invitation: Nonced) -> str:
    """The link token: HMAC of the invitation's random nonce under SURVEY_TOKEN_KEY (256 bits).
    The database holds the nonce and the token's hash, never the token."""
    digest = hmac.new(
        settings.SURVEY_TOKEN_KEY.encode(), f"pulso-survey:{invitation.nonce}".encode(), "sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_for_token(token: str) -> SurveyInvitation | None:
    """The invitation a link opens, or None — the same None for malformed and unknown."""
    if not token or len(token) > 100:
        return None
    return (
        SurveyInvitation.objects.select_related("ticket", "customer")
        .filter(token_hash=hash_token(token))
        .first()
    )


def survey_path(invitation: SurveyInvitation) -> str:
    return reverse("surveys:answer", kwargs={"token": token_for(invitation)})


# --- scheduling (inside the resolving transaction) --------------------------------------------


def _skip(ticket: Ticket, at: datetime, reason: str) -> None:
    record_ticket_event(ticket=ticket, kind=EventKind.SURVEY_SKIPPED, at=at, reason=reason)


def schedule_survey(*, ticket: Ticket, event: TicketEvent, at: datetime) -> SurveyInvitation | None:
    """Write the invitation for this resolution, or record why there is none.
    Precondition: called inside the resolving transaction (the `ticket_resolved` receiver)."""
    customer = ticket.customer
    if not customer.email:
        _skip(ticket, at, SkipReason.NO_EMAIL)
        return None
    window_start = at - timedelta(days=settings.SURVEY_THROTTLE_DAYS)
    recently = SurveyInvitation.objects.filter(
        customer=customer, created_at__gte=window_start, withdrawn_at__isnull=True
    ).exclude(status=InvitationStatus.FAILED)
    if settings.SURVEY_THROTTLE_DAYS > 0 and recently.exists():
        _skip(ticket, at, SkipReason.RECENTLY_SURVEYED)
        return None
    if random.random() >= settings.SURVEY_SAMPLE_RATE:
        _skip(ticket, at, SkipReason.SAMPLED_OUT)
        return None
    invitation = SurveyInvitation(
        ticket=ticket,
        customer=customer,
        resolution_event=event,
        agent=ticket.assignee,
        team=ticket.team,
        resolved_at=at,
        language=customer.language,
        questions=[q for q in settings.SURVEY_QUESTIONS if q in Question.values],
        nonce=secrets.token_hex(32),
        created_at=at,
        send_after=at + timedelta(seconds=settings.SURVEY_SEND_DELAY),
        expires_at=at + timedelta(days=settings.SURVEY_EXPIRY_DAYS),
    )
    invitation.token_hash = hash_token(token_for(invitation))
    invitation.save()
    if settings.SURVEY_SEND_DELAY <= 0:
        from .tasks import enqueue_invitation

        publish_on_commit(enqueue_invitation, invitation.pk)
    return invitation


def withdraw_surveys(*, ticket: Ticket, at: datetime, reason: str = "ticket_reopened") -> int:
    """The ticket was reopened (or merged into another): an unanswered survey about a
    resolution that no longer holds is withdrawn (cancelled if unsent, expired if sent). An
    answered one stands."""
    count = 0
    for invitation in SurveyInvitation.objects.select_for_update().filter(
        ticket=ticket, status__in=WITHDRAWABLE
    ):
        withdrawn = withdraw(invitation, at, reason)
        invitation.save(update_fields=["status", "withdrawn_at", "withdrawn_reason"])
        record_ticket_event(ticket=ticket, kind=EventKind.SURVEY_WITHDRAWN, at=at, **withdrawn)
        count += 1
    return count


def customer_survey_counts(*, customer_id: int) -> dict[str, int]:
    """What a merge of this customer record would move of the surveys: the invitations,
    the answers among them and the follow-ups of those answers."""
    invitations = SurveyInvitation.objects.filter(customer_id=customer_id)
    return {
        "survey_invitations": invitations.count(),
        "survey_answers": SurveyResponse.objects.filter(invitation__in=invitations).count(),
        "follow_ups": FollowUp.objects.filter(response__invitation__in=invitations).count(),
    }


def move_customer_surveys(*, kept_id: int, duplicate_id: int) -> dict[str, int]:
    """A customer record merged into another (cases.signals.customers_merged): the
    duplicate's survey invitations become the kept record's. Their answers and follow-ups
    belong to the tickets, which moved already; they are counted for the merge's record."""
    counts = customer_survey_counts(customer_id=duplicate_id)
    SurveyInvitation.objects.filter(customer_id=duplicate_id).update(customer_id=kept_id)
    return counts


# The states a reopening withdraws an invitation from.
WITHDRAWABLE = [
    InvitationStatus.PENDING,
    InvitationStatus.SENDING,
    InvitationStatus.SENT,
    InvitationStatus.FAILED,
]


def withdraw(
    invitation: SurveyInvitation, at: datetime, reason: str = "ticket_reopened"
) -> EventData:
    """Withdraw one invitation in memory (its status is in WITHDRAWABLE); the data of its
    "survey withdrawn" event. The history import applies it to the invitations it writes."""
    # A `sending` row may already be in the customer's inbox: expire it (the link then
    # explains itself with a polite page) rather than cancel it (a bare 404).
    unsent = invitation.status in (InvitationStatus.PENDING, InvitationStatus.FAILED)
    invitation.status = InvitationStatus.CANCELLED if unsent else InvitationStatus.EXPIRED
    invitation.withdrawn_at = at
    invitation.withdrawn_reason = reason
    return {"reason": reason, "was_sent": not unsent}


# --- sending ----------------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    return Q(status=InvitationStatus.PENDING, send_after__lte=now) | Q(
        status=InvitationStatus.SENDING, lease_until__lt=now
    )


def _survey_context(invitation: SurveyInvitation) -> dict[str, Any]:
    path = survey_path(invitation)
    low, high = SCALES[Question.CSAT]
    return {
        "invitation": invitation,
        "ticket": invitation.ticket,
        "customer": invitation.customer,
        "link": path,
        "csat_links": [(score, f"{path}?csat={score}") for score in range(low, high + 1)]
        if Question.CSAT in invitation.questions
        else [],
        "expires_at": invitation.expires_at,
    }


def _send_survey_email(invitation: SurveyInvitation, name: str) -> None:
    send_templated_email(
        name=name,
        to=invitation.customer.email,
        language=invitation.language,
        context=_survey_context(invitation),
        headers={
            "X-Pulso-Ticket": invitation.ticket.reference,
            "Auto-Submitted": "auto-generated",
        },
    )


def deliver_invitation(invitation_id: int) -> bool:
    """Send one survey e-mail if nobody else is sending it. True when this call sent it.
    Precondition: not inside a transaction (the claim and this process's attempt commit
    before the SMTP talk: cases/services/send_attempts.py)."""
    now = timezone.now()
    lease_until = now + lease()
    with transaction.atomic(durable=True):
        claimed = SurveyInvitation.objects.filter(_claimable(now), pk=invitation_id).update(
            status=InvitationStatus.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
        )
        if not claimed:
            return False
        abandon_open_attempts(
            SurveyInvitationAttempt.objects.filter(
                invitation_id=invitation_id, mail=SurveyMail.INVITATION
            )
        )
        invitation = SurveyInvitation.objects.select_related("ticket", "customer").get(
            pk=invitation_id
        )
        attempts = invitation.attempts
        if invitation.expires_at <= now:
            SurveyInvitation.objects.filter(pk=invitation_id).update(
                status=InvitationStatus.EXPIRED, lease_until=None
            )
            return False
        attempt = open_attempt(
            SurveyInvitationAttempt,
            invitation=invitation,
            mail=SurveyMail.INVITATION,
            number=attempts,
            lease_until=lease_until,
        )
    try:
        _send_survey_email(invitation, "survey-invitation")
    except Exception as error:
        transient = is_transient(error) and attempts < MAX_ATTEMPTS
        if not isinstance(error, (BadHeaderError, *TRANSIENT_ERRORS)) and not is_transient(error):
            log.warning("Survey %s not sent: %s", invitation_id, describe_error(error))
        with transaction.atomic():
            SurveyInvitation.objects.filter(
                pk=invitation_id, status=InvitationStatus.SENDING
            ).update(
                status=InvitationStatus.PENDING if transient else InvitationStatus.FAILED,
                send_after=timezone.now() + retry_delay(attempts),
                lease_until=None,
                last_error=describe_error(error),
            )
            finish_attempt(
                attempt, AttemptOutcome.RETRY if transient else AttemptOutcome.FAILED, error
            )
        return False
    # Only a SENDING row becomes SENT: a withdrawal during the SMTP talk stays a withdrawal
    # (the attempt says sent all the same: the customer has the e-mail).
    with transaction.atomic():  # the metrics' change mark commits with the sent_at
        sent = SurveyInvitation.objects.filter(
            pk=invitation_id, status=InvitationStatus.SENDING
        ).update(
            status=InvitationStatus.SENT,
            sent_at=timezone.now(),
            lease_until=None,
            last_error="",
        )
        finish_attempt(attempt, AttemptOutcome.SENT)
        if sent:
            invitation_sent.send(
                sender=SurveyInvitation, invitation_id=invitation_id, ticket_id=invitation.ticket_id
            )
    return True


def enqueue_due_invitations(enqueue: Enqueue) -> int:
    """The safety net: hand every due invitation not enqueued recently (or whose sender's
    lease ran out) to `enqueue(id)`. A broker outage delays surveys; it never loses them.
    First the attempts of dead senders (invitations and reminders) are marked abandoned."""
    now = timezone.now()
    abandon_open_attempts(SurveyInvitationAttempt.objects.filter(lease_until__lt=now))
    due = SurveyInvitation.objects.filter(
        Q(status=InvitationStatus.PENDING, send_after__lte=now)
        & (
            Q(enqueued_at__isnull=True)
            | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
            # enqueued before a failed try moved send_after on: that enqueue is used up
            | Q(enqueued_at__lt=F("send_after"))
        )
        | Q(status=InvitationStatus.SENDING, lease_until__lt=now)
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    count = 0
    for pk in list(due):
        enqueue(pk)
        count += 1
    return count


def send_due_reminders(*, now: datetime | None = None) -> int:
    """One reminder, SURVEY_REMINDER_DAYS after the invitation, if still unanswered — within
    REMINDER_WINDOW of that moment: a reminder missed by more (the beat was down, the setting
    was shortened) is skipped, not sent out of the blue in a burst. Never for a survey
    recorded as history (demo data, imports): Pulso did not send it. Claimed by a
    conditional UPDATE (a reminder is never sent twice; a crash mid-send loses that one
    reminder, which we accept: its attempt then shows abandoned)."""
    now = now or timezone.now()
    if settings.SURVEY_REMINDER_DAYS <= 0:
        return 0
    due_sent_at = now - timedelta(days=settings.SURVEY_REMINDER_DAYS)
    due = SurveyInvitation.objects.filter(
        status=InvitationStatus.SENT,
        from_history=False,
        reminder_sent_at__isnull=True,
        sent_at__lte=due_sent_at,
        sent_at__gt=due_sent_at - REMINDER_WINDOW,
        expires_at__gt=now,
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    sent = 0
    for pk in list(due):
        attempt = _claim_reminder(pk, now)
        if attempt is None:
            continue
        try:
            _send_survey_email(attempt.invitation, "survey-reminder")
        except Exception as error:
            with transaction.atomic():
                if is_transient(error):  # give it back for the next run
                    SurveyInvitation.objects.filter(pk=pk).update(reminder_sent_at=None)
                outcome = AttemptOutcome.RETRY if is_transient(error) else AttemptOutcome.FAILED
                finish_attempt(attempt, outcome, error)
            log.warning("Survey reminder %s not sent: %s", pk, describe_error(error))
            continue
        finish_attempt(attempt, AttemptOutcome.SENT)
        sent += 1
    return sent


def _claim_reminder(invitation_id: int, now: datetime) -> SurveyInvitationAttempt | None:
    """Claim the reminder and open this process's attempt, committed before the SMTP talk.
    None: someone else claimed it."""
    with transaction.atomic(durable=True):
        if not SurveyInvitation.objects.filter(
            pk=invitation_id, status=InvitationStatus.SENT, reminder_sent_at__isnull=True
        ).update(reminder_sent_at=now):
            return None
        invitation = SurveyInvitation.objects.select_related("ticket", "customer").get(
            pk=invitation_id
        )
        earlier = invitation.send_attempts.filter(mail=SurveyMail.REMINDER).count()
        return open_attempt(
            SurveyInvitationAttempt,
            invitation=invitation,
            mail=SurveyMail.REMINDER,
            number=earlier + 1,
            lease_until=timezone.now() + lease(),
        )


def expire_invitations(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return SurveyInvitation.objects.filter(
        status__in=[InvitationStatus.PENDING, InvitationStatus.SENT, InvitationStatus.FAILED],
        expires_at__lte=now,
    ).update(status=InvitationStatus.EXPIRED, lease_until=None)


# --- answering --------------------------------------------------------------------------------


def clean_answer(
    invitation: SurveyInvitation,
    *,
    csat: object = None,
    ces: object = None,
    nps: object = None,
    comment: str = "",
) -> Answer:
    """Check every score (as given: a number, a text, anything) against its scale; the
    questions not asked must stay empty. Raises InvalidAnswer with one message per field."""
    values = {Question.CSAT: csat, Question.CES: ces, Question.NPS: nps}
    errors: dict[str, str] = {}
    clean: dict[str, int | None] = {}
    for question, value in values.items():
        if value in (None, ""):
            clean[question.value] = None
            continue
        if question not in invitation.questions:
            errors[question.value] = _("This question is not part of the survey.")
            continue
        low, high = SCALES[question]
        if isinstance(value, bool) or not isinstance(value, int | str):
            errors[question.value] = _("Choose a whole number from %(low)d to %(high)d.") % {
                "low": low,
                "high": high,
            }
            continue
        text = str(value).strip()
        if (
            not (text.isascii() and text.isdigit() and len(text) <= 3)
            or not low <= int(text) <= high
        ):
            errors[question.value] = _("Choose a whole number from %(low)d to %(high)d.") % {
                "low": low,
                "high": high,
            }
            continue
        clean[question.value] = int(text)
    comment = (comment or "").strip()
    if len(comment) > 5000:
        errors["comment"] = _("Please keep the comment under 5000 characters.")
    if not errors and all(v is None for v in clean.values()) and not comment:
        errors["__all__"] = _("Answer at least one question.")
    if errors:
        raise InvalidAnswer(errors)
    return {**clean, "comment": comment}


def _needs_follow_up(response: SurveyResponse) -> list[str]:
    reasons = []
    if response.is_detractor:
        reasons.append("detractor")
    if response.is_unhappy:
        reasons.append("unhappy_csat")
    return reasons


@transaction.atomic
def answer_survey(
    *,
    invitation: SurveyInvitation,
    source: str = Source.WEB,
    at: datetime | None = None,
    csat: object = None,
    ces: object = None,
    nps: object = None,
    comment: str = "",
) -> SurveyResponse:
    """Record the customer's one answer; open a follow-up for a detractor (NPS ≤ 6) or an
    unhappy CSAT (≤ 2). Raises SurveyExpired, AlreadyAnswered or InvalidAnswer, with
    nothing written."""
    at = at or timezone.now()
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == InvitationStatus.ANSWERED or hasattr(invitation, "response"):
        raise AlreadyAnswered(_("This survey was already answered. Thank you!"))
    if invitation.status == InvitationStatus.CANCELLED:
        raise InvitationNotFound()
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= at:
        raise SurveyExpired(_("This survey has expired."))
    answer = clean_answer(invitation, csat=csat, ces=ces, nps=nps, comment=comment)
    response, follow_up = _record_answer(invitation, answer, source=source, at=at)
    if follow_up is not None:
        from .tasks import enqueue_follow_up_alert

        publish_on_commit(enqueue_follow_up_alert, follow_up.pk)
    return response


def _record_answer(
    invitation: SurveyInvitation,
    answer: Answer,
    *,
    source: str,
    at: datetime,
    follow_up_status: str = FollowUpStatus.OPEN,
    alerted: bool = False,
) -> tuple[SurveyResponse, FollowUp | None]:
    """Store a clean answer, mark the invitation answered, open a follow-up if the customer
    is unhappy, and put both on the ticket's timeline. Precondition: in a transaction,
    the invitation locked or new."""
    response, follow_up = answer_rows(
        invitation,
        answer,
        source=source,
        at=at,
        follow_up_status=follow_up_status,
        alerted=alerted,
    )
    response.save()
    invitation.save(update_fields=["status", "answered_at"])
    record_ticket_event(
        ticket=invitation.ticket,
        kind=EventKind.SURVEY_ANSWERED,
        at=at,
        **answered_event_data(response),
    )
    if follow_up is None:
        return response, None
    follow_up.save()
    record_ticket_event(
        ticket=invitation.ticket,
        kind=EventKind.FOLLOW_UP_OPENED,
        at=at,
        **follow_up_event_data(follow_up),
    )
    return response, follow_up


def answer_rows(
    invitation: SurveyInvitation,
    answer: Answer,
    *,
    source: str,
    at: datetime,
    follow_up_status: str = FollowUpStatus.OPEN,
    alerted: bool = False,
) -> tuple[SurveyResponse, FollowUp | None]:
    """An answer in memory: the response and, for an unhappy customer, the follow-up (both
    unsaved); the invitation marked answered. `_record_answer` saves them, the history
    import writes them in bulk."""
    response = SurveyResponse(
        invitation=invitation,
        ticket=invitation.ticket,
        agent=invitation.agent,
        team=invitation.team,
        source=source,
        answered_at=at,
        **answer,
    )
    invitation.status = InvitationStatus.ANSWERED
    invitation.answered_at = at
    reasons = _needs_follow_up(response)
    if not reasons:
        return response, None
    follow_up = FollowUp(
        response=response,
        ticket=invitation.ticket,
        team=invitation.team,
        reasons=reasons,
        status=follow_up_status,
        created_at=at,
        updated_at=at,
        closed_at=at if follow_up_status == FollowUpStatus.RESOLVED else None,
        alert_status=NotificationStatus.SENT if alerted else NotificationStatus.PENDING,
    )
    return response, follow_up


def answered_event_data(response: SurveyResponse) -> EventData:
    """The "survey answered" event's data (the response has its id)."""
    return {
        "response_id": response.pk,
        "csat": response.csat,
        "ces": response.ces,
        "nps": response.nps,
        "comment": response.comment,
    }


def follow_up_event_data(follow_up: FollowUp) -> EventData:
    """The "follow-up opened" event's data (the follow-up has its id)."""
    return {"follow_up_id": follow_up.pk, "reasons": follow_up.reasons}


# --- the closed loop --------------------------------------------------------------------------


def managers_to_alert(follow_up: FollowUp) -> list[User]:
    """The managers of the follow-up's team; every manager when the team has none."""
    return team_managers(follow_up.team_id)


def deliver_follow_up_alert(follow_up_id: int) -> bool:
    """E-mail the managers about a new follow-up, once (claimed like the invitations)."""
    now = timezone.now()
    claimable = Q(alert_status=NotificationStatus.PENDING) | Q(
        alert_status=NotificationStatus.SENDING, alert_lease_until__lt=now
    )
    if not FollowUp.objects.filter(claimable, pk=follow_up_id).update(
        alert_status=NotificationStatus.SENDING, alert_lease_until=now + lease()
    ):
        return False
    follow_up = FollowUp.objects.select_related("ticket", "response", "team").get(pk=follow_up_id)
    alerted = set(follow_up.alerted_user_ids)
    try:
        for manager in managers_to_alert(follow_up):
            if manager.pk in alerted:  # mailed by an earlier, interrupted try
                continue
            send_templated_email(
                name="follow-up-alert",
                to=manager.email,
                language=manager.language,
                context={
                    "follow_up": follow_up,
                    "response": follow_up.response,
                    "ticket": follow_up.ticket,
                    "manager": manager,
                    "link": reverse("surveys:follow_up_detail", args=[follow_up.pk]),
                },
            )
            alerted.add(manager.pk)
            FollowUp.objects.filter(pk=follow_up_id).update(alerted_user_ids=sorted(alerted))
    except Exception as error:
        FollowUp.objects.filter(pk=follow_up_id).update(
            alert_status=NotificationStatus.PENDING
            if is_transient(error)
            else NotificationStatus.FAILED,
            alert_lease_until=None,
        )
        log.warning("Follow-up alert %s not sent: %s", follow_up_id, describe_error(error))
        return False
    FollowUp.objects.filter(pk=follow_up_id).update(
        alert_status=NotificationStatus.SENT, alert_sent_at=timezone.now(), alert_lease_until=None
    )
    return True


def enqueue_due_follow_up_alerts(enqueue: Enqueue) -> int:
    now = timezone.now()
    due = FollowUp.objects.filter(
        Q(alert_status=NotificationStatus.PENDING, created_at__lte=now - REENQUEUE_AFTER)
        | Q(alert_status=NotificationStatus.SENDING, alert_lease_until__lt=now)
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    for pk in list(due):
        enqueue(pk)
    return len(due)


def _require_manager(by: User) -> None:
    if by is None or by.role not in (Role.MANAGER, Role.ADMIN):
        raise FollowUpError(_("Only managers work on follow-ups."))


@transaction.atomic
def update_follow_up(
    *,
    follow_up: FollowUp,
    by: User,
    owner: User | None | EllipsisType = ...,  # ...: unchanged
    status: str | None = None,
    note: str = "",
) -> FollowUp:
    """Change owner and/or status and/or add a note; every change goes on the timeline."""
    _require_manager(by)
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    now = timezone.now()
    changes: dict[str, str | None] = {}
    if owner is not ... and (owner.pk if owner else None) != follow_up.owner_id:
        if owner is not None and (not owner.is_active or owner.role is None):
            raise FollowUpError(_("Choose an active member of staff."), field="owner")
        changes["owner"] = owner.display_name if owner else None
        follow_up.owner = owner
    if status is not None and status != follow_up.status:
        if status not in FollowUpStatus.values:
            raise FollowUpError(_("Unknown status."), field="status")
        changes["status"] = status
        follow_up.status = status
        follow_up.closed_at = now if status == FollowUpStatus.RESOLVED else None
    note = (note or "").strip()
    if not changes and not note:
        raise FollowUpError(_("Nothing to change."))
    follow_up.updated_at = now
    follow_up.save(update_fields=["owner", "status", "closed_at", "updated_at"])
    if note:
        FollowUpNote.objects.create(follow_up=follow_up, author=by, body=note, created_at=now)
    record_ticket_event(
        ticket=follow_up.ticket,
        kind=EventKind.FOLLOW_UP_UPDATED,
        actor=by,
        at=now,
        follow_up_id=follow_up.pk,
        note=note,
        **changes,
    )
    return follow_up


# --- history (demo data, imports) -------------------------------------------------------------


@transaction.atomic
def record_survey_history(
    *,
    ticket: Ticket,
    resolution_event: TicketEvent,
    sent_at: datetime,
    answered_at: datetime | None = None,
    csat: object = None,
    ces: object = None,
    nps: object = None,
    comment: str = "",
    follow_up_status: str = FollowUpStatus.OPEN,
    now: datetime | None = None,
) -> SurveyInvitation:
    """A survey that was sent (and maybe answered) in the past. Sends nothing and alerts
    nobody, then or later (`from_history`: no reminder either); an unhappy answer still gets
    its follow-up, in `follow_up_status`."""
    invitation = history_invitation(
        ticket=ticket,
        resolution_event=resolution_event,
        sent_at=sent_at,
        answered=answered_at is not None,
        now=now or timezone.now(),
    )
    invitation.save()
    if answered_at is None:
        return invitation
    answer = clean_answer(invitation, csat=csat, ces=ces, nps=nps, comment=comment)
    # History: nobody is alerted about the past.
    _record_answer(
        invitation,
        answer,
        source=Source.IMPORT,
        at=answered_at,
        follow_up_status=follow_up_status,
        alerted=True,
    )
    return invitation


def history_invitation(
    *,
    ticket: Ticket,
    resolution_event: TicketEvent,
    sent_at: datetime,
    answered: bool,
    now: datetime,
    nonce: str | None = None,
) -> SurveyInvitation:
    """The invitation of a survey sent in the past, unsaved: sent then (or expired by `now`
    if never answered), about `resolution_event`, for the agent who resolved (else the
    assignee) and the ticket's team as they are. `nonce`: 32 random bytes in hex, when the
    caller drew many at once (the history import)."""
    invitation = SurveyInvitation(
        ticket=ticket,
        customer=ticket.customer,
        resolution_event=resolution_event,
        agent=resolution_event.actor if resolution_event.actor_id else ticket.assignee,
        team=ticket.team,
        resolved_at=resolution_event.at,
        language=ticket.customer.language,
        questions=list(Question.values),
        nonce=nonce or secrets.token_hex(32),
        created_at=resolution_event.at,
        send_after=sent_at,
        sent_at=sent_at,
        expires_at=sent_at + timedelta(days=settings.SURVEY_EXPIRY_DAYS),
        status=InvitationStatus.SENT,
        from_history=True,
    )
    invitation.token_hash = hash_token(token_for(invitation))
    if not answered and invitation.expires_at <= now:
        invitation.status = InvitationStatus.EXPIRED
    return invitation
