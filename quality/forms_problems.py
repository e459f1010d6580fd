"""Forms of the problem pages. They parse input only; what may happen to a problem is decided
by quality.services.problems, whose refusals quality/views/common.py's `show_refusal` puts
back on the form."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import User
from cases.selectors import staff_users

from .models_problems import Problem, ProblemStatus
from .services.problems import LINK_MAX, TEXT_MAX, TITLE_MAX


def parse_ids(text: str | list[str], limit: int = LINK_MAX) -> list[int] | None:
    """`"1,2,3"` or `["1", "2"]` → [1, 2, 3], in order, once each; None if malformed or too
    many. A queue checkbox's "id:version" counts as its id."""
    values = text.split(",") if isinstance(text, str) else text
    ids: list[int] = []
    for value in values:
        value = value.strip().partition(":")[0]
        if not value:
            continue
        if not value.isdigit() or len(value) > 12:
            return None
        ids.append(int(value))
    ids = list(dict.fromkeys(ids))
    return ids if len(ids) <= limit else None


def _owners() -> QuerySet[User]:
    return staff_users().order_by("first_name", "last_name", "username")


class ProblemForm(forms.Form):
    """Open a problem (any agent; it starts investigating)."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What customers see, in their words."),
    )
    root_cause = forms.CharField(
        label=_("Root cause"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why it happens, once known."),
    )
    owner: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()  # type: ignore[attr-defined]


class ProblemEditForm(ProblemForm):
    """Change a problem, its status included (managers and admins)."""

    status = forms.ChoiceField(label=_("Status"), choices=ProblemStatus.choices)
    fix_note = forms.CharField(
        label=_("Fix"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done. Required to mark the problem fixed."),
    )
    fixed_at = forms.DateTimeField(
        label=_("Fixed on"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When the fix reached customers; now if left empty. Not in the future."),
    )

    @classmethod
    def for_problem(cls, problem: Problem, data: Any = None) -> "ProblemEditForm":
        initial = {
            "title": problem.title,
            "description": problem.description,
            "root_cause": problem.root_cause,
            "owner": problem.owner_id,
            "status": problem.status,
            "fix_note": problem.fix_note,
            "fixed_at": timezone.localtime(problem.fixed_at) if problem.fixed_at else None,
        }
        return cls(data, initial=initial)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ProblemStatus.FIXED and not (data.get("fix_note") or "").strip():
            self.add_error("fix_note", _("Say what fixed it: a fixed problem needs a fix note."))
        fixed_at = data.get("fixed_at")
        if fixed_at is not None and fixed_at > timezone.now():
            self.add_error("fixed_at", _("The fix date cannot be in the future."))
        return data


class LinkTicketForm(forms.Form):
    """The ticket page's fragment: link this ticket to one open problem."""

    problem: "forms.ModelChoiceField[Problem]" = forms.ModelChoiceField(
        label=_("Problem"), queryset=Problem.objects.none(), empty_label="—"
    )

    def __init__(self, *args: Any, problems: QuerySet[Problem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = problems  # type: ignore[attr-defined]


class BulkLinkForm(forms.Form):
    """The bulk bar's "Link to a problem": an existing open problem or a new one."""

    problem: "forms.ModelChoiceField[Problem]" = forms.ModelChoiceField(
        label=_("Problem"), queryset=Problem.objects.none(), required=False, empty_label="—"
    )
    new_title = forms.CharField(
        label=_("Or open a new problem titled"), max_length=TITLE_MAX, required=False
    )

    def __init__(self, *args: Any, problems: QuerySet[Problem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = problems  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_problem = data.get("problem") is not None
        has_title = bool((data.get("new_title") or "").strip())
        if has_problem == has_title and "problem" not in self.errors:
            self.add_error(None, _("Choose a problem or give a new one's title (one of them)."))
        return data


class BulkAnswerForm(forms.Form):
    message_es = forms.CharField(
        label=_("Message in Spanish"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    message_en = forms.CharField(
        label=_("Message in English"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Each customer gets the message in their language; when theirs is blank, the other."
        ),
    )
    resolve = forms.BooleanField(
        label=_("Resolve the tickets"),
        required=False,
        initial=True,
        help_text=_("The message is also the resolution."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = (data.get("message_es") or "").strip() or (data.get("message_en") or "").strip()
        if not given and "message_es" not in self.errors and "message_en" not in self.errors:
            self.add_error("message_es", _("Write the message in Spanish, in English or both."))
        return data
