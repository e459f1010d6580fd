"""Macros: saved (managers share them, anyone keeps personal ones) and applied — every action
through the ticket services, in one transaction, so that one refused action refuses the
whole macro and changes nothing."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import PermissionDenied, ValidationError
from ..macro_text import MacroContext, check_macro_text, render_macro_text
from ..models import Category, EventKind, Macro, MacroStatus, MacroUse, Team, Ticket, User
from ..selectors import macros_offered_to
from ..tags import split_tags
from .attachments import FIELD as FILES_FIELD
from .attachments import Upload, check_reply_files, files_forgotten_on_rollback
from .steps import require_staff
from .tags import change_tags
from .tickets import (
    _event,
    _lock,
    add_reply,
    assign_ticket,
    classify_ticket,
    resolve_ticket,
    set_pending,
)

# What a macro may do besides writing (removing tags aside: a text of its own).
MACRO_ACTIONS = (
    "set_status",
    "set_priority",
    "set_category",
    "set_team",
    "assign_to_me",
    "add_tags",
)
# The fields a macro's editor may set (services.save_macro).
MACRO_FIELDS = ("title", "body_es", "body_en", "public", *MACRO_ACTIONS, "remove_tags", "is_active")


def may_edit_macro(user: User, macro: Macro) -> bool:
    """Personal macros are their owner's; shared ones the managers' and admins'."""
    if not user.is_active or user.role is None:
        return False
    if macro.owner_id is not None:
        return macro.owner_id == user.pk
    return user.sees_all_tickets


@transaction.atomic
def save_macro(
    *,
    by: User,
    macro: Macro | None = None,
    shared: bool = False,
    teams: Iterable[Team] = (),
    **fields: Any,
) -> Macro:
    """Create a macro (`macro=None`) or change one. `shared` (managers and admins only) makes
    it everyone's — or, with `teams`, those teams' agents' —; otherwise it is `by`'s own. The
    texts are checked for placeholders Pulso knows and for nothing else that looks like a
    template; tags are normalised."""
    require_staff(by)
    unknown = set(fields) - set(MACRO_FIELDS)
    if unknown:
        raise ValueError(f"not macro fields: {sorted(unknown)}")
    if shared and not by.sees_all_tickets:
        raise PermissionDenied(_("Only managers share macros with the desk."))
    if macro is not None and not may_edit_macro(by, macro):
        raise PermissionDenied(_("You cannot change this macro."))
    title = (fields.get("title", macro.title if macro else "") or "").strip()
    if not title:
        raise ValidationError(_("A macro needs a title."), field="title")
    fields["title"] = title[:120]
    for name in ("body_es", "body_en"):
        text = fields.get(name, getattr(macro, name) if macro else "") or ""
        check_macro_text(text, field=name)
        fields[name] = text.strip()
    for name in ("add_tags", "remove_tags"):
        if name in fields:
            fields[name] = ", ".join(_tags(fields[name] or "", name))
    category = fields.get("set_category")
    if isinstance(category, Category) and not category.is_active:
        raise ValidationError(_("This category is no longer in use."), field="set_category")
    team = fields.get("set_team")
    if isinstance(team, Team) and not team.is_active:
        raise ValidationError(_("This team is no longer active."), field="set_team")
    status = fields.get("set_status", macro.set_status if macro else "")
    body_es = fields.get("body_es", macro.body_es if macro else "")
    body_en = fields.get("body_en", macro.body_en if macro else "")
    if status == MacroStatus.RESOLVED and not (body_es or body_en):
        raise ValidationError(
            _("A macro that resolves needs a text: it becomes the resolution."), field="body_es"
        )
    acts = any(
        fields.get(name, getattr(macro, name) if macro else None) for name in MACRO_ACTIONS
    ) or fields.get("remove_tags", macro.remove_tags if macro else "")
    if not (body_es or body_en or acts):
        raise ValidationError(
            _("A macro needs a reply text or at least one action."), field="body_es"
        )
    if macro is None:
        macro = Macro(created_by=by)
    for name, value in fields.items():
        setattr(macro, name, value)
    macro.owner = None if shared else (macro.owner or by)
    macro.updated_at = timezone.now()
    macro.save()
    macro.teams.set(list(teams) if shared else [])
    return macro


def _tags(text: str, field: str) -> list[str]:
    try:
        return split_tags(text)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from exc


def macro_text_for(macro: Macro, ticket: Ticket, agent: User) -> str:
    """The macro's reply for this ticket: in the customer's language (else the other one),
    placeholders filled in."""
    text = macro.body_for(ticket.customer.language)
    return render_macro_text(text, MacroContext(ticket=ticket, agent=agent))


def apply_macro(
    *,
    ticket: Ticket,
    by: User,
    macro: Macro,
    body: str | None = None,
    public: bool | None = None,
    files: Sequence[Upload] = (),
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Apply `macro` to `ticket` as `by`: the message (`body` as the agent edited it, else the
    macro's own text) with `files`, then priority and category, the assignment, the tags and
    the status — each through its service, the ticket locked (and its version checked) once
    for all of them. Anything refused raises and the transaction writes nothing (and keeps no
    file)."""
    check_reply_files(files)
    with files_forgotten_on_rollback(), transaction.atomic():
        return _apply_macro(
            ticket=ticket,
            by=by,
            macro=macro,
            body=body,
            public=public,
            files=files,
            expected_version=expected_version,
            at=at or timezone.now(),
        )


def _apply_macro(
    *,
    ticket: Ticket,
    by: User,
    macro: Macro,
    body: str | None,
    public: bool | None,
    files: Sequence[Upload],
    expected_version: int | None,
    at: datetime,
) -> Ticket:
    require_staff(by)
    if not macros_offered_to(by).filter(pk=macro.pk).exists():
        raise PermissionDenied(_("This macro is not yours to use."))
    ticket = _lock(ticket, by, expected_version)
    text = (macro_text_for(macro, ticket, by) if body is None else body).strip()
    public = macro.public if public is None else public
    resolving = macro.set_status == MacroStatus.RESOLVED
    if text and not resolving:
        add_reply(ticket=ticket, by=by, body=text, public=public, files=files, at=at)
    elif files:
        raise ValidationError(
            _("This macro sends no message for the files to go with: send them on their own."),
            field=FILES_FIELD,
        )
    changes: dict[str, Any] = {}
    if macro.set_priority:
        changes["priority"] = macro.set_priority
    if macro.set_category_id is not None:
        changes["category"] = macro.set_category
    if macro.set_team_id is not None:
        changes["team"] = macro.set_team
    if changes:
        classify_ticket(ticket=ticket, by=by, at=at, **changes)
    if macro.assign_to_me:
        assign_ticket(ticket=ticket, by=by, assignee=by, at=at)
    added, removed = split_tags(macro.add_tags), split_tags(macro.remove_tags)
    if added or removed:
        change_tags(ticket=ticket, by=by, add=added, remove=removed, at=at)
    if macro.set_status == MacroStatus.PENDING:
        set_pending(ticket=ticket, by=by, at=at)
    elif resolving:
        if not text:
            raise ValidationError(_("Write the resolution: this macro resolves."), field="body")
        resolve_ticket(ticket=ticket, by=by, resolution=text, at=at)
    MacroUse.objects.create(macro=macro, ticket=ticket, agent=by, at=at)
    _event(ticket, by, EventKind.MACRO_APPLIED, at, macro=macro.pk, title=macro.title)
    return Ticket.objects.get(pk=ticket.pk)
