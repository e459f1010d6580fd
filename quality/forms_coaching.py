"""The coaching forms. They parse what was typed; the services (quality/services/coaching.py)
decide what is allowed, and their errors come back onto the fields (quality/views/common.py's
`show_refusal`), so
the page shows them beside what was typed."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import User

from .models_coaching import CoachingGoal, CoachingSession, GoalComparison, GoalKpi
from .models_reviews import Review
from .selectors.coaching import discussable_reviews
from .services.coaching import session_references, split_references


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ReviewChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Review) -> str:
        when = obj.completed_at.date().isoformat() if obj.completed_at else ""
        return f"{obj.ticket.reference} · {obj.score} · {when}"


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 6}))
    tickets = forms.CharField(
        label=_("Tickets discussed"),
        required=False,
        max_length=2000,
        help_text=_("References separated by commas or spaces, e.g. PUL-000123, PUL-000124."),
    )
    reviews = ReviewChoiceField(
        label=_("Reviews discussed"),
        queryset=Review.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The agent's completed reviews."),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        agent: User,
        session: CoachingSession | None = None,
        **kwargs: Any,
    ) -> None:
        if session is not None and data is None:
            kwargs["initial"] = {
                "held_on": session.held_on,
                "notes": session.notes,
                "tickets": ", ".join(session_references(session)),
                "reviews": list(session.reviews.all()),
            }
        super().__init__(data, **kwargs)
        reviews = self.fields["reviews"]
        assert isinstance(reviews, ReviewChoiceField)
        reviews.queryset = discussable_reviews(agent)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "notes": data["notes"],
            "ticket_references": split_references(data["tickets"]),
            "review_ids": [review.pk for review in data["reviews"]],
        }


class GoalForm(forms.Form):
    kpi = forms.ChoiceField(label=_("KPI"), choices=GoalKpi.choices)
    comparison = forms.ChoiceField(label=_("Target is"), choices=GoalComparison.choices)
    target = forms.DecimalField(
        label=_("Target"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Percentages 0–100, NPS −100 to 100, CES 1–7, times in hours (more than 0)."),
    )
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    due_on = forms.DateField(label=_("Due by"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, data: Any = None, *, goal: CoachingGoal | None = None, **kwargs: Any):
        if goal is not None and data is None:
            kwargs["initial"] = {
                "kpi": goal.kpi,
                "comparison": goal.comparison,
                "target": goal.target,
                "starts_on": goal.starts_on,
                "due_on": goal.due_on,
                "note": goal.note,
            }
        super().__init__(data, **kwargs)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        target: Decimal = data["target"]
        starts_on: date = data["starts_on"]
        due_on: date = data["due_on"]
        return {
            "kpi": data["kpi"],
            "comparison": data["comparison"],
            "target": target,
            "starts_on": starts_on,
            "due_on": due_on,
            "note": data["note"],
        }


class OverviewFilterForm(forms.Form):
    """The managers' overview: every agent, or only the members of the manager's teams."""

    mine = forms.BooleanField(label=_("Only my teams"), required=False)
