"""Forms of the public customer portal: open a case, reply on one's own case, ask for a
sign-in link.

They only parse and normalise input; the services decide what is acceptable and what happens.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .forms import MultipleFileField
from .models import Category
from .services.attachments import FIELD as FILES_FIELD
from .services.steps import SUBJECT_MAX

DESCRIPTION_MAX = 10_000
REPLY_MAX = 10_000


def single_line(value: str) -> str:
    """Collapse every run of whitespace — CR, LF, tabs, U+2028/U+2029 … — into one space:
    names and subjects end up in e-mail headers and one-line displays."""
    return " ".join((value or "").split())


def customer_files_field() -> MultipleFileField:
    """The files a customer attaches, with the limits of their e-mails' attachments (the
    service refuses what is over them, naming the file)."""
    count = settings.INBOUND_ATTACHMENTS_MAX
    field = MultipleFileField(label=_("Attach files"), required=False)
    field.help_text = ngettext(
        "Optional: up to %(count)d file of %(size)s.",
        "Optional: up to %(count)d files, %(size)s each and %(total)s together.",
        count,
    ) % {
        "count": count,
        "size": filesizeformat(settings.INBOUND_ATTACHMENT_MAX_BYTES),
        "total": filesizeformat(settings.INBOUND_EMAIL_MAX_BYTES),
    }
    return field


class CustomerFilesMixin:
    """Adds the files field in __init__ (a class attribute named `files` would read as the
    form's uploaded data)."""

    fields: dict[str, forms.Field]

    def add_files_field(self) -> None:
        self.fields[FILES_FIELD] = customer_files_field()

    @property
    def attached_names(self) -> list[str]:
        """The names of the files sent with this bound form: a page shown again after a
        refusal says which to choose again (a browser never keeps them)."""
        uploaded = getattr(self, "files", None)
        if not uploaded:
            return []
        return [upload.name for upload in uploaded.getlist(FILES_FIELD) if upload.name]


class NewCaseForm(CustomerFilesMixin, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_("We send the confirmation and a private link to follow your case here."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    description = forms.CharField(
        label=_("How can we help?"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Tell us what happened, and any order or invoice number you have."),
    )
    category = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("I am not sure"),
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled by naive bots. The view
    # pretends success when it is not empty and creates nothing.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_files_field()
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_name(self) -> str:
        return single_line(self.cleaned_data["name"])

    def clean_subject(self) -> str:
        return single_line(self.cleaned_data["subject"])

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class CustomerReplyForm(CustomerFilesMixin, forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_files_field()


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_("The address you write to us from, or any other we have for you."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
