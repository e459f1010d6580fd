"""The survey page's form. It only parses what the browser sent: which answers are acceptable
(the scales, the questions asked, the comment's length) is `services.clean_answer`'s to say,
and its errors are put back on the form with `add_answer_errors`."""

from dataclasses import dataclass

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import SCALES, Question, SurveyInvitation

# docs/kpis.md's wording: the question, and what the two ends of its scale mean.
WORDING = {
    Question.CSAT: (
        _("How satisfied are you with the service you received?"),
        _("Very dissatisfied"),
        _("Very satisfied"),
    ),
    Question.CES: (
        _("How easy was it to get your issue resolved?"),
        _("Very difficult"),
        _("Very easy"),
    ),
    Question.NPS: (
        _("How likely are you to recommend us to a friend or colleague?"),
        _("Not at all likely"),
        _("Extremely likely"),
    ),
}

# A score is a few digits. Longer input is refused here, before it reaches int() (Python
# refuses to convert strings of more than 4300 digits).
SCORE_MAX_LENGTH = 10


@dataclass(frozen=True)
class Score:
    value: int
    checked: bool
    label: Promise | None  # the end labels, for screen readers


@dataclass(frozen=True)
class ScaleQuestion:
    """What the template needs to draw one question as a row of radio buttons."""

    name: str
    text: Promise
    low: int
    high: int
    low_label: Promise
    high_label: Promise
    scores: list[Score]
    field: forms.BoundField

    @property
    def errors(self):
        return self.field.errors


def _score_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=SCORE_MAX_LENGTH,
        error_messages={"max_length": _("That is not one of the scores.")},
    )


class SurveyAnswerForm(forms.Form):
    csat = _score_field()
    ces = _score_field()
    nps = _score_field()
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        required=False,
        strip=False,  # clean_answer strips and measures it
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, invitation: SurveyInvitation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    @property
    def asked(self) -> list[str]:
        """The invitation's questions, in the order of the scales."""
        return [q.value for q in SCALES if q in self.invitation.questions]

    def questions(self) -> list[ScaleQuestion]:
        drawn = []
        for question in SCALES:
            if question not in self.invitation.questions:
                continue
            name = question.value
            low, high = SCALES[question]
            text, low_label, high_label = WORDING[question]
            field = self[name]
            chosen = str(field.value() or "").strip()
            scores = [
                Score(
                    value=value,
                    checked=chosen == str(value),
                    label=low_label if value == low else high_label if value == high else None,
                )
                for value in range(low, high + 1)
            ]
            drawn.append(ScaleQuestion(name, text, low, high, low_label, high_label, scores, field))
        return drawn

    def clean(self):
        # A score that is not on the page has nowhere to show its error: show it at the top.
        for name in ("csat", "ces", "nps"):
            if name not in self.asked and name in self._errors:
                for message in self._errors.pop(name):
                    self.add_error(None, f"{Question(name).label}: {message}")
        return self.cleaned_data

    def answer(self) -> dict:
        """The keyword arguments of `answer_survey`, as typed. Every score is passed, asked or
        not, so that an answer to a question not asked is refused rather than ignored."""
        return {name: self.cleaned_data.get(name) for name in ("csat", "ces", "nps", "comment")}

    def add_answer_errors(self, errors: dict[str, str]) -> None:
        """Put `InvalidAnswer.errors` on the form: on the question when it is on the page,
        otherwise at the top, named."""
        for key, message in errors.items():
            if key == "comment" or key in self.asked:
                self.add_error(key, message)
            elif key in Question.values:
                self.add_error(None, f"{Question(key).label}: {message}")
            else:
                self.add_error(None, message)
