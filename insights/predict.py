"""Reading a ticket with the triage model in use: a suggested category, team and priority,
each with the model's confidence. A field is suggested only when its model beat the
commonest-value baseline on the hold-out (a model no better than always saying "Normal"
is no aid), and only values still in use (an active category, an active team)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cases.models import Category, Priority, Team, Ticket
from insights import store
from insights.models import ModelKind, TrainedModel, TriageField
from insights.training.triage import ticket_text


@dataclass(frozen=True)
class Suggestion:
    field: str  # TriageField
    value: str  # a category or team pk as text, or a Priority value
    label: str  # what the agent reads (the category's name, "High"…)
    confidence: float  # 0–1: the model's probability for this value
    model: TrainedModel
    current: bool  # the ticket already has this value


def field_is_useful(model: TrainedModel, field: str) -> bool:
    """The field's model beat always answering the commonest value on the newest fifth."""
    figures = model.quality.get("fields", {}).get(field)
    if not figures:
        return False
    return bool(
        figures["accuracy"] > figures["baseline_accuracy"]
        or figures["macro_f1"] > figures["baseline_macro_f1"] + 0.1
    )


def _choices(field: str) -> dict[str, str]:
    """The values a suggestion may name now, as value → label."""
    if field == TriageField.CATEGORY:
        return {
            str(pk): name
            for pk, name in Category.objects.filter(is_active=True).values_list("pk", "name")
        }
    if field == TriageField.TEAM:
        return {
            str(pk): name
            for pk, name in Team.objects.filter(is_active=True).values_list("pk", "name")
        }
    return {value: str(label) for value, label in Priority.choices}


def suggest(subject: str, description: str) -> list[Suggestion]:
    """The triage suggestions for a text (none without a model or a useful field)."""
    loaded = store.load(ModelKind.TRIAGE)
    if loaded is None:
        return []
    model, payload = loaded
    matrix = payload["vectorizer"].transform([ticket_text(subject, description)])
    if matrix.nnz == 0:  # no word the desk has seen: nothing to go by
        return []
    found = []
    for field in TriageField.values:
        classifier: Any = payload["classifiers"].get(field)
        if classifier is None or not field_is_useful(model, field):
            continue
        allowed = _choices(field)
        ranked = sorted(
            zip(classifier.classes_, classifier.predict_proba(matrix)[0], strict=True),
            key=lambda pair: -pair[1],
        )
        for value, probability in ranked:
            if str(value) in allowed:
                found.append(
                    Suggestion(
                        field=field,
                        value=str(value),
                        label=allowed[str(value)],
                        confidence=round(float(probability), 4),
                        model=model,
                        current=False,
                    )
                )
                break
    return found


def current_value(ticket: Ticket, field: str) -> str:
    if field == TriageField.CATEGORY:
        return str(ticket.category_id or "")
    if field == TriageField.TEAM:
        return str(ticket.team_id or "")
    return ticket.priority


def suggest_for(ticket: Ticket) -> list[Suggestion]:
    """`suggest` for a ticket, each marked whether the ticket already has it."""
    return [
        Suggestion(
            field=s.field,
            value=s.value,
            label=s.label,
            confidence=s.confidence,
            model=s.model,
            current=current_value(ticket, s.field) == s.value,
        )
        for s in suggest(ticket.subject, ticket.description)
    ]
