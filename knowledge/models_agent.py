"""Agents' use of articles in replies (docs/knowledge.md, "For agents"). Imported at the end
of knowledge/models.py.

An `ArticleUse` is written when an agent inserts an article into a ticket's reply box; the
inserted text carries nothing hidden. Whether the article was then *sent* is read, not
stored: a use counts as sent when its ticket has a public agent reply written at or after it
(knowledge/agent_tools.py). An `ArticleSource` names the ticket a draft was made from."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Article

__all__ = ["ArticleSource", "ArticleUse", "UseKind"]


class UseKind(models.TextChoices):
    LINK = "link", _("Link")
    TEXT = "text", _("Text")


class ArticleUse(models.Model):
    """An agent inserted an article (a link to it or its text) into a ticket's reply box."""

    article = models.ForeignKey(
        Article, models.CASCADE, related_name="uses", verbose_name=_("article")
    )
    ticket = models.ForeignKey(
        "cases.Ticket", models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    language = models.CharField(_("language"), max_length=2)
    kind = models.CharField(_("kind"), max_length=4, choices=UseKind.choices)
    created_at = models.DateTimeField(_("inserted"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["article", "ticket"], name="knowledge_use_article_ticket")]
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")

    def __str__(self) -> str:
        return f"{self.article_id} → {self.ticket_id} ({self.kind})"


class ArticleSource(models.Model):
    """The ticket an article was drafted from ("Turn this answer into an article")."""

    article = models.OneToOneField(
        Article, models.CASCADE, related_name="source", verbose_name=_("article")
    )
    ticket = models.ForeignKey(
        "cases.Ticket", models.CASCADE, related_name="+", verbose_name=_("source ticket")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("drafted by")
    )
    created_at = models.DateTimeField(_("drafted"), auto_now_add=True)

    class Meta:
        verbose_name = _("article source")
        verbose_name_plural = _("article sources")

    def __str__(self) -> str:
        return f"{self.article_id} ← {self.ticket_id}"
