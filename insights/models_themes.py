"""Themes found in survey comments and ticket descriptions (insights/training/themes.py): each
training's themes, their top terms and examples, the name a manager gave them, and which
texts mention which theme — the rows every figure of a theme is counted from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Ticket
from surveys.models import SurveyResponse

NAME_MAX = 80


class Theme(models.Model):
    """One theme of one training. `number` 1 is the one the desk talks about most."""

    training = models.ForeignKey(
        "insights.TrainedModel",
        on_delete=models.CASCADE,
        related_name="themes",
        verbose_name=_("training"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    # [{"term": stem, "word": the word the desk writes for it, "weight": 0–1}], strongest first
    top_terms = models.JSONField(_("top terms"), default=list, blank=True)
    # [{"source": "comment" | "description", "ticket": id, "response": id | null, "text": …}]
    examples = models.JSONField(_("examples"), default=list, blank=True)
    texts = models.PositiveIntegerField(_("texts that mention it"), default=0)
    # A manager's name; blank: the theme is called by its top words.
    name = models.CharField(_("name"), max_length=NAME_MAX, blank=True)
    name_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("named by"),
    )
    name_edited_at = models.DateTimeField(_("named"), null=True, blank=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["training", "number"]
        constraints = [
            models.UniqueConstraint(fields=["training", "number"], name="insights_theme_number")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def words(self) -> list[str]:
        return [str(term["word"]) for term in self.top_terms]

    @property
    def label(self) -> str:
        """The manager's name, else its three top words."""
        return self.name or " · ".join(self.words[:3]) or f"#{self.number}"


class MentionSource(models.TextChoices):
    COMMENT = "comment", _("Survey comment")
    DESCRIPTION = "description", _("Ticket description")


class ThemeMention(models.Model):
    """A text that talks about a theme: a survey comment (its answer and ticket) or a
    ticket's subject and description. `at` places it in a period: the answer's
    `answered_at`, the ticket's `created_at`."""

    theme = models.ForeignKey(
        Theme,
        on_delete=models.CASCADE,
        related_name="mentions",
        verbose_name=_("theme"),
        db_index=False,  # the (theme, at) index leads with it
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    response = models.ForeignKey(
        SurveyResponse,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("survey response"),
    )
    source = models.CharField(_("source"), max_length=20, choices=MentionSource.choices)
    weight = models.FloatField(_("weight"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("theme mention")
        verbose_name_plural = _("theme mentions")
        indexes = [models.Index(fields=["theme", "at"], name="insights_mention_theme_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source="comment", response__isnull=False)
                | models.Q(source="description", response__isnull=True),
                name="insights_mention_source_matches_response",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0, weight__lte=1),
                name="insights_mention_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.theme_id} {self.source} {self.ticket_id}"
