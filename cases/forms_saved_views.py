"""Forms of the saved views: keeping the queue's current filters under a name, and renaming.
They parse input only; who may share, which names are taken and which filters a view may keep
is decided by `services.save_view` / `rename_view`, whose refusals land on these forms."""

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .models import Team, User
from .services.saved_views import NAME_MAX_LENGTH, QUERY_MAX_LENGTH


class SavedViewForm(forms.Form):
    """ "Save this view" under the queue's filters. `query` is the queue's query string as the
    page had it; the sharing fields are shown to managers and admins only (an agent who sends
    them anyway is refused by the service)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Urgent, unassigned")}),
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=QUERY_MAX_LENGTH)
    shared = forms.BooleanField(
        label=_("Share with the desk"),
        required=False,
        help_text=_("Otherwise only you see it."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Only for these teams"),
        queryset=Team.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every agent."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_view_%s")
        super().__init__(*args, **kwargs)
        self.may_share = user.sees_all_tickets

    def clean_query(self) -> str:
        """The page's query string without what only moves through the queue (the page
        number, a view's lasting link)."""
        query = QueryDict(self.cleaned_data.get("query") or "", mutable=True)
        for key in ("page", "view"):
            query.pop(key, None)
        return query.urlencode()

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "query": data.get("query") or "",
            "shared": bool(data.get("shared")),
            "teams": list(data.get("teams") or []),
        }


class RenameViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)

    def __init__(self, *args: Any, view_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_view_{view_id}_%s")
        super().__init__(*args, **kwargs)
        self.view_id = view_id
