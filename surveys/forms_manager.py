"""Forms of the survey manager pages (responses list, follow-up inbox). They parse input only;
what may happen to a follow-up is decided by `surveys.services.update_follow_up`, whose
FollowUpError `add_follow_up_error` puts back on the form."""

from datetime import date, timedelta
from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Team, User
from cases.selectors import staff_users

from .errors import FollowUpError
from .models import FollowUp, FollowUpStatus

# --- the responses list: period presets -------------------------------------------------------

# "Last N days" = today and the N − 1 days before it, in TIME_ZONE (answered_at's local date).
PERIODS = {
    "7": _("Last 7 days"),
    "30": _("Last 30 days"),
    "90": _("Last 90 days"),
}


def period_start(period: str, today: date | None = None) -> date | None:
    """The first day of a preset period, or None for an unknown preset."""
    if period not in PERIODS:
        return None
    today = today or timezone.localdate()
    return today - timedelta(days=int(period) - 1)


# --- the follow-up inbox ----------------------------------------------------------------------


class Tab:
    ALL = "all"


STATUS_TABS = [
    (FollowUpStatus.OPEN, FollowUpStatus.OPEN.label),
    (FollowUpStatus.CONTACTED, FollowUpStatus.CONTACTED.label),
    (FollowUpStatus.RESOLVED, FollowUpStatus.RESOLVED.label),
    (Tab.ALL, _("All")),
]


class Owner:
    MINE = "mine"
    NOBODY = "nobody"


class FollowUpFilterForm(forms.Form):
    """The inbox's tabs and filters (GET). Invalid values fall back to the defaults."""

    status = forms.ChoiceField(choices=STATUS_TABS, required=False, widget=forms.HiddenInput)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("level", "name"),
        required=False,
        empty_label=_("All teams"),
    )
    owner = forms.ChoiceField(
        label=_("Owner"),
        choices=[("", _("Anyone")), (Owner.MINE, _("Mine")), (Owner.NOBODY, _("Nobody yet"))],
        required=False,
    )

    DEFAULTS = {"status": FollowUpStatus.OPEN}

    def value(self, name: str):
        """The cleaned value of a field, or its default when missing or invalid."""
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return getattr(self, "cleaned_data", {}).get(name) or self.DEFAULTS.get(name)


def _active_staff_or(current: User | None) -> QuerySet[User]:
    """Active staff, plus the current owner even if they left since (so the form still shows
    them)."""
    staff = staff_users()
    if current is not None:
        staff = staff | User.objects.filter(pk=current.pk)
    return staff.distinct().order_by("first_name", "last_name", "username")


class FollowUpForm(forms.Form):
    """Owner, status and a note, saved together by `update_follow_up`."""

    owner: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("— Nobody —")
    )
    status = forms.ChoiceField(label=_("Status"), choices=FollowUpStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was agreed with the customer, what is still to do."),
    )

    def __init__(self, *args, follow_up: FollowUp, **kwargs):
        super().__init__(*args, **kwargs)
        self.follow_up = follow_up
        owner = cast("forms.ModelChoiceField[User]", self.fields["owner"])  # declared above
        owner.queryset = _active_staff_or(follow_up.owner)
        if not self.is_bound:
            self.initial.update(owner=follow_up.owner_id, status=follow_up.status)


def add_follow_up_error(form: forms.Form, exc: FollowUpError) -> None:
    """A service refusal on the field it names, or on the form as a whole."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
