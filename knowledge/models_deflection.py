"""The web form's deflection and the help centre's article views (docs/knowledge.md,
docs/kpis.md "Self-service"). Imported at the end of knowledge/models.py.

No personal data: a visit is a random token the visitor's page keeps in the form, the times
suggestions were shown, opened and the form submitted; views are counters per article and
day."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ArticleView", "DeflectionShown", "DeflectionVisit"]


class DeflectionVisit(models.Model):
    """A web-form visit that was shown at least one suggested article (a row is written only
    then). `started_at` places it in a period; deflection is decided when read
    (knowledge/kpis.py): opened a suggestion and no submission within 30 minutes."""

    token = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=2)
    started_at = models.DateTimeField(_("suggestions first shown"), db_index=True)
    first_opened_at = models.DateTimeField(_("first suggestion opened"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("form submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("web-form visit")
        verbose_name_plural = _("web-form visits")

    def __str__(self) -> str:
        return f"visit {self.pk}"


class DeflectionShown(models.Model):
    """An article suggested during a visit, and when the visitor opened it, if they did."""

    visit = models.ForeignKey(DeflectionVisit, models.CASCADE, related_name="shown")
    article = models.ForeignKey("knowledge.Article", models.CASCADE, related_name="+")
    shown_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "article"], name="deflection_shown_once")
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.article_id}"


class ArticleView(models.Model):
    """How many times the help centre served an article's page on a day (TIME_ZONE)."""

    article = models.ForeignKey("knowledge.Article", models.CASCADE, related_name="+")
    day = models.DateField(db_index=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "day"], name="article_view_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day}: {self.views}"
