"""Themes: the only code that writes `Theme` and `ThemeMention` rows — a training's themes
and mentions (with the names managers gave the last training's themes), a manager's name
for a theme, and a problem opened from a theme (quality's service links its tickets)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import PermissionDenied, ValidationError
from cases.models import Status, User
from cases.selectors import tickets_visible_to
from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.models_themes import NAME_MAX, Theme, ThemeMention
from insights.theme_matching import best_matches
from metrics.kpis import Period
from quality.models_problems import Problem, ProblemStatus
from quality.permissions import is_manager
from quality.services.problems import LINK_MAX, open_problem

BATCH = 5_000  # mention rows per INSERT


def _require_manager(by: User) -> None:
    if not is_manager(by):
        raise PermissionDenied(_("Only managers and admins can do this to a theme."))


# --- training ---------------------------------------------------------------------------------


def _carry_names(record: TrainedModel, themes: list[Theme]) -> None:
    """Each name a manager gave a theme of the previous ready training goes to the new theme
    that is the same one (`insights.theme_matching`); a theme takes one name."""
    previous = (
        TrainedModel.objects.filter(kind=ModelKind.THEMES, status=ModelStatus.READY)
        .exclude(pk=record.pk)
        .filter(themes__isnull=False)
        .order_by("-trained_at", "-pk")
        .first()
    )
    if previous is None:
        return
    named = {theme.number: theme for theme in previous.themes.exclude(name="")}
    by_number = {theme.number: theme for theme in themes}
    for old_number, new_number in best_matches(
        ((n, theme.top_terms) for n, theme in named.items()),
        ((n, theme.top_terms) for n, theme in by_number.items()),
    ):
        old, new = named[old_number], by_number[new_number]
        new.name, new.name_edited_by_id, new.name_edited_at = (
            old.name,
            old.name_edited_by_id,
            old.name_edited_at,
        )


def save_training(
    *, record: TrainedModel, themes: list[dict[str, Any]], mentions: list[dict[str, Any]]
) -> list[Theme]:
    """`record`'s themes and their mentions (`insights.training.themes`), names carried over
    from the last training; the mentions of older trainings are dropped (only the model in
    use is counted). Precondition: inside the transaction that created `record`."""
    made = [
        Theme(
            training=record,
            number=theme["number"],
            top_terms=theme["top_terms"],
            examples=theme.get("examples", []),
            texts=theme.get("texts", 0),
        )
        for theme in themes
    ]
    _carry_names(record, made)
    Theme.objects.bulk_create(made)
    ids = {theme.number: theme.pk for theme in made}
    ThemeMention.objects.filter(theme__training__kind=ModelKind.THEMES).exclude(
        theme__training=record
    ).delete()
    ThemeMention.objects.bulk_create(
        (
            ThemeMention(
                theme_id=ids[row["theme"]],
                ticket_id=row["ticket_id"],
                response_id=row["response_id"],
                source=row["source"],
                weight=row["weight"],
                at=row["at"],
            )
            for row in mentions
        ),
        batch_size=BATCH,
    )
    return made


# --- a manager's work -------------------------------------------------------------------------


def clean_name(value: str) -> str:
    """The name as stored: spaces collapsed; refused blank, too long or with control
    characters."""
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError(_("Give the theme a name."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("Write at most %(limit)s characters.") % {"limit": NAME_MAX}, field="name"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError(_("The name cannot hold control characters."), field="name")
    return name


@transaction.atomic
def rename_theme(*, theme: Theme, by: User, name: str) -> Theme:
    """A manager's name for the theme (kept by the next trainings' matching theme)."""
    _require_manager(by)
    name = clean_name(name)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    if theme.name != name:
        theme.name, theme.name_edited_by, theme.name_edited_at = name, by, timezone.now()
        theme.save(update_fields=["name", "name_edited_by", "name_edited_at"])
    return theme


def problem_ticket_ids(*, theme: Theme, by: User, period: Period) -> list[int]:
    """The tickets a problem opened from `theme` links: those whose comment or description
    mentions it in `period`, most typical first, that `by` can see, merged ones left out, at
    most quality's LINK_MAX."""
    mentioned = (
        ThemeMention.objects.filter(theme=theme, at__gte=period.start, at__lt=period.end)
        .order_by("-weight", "-at", "-pk")
        .values_list("ticket_id", flat=True)
    )
    ids = list(dict.fromkeys(mentioned[: LINK_MAX * 5]))
    visible = set(
        tickets_visible_to(by)
        .filter(pk__in=ids)
        .exclude(status=Status.MERGED)
        .values_list("pk", flat=True)
    )
    return [pk for pk in ids if pk in visible][:LINK_MAX]


def open_theme_problem(*, theme: Theme, by: User, period: Period) -> Problem:
    """A problem (quality's, origin "theme") titled after the theme, with the period's tickets
    that mention it linked. Managers and admins."""
    _require_manager(by)
    origin = {
        "kind": "theme",
        "theme": theme.pk,
        "name": theme.label[:100],
        "from": period.start_date.isoformat(),
        "to": period.end_date.isoformat(),
    }
    # A second click (or a colleague) on the same theme and period: the problem already
    # opened for it, not a duplicate with the same tickets.
    opened = (
        Problem.objects.filter(
            origin__kind="theme",
            origin__theme=theme.pk,
            origin__from=origin["from"],
            origin__to=origin["to"],
        )
        .exclude(status=ProblemStatus.FIXED)
        .order_by("pk")
        .first()
    )
    if opened is not None:
        return opened
    last = period.end_date - timedelta(days=1)
    title = _("Theme: %(name)s, %(start)s – %(end)s") % {
        "name": theme.label,
        "start": period.start_date.isoformat(),
        "end": last.isoformat(),
    }
    description = _("Customers' words: %(words)s.") % {"words": ", ".join(theme.words)}
    return open_problem(
        by=by,
        title=title[:200],
        description=description,
        ticket_ids=problem_ticket_ids(theme=theme, by=by, period=period),
        origin=origin,
    )
