"""Saved views: a queue's filters and sort kept under a name. Anyone keeps personal views;
managers and admins keep the shared ones (for the desk or some teams); nobody changes another
person's personal view.

A view stores the queue's query string normalised (`normalise_view_query`): only the queue's
own filters, each value checked by the queue's filter form, in a fixed order — so a view
opens exactly as the queue would show those filters, and an unknown key is refused instead
of being kept and ignored."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ..errors import PermissionDenied, ValidationError
from ..filters import DEFAULT_SORT, TicketFilter
from ..models import SavedView, Status, Team, Ticket, User
from ..queues import QUEUE_LABELS, Queue
from .steps import require_staff

# The keys a view keeps, in the order its query string lists them: the queue's tab, then its
# filter form's fields, then the sort.
VIEW_KEYS = (
    "queue",
    "q",
    "status",
    "priority",
    "channel",
    "category",
    "team",
    "assignee",
    "level",
    "tag",
    "tag_match",
    "sort",
)
NAME_MAX_LENGTH = 80
QUERY_MAX_LENGTH = 2000
# Each person's personal views, and the desk's shared ones: a queue page counts every view it
# lists, so the list stays short.
MAX_VIEWS = 30

QueryInput = str | Mapping[str, str | Iterable[str]]


def _as_querydict(query: QueryInput) -> QueryDict:
    if isinstance(query, QueryDict):
        return query
    if isinstance(query, str):
        return QueryDict(query.strip().removeprefix("?"))
    data = QueryDict(mutable=True)
    for key, value in query.items():
        data.setlist(key, [value] if isinstance(value, str) else [str(v) for v in value])
    return data


def normalise_view_query(query: QueryInput) -> str:
    """The queue's query string for `query` (a query string, with or without its "?", or a
    mapping of keys to a value or a list of values) as a view keeps it, or ValidationError
    (field "query") saying what is wrong: a key the queue does not filter on, or a value its
    filter form refuses. Empty values are dropped; a view without a queue is the widest the
    person opening it has (`all`: an agent's teams)."""
    data = _as_querydict(query)
    unknown = sorted(key for key in data if key not in VIEW_KEYS)
    if unknown:
        raise ValidationError(
            _("Unknown filters: %(unknown)s. A view keeps only %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(VIEW_KEYS)},
            field="query",
        )
    queue = (data.get("queue") or "").strip() or Queue.ALL
    if queue not in QUEUE_LABELS:
        raise ValidationError(
            _("“%(queue)s” is not a queue: choose %(queues)s.")
            % {"queue": queue[:40], "queues": ", ".join(QUEUE_LABELS)},
            field="query",
        )
    filterset = TicketFilter(data, queryset=Ticket.objects.none())
    form = filterset.form
    if not form.is_valid():
        problems = [
            f"{form.fields[name].label if name in form.fields else name}: "
            + " ".join(str(message) for message in messages)
            for name, messages in form.errors.items()
        ]
        raise ValidationError(" ".join(problems), field="query")
    cleaned: dict[str, Any] = form.cleaned_data
    pairs: list[tuple[str, str]] = [("queue", queue)]
    if (cleaned.get("q") or "").strip():
        pairs.append(("q", cleaned["q"].strip()))
    order = list(Status.values)
    pairs += [("status", s) for s in sorted(set(cleaned.get("status") or ()), key=order.index)]
    for key in ("priority", "channel", "category", "team", "assignee", "level"):
        value = cleaned.get(key)
        if value not in (None, ""):
            pairs.append((key, str(getattr(value, "pk", value))))
    tags = sorted(set(cleaned.get("tag") or ()))
    pairs += [("tag", tag) for tag in tags]
    if tags and cleaned.get("tag_match") == "any":
        pairs.append(("tag_match", "any"))
    pairs.append(("sort", filterset.current_sort or DEFAULT_SORT))
    text = urlencode(pairs)
    if len(text) > QUERY_MAX_LENGTH:
        raise ValidationError(
            _("These filters are too long to keep (at most %(max)d characters).")
            % {"max": QUERY_MAX_LENGTH},
            field="query",
        )
    return text


def may_edit_saved_view(user: User, view: SavedView) -> bool:
    """Personal views are their owner's; shared ones the managers' and admins'."""
    if not user.is_active or user.role is None:
        return False
    if view.owner_id is not None:
        return view.owner_id == user.pk
    return user.sees_all_tickets


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("A view needs a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("A view's name has at most %(max)d characters.") % {"max": NAME_MAX_LENGTH},
            field="name",
        )
    return name


def _same_shelf(view_owner: User | None) -> Any:
    """The views a view's name must differ from: its owner's, or the shared ones."""
    if view_owner is None:
        return SavedView.objects.filter(owner__isnull=True)
    return SavedView.objects.filter(owner=view_owner)


def _name_taken_error(shared: bool) -> ValidationError:
    if shared:
        return ValidationError(_("A shared view with this name already exists."), field="name")
    return ValidationError(_("You already have a view with this name."), field="name")


def _check_name_free(name: str, owner: User | None, exclude: int | None = None) -> None:
    clash = _same_shelf(owner).alias(lower=Lower("name")).filter(lower=name.lower())
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise _name_taken_error(owner is None)


def _save(view: SavedView, shared: bool, **kwargs: Any) -> None:
    """Save in a savepoint: two requests racing for one name meet the database's constraint,
    refused like a name found taken."""
    try:
        with transaction.atomic():
            view.save(**kwargs)
    except IntegrityError:
        raise _name_taken_error(shared) from None


@transaction.atomic
def save_view(
    *,
    by: User,
    name: str,
    query: QueryInput,
    shared: bool = False,
    teams: Iterable[Team] = (),
) -> SavedView:
    """Keep the queue's filters `query` as a view named `name`: `by`'s own, or — `shared`,
    managers and admins only — the desk's, offered to `teams` only if any are given. Refused
    (nothing written) for an empty or taken name, unknown filters or too many views."""
    require_staff(by)
    teams = list(teams)
    if shared and not by.sees_all_tickets:
        raise PermissionDenied(_("Only managers share views with the desk."))
    if teams and not shared:
        raise ValidationError(_("Only a shared view is offered to teams."), field="teams")
    name = _clean_name(name)
    text = normalise_view_query(query)
    owner = None if shared else by
    # Lock the person's row (the desk's shared views: none to lock, the constraint decides):
    # two saves of one person count and name-check one after the other.
    if owner is not None:
        User.objects.select_for_update().filter(pk=owner.pk).first()
    _check_name_free(name, owner)
    if _same_shelf(owner).count() >= MAX_VIEWS:
        raise ValidationError(
            _("At most %(max)d views: delete one you no longer use.") % {"max": MAX_VIEWS},
            field="name",
        )
    now = timezone.now()
    view = SavedView(
        name=name, query=text, owner=owner, created_by=by, created_at=now, updated_at=now
    )
    _save(view, shared)
    view.teams.set(teams)
    return view


def _lock_editable(view: SavedView, by: User) -> SavedView:
    require_staff(by)
    current = SavedView.objects.select_for_update().filter(pk=view.pk).first()
    if current is None:
        raise ValidationError(_("This view no longer exists."))
    if not may_edit_saved_view(by, current):
        if current.is_shared:
            raise PermissionDenied(_("Only managers change the shared views."))
        raise PermissionDenied(_("You cannot change another person's view."))
    return current


@transaction.atomic
def rename_view(*, by: User, view: SavedView, name: str) -> SavedView:
    """Rename a view `by` may edit (their own; shared ones if a manager or admin)."""
    current = _lock_editable(view, by)
    name = _clean_name(name)
    _check_name_free(name, current.owner, exclude=current.pk)
    current.name = name
    current.updated_at = timezone.now()
    _save(current, current.is_shared, update_fields=["name", "updated_at"])
    return current


@transaction.atomic
def delete_view(*, by: User, view: SavedView) -> None:
    """Delete a view `by` may edit. Links to it then open the plain queue."""
    current = _lock_editable(view, by)
    current.delete()
