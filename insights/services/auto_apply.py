"""Auto-apply: the admin's rules (per triage field, on or off and how sure the model must be)
and applying them to a new ticket. The only code that writes `AutoApplyRule` rows.

A new ticket is read once, right after it is registered (`insights.receivers`, after the
commit, in a Celery task): for each switched-on field whose suggestion is at least the rule's
threshold sure and is not the ticket's value already, the suggestion is applied as the desk's
own change (`apply_suggestion(by=None)`). A field already changed by a suggestion (applied or
accepted) is never touched again, so a retried task applies nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import CasesError
from cases.models import EventKind, Status, Ticket, TicketEvent, User
from cases.permissions import is_admin
from insights.models import AppliedSuggestion, AutoApplyRule, SuggestionOutcome, TriageField
from insights.predict import suggest_for
from insights.services.suggestions import apply_suggestion

logger = logging.getLogger(__name__)

LOWEST = Decimal("0.50")
HIGHEST = Decimal("0.99")
DEFAULT_THRESHOLD = Decimal("0.90")
# Tickets a suggestion can no longer change.
_SETTLED = (Status.CLOSED, Status.MERGED)


class RuleRefused(Exception):
    """The rule was not saved: the message says why (shown to the admin)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def may_set_rules(user: User | None) -> bool:
    """Who may change the auto-apply rules: admins (`cases.permissions.is_admin`)."""
    return is_admin(user)


def rules() -> dict[str, AutoApplyRule]:
    """Every triage field's rule, as saved or the default (off, 0.90) when never saved."""
    saved = {rule.field: rule for rule in AutoApplyRule.objects.select_related("updated_by")}
    return {
        field: saved.get(field) or AutoApplyRule(field=field, threshold=DEFAULT_THRESHOLD)
        for field in TriageField.values
    }


@transaction.atomic
def set_rule(*, field: str, enabled: bool, threshold: Decimal, by: User) -> AutoApplyRule:
    """Switch auto-apply for `field` on or off at `threshold` (0.50–0.99). Admins only. A
    save that changes nothing leaves the rule (and who last changed it) as it was."""
    if not may_set_rules(by):
        raise RuleRefused(_("Only an admin may change the auto-apply rules."))
    if field not in TriageField.values:
        raise RuleRefused(_("Unknown field: %s") % field, field="field")
    try:
        threshold = Decimal(threshold).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise RuleRefused(_("The threshold must be a number."), field="threshold") from None
    if not LOWEST <= threshold <= HIGHEST:
        raise RuleRefused(
            _("The threshold must be between %(low)s and %(high)s.")
            % {"low": LOWEST, "high": HIGHEST},
            field="threshold",
        )
    rule = AutoApplyRule.objects.select_for_update().filter(field=field).first()
    if rule is None:
        rule = AutoApplyRule(field=field)
        if not enabled and threshold == rule.threshold:  # as it always was: nobody changed it
            return rule
    elif rule.enabled == bool(enabled) and rule.threshold == threshold:
        return rule
    rule.enabled = bool(enabled)
    rule.threshold = threshold
    rule.updated_by = by
    rule.updated_at = timezone.now()
    rule.save()
    return rule


def any_enabled() -> bool:
    return AutoApplyRule.objects.filter(enabled=True).exists()


@dataclass(frozen=True)
class FieldCounts:
    automatic: int  # tickets the desk changed on its own
    accepted: int  # tickets an agent changed by accepting the suggestion


def applied_counts(days: int = 30) -> dict[str, FieldCounts]:
    """Per triage field, how many tickets suggestions changed in the last `days` days."""
    since = timezone.now() - timedelta(days=days)
    found: dict[tuple[str, str], int] = {
        (row["field"], row["outcome"]): row["tickets"]
        for row in AppliedSuggestion.objects.filter(at__gte=since)
        .values("field", "outcome")
        .annotate(tickets=Count("ticket", distinct=True))
        .order_by()
    }
    return {
        field: FieldCounts(
            automatic=found.get((field, SuggestionOutcome.AUTOMATIC), 0),
            accepted=found.get((field, SuggestionOutcome.ACCEPTED), 0),
        )
        for field in TriageField.values
    }


def _changed_by_people(ticket: Ticket) -> set[str]:
    """The triage fields someone classified by hand since the ticket came in: left alone."""
    touched: set[str] = set()
    events = TicketEvent.objects.filter(
        ticket=ticket, kind=EventKind.CLASSIFIED, actor__isnull=False
    ).values_list("data", flat=True)
    for data in events:
        changes = data.get("changes", {}) if isinstance(data, dict) else {}
        touched.update(field for field in changes if field in TriageField.values)
    return touched


def apply_rules(ticket: Ticket) -> list[str]:
    """Apply the switched-on rules to `ticket`; answers the fields changed. Never raises for a
    ticket that can't be classified any more (closed, merged, gone): it is left alone."""
    enabled = {rule.field: rule for rule in AutoApplyRule.objects.filter(enabled=True)}
    if not enabled:
        return []
    current = Ticket.objects.filter(pk=ticket.pk).first()
    if current is None or current.status in _SETTLED:
        return []
    touched = _changed_by_people(current)
    wanted = [
        s
        for s in suggest_for(current)
        if s.field in enabled
        and s.field not in touched
        and not s.current
        and s.confidence >= float(enabled[s.field].threshold)
    ]
    changed: list[str] = []
    for suggestion in wanted:
        with transaction.atomic():
            # The ticket's row lock makes a second run (a retry) wait, then see the first's work.
            locked = Ticket.objects.select_for_update().filter(pk=current.pk).first()
            if locked is None or locked.status in _SETTLED:
                return changed
            done = AppliedSuggestion.objects.filter(ticket=locked, field=suggestion.field)
            if done.exists():
                continue
            try:
                apply_suggestion(
                    ticket=locked, field=suggestion.field, value=suggestion.value, by=None
                )
            except CasesError as refused:  # the lifecycle, the rule or the model says no now
                logger.info(
                    "auto-apply of %s to ticket %s refused: %s",
                    suggestion.field,
                    locked.pk,
                    refused,
                )
                continue
        changed.append(suggestion.field)
    return changed
