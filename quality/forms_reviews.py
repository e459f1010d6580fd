"""The reviews pages' forms (quality/views/reviews.py). They check the shape of what was
typed; the services check the rules and their refusals are shown on the same form."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Reply, Team, User

from .models_reviews import (
    Criterion,
    DisputeOutcome,
    ReviewScore,
    ReviewStatus,
    SamplingMode,
    Scorecard,
)
from .services.reviews import (
    DESCRIPTION_MAX,
    MAX_CRITERIA,
    NAME_MAX,
    TEXT_MAX,
    CommentData,
    CriterionData,
    ScoreData,
)


class ScorecardForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=255,
        help_text=_("Kept with the new version."),
    )


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=NAME_MAX)
    description = forms.CharField(
        label=_("What the reviewer looks for"), required=False, max_length=DESCRIPTION_MAX
    )
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=100, initial=1)
    max_score = forms.IntegerField(label=_("Highest score"), min_value=1, max_value=10, initial=5)
    is_critical = forms.BooleanField(label=_("Critical"), required=False)


class BaseCriterionFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def _dropped(self, form: forms.Form) -> bool:
        return bool(self.can_delete and form.cleaned_data.get("DELETE"))

    def _kept(self, form: forms.Form) -> bool:
        """A row with a name that is not ticked for removal. Not `has_changed()`: the rows of
        the current criteria come filled in, and a row left as it was is still a criterion."""
        return bool((form.cleaned_data or {}).get("name")) and not self._dropped(form)

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        names: set[str] = set()
        kept = 0
        for form in self.forms:
            if not self._kept(form):
                continue
            kept += 1
            name = form.cleaned_data["name"].strip().casefold()
            if name in names:
                raise forms.ValidationError(_("Give each criterion its own name."))
            names.add(name)
        if not kept:
            raise forms.ValidationError(_("A scorecard needs at least one criterion."))

    def criteria(self) -> list[CriterionData]:
        return [
            CriterionData(
                name=form.cleaned_data["name"],
                description=form.cleaned_data.get("description") or "",
                weight=form.cleaned_data["weight"],
                max_score=form.cleaned_data["max_score"],
                is_critical=bool(form.cleaned_data.get("is_critical")),
            )
            for form in self.forms
            if self._kept(form)
        ]


CriterionFormSet = cast(
    type[BaseCriterionFormSet],
    forms.formset_factory(
        CriterionForm,
        formset=BaseCriterionFormSet,
        extra=2,
        can_delete=True,
        max_num=MAX_CRITERIA,
        validate_max=True,
    ),
)


def criteria_initial(criteria: Sequence[Criterion]) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "description": c.description,
            "weight": c.weight,
            "max_score": c.max_score,
            "is_critical": c.is_critical,
        }
        for c in criteria
    ]


class StartReviewForm(forms.Form):
    scorecard = forms.ModelChoiceField(
        label=_("Scorecard"), queryset=Scorecard.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, scorecards: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scorecard"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = scorecards


class ReviewForm(forms.Form):
    """A score and comment field per criterion, a comment box per message of the
    conversation, a general comment and the summary. Scores may be left empty in a draft."""

    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    general_comment = forms.CharField(
        label=_("A comment on the whole conversation"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        criteria: Sequence[Criterion],
        replies: Sequence[Reply],
        scores: Sequence[ReviewScore] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.replies = list(replies)
        given = {s.criterion_id: s for s in scores}
        for criterion in self.criteria:
            stored = given.get(criterion.pk)
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                choices=[("", "—")] + [(n, str(n)) for n in range(criterion.max_score + 1)],
                coerce=int,
                empty_value=None,
                required=False,
                initial=stored.score if stored else "",
                help_text=criterion.description,
            )
            self.fields[f"note_{criterion.pk}"] = forms.CharField(
                label=_("Comment on “%(name)s”") % {"name": criterion.name},
                required=False,
                max_length=TEXT_MAX,
                initial=stored.comment if stored else "",
            )
        for reply in self.replies:
            self.fields[f"reply_{reply.pk}"] = forms.CharField(
                label=_("Comment on this message"),
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 1}),
            )

    def score_rows(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.pk}"], self[f"note_{c.pk}"]) for c in self.criteria]

    def reply_field(self, reply: Reply) -> forms.BoundField:
        return self[f"reply_{reply.pk}"]

    def scores(self) -> list[ScoreData]:
        data = self.cleaned_data
        return [
            ScoreData(c.pk, data[f"score_{c.pk}"], data.get(f"note_{c.pk}") or "")
            for c in self.criteria
            if data.get(f"score_{c.pk}") is not None
        ]

    def comments(self) -> list[CommentData]:
        data = self.cleaned_data
        found = [
            CommentData(data[f"reply_{r.pk}"], r.pk)
            for r in self.replies
            if (data.get(f"reply_{r.pk}") or "").strip()
        ]
        if (data.get("general_comment") or "").strip():
            found.append(CommentData(data["general_comment"]))
        return found


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you disagree"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReassignForm(forms.Form):
    """Who a review still to do goes to: the reviewers `reviewers_for` offers."""

    reviewer = forms.TypedChoiceField(label=_("New reviewer"), coerce=int)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {person.pk: person for person in people}
        field = self.fields["reviewer"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((p.pk, p.display_name) for p in people)]

    def chosen(self) -> User:
        return self.people[self.cleaned_data["reviewer"]]


class SettleForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=DisputeOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Settlement note"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The agent reads it with the review."),
    )

    def __init__(
        self,
        *args: Any,
        criteria: Sequence[Criterion],
        scores: Sequence[ReviewScore],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        given = {s.criterion_id: s.score for s in scores}
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = forms.IntegerField(
                label=criterion.name,
                min_value=0,
                max_value=criterion.max_score,
                initial=given.get(criterion.pk),
                required=False,
                help_text=_("Upheld: the amended score, 0 to %(max)s.")
                % {"max": criterion.max_score},
            )

    def scores(self) -> list[ScoreData]:
        return [
            ScoreData(c.pk, self.cleaned_data[f"score_{c.pk}"])
            for c in self.criteria
            if self.cleaned_data.get(f"score_{c.pk}") is not None
        ]


class SamplingRuleForm(forms.Form):
    scorecard = forms.ModelChoiceField(
        label=_("Scorecard"), queryset=Scorecard.objects.filter(is_active=True)
    )
    reviews_per_agent = forms.IntegerField(
        label=_("Reviews per agent per week"), min_value=1, max_value=50, initial=3
    )
    mode = forms.ChoiceField(
        label=_("How tickets are chosen"),
        choices=SamplingMode.choices,
        initial=SamplingMode.WEIGHTED,
        help_text=_(
            "Weighted: a ticket with a CSAT answer of 3 or lower weighs 4, a reopened one 3, "
            "an escalated one 2, any other 1."
        ),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Agents of these teams are sampled; none chosen means every agent."),
    )
    is_active = forms.BooleanField(
        label=pgettext_lazy("sampling rule status", "Active"), required=False, initial=True
    )


class SampleWeekForm(forms.Form):
    week = forms.DateField(
        label=_("Week of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Any day of the week; it is sampled from Monday to Sunday."),
    )

    def clean_week(self) -> date:
        day: date = self.cleaned_data["week"]
        monday = day - timedelta(days=day.weekday())
        # `monday + 7 days` would overflow in year 9999: compare the other way round.
        if monday > timezone.localdate() - timedelta(days=7):
            raise forms.ValidationError(_("Choose a week that has ended."))
        if day < date(1970, 1, 1):
            raise forms.ValidationError(_("Choose a later day."))
        return monday


class ReviewFilterForm(forms.Form):
    agent = forms.ModelChoiceField(
        label=_("Agent"), queryset=User.objects.none(), required=False, empty_label=_("All agents")
    )
    reviewer = forms.ModelChoiceField(
        label=_("Reviewer"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All reviewers"),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *ReviewStatus.choices], required=False
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    disputed = forms.ChoiceField(
        label=_("Disputes"),
        choices=[("", _("Any")), ("open", _("Open disputes")), ("any", _("Disputed"))],
        required=False,
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("agent", "reviewer"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = people

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not date(1970, 1, 1) <= value <= date(2100, 1, 1):
                self.add_error(name, _("Choose a date from 1970-01-01 to 2100-01-01."))
        return data
