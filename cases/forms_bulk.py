"""The queue's bulk action form: which tickets (each with the version the agent saw), which
action, and what the action needs."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .filters import TagsField, TagsInput
from .models import Category, Macro, Priority, Team, Ticket, User, parse_reference
from .selectors import macros_offered_to, staff_users, tickets_visible_to
from .services.bulk import BULK_MAX, BulkAction, BulkParams

ACTION_LABELS = {
    BulkAction.ASSIGN: _("Assign to"),
    BulkAction.TEAM: _("Move to team"),
    BulkAction.PRIORITY: _("Set priority"),
    BulkAction.CATEGORY: _("Set category"),
    BulkAction.ADD_TAGS: _("Add tags"),
    BulkAction.REMOVE_TAGS: _("Remove tags"),
    BulkAction.MACRO: _("Apply a macro"),
    BulkAction.RESOLVE: _("Resolve"),
    BulkAction.MERGE: _("Merge into one ticket"),
}

# The fields each action reads (the rest are ignored, and hidden by static/js/bulk.js).
ACTION_FIELDS = {
    BulkAction.ASSIGN: ("assignee",),
    BulkAction.TEAM: ("team",),
    BulkAction.PRIORITY: ("priority",),
    BulkAction.CATEGORY: ("category",),
    BulkAction.ADD_TAGS: ("tags",),
    BulkAction.REMOVE_TAGS: ("tags",),
    BulkAction.MACRO: ("macro",),
    BulkAction.RESOLVE: ("resolution",),
    BulkAction.MERGE: ("into", "notify_customer"),
}


def parse_selection(values: list[str]) -> dict[int, int | None] | None:
    """`["12:3", "15:1"]` (ticket id : the version the agent saw; the version may be
    missing) → {12: 3, 15: 1}, in order, once each. None if any value is malformed."""
    selection: dict[int, int | None] = {}
    for value in values:
        ticket, _sep, version = value.partition(":")
        if not ticket.isdigit() or len(ticket) > 12 or (version and not version.isdigit()):
            return None
        if version and len(version) > 9:
            return None
        selection.setdefault(int(ticket), int(version) if version else None)
    return selection


class BulkForm(forms.Form):
    # "id:version" per selected ticket (the queue's checkboxes), read by clean_ticket
    ticket = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", "—"), *ACTION_LABELS.items()], required=True
    )
    assignee: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False,
        empty_label=_("— Unassigned —"),
    )  # fmt: skip
    team: "forms.ModelChoiceField[Team]" = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.filter(is_active=True), required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", "—"), *Priority.choices], required=False
    )
    category: "forms.ModelChoiceField[Category]" = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False,
        empty_label=_("— No category —"),
    )  # fmt: skip
    tags = TagsField(
        label=_("Tags"),
        required=False,
        help_text=_("Separated by commas."),
        widget=TagsInput(attrs={"placeholder": _("vip, envío")}),
    )
    macro: "forms.ModelChoiceField[Macro]" = forms.ModelChoiceField(
        label=_("Macro"), queryset=Macro.objects.none(), required=False
    )
    resolution = forms.CharField(
        label=_("Resolution"), required=False, max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    into = forms.CharField(
        label=_("Merge into ticket"),
        required=False,
        max_length=30,
        help_text=_("One of the selected tickets or another one; the others merge into it."),
        widget=forms.TextInput(attrs={"placeholder": _("PUL-000123 or 123")}),
    )
    notify_customer = forms.BooleanField(
        label=_("Tell the customers by e-mail that their case continues there"), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        kwargs.setdefault("auto_id", "id_bulk_%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.selection: dict[int, int | None] = {}
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = staff_users().order_by("first_name", "last_name", "username")
        macro = self.fields["macro"]
        assert isinstance(macro, forms.ModelChoiceField)
        macro.queryset = macros_offered_to(user).order_by("title")

    def clean_ticket(self) -> list[str]:
        values = self.cleaned_data.get("ticket") or []
        if isinstance(values, str):
            values = [values]
        selection = parse_selection([str(value) for value in values])
        if selection is None:
            raise forms.ValidationError(_("The selection is malformed: reload the queue."))
        if not selection:
            raise forms.ValidationError(_("Select at least one ticket."))
        if len(selection) > BULK_MAX:
            raise forms.ValidationError(
                _("Select at most %(max)d tickets at a time.") % {"max": BULK_MAX}
            )
        self.selection = selection
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == BulkAction.PRIORITY and not cleaned.get("priority"):
            self.add_error("priority", _("Choose a priority."))
        if action == BulkAction.TEAM and not cleaned.get("team"):
            self.add_error("team", _("Choose a team."))
        if action in (BulkAction.ADD_TAGS, BulkAction.REMOVE_TAGS) and not cleaned.get("tags"):
            self.add_error("tags", _("Type at least one tag."))
        if action == BulkAction.MACRO and not cleaned.get("macro"):
            self.add_error("macro", _("Choose a macro."))
        if action == BulkAction.RESOLVE and not (cleaned.get("resolution") or "").strip():
            self.add_error("resolution", _("Say how these tickets were resolved."))
        if action == BulkAction.MERGE:
            cleaned["into_ticket"] = self._merge_target(cleaned.get("into") or "")
        return cleaned

    def _merge_target(self, reference: str) -> Ticket | None:
        if not reference.strip():
            self.add_error("into", _("Name the ticket the others merge into."))
            return None
        pk = parse_reference(reference)
        target = tickets_visible_to(self.user).filter(pk=pk).first() if pk else None
        if target is None:
            self.add_error("into", _("No ticket you can see has this reference."))
        return target

    def params(self) -> BulkParams:
        data = self.cleaned_data
        return BulkParams(
            assignee=data.get("assignee"),
            team=data.get("team"),
            priority=data.get("priority") or "",
            category=data.get("category"),
            tags=data.get("tags") or (),
            macro=data.get("macro"),
            resolution=data.get("resolution") or "",
            into=data.get("into_ticket"),
            notify_customer=bool(data.get("notify_customer")),
        )
