"""Quality reviews: versioned scorecards, reviews of a ticket's conversation, the weekly
sampling that assigns them, and disputes (docs/quality.md).

A scorecard is never edited in place: a change writes a new `ScorecardVersion` with its own
criteria, and a review points at the version it was scored against, so editing a scorecard
never changes the scores of reviews already made."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Reply, Team, Ticket

# Agents in this Django group may review other agents' tickets (managers and admins always may).
REVIEWER_GROUP = "Reviewer"


class Scorecard(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScorecardVersion(models.Model):
    """One frozen set of criteria. Numbered 1, 2, … per scorecard; the highest is current."""

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="versions", verbose_name=_("scorecard")
    )
    number = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    note = models.CharField(_("what changed"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")
        ordering = ["scorecard", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "number"], name="scorecard_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scorecard.name} v{self.number}"


class Criterion(models.Model):
    """Scored from 0 to `max_score`; a critical criterion scored 0 fails the whole review."""

    version = models.ForeignKey(
        ScorecardVersion,
        on_delete=models.CASCADE,
        related_name="criteria",
        verbose_name=_("scorecard version"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("what the reviewer looks for"), max_length=500, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=5)
    is_critical = models.BooleanField(
        _("critical"), default=False, help_text=_("Scored 0, it fails the whole review.")
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["version", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=100), name="criterion_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(max_score__gte=1) & Q(max_score__lte=10),
                name="criterion_max_score_range",
            ),
            models.UniqueConstraint(fields=["version", "name"], name="criterion_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewStatus(models.TextChoices):
    ASSIGNED = "assigned", _("To do")
    COMPLETED = "completed", _("Completed")


class ReviewReason(models.TextChoices):
    """Why the ticket was chosen for review."""

    MANUAL = "manual", _("Chosen by the reviewer")
    RANDOM = "random", _("Random sample")
    LOW_CSAT = "low_csat", _("Low CSAT")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated")


class Review(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="quality_reviews", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviews_received",
        verbose_name=_("reviewed agent"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviews_given",
        verbose_name=_("reviewer"),
    )
    scorecard_version = models.ForeignKey(
        ScorecardVersion,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("scorecard"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.ASSIGNED
    )
    reason = models.CharField(
        _("why this ticket"), max_length=10, choices=ReviewReason.choices, default="manual"
    )
    # The Monday of the sampled week (empty for a review the reviewer started themselves).
    week_start = models.DateField(_("week"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # 0–100 (KPI.md "Review score"), written when the review is completed or a dispute amends it.
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    critical_failed = models.BooleanField(_("failed a critical criterion"), default=False)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-assigned_at", "-id"]
        indexes = [
            models.Index(fields=["status", "completed_at"], name="review_status_completed"),
            models.Index(fields=["agent", "completed_at"], name="review_agent_completed"),
            models.Index(fields=["reviewer", "status"], name="review_reviewer_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="assigned")
                | (Q(completed_at__isnull=False) & Q(score__isnull=False)),
                name="review_completed_has_score",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="review_score_range",
            ),
            # The weekly sampling never picks the same ticket twice for the same week.
            models.UniqueConstraint(
                fields=["ticket", "week_start"],
                condition=Q(week_start__isnull=False),
                name="review_ticket_week_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} · {self.scorecard_version}"


class ReviewScore(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["review", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="review_score_criterion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class ReviewComment(models.Model):
    """A reviewer's remark, anchored to one message of the conversation (or to none)."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="comments", verbose_name=_("review")
    )
    reply = models.ForeignKey(
        Reply,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class DisputeOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld: the scores were amended")
    REJECTED = "rejected", _("Rejected: the review stands")


class Dispute(models.Model):
    """The reviewed agent disagrees; a manager settles it, and the settlement is kept."""

    review = models.OneToOneField(
        Review, on_delete=models.CASCADE, related_name="dispute", verbose_name=_("review")
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    reason = models.TextField(_("why the agent disagrees"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=DisputeOutcome.choices, blank=True
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settled by"),
    )
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    settlement = models.TextField(_("settlement note"), blank=True)
    # The review's score before an upheld dispute amended it.
    original_score = models.DecimalField(
        _("score before"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome="") & Q(settled_at__isnull=True))
                | (~Q(outcome="") & Q(settled_at__isnull=False)),
                name="dispute_settled_has_outcome",
            )
        ]

    def __str__(self) -> str:
        return str(self.review)

    @property
    def is_open(self) -> bool:
        return not self.outcome


class SamplingMode(models.TextChoices):
    RANDOM = "random", _("Random")
    WEIGHTED = "weighted", _("Weighted towards low CSAT, reopened and escalated tickets")


class SamplingRule(models.Model):
    """Each week, this many resolved tickets per agent are assigned for review."""

    scorecard = models.ForeignKey(
        Scorecard,
        on_delete=models.CASCADE,
        related_name="sampling_rules",
        verbose_name=_("scorecard"),
    )
    reviews_per_agent = models.PositiveSmallIntegerField(_("reviews per agent per week"), default=3)
    mode = models.CharField(
        _("how tickets are chosen"),
        max_length=10,
        choices=SamplingMode.choices,
        default=SamplingMode.WEIGHTED,
    )
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="+",
        verbose_name=_("teams"),
        help_text=_("Agents of these teams are sampled; none chosen means every agent."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("sampling rule")
        verbose_name_plural = _("sampling rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(reviews_per_agent__gte=1) & Q(reviews_per_agent__lte=50),
                name="sampling_rule_per_agent_range",
            )
        ]

    def __str__(self) -> str:
        return str(self.scorecard)


class SamplingRun(models.Model):
    """One rule's sampling of one week, written once: a rerun of the week assigns nothing."""

    rule = models.ForeignKey(
        SamplingRule, on_delete=models.CASCADE, related_name="runs", verbose_name=_("rule")
    )
    week_start = models.DateField(_("week"))
    ran_at = models.DateTimeField(_("ran"), default=timezone.now)
    assigned = models.PositiveIntegerField(_("reviews assigned"), default=0)

    class Meta:
        verbose_name = _("sampling run")
        verbose_name_plural = _("sampling runs")
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "week_start"], name="sampling_run_week_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.week_start}"
