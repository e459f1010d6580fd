"""What insights keeps: each trained model's record (the artefact itself is a file under
`INSIGHTS_MODEL_DIR`, shared by every host like `media/`), the admin's auto-apply rules and
the triage suggestions agents accepted or the desk applied on its own."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Ticket


class ModelKind(models.TextChoices):
    TRIAGE = "triage", _("Triage suggestions")
    SIMILAR = "similar", _("Similar solved cases")
    THEMES = "themes", _("Themes")
    SENTIMENT = "sentiment", _("Comment sentiment")


class ModelStatus(models.TextChoices):
    READY = "ready", _("Ready")
    TOO_LITTLE_DATA = "too_little_data", _("Too little history")
    FAILED = "failed", _("Training failed")


class TrainedModel(models.Model):
    """One training of one kind of model. The newest ready one of a kind is the one in use;
    a training on data that hasn't changed since the last (same `fingerprint`) writes no
    new row."""

    kind = models.CharField(_("kind"), max_length=20, choices=ModelKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=ModelStatus.choices)
    trained_at = models.DateTimeField(_("trained"), default=timezone.now)
    seconds = models.FloatField(_("training time (seconds)"), default=0)
    documents = models.PositiveIntegerField(_("texts learned from"), default=0)
    # What the data looked like (counts, newest change): the same means nothing to learn.
    fingerprint = models.CharField(_("data fingerprint"), max_length=64, blank=True)
    quality = models.JSONField(_("measured quality"), default=dict, blank=True)
    # Why there is no model (too little history, the error): for the admin's page.
    message = models.TextField(_("message"), blank=True)
    artifact = models.CharField(_("file"), max_length=200, blank=True)
    artifact_sha256 = models.CharField(_("file checksum"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("trained model")
        verbose_name_plural = _("trained models")
        ordering = ["-trained_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "status", "-trained_at"], name="insights_model_latest")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.trained_at:%Y-%m-%d %H:%M}"


class TrainingLease(models.Model):
    """Who is training a kind now, until when: the nightly beat and an admin's "Train now"
    (or two hosts' workers) never learn the same kind at once. A lease past `until` is free
    (a worker that died holding it)."""

    kind = models.CharField(_("kind"), max_length=20, choices=ModelKind.choices, primary_key=True)
    holder = models.CharField(_("holder"), max_length=32, blank=True)
    until = models.DateTimeField(_("held until"))

    class Meta:
        verbose_name = _("training lease")
        verbose_name_plural = _("training leases")

    def __str__(self) -> str:
        return f"{self.kind} until {self.until:%Y-%m-%d %H:%M}"


class TriageField(models.TextChoices):
    CATEGORY = "category", _("Category")
    TEAM = "team", _("Team")
    PRIORITY = "priority", _("Priority")


class AutoApplyRule(models.Model):
    """An admin's choice: apply the triage suggestion for `field` to new tickets on its own
    when the model is at least `threshold` sure. Off unless switched on."""

    field = models.CharField(_("field"), max_length=20, choices=TriageField.choices, unique=True)
    enabled = models.BooleanField(_("apply on its own"), default=False)
    threshold = models.DecimalField(
        _("confidence at least"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.90"),
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("0.99"))],
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("auto-apply rule")
        verbose_name_plural = _("auto-apply rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=Decimal("0.50"), threshold__lte=Decimal("0.99")),
                name="insights_autoapply_threshold_range",
            )
        ]

    def __str__(self) -> str:
        return self.get_field_display()


class SuggestionOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted by an agent")
    AUTOMATIC = "automatic", _("Applied automatically")


class AppliedSuggestion(models.Model):
    """A triage suggestion that changed a ticket: who (None: the desk on its own), what,
    how sure the model was and which model it was."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    field = models.CharField(_("field"), max_length=20, choices=TriageField.choices)
    value = models.CharField(_("value"), max_length=100)
    label = models.CharField(_("shown as"), max_length=200)
    confidence = models.FloatField(_("confidence"))
    model = models.ForeignKey(
        TrainedModel, on_delete=models.PROTECT, related_name="+", verbose_name=_("model")
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=SuggestionOutcome.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("applied suggestion")
        verbose_name_plural = _("applied suggestions")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["ticket", "field"], name="insights_applied_ticket")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome="automatic", by__isnull=True)
                | models.Q(outcome="accepted", by__isnull=False),
                name="insights_applied_by_matches_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1),
                name="insights_applied_confidence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.field}={self.value}"


# The themes' models live in their own file, part of this app all the same.
from insights.models_themes import MentionSource as MentionSource  # noqa: E402
from insights.models_themes import Theme as Theme  # noqa: E402
from insights.models_themes import ThemeMention as ThemeMention  # noqa: E402
