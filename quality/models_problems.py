"""Problems, the macro closed loop: many customers' tickets share one cause; it is found,
fixed once, and its tickets answered together (docs/quality.md)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import Status, Ticket
from surveys.models import FollowUp


class ProblemStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    KNOWN_ERROR = "known_error", _("Known error")
    FIXED = "fixed", _("Fixed")


class Problem(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems_owned",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"),
        max_length=15,
        choices=ProblemStatus.choices,
        default=ProblemStatus.INVESTIGATING,
    )
    fix_note = models.TextField(_("fix"), blank=True)
    fixed_at = models.DateTimeField(_("fixed"), null=True, blank=True)
    # Where the problem was opened from: {"kind": "driver" | "follow_ups" | "theme" | "tickets", …}.
    origin = models.JSONField(_("opened from"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    tickets = models.ManyToManyField(
        Ticket,
        through="ProblemTicket",
        related_name="problems",
        verbose_name=_("tickets"),
    )

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="problem_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="fixed") | Q(fixed_at__isnull=False),
                name="problem_fixed_has_date",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProblemTicket(models.Model):
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="links", verbose_name=_("problem")
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="problem_links", verbose_name=_("ticket")
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)

    class Meta:
        verbose_name = _("linked ticket")
        verbose_name_plural = _("linked tickets")
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "ticket"], name="problem_ticket_unique")
        ]
        indexes = [models.Index(fields=["ticket"], name="problem_link_ticket")]

    def __str__(self) -> str:
        return f"{self.problem} · {self.ticket.reference}"


class ProblemFollowUp(models.Model):
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="follow_up_links", verbose_name=_("problem")
    )
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="+", verbose_name=_("follow-up")
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)

    class Meta:
        verbose_name = _("linked follow-up")
        verbose_name_plural = _("linked follow-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "follow_up"], name="problem_follow_up_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem} · {self.follow_up_id}"


class ProblemEvent(models.Model):
    """The problem's history: opened, changed, linked, fixed, answered in bulk."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="events", verbose_name=_("problem")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("what happened"), max_length=30)
    data = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("problem event")
        verbose_name_plural = _("problem events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.problem} {self.kind}"


class ProblemBulkAnswer(models.Model):
    """One message sent to every open linked ticket (each in its own transaction, each
    customer in their language); `results` lists each ticket's outcome, refusals included."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="bulk_answers", verbose_name=_("problem")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )
    at = models.DateTimeField(_("sent"), default=timezone.now)
    message_es = models.TextField(_("message in Spanish"), blank=True)
    message_en = models.TextField(_("message in English"), blank=True)
    resolve = models.BooleanField(_("resolve the tickets"), default=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # [{"ticket": id, "reference": "…", "outcome": "answered" | "refused" | "skipped",
    #   "code": "already" | "not_open_now" | "error" (worded when read), "status": "resolved",
    #   "reason": "…" (a refusal's words from the cases services; older rows' only wording)}]
    results = models.JSONField(_("results"), default=list, blank=True)

    class Meta:
        verbose_name = _("bulk answer")
        verbose_name_plural = _("bulk answers")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(message_es="") | ~Q(message_en=""),
                name="problem_bulk_answer_has_message",
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem} {self.at:%Y-%m-%d}"

    def worded_results(self) -> list[dict[str, Any]]:
        """`results` with each reason worded in the reader's language: the worker stores codes
        (a status, why), since it runs in its own language. Older rows keep their words."""
        return [{**row, "reason": result_reason(row)} for row in self.results]


def result_reason(row: dict[str, Any]) -> str:
    """Why a ticket was skipped or refused, in the active language."""
    code = row.get("code")
    status = str(Status(row["status"]).label).lower() if row.get("status") in Status.values else ""
    if code == "already":
        return gettext("Already %(status)s.") % {"status": status}
    if code == "not_open_now":
        return gettext("It is %(status)s now: nothing sent.") % {"status": status}
    if code == "error":
        return gettext("It could not be answered (an error); nothing was sent.")
    return str(row.get("reason", ""))
