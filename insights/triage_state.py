"""What the ticket page's triage panel and the API show for a ticket: the suggestions, or in
one sentence why there are none. Read-only."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from cases import lifecycle
from cases.lifecycle import Action
from cases.models import Ticket
from insights import store
from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.predict import Suggestion, suggest_for


@dataclass(frozen=True)
class TriageState:
    can_classify: bool  # the lifecycle still allows classifying the ticket
    suggestions: list[Suggestion]
    message: str  # why there is nothing to show ("" when there are suggestions)


def triage_state(ticket: Ticket) -> TriageState:
    if not lifecycle.is_allowed(Action.CLASSIFY, ticket.status):
        return TriageState(False, [], _("This ticket can no longer be classified."))
    suggestions = suggest_for(ticket)
    if suggestions:
        return TriageState(True, suggestions, "")
    return TriageState(True, [], why_no_suggestions())


def why_no_suggestions() -> str:
    """One sentence: too little history yet, no training yet, the last one failed, or the
    model has nothing to say about this ticket."""
    if store.latest(ModelKind.TRIAGE) is not None:
        return _("Nothing to suggest for this ticket: its words tell the model too little.")
    last = TrainedModel.objects.filter(kind=ModelKind.TRIAGE).order_by("-trained_at", "-pk").first()
    if last is None:
        return _("Suggestions start after the first training on the desk's tickets.")
    if last.status == ModelStatus.TOO_LITTLE_DATA:
        return _(
            "Suggestions start once %(needed)s tickets have been classified (%(have)s so far)."
        ) % {"needed": last.quality.get("needed", "?"), "have": last.quality.get("have", 0)}
    return _("No suggestions for now: the last training failed (the admins can see why).")
