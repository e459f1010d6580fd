"""Applying a triage suggestion: the only code that writes `AppliedSuggestion` rows.

A suggestion is an aid: it changes a ticket only when an agent accepts it (`by` = the agent)
or when an admin's auto-apply rule for the field is on and the model is at least the rule's
threshold sure (`by=None`, the desk on its own — see services/auto_apply.py). Either way the
suggestion is worked out again here from the model in use: the value a page or a client
posts is never trusted, only compared. The ticket changes through cases'
`classify_ticket` (its lock, version check, lifecycle, transfer rules and CLASSIFIED event,
which says the change was suggested and how sure the model was).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from cases import lifecycle
from cases.errors import ConflictError, PermissionDenied
from cases.lifecycle import Action
from cases.models import Category, Team, Ticket, User
from cases.selectors import can_see_ticket
from cases.services import classify_ticket
from insights.errors import InsightsError
from insights.models import AppliedSuggestion, AutoApplyRule, SuggestionOutcome, TriageField
from insights.predict import Suggestion, suggest_for
from insights.wording import sure_percent


def current_suggestion(ticket: Ticket, field: str) -> Suggestion | None:
    """What the model in use suggests for `field` of `ticket` now (None: nothing)."""
    return next((s for s in suggest_for(ticket) if s.field == field), None)


@transaction.atomic
def apply_suggestion(
    *,
    ticket: Ticket,
    field: str,
    value: str,
    by: User | None,
    expected_version: int | None = None,
) -> AppliedSuggestion:
    """Set `field` of `ticket` to `value`, the model's suggestion for it now.

    Refused with an `InsightsError` (nothing written) when the field is not a triage field,
    when the model suggests nothing or something else now, when the ticket already has the
    value, and — for the desk on its own (`by=None`) — when the field's auto-apply rule is off
    or the model is less sure than its threshold. `classify_ticket` refuses a ticket the
    agent can't work on (PermissionDenied), a closed or merged one (TransitionError) and a
    stale `expected_version` (ConflictError)."""
    if field not in TriageField.values:
        raise InsightsError(_("There are no suggestions for this field."), field="field")
    # The row as it is now (and held until the end): the suggestion reads its text.
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    # What classify_ticket would refuse, refused first: a suggestion is not worked out for a
    # ticket the agent can't work on, a stale page or a ticket that can't be classified.
    if by is not None and not can_see_ticket(by, locked):
        raise PermissionDenied(_("You cannot work on this ticket."))
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(
            _("Someone else changed this ticket a moment ago. Reload it and try again."),
            status=locked.status,
        )
    lifecycle.transition(Action.CLASSIFY, locked.status)
    suggestion = current_suggestion(locked, field)
    if suggestion is None:
        raise InsightsError(_("There is no suggestion for this field now."), field="value")
    if suggestion.value != str(value):
        raise InsightsError(
            _("This is not what the model suggests now: reload the suggestions."), field="value"
        )
    if suggestion.current:
        raise InsightsError(_("The ticket already has this value."), field="value")
    automatic = by is None
    if automatic:
        _check_rule(field, suggestion.confidence)
    source: dict[str, object] = {
        "suggested": {
            "field": field,
            "confidence": suggestion.confidence,
            "percent": sure_percent(suggestion.confidence),  # as the timeline words it
            "automatic": automatic,
            "model": suggestion.model.pk,
        }
    }
    # predict offers only active categories and teams; classify_ticket checks again.
    if field == TriageField.CATEGORY:
        category = Category.objects.get(pk=int(suggestion.value))
        classified = classify_ticket(
            ticket=locked,
            by=by,
            category=category,
            expected_version=expected_version,
            source=source,
        )
    elif field == TriageField.TEAM:
        team = Team.objects.get(pk=int(suggestion.value))
        classified = classify_ticket(
            ticket=locked, by=by, team=team, expected_version=expected_version, source=source
        )
    else:
        classified = classify_ticket(
            ticket=locked,
            by=by,
            priority=suggestion.value,
            expected_version=expected_version,
            source=source,
        )
    return AppliedSuggestion.objects.create(
        ticket=classified,
        field=field,
        value=suggestion.value,
        label=suggestion.label[:200],
        confidence=suggestion.confidence,
        model=suggestion.model,
        outcome=SuggestionOutcome.AUTOMATIC if automatic else SuggestionOutcome.ACCEPTED,
        by=by,
    )


def _check_rule(field: str, confidence: float) -> None:
    rule = AutoApplyRule.objects.filter(field=field, enabled=True).first()
    if rule is None:
        raise InsightsError(
            _("Suggestions for this field are applied only when an agent accepts them."),
            field="field",
        )
    if confidence < float(rule.threshold):
        raise InsightsError(
            _("The model is less sure than the auto-apply threshold for this field."),
            field="value",
        )
