"""Coaching: sessions with an agent and goals tied to a KPI (docs/quality.md). A goal's
progress is never stored: it is read from the KPI engine for the goal's dates."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Ticket

from .models_reviews import Review


class CoachingSession(models.Model):
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coaching_sessions",
        verbose_name=_("agent"),
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("coach"),
    )
    held_on = models.DateField(_("date"))
    notes = models.TextField(_("notes"))
    tickets = models.ManyToManyField(
        Ticket, blank=True, related_name="+", verbose_name=_("tickets discussed")
    )
    reviews = models.ManyToManyField(
        Review, blank=True, related_name="coaching_sessions", verbose_name=_("reviews discussed")
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("coaching session")
        verbose_name_plural = _("coaching sessions")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.agent} {self.held_on}"


class GoalKpi(models.TextChoices):
    """The KPIs a goal may follow, as the KPI engine names them."""

    CSAT = "csat", _("CSAT %")
    NPS = "nps", _("NPS")
    CES = "ces", _("CES")
    FRT_MEDIAN = "frt_median", _("Median first response time (hours)")
    ART_MEDIAN = "art_median", _("Median resolution time (hours)")
    FCR = "fcr", _("First contact resolution %")
    REOPEN_RATE = "reopen_rate", _("Reopen rate %")
    ESCALATION_RATE = "escalation_rate", _("Escalation rate %")
    IQS = "iqs", _("Internal quality score")


class GoalComparison(models.TextChoices):
    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")


class CoachingGoal(models.Model):
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coaching_goals",
        verbose_name=_("agent"),
    )
    kpi = models.CharField(_("KPI"), max_length=20, choices=GoalKpi.choices)
    comparison = models.CharField(_("target is"), max_length=10, choices=GoalComparison.choices)
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2)
    starts_on = models.DateField(_("from"))
    due_on = models.DateField(_("by"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("set"), default=timezone.now)

    class Meta:
        verbose_name = _("coaching goal")
        verbose_name_plural = _("coaching goals")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("starts_on")), name="coaching_goal_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.get_kpi_display()}"
