"""The admins' models page, /insights/models/: per kind of model the one in use (when it was
trained, how many texts it learned from, how long it took) and its measured quality on the
hold-out, the last trainings, "Train now", and the auto-apply rules for triage with what
they did in the last 30 days. Admins only (others 403, anonymous to the login page).
Thin: rules are saved by `insights.services.auto_apply`, trainings run in the Celery task."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.permissions import is_admin
from cases.views.workspace import staff_required, staff_user
from insights import selectors
from insights.forms import AutoApplyRulesForm
from insights.models import ModelKind, TrainedModel, TriageField
from insights.predict import field_is_useful
from insights.services import auto_apply
from insights.tasks import train_models
from insights.training import TRAINERS
from metrics.presentation.formatting import format_value

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]
# "Train now" queues at most one training in this many seconds.
TRAIN_LOCK_KEY = "insights:train-now"
TRAIN_LOCK_SECONDS = 120


def admin_required(view: View) -> View:
    """Staff (else the login page or 403) and an admin (else 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


@dataclass
class FieldQuality:
    field: str
    label: str
    accuracy: str
    macro_f1: str
    baseline_accuracy: str
    baseline_macro_f1: str
    tested_on: int
    trained_on: int
    values: int
    useful: bool


@dataclass
class KindPanel:
    kind: str
    label: str
    in_use: TrainedModel | None
    latest: TrainedModel | None
    history: list[TrainedModel]
    fields: list[FieldQuality] = field(default_factory=list)  # triage
    figures: list[tuple[str, str]] = field(default_factory=list)  # any other kind
    quality_template: str = ""  # a kind's own rendering of its quality, when it has one


def _percent(value: Any) -> str:
    """0.8125 → "81.3 %" (rounded half up, in the reader's number format)."""
    share = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return format_value(share, "percent")


def _figure(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return number_format(value, 4)
    if isinstance(value, list):
        return ", ".join(_figure(item) for item in value)
    return str(value)


def _flatten(quality: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A quality dict's figures as (key, value), nested keys joined with dots, in key order
    (PostgreSQL's JSON keeps its own order, not the one they were written in)."""
    found: list[tuple[str, str]] = []
    for key, value in sorted(quality.items()):
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found.extend(_flatten(value, f"{name}."))
        else:
            found.append((name, _figure(value)))
    return found


def _triage_fields(model: TrainedModel) -> list[FieldQuality]:
    measured = model.quality.get("fields", {})
    labels = dict(TriageField.choices)
    return [
        FieldQuality(
            field=name,
            label=str(labels[name]),
            accuracy=_percent(figures["accuracy"]),
            macro_f1=_percent(figures["macro_f1"]),
            baseline_accuracy=_percent(figures["baseline_accuracy"]),
            baseline_macro_f1=_percent(figures["baseline_macro_f1"]),
            tested_on=figures["tested_on"],
            trained_on=figures["trained_on"],
            values=figures.get("values", 0),
            useful=field_is_useful(model, name),
        )
        for name in TriageField.values
        if (figures := measured.get(name))
    ]


def _own_template(kind: str) -> str:
    name = f"insights/_quality_{kind}.html"
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return ""
    return name


def panels() -> list[KindPanel]:
    """Each kind with a trainer or a training, in the order of `ModelKind`."""
    trained = set(TrainedModel.objects.values_list("kind", flat=True).distinct())
    found = []
    for kind, label in ModelKind.choices:
        if kind not in TRAINERS and kind not in trained:
            continue
        last = selectors.trainings(kind)
        history, in_use = last.history, last.in_use
        panel = KindPanel(
            kind=kind,
            label=str(label),
            in_use=in_use,
            latest=history[0] if history else None,
            history=history,
        )
        if in_use is not None:
            if kind == ModelKind.TRIAGE:
                panel.fields = _triage_fields(in_use)
            else:
                panel.quality_template = _own_template(kind)
                panel.figures = _flatten(in_use.quality)
        found.append(panel)
    return found


def _page(
    request: HttpRequest, form: AutoApplyRulesForm | None = None, status: int = 200
) -> HttpResponse:
    rules = auto_apply.rules()
    form = form or AutoApplyRulesForm(rules=rules)
    counts = auto_apply.applied_counts(days=30)
    rule_rows = [
        {"field": name, "label": label, "rule": rules[name], "counts": counts[name]}
        for name, label in TriageField.choices
    ]
    return render(
        request,
        "insights/models.html",
        {
            "panels": panels(),
            "form": form,
            "rule_rows": rule_rows,
            "nav": "insights_models",
        },
        status=status,
    )


@admin_required
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@admin_required
@require_POST
def save_rules(request: HttpRequest) -> HttpResponse:
    form = AutoApplyRulesForm(request.POST, rules=auto_apply.rules())
    if form.is_valid():
        try:
            with transaction.atomic():  # all three or none
                for name in TriageField.values:
                    enabled, threshold = form.rule(name)
                    auto_apply.set_rule(
                        field=name, enabled=enabled, threshold=threshold, by=staff_user(request)
                    )
        except auto_apply.RuleRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("The auto-apply rules were saved."))
            return redirect("insights:models")
    return _page(request, form, status=400)


def _may_queue() -> bool:
    """No training queued in the last TRAIN_LOCK_SECONDS. Without the cache (Redis away) the
    click goes through: two trainings of a kind still never run at once (the lease in
    insights.services.training), the second finds the data unchanged."""
    try:
        return bool(cache.add(TRAIN_LOCK_KEY, 1, TRAIN_LOCK_SECONDS))
    except Exception:
        logger.warning("the cache is unavailable: queuing the training without its guard")
        return True


def _forget_queued() -> None:
    try:
        cache.delete(TRAIN_LOCK_KEY)
    except Exception:
        logger.warning("the cache is unavailable: the training guard could not be cleared")


@admin_required
@require_POST
def train_now(request: HttpRequest) -> HttpResponse:
    """Queue a training of every kind, on the data as it is now."""
    if not _may_queue():
        messages.info(
            request,
            _(
                "A training was queued a moment ago. Wait a few minutes for it to finish "
                "before queuing another."
            ),
        )
        return redirect("insights:models")
    try:
        train_models.delay(force=True)
    except Exception:  # the broker is down: say so, and let the admin try again
        logger.exception("could not queue a training")
        _forget_queued()
        messages.error(request, _("The training could not be queued. Try again later."))
    else:
        messages.success(
            request,
            _(
                "Training queued. The models learn again in the background; reload this page "
                "in a few minutes to see the result."
            ),
        )
    return redirect("insights:models")
