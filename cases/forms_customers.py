"""Forms of organisations, a customer's other addresses and the merge of two customer
records. They parse input only; which names and domains are taken, which addresses are free
and who may do what is decided by `services.organisations` / `services.customers` /
`services.customer_merge`, whose refusals land on these forms (`add_service_error`)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organisation, User
from .selectors import account_managers
from .services.organisations import parse_domains


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    domains = forms.CharField(
        label=_("E-mail domains"),
        required=False,
        max_length=2000,
        help_text=_(
            "Separated by commas, e.g. empresa.com.co, empresa.com. A new customer writing "
            "from one of them joins the organisation. Free e-mail services (gmail.com…) "
            "cannot be one."
        ),
    )
    account_manager: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Account manager"),
        queryset=None,
        required=False,
        empty_label=_("— Nobody —"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea({"rows": 4})
    )

    def __init__(self, *args: Any, instance: Organisation | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "notes": instance.notes,
                    "account_manager": instance.account_manager,
                    "domains": ", ".join(d.domain for d in instance.domains.all()),
                },
            )
        super().__init__(*args, **kwargs)
        field = self.fields["account_manager"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = account_managers()

    def clean_domains(self) -> list[str]:
        return parse_domains(self.cleaned_data["domains"])

    def values(self) -> dict[str, Any]:
        """What the service takes: every field, domains as a list."""
        return {name: self.cleaned_data[name] for name in self.fields}

    def changes(self) -> dict[str, Any]:
        """Only what was changed (the service records each)."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class CustomerAddressForm(forms.Form):
    email = forms.EmailField(label=_("Another e-mail address"), max_length=254)


class CustomerMergeSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the duplicate"), required=False, max_length=200)


class CustomerMergeForm(forms.Form):
    """The confirmation: the duplicate named again, so a stale page merges nothing else."""

    duplicate = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    confirm = forms.BooleanField(
        label=_("I understand that the duplicate record is deleted and this cannot be undone"),
    )
