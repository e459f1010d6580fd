"""Forms of the agent workspace. They parse input only; every rule about what may happen to
a ticket or a customer stays in `cases.services`, whose errors `add_service_error` puts back
on the form."""

import re
from collections.abc import Iterable
from secrets import token_hex
from typing import Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import lifecycle
from .errors import CasesError
from .filters import TagsField, TagsInput
from .lifecycle import Action
from .models import (
    Category,
    Channel,
    Customer,
    Language,
    Macro,
    MacroStatus,
    Organisation,
    Priority,
    Team,
    Ticket,
    User,
    parse_reference,
)
from .selectors import assignable_agents, customers_with_email, last_event_id, staff_users


def add_service_error(form: forms.Form, exc: CasesError) -> None:
    """A service's ValidationError on the field it names, or on the form as a whole."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


FieldT = TypeVar("FieldT", bound=forms.Field)


def _field(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """The form's own copy of its field `name`, declared as a `kind`."""
    field = form.fields[name]
    assert isinstance(field, kind), f"{name} is declared a {kind.__name__}"
    return field


def _textarea(rows: int = 3, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _active_or_current(queryset, current):
    """Active rows, plus the one currently in use even if it was retired since."""
    if current is None:
        return queryset.filter(is_active=True)
    return queryset.filter(is_active=True) | queryset.filter(pk=current.pk)


# --- ticket actions ---------------------------------------------------------------------------


class TicketActionForm(forms.Form):
    """Base of every form that acts on a ticket: carries the version the user saw, so a
    change made meanwhile by someone else is refused instead of overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, ticket: Ticket, slug: str, **kwargs):
        kwargs.setdefault("auto_id", f"id_{slug.replace('-', '_')}_%s")
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.slug = slug
        if not self.is_bound:
            self.initial.setdefault("version", ticket.version)

    def clean(self):
        cleaned = super().clean()
        if "version" in self.errors:
            self.add_error(None, _("This form is out of date: reload the ticket and try again."))
        return cleaned

    def refresh_version(self, version: int) -> None:
        """After a conflict the page shows the ticket as it is now: a new submit acts on that,
        and keeps what the user typed."""
        if self.is_bound:
            # Bound data is a request's QueryDict or a plain dict: both copy to a mutable one.
            data = cast("QueryDict | dict[str, Any]", self.data).copy()
            data["version"] = str(version)
            self.data = data


class ClassifyForm(TicketActionForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— No category —"),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=None,
        help_text=_("Another team takes it over at the same level (escalating raises it)."),
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        _field(self, "category", forms.ModelChoiceField).queryset = _active_or_current(
            Category.objects.order_by("name"), ticket.category
        )
        if ticket.team_id is None:
            del self.fields["team"]  # a ticket without a team gets one by escalating
        else:
            _field(self, "team", forms.ModelChoiceField).queryset = _active_or_current(
                Team.objects.order_by("name"), ticket.team
            )
            self.initial.setdefault("team", ticket.team_id)
        if not self.is_bound:
            self.initial.update(
                subject=ticket.subject,
                category=ticket.category_id,
                priority=ticket.priority,
                channel=ticket.channel,
            )


class AssignForm(TicketActionForm):
    assignee: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(  # not generic at run time
        label=_("Assignee"), queryset=None, required=False, empty_label=_("— Unassigned —")
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        _field(self, "assignee", forms.ModelChoiceField).queryset = assignable_agents(ticket)
        if not self.is_bound:
            self.initial["assignee"] = ticket.assignee_id


class TagsForm(TicketActionForm):
    add = TagsField(
        label=_("Add tags"),
        required=False,
        help_text=_("Separated by commas."),
        widget=TagsInput(attrs={"placeholder": _("vip, envío")}),
    )
    remove = forms.MultipleChoiceField(
        label=_("Remove"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        current = list(ticket.tags.values_list("name", flat=True))
        _field(self, "remove", forms.MultipleChoiceField).choices = [(n, n) for n in current]
        if not current:
            del self.fields["remove"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("add") and not cleaned.get("remove") and not self.errors:
            raise forms.ValidationError(_("Type a tag to add or tick one to remove."))
        return cleaned


class MultipleFileInput(forms.FileInput):
    """A file input that takes several files (Django's documented pattern)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, cleaned to a list (empty when none were chosen). Empty
    files pass: the service refuses them naming the file (services/attachments.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        clean_one = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        return [upload for upload in (clean_one(item, initial) for item in items) if upload]


DRAFT_KEY = re.compile(r"^[0-9a-f]{16}$")


class ReplyForm(TicketActionForm):
    PUBLIC, NOTE = "public", "note"
    KINDS = {PUBLIC: Action.REPLY, NOTE: Action.NOTE}

    body = forms.CharField(label=_("Message"), widget=_textarea(5), required=False)
    kind = forms.ChoiceField(
        label=_("Send as"),
        choices=[(PUBLIC, _("Public reply to the customer")), (NOTE, _("Internal note"))],
        widget=forms.RadioSelect,
    )
    # (The files field itself is added by __init__: a class attribute `files` would read as
    # the form's own `files`, the uploaded data, to anyone but Django's metaclass.)
    # Which draft the box holds. The file input's id names it and htmx keeps an element whose
    # id comes back (hx-preserve): shown again after a refusal or a conflict, the draft keeps
    # the files the agent chose; a new draft (after sending) starts with none.
    draft = forms.CharField(widget=forms.HiddenInput, required=False, max_length=16)

    # The last timeline event the writer had on screen: after a conflict the page shows what
    # came after it (cases.queues.changes_since) above the kept draft.
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # A macro picked in the reply box: its actions run with the message (services.apply_macro).
    macro = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        if not self.is_bound:
            self.initial["seen"] = last_event_id(ticket)
        # Offer only what the lifecycle allows now; still accept both, so that a stale page
        # gets the lifecycle's own refusal (409) rather than a bare "invalid choice".
        field = _field(self, "kind", forms.ChoiceField)
        choices: Iterable[tuple[str, object]] = field.choices  # type: ignore[assignment]  # normalised to pairs
        offered = [(k, label) for k, label in choices if self.kind_allowed(k)]
        field.widget.choices = offered
        if not self.is_bound and offered and self.initial.get("kind") not in dict(offered):
            self.initial["kind"] = offered[0][0]
        self._describe_files()

    def _describe_files(self) -> None:
        given = self.data.get("draft") if self.is_bound else self.initial.get("draft")
        draft = given if isinstance(given, str) and DRAFT_KEY.match(given) else token_hex(8)
        if not self.is_bound:
            self.initial["draft"] = draft
        files = self.fields["files"] = MultipleFileField(label=_("Attach files"), required=False)
        files.widget.attrs.update({"id": f"id_reply_files_{draft}", "hx-preserve": "true"})
        count = settings.REPLY_ATTACHMENTS_MAX
        files.help_text = ngettext(
            "Up to %(count)d file of %(size)s. Internal notes' files stay on the desk.",
            "Up to %(count)d files, %(size)s each and %(total)s together. Internal notes' "
            "files stay on the desk.",
            count,
        ) % {
            "count": count,
            "size": filesizeformat(settings.REPLY_ATTACHMENT_MAX_BYTES),
            "total": filesizeformat(settings.REPLY_ATTACHMENTS_TOTAL_MAX_BYTES),
        }

    @property
    def attached_names(self) -> list[str]:
        """The names of the files sent with this (bound) form: a page shown again after a
        refusal says which they were."""
        if not self.is_bound:
            return []
        return [upload.name for upload in self.files.getlist("files") if upload.name]

    def clean(self):
        cleaned = super().clean()
        cleaned["body"] = (cleaned.get("body") or "").strip()
        if not cleaned["body"] and not cleaned.get("macro") and "body" not in self.errors:
            # A macro may act without a message; a plain reply may not.
            self.add_error("body", forms.Field.default_error_messages["required"])
        return cleaned

    def kind_allowed(self, kind: str) -> bool:
        return lifecycle.is_allowed(self.KINDS[kind], self.ticket.status)

    def refresh_version(self, version: int) -> None:
        super().refresh_version(version)
        if self.is_bound:
            data = cast("QueryDict | dict[str, Any]", self.data).copy()
            data["seen"] = str(last_event_id(self.ticket))
            self.data = data

    @property
    def public(self) -> bool:
        return self.cleaned_data["kind"] == self.PUBLIC


class EscalateForm(TicketActionForm):
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2))
    team = forms.ModelChoiceField(
        label=_("Hand over to team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("— Keep the current team —"),
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        teams = Team.objects.filter(is_active=True)
        if ticket.team_id is not None:
            teams = teams.exclude(pk=ticket.team_id)
        _field(self, "team", forms.ModelChoiceField).queryset = teams.order_by("level", "name")


class ResolveForm(TicketActionForm):
    resolution = forms.CharField(
        label=_("Resolution"),
        widget=_textarea(3),
        help_text=_("What was done. The customer will be asked about their experience."),
    )


class ReopenForm(TicketActionForm):
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2), required=False)


# --- new ticket -------------------------------------------------------------------------------


class MergeForm(TicketActionForm):
    """Merge this ticket (a duplicate) into the one that carries on."""

    into = forms.CharField(
        label=_("Merge into ticket"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": _("PUL-000123 or 123")}),
    )
    notify_customer = forms.BooleanField(
        label=_("Tell the customer by e-mail that their case continues there"),
        required=False,
        initial=True,
    )
    confirm_other_customer = forms.BooleanField(
        label=_("Merge even if it belongs to another customer"),
        required=False,
        help_text=_("That customer will see this conversation."),
    )

    def clean_into(self) -> int:
        pk = parse_reference(self.cleaned_data["into"])
        if pk is None:
            raise forms.ValidationError(_("Write a ticket's reference, e.g. PUL-000123."))
        return pk


class TicketCreateForm(forms.Form):
    """A case that arrived by phone, chat, in person or a field visit, typed by an agent.

    The customer is the one picked in the finder (`customer`, an id the page's htmx fills in)
    or, when none was picked, the one with the typed e-mail, created if new."""

    customer = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
    email = forms.EmailField(
        label=_("Customer e-mail"),
        required=False,
        help_text=_("An existing customer is found by e-mail; otherwise one is created."),
    )
    name = forms.CharField(
        label=_("Customer name"),
        max_length=150,
        required=False,
        help_text=_("Used only when the customer is new."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    company = forms.CharField(label=_("Company"), max_length=150, required=False)
    acknowledge = forms.BooleanField(
        label=_("E-mail the customer a confirmation with the case's reference and link"),
        required=False,
        initial=True,
        help_text=_("Their answers to it are added to the case."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=_textarea(6))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— No category —"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("— The category's team —"),
    )
    assignee: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(  # not generic at run time
        label=_("Assignee"), queryset=None, required=False, empty_label=_("— Nobody yet —")
    )
    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False)
    auto_assign = forms.BooleanField(
        label=_("Assign automatically to the least-loaded agent of the team"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "category", forms.ModelChoiceField).queryset = Category.objects.filter(
            is_active=True
        ).order_by("name")
        _field(self, "team", forms.ModelChoiceField).queryset = Team.objects.filter(
            is_active=True
        ).order_by("level", "name")
        _field(self, "assignee", forms.ModelChoiceField).queryset = staff_users().order_by(
            "first_name", "last_name", "username"
        )

    def clean(self):
        cleaned = super().clean()
        chosen = [
            bool(cleaned.get("assignee")),
            cleaned.get("assign_to_me"),
            cleaned.get("auto_assign"),
        ]
        if sum(map(bool, chosen)) > 1:
            raise forms.ValidationError(
                _("Choose one way to assign: an agent, yourself, or automatically.")
            )
        return cleaned

    def clean_customer(self) -> Customer | None:
        value = (self.cleaned_data.get("customer") or "").strip()
        if not value:
            return None
        found = None
        if value.isascii() and value.isdigit() and len(value) <= 18:
            found = Customer.objects.filter(pk=int(value)).first()
        if found is None:
            raise forms.ValidationError(
                _(
                    "The chosen customer no longer exists: find them again, or fill in a new "
                    "customer's details."
                )
            )
        return found

    @property
    def chosen_customer(self) -> Customer | None:
        """The customer picked in the finder, once the form is validated."""
        return getattr(self, "cleaned_data", {}).get("customer")

    def customer_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("email", "name", "phone", "company")}

    def ticket_data(self, user) -> dict:
        data = self.cleaned_data
        assignee = user if data["assign_to_me"] else data["assignee"]
        return {
            "subject": data["subject"],
            "description": data["description"],
            "channel": data["channel"],
            "priority": data["priority"],
            "category": data["category"],
            "team": data["team"],
            "assignee": assignee,
            "auto_assign": data["auto_assign"],
            "acknowledge": data["acknowledge"],
        }


# --- customers --------------------------------------------------------------------------------


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    company = forms.CharField(label=_("Company"), max_length=150, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("— None —"),
        help_text=_("Left empty for a new customer, the organisation of their e-mail's domain."),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, initial=Language.SPANISH
    )

    def __init__(self, *args, instance: Customer | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial", {name: getattr(instance, name) for name in self.base_fields}
            )
        super().__init__(*args, **kwargs)
        organisation = _field(self, "organisation", forms.ModelChoiceField)
        organisation.queryset = Organisation.objects.order_by("name", "id")

    def clean_email(self):
        # Creating a customer whose e-mail is taken would quietly reuse the other one; say so.
        email = self.cleaned_data["email"].strip()
        if email and self.instance is None and customers_with_email(email).exists():
            raise forms.ValidationError(_("A customer with this e-mail already exists."))
        return email

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class CustomerEditForm(CustomerForm):
    """A customer's details. Who sees an organisation's cases is a manager's decision
    (`services.customers`): for anyone else that field, and the organisation of a contact
    who has it, are shown but cannot be changed."""

    is_organisation_admin = forms.BooleanField(
        label=_("Sees the organisation's cases"),
        required=False,
        help_text=_(
            "In the customer portal, every case of their organisation, not only theirs. "
            "Managers and admins decide it."
        ),
    )
    active_since = forms.DateField(label=_("Customer since"), widget=_date_input())
    churned_at = forms.DateField(
        label=_("Churned on"),
        required=False,
        widget=_date_input(),
        help_text=_("Leave empty while they are a customer."),
    )

    def __init__(self, *args, may_change_organisation_admin: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_change_organisation_admin:
            self.fields["is_organisation_admin"].disabled = True
            if self.instance is not None and self.instance.is_organisation_admin:
                self.fields["organisation"].disabled = True


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)


class MacroForm(forms.Form):
    """A macro's editor. The sharing fields are offered to managers and admins only; the
    texts and tags are checked by services.save_macro, whose refusals land on their field."""

    title = forms.CharField(label=_("Title"), max_length=120)
    body_es = forms.CharField(
        label=_("Reply in Spanish"),
        required=False,
        widget=_textarea(6),
        help_text=_("Placeholders: {{ customer.first_name }}, {{ ticket.reference }}…"),
    )
    body_en = forms.CharField(label=_("Reply in English"), required=False, widget=_textarea(6))
    public = forms.TypedChoiceField(
        label=_("Send as"),
        choices=[("1", _("Public reply to the customer")), ("0", _("Internal note"))],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    set_status = forms.ChoiceField(label=_("Status"), choices=MacroStatus.choices, required=False)
    set_priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Leave the priority as it is")), *Priority.choices],
        required=False,
    )
    set_category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("Leave the category as it is"),
    )
    set_team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("Leave the team as it is"),
        help_text=_("A transfer to another team, not an escalation."),
    )
    assign_to_me = forms.BooleanField(label=_("Assign to whoever applies it"), required=False)
    add_tags = forms.CharField(
        label=_("Tags to add"), required=False, help_text=_("Separated by commas.")
    )
    remove_tags = forms.CharField(label=_("Tags to remove"), required=False)
    shared = forms.BooleanField(
        label=_("Shared with the desk"),
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
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, macro: Macro | None, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_share = user.sees_all_tickets
        if not self.may_share:
            del self.fields["shared"]
            del self.fields["teams"]
        if macro is not None and not self.is_bound:
            self.initial.update(
                {name: getattr(macro, name) for name in MACRO_FORM_FIELDS},
                public="1" if macro.public else "0",
                set_category=macro.set_category_id,
                set_team=macro.set_team_id,
                shared=macro.owner_id is None,
                teams=list(macro.teams.values_list("pk", flat=True)),
            )

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments = {name: data[name] for name in MACRO_FORM_FIELDS}
        arguments["public"] = data["public"]
        arguments["set_category"] = data["set_category"]
        arguments["set_team"] = data["set_team"]
        arguments["shared"] = bool(data.get("shared"))
        arguments["teams"] = list(data.get("teams") or [])
        return arguments


MACRO_FORM_FIELDS = (
    "title",
    "body_es",
    "body_en",
    "set_status",
    "set_priority",
    "assign_to_me",
    "add_tags",
    "remove_tags",
    "is_active",
)


class FollowerForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)


class RelationForm(forms.Form):
    reference = forms.CharField(
        label=_("Ticket"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": _("PUL-000123 or 123")}),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def clean_reference(self) -> int:
        pk = parse_reference(self.cleaned_data["reference"])
        if pk is None:
            raise forms.ValidationError(_("Write a ticket's reference, e.g. PUL-000123."))
        return pk
