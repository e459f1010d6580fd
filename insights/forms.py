"""Insights' forms: the admins' auto-apply rules (models page)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crispy_bootstrap5.bootstrap5 import Switch  # type: ignore[import-untyped]  # no types
from crispy_forms.helper import FormHelper  # type: ignore[import-untyped]  # no types
from crispy_forms.layout import Field, Fieldset, Layout  # type: ignore[import-untyped]  # no types
from django import forms
from django.utils.translation import gettext_lazy as _

from insights.models import AutoApplyRule, TriageField
from insights.services.auto_apply import HIGHEST, LOWEST


def enabled_name(field: str) -> str:
    return f"{field}_enabled"


def threshold_name(field: str) -> str:
    return f"{field}_threshold"


class AutoApplyRulesForm(forms.Form):
    """Per triage field (category, team, priority): on or off, and how sure the model must
    be (0.50–0.99). Starts from the saved rules."""

    def __init__(self, *args: Any, rules: dict[str, AutoApplyRule], **kwargs: Any) -> None:
        initial: dict[str, object] = {}
        for field, rule in rules.items():
            initial[enabled_name(field)] = rule.enabled
            initial[threshold_name(field)] = rule.threshold
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        fieldsets = []
        for field, label in TriageField.choices:
            self.fields[enabled_name(field)] = forms.BooleanField(
                label=_("Apply on its own"), required=False
            )
            self.fields[threshold_name(field)] = forms.DecimalField(
                label=_("When the model is at least this sure"),
                min_value=LOWEST,
                max_value=HIGHEST,
                max_digits=3,
                decimal_places=2,
                help_text=_("From 0.50 to 0.99."),
                widget=forms.NumberInput(attrs={"step": "0.01", "min": LOWEST, "max": HIGHEST}),
            )
            fieldsets.append(
                Fieldset(
                    label,
                    Switch(enabled_name(field)),
                    Field(threshold_name(field)),
                    css_class=f"col auto-apply-rule auto-apply-{field}",
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*fieldsets)

    def rule(self, field: str) -> tuple[bool, Decimal]:
        """The cleaned choice for `field`: (enabled, threshold)."""
        return (
            bool(self.cleaned_data[enabled_name(field)]),
            self.cleaned_data[threshold_name(field)],
        )
