"""Survey invitations (the outbox), responses and the closed loop on unhappy customers."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Customer,
    Language,
    NotificationStatus,
    SendAttempt,
    Team,
    Ticket,
    TicketEvent,
    rank_of,
)


class Question(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    CES = "ces", _("Effort (CES)")
    NPS = "nps", _("Recommendation (NPS)")


# The scales of docs/kpis.md.
SCALES = {Question.CSAT: (1, 5), Question.CES: (1, 7), Question.NPS: (0, 10)}


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled before sending")
    EXPIRED = "expired", _("Expired")


class SurveyInvitation(models.Model):
    """One per surveyed resolution. Written in the resolving transaction; the row is the
    outbox the send task claims (docs/reliability.md)."""

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("ticket"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    resolution_event = models.OneToOneField(
        TicketEvent, on_delete=models.CASCADE, related_name="+", verbose_name=_("resolution")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent at resolution"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team at resolution"),
    )
    resolved_at = models.DateTimeField(_("resolved"))
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    questions = models.JSONField(_("questions"), default=list)
    # The link token is derived from this random nonce with SURVEY_TOKEN_KEY; only its
    # SHA-256 is stored, so the database alone never reveals a working link.
    nonce = models.CharField(_("link nonce"), max_length=64, unique=True, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    send_after = models.DateTimeField(_("send after"))
    expires_at = models.DateTimeField(_("expires"))
    lease_until = models.DateTimeField(_("lease held until"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("queued since"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("why withdrawn"), max_length=100, blank=True)
    # Demo data and history imports record surveys another system (or nobody) sent: Pulso
    # never sends them, nor a reminder about them.
    from_history = models.BooleanField(_("recorded history"), default=False, editable=False)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "send_after"], name="invitation_due"),
            models.Index(fields=["customer", "created_at"], name="invitation_customer_time"),
            models.Index(fields=["sent_at"], name="invitation_sent_at"),
        ]

    def __str__(self):
        return f"{self.ticket.reference} ({self.get_status_display()})"

    @property
    def is_expired(self) -> bool:
        return self.status in (InvitationStatus.EXPIRED, InvitationStatus.CANCELLED) or (
            self.status != InvitationStatus.ANSWERED and self.expires_at <= timezone.now()
        )


class SurveyMail(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")


class SurveyInvitationAttempt(SendAttempt):
    """A try at sending the invitation or its reminder (see `SendAttempt`)."""

    invitation = models.ForeignKey(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="send_attempts",
        verbose_name=_("survey invitation"),
    )
    mail = models.CharField(_("e-mail"), max_length=10, choices=SurveyMail.choices)

    OWNER = "invitation"
    SAME_EMAIL = ("mail",)

    class Meta(SendAttempt.Meta):
        verbose_name = _("send attempt")
        verbose_name_plural = _("send attempts")
        indexes = [
            models.Index(fields=["outcome", "lease_until"], name="invitation_attempt_open"),
        ]


class Source(models.TextChoices):
    WEB = "web", _("Survey page")
    API = "api", _("API")
    IMPORT = "import", _("Imported")


class SurveyResponse(models.Model):
    """The customer's answer. Agent and team are those at resolution, for fair attribution."""

    invitation = models.OneToOneField(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="response",
        verbose_name=_("survey invitation"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="survey_responses", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    csat = models.PositiveSmallIntegerField(_("CSAT"), null=True, blank=True)
    ces = models.PositiveSmallIntegerField(_("CES"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("NPS"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("answered on"), max_length=10, choices=Source.choices)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat__isnull=True) | models.Q(csat__gte=1, csat__lte=5),
                name="response_csat_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(ces__isnull=True) | models.Q(ces__gte=1, ces__lte=7),
                name="response_ces_1_to_7",
            ),
            models.CheckConstraint(
                condition=models.Q(nps__isnull=True) | models.Q(nps__gte=0, nps__lte=10),
                name="response_nps_0_to_10",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "answered_at"], name="response_team_time"),
            models.Index(fields=["agent", "answered_at"], name="response_agent_time"),
            # The summary of a score group (detractors, unhappy…) counts every answer of the
            # group: from the index alone, visibility columns included, it stays a fraction
            # of the page at a million tickets (tests/bench/bench_lists.py).
            models.Index(
                fields=["nps"], name="response_nps", include=["csat", "ces", "team", "agent"]
            ),
            models.Index(
                fields=["csat"], name="response_csat", include=["nps", "ces", "team", "agent"]
            ),
        ]

    def __str__(self):
        return f"{self.ticket.reference} CSAT {self.csat} CES {self.ces} NPS {self.nps}"

    @property
    def is_detractor(self) -> bool:
        return self.nps is not None and self.nps <= 6

    @property
    def is_unhappy(self) -> bool:
        return self.csat is not None and self.csat <= 2


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONTACTED = "contacted", _("Contacted")
    RESOLVED = "resolved", _("Resolved")


class FollowUp(models.Model):
    """Closing the loop: someone calls the unhappy customer back."""

    response = models.OneToOneField(
        SurveyResponse,
        on_delete=models.CASCADE,
        related_name="follow_up",
        verbose_name=_("survey response"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("ticket")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    reasons = models.JSONField(_("reasons"), default=list)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    closed_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Outbox for the managers' alert e-mail (the statuses of an outgoing e-mail).
    alert_status = models.CharField(
        _("alert status"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    alert_lease_until = models.DateTimeField(_("alert lease held until"), null=True, blank=True)
    alert_sent_at = models.DateTimeField(_("alert sent at"), null=True, blank=True)
    alerted_user_ids = models.JSONField(  # managers already mailed
        _("managers already alerted"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="follow_up_status_time"),
            # The inbox's "All" tab: open first, then contacted, then resolved, oldest first
            # in each (surveys.views.follow_ups), read in index order at any size.
            models.Index(
                rank_of("status", FollowUpStatus.values),
                "created_at",
                "id",
                name="follow_up_status_rank",
            ),
        ]

    def __str__(self):
        return f"{self.ticket.reference} ({self.get_status_display()})"


class FollowUpNote(models.Model):
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="notes", verbose_name=_("follow-up")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up note")
        verbose_name_plural = _("follow-up notes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return _("Note %(number)s") % {"number": self.pk}
