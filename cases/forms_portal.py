"""Forms of the public customer portal: open a case, reply on one's own case.

They only parse and normalise input; the services decide what is acceptable and what happens.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category
from .services.steps import SUBJECT_MAX

DESCRIPTION_MAX = 10_000
REPLY_MAX = 10_000


def single_line(value: str) -> str:
    """Collapse every run of whitespace — CR, LF, tabs, U+2028/U+2029 … — into one space:
    names and subjects end up in e-mail headers and one-line displays."""
    return " ".join((value or "").split())


class NewCaseForm(forms.Form):
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


class CustomerReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
