"""Read queries of the agent workspace: the queues and their counts, a ticket's timeline,
a customer's history and the customer list.

Every ticket query starts from `selectors.tickets_visible_to(user)`, the one place that
decides who sees what; these functions only narrow it down. No side effects.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .filters import RELEVANCE, TicketFilter
from .models import (
    ACTIVE_STATUSES,
    Customer,
    EventKind,
    Reply,
    SavedView,
    Ticket,
    TicketEvent,
)
from .paginator import capped_count
from .selectors import customer_search, customers_visible_to, tickets_visible_to


class Queue:
    MINE = "mine"
    UNASSIGNED = "unassigned"
    TEAMS = "teams"
    ALL = "all"


QUEUE_LABELS = {
    Queue.MINE: _("Mine"),
    Queue.UNASSIGNED: _("Unassigned"),
    Queue.TEAMS: _("My teams"),
    Queue.ALL: _("All"),
}


def available_queues(user) -> list[str]:
    """Agents work their own, their teams' and the unassigned queue; managers and admins
    also get every ticket."""
    queues = [Queue.MINE, Queue.UNASSIGNED, Queue.TEAMS]
    if user.sees_all_tickets:
        queues.append(Queue.ALL)
    return queues


def resolve_queue(user, requested: str | None) -> str:
    """The queue to show: the requested one if the user may have it, else their default
    (managers: all; agents: mine — an agent asking for `all` gets their teams' queue)."""
    queues = available_queues(user)
    if requested in queues:
        return requested
    if requested == Queue.ALL:
        return Queue.TEAMS
    return Queue.ALL if Queue.ALL in queues else Queue.MINE


def _queue_condition(user, queue: str) -> Q:
    """The scope of a queue, whatever the status. Managers and admins, who answer for the
    whole desk, see every unassigned ticket in `unassigned`; agents those of their teams."""
    my_teams = Q(team_id__in=user.team_ids)
    if queue == Queue.MINE:
        return Q(assignee_id=user.pk)
    if queue == Queue.UNASSIGNED:
        return (
            Q(assignee__isnull=True)
            if user.sees_all_tickets
            else my_teams & Q(assignee__isnull=True)
        )
    if queue == Queue.TEAMS:
        return my_teams
    return Q()


def queue_tickets(user, queue: str) -> QuerySet[Ticket]:
    """The tickets of one queue, any status (the filters default to the active ones)."""
    return tickets_visible_to(user).filter(_queue_condition(user, queue))


def queue_counts(user) -> dict[str, int]:
    """Active tickets per queue, in one aggregate query. The active condition is in the
    WHERE, not only in each FILTER: the database reads the few active tickets (an index
    range), not the whole history."""
    aggregates = {
        queue: Count("pk", filter=_queue_condition(user, queue)) for queue in available_queues(user)
    }
    return tickets_visible_to(user).filter(status__in=ACTIVE_STATUSES).aggregate(**aggregates)


# --- saved views ------------------------------------------------------------------------------

# A saved view's count stops here ("99+"): each is a query of its own, with whatever filters
# the view keeps, and a capped count reads at most this many ids (cases/paginator.py).
VIEW_COUNT_CAP = 99


@dataclass(frozen=True)
class SavedViewTab:
    """A saved view as the queue lists it: its link's query string and its live count."""

    view: SavedView
    count: int
    count_is_capped: bool

    @property
    def query(self) -> str:
        return self.view.query


def saved_view_tickets(user: Any, query: str) -> QuerySet[Ticket]:
    """What a saved view lists for `user`: its queue (as `user` may have it) narrowed by its
    filters — the same tickets the queue page shows for that query string."""
    params = QueryDict(query)
    queue = resolve_queue(user, params.get("queue"))
    filtered: QuerySet[Ticket] = TicketFilter(params, queryset=queue_tickets(user, queue)).qs
    return filtered


def saved_view_tabs(user: Any, views: list[SavedView]) -> list[SavedViewTab]:
    """Each view with the number of tickets it lists for `user` (only tickets `user` may see),
    counted up to VIEW_COUNT_CAP: one bounded query per view."""
    tabs = []
    for view in views:
        count, capped = capped_count(saved_view_tickets(user, view.query), VIEW_COUNT_CAP)
        tabs.append(SavedViewTab(view=view, count=count, count_is_capped=capped))
    return tabs


SORT_LABELS = {
    "reference": _("Reference"),
    "created": _("Created"),
    "updated": _("Updated"),
    "priority": _("Priority"),
    "status": _("Status"),
    "deadline": _("SLA"),
}


ANY_OF_THEM = _("any of them")


def describe_view_query(query: str) -> list[tuple[str, str]]:
    """A view's filters as the person reads them: (label, value) pairs in the filter form's
    words — "Priority: Urgent", "Sort: SLA, ascending"."""
    params = QueryDict(query)
    filterset = TicketFilter(params, queryset=Ticket.objects.none())
    form = filterset.form
    form.is_valid()
    queue = params.get("queue") or Queue.ALL
    described = [(str(_("Queue")), str(QUEUE_LABELS.get(queue, queue)))]
    for name, value in form.cleaned_data.items():
        if name in ("sort", "tag_match") or value in (None, "", []):
            continue
        field = form.fields[name]
        # A model's choices would read its whole table: a chosen row names itself.
        choices = {} if hasattr(value, "pk") else dict(getattr(field, "choices", ()))
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(str(choices.get(v, v)) for v in values)
        if name == "tag" and form.cleaned_data.get("tag_match") == "any":
            shown = f"{shown} ({ANY_OF_THEM})"
        described.append((str(field.label), shown))
    sort = filterset.current_sort
    if sort == RELEVANCE:  # a search without a sort of its own (cases/search.py)
        described.append((str(_("Sort")), str(_("Best matches first"))))
        return described
    direction = _("descending") if sort.startswith("-") else _("ascending")
    described.append((str(_("Sort")), f"{SORT_LABELS[sort.lstrip('-')]}, {direction}"))
    return described


# --- the ticket page ------------------------------------------------------------------------


@dataclass
class TimelineItem:
    """One entry of a ticket's timeline: a message (reply or note) or an event."""

    kind: str  # "agent" | "customer" | "note" | "event"
    at: datetime
    actor: object = None
    reply: Reply | None = None
    event: TicketEvent | None = None
    status_change: dict = field(default_factory=dict)

    @property
    def css_class(self) -> str:
        return self.kind


# Events that only say "a message was written": the message itself stands in the timeline.
_MESSAGE_EVENTS = {
    EventKind.REPLIED,
    EventKind.NOTE,
    EventKind.CUSTOMER_REPLIED,
    EventKind.FOLLOWER_REPLIED,
}


def ticket_timeline(ticket: Ticket) -> list[TimelineItem]:
    """Replies, notes and events of a ticket merged in time order (two queries)."""
    replies = list(ticket.replies.select_related("author").prefetch_related("attachments"))
    events = list(ticket.events.select_related("actor"))
    moves = {
        e.data.get("reply_id"): {"from": e.data["from"], "to": e.data["to"]}
        for e in events
        if e.kind in _MESSAGE_EVENTS and "from" in e.data
    }
    items = [
        TimelineItem(
            kind=(
                "follower"
                if r.by_follower
                else "customer"
                if r.by_customer
                else ("agent" if r.public else "note")
            ),
            at=r.created_at,
            actor=r.author,
            reply=r,
            status_change=moves.get(r.pk, {}),
        )
        for r in replies
    ]
    items += [
        TimelineItem(kind="event", at=e.at, actor=e.actor, event=e)
        for e in events
        if e.kind not in _MESSAGE_EVENTS
    ]
    # Events first on a tie: "created" comes before a message written in the same instant.
    items.sort(key=lambda item: (item.at, item.kind != "event"))
    return items


def changes_since(ticket: Ticket, event_id: int) -> list[TimelineItem]:
    """What the ticket's timeline gained after event `event_id`: the messages written and the
    changes made since a page showed it, in time order."""
    later = ticket.events.filter(pk__gt=event_id)
    replies = {event.data.get("reply_id") for event in later if event.kind in _MESSAGE_EVENTS}
    return [
        item
        for item in ticket_timeline(ticket)
        if (item.event is not None and item.event.pk > event_id)
        or (item.reply is not None and item.reply.pk in replies)
    ]


def customer_history(user, customer_id: int, *, exclude: int | None = None, limit: int = 10):
    """The customer's latest tickets the user may see."""
    tickets = tickets_visible_to(user).filter(customer_id=customer_id).order_by("-created_at")
    if exclude is not None:
        tickets = tickets.exclude(pk=exclude)
    return tickets[:limit]


# --- customers --------------------------------------------------------------------------------


def customers_with_counts(user, search: str = "") -> QuerySet[Customer]:
    """Customers matching `search` (selectors.customer_search), each annotated with the
    number of their tickets the user may see (`ticket_count`) and of those still active
    (`active_count`), in one query.

    The counts are correlated subqueries, not a join grouped by customer: the database walks
    the customers in name order and counts only for the rows of the page it returns (each
    count an index range of one customer's tickets), never for every customer."""
    customers = customers_visible_to(user)
    search = (search or "").strip()
    if search:
        customers = customers.filter(customer_search(search))
    theirs = tickets_visible_to(user).filter(customer=OuterRef("pk")).order_by()
    return customers.annotate(
        ticket_count=_count_of(theirs),
        active_count=_count_of(theirs.filter(status__in=ACTIVE_STATUSES)),
    ).order_by("name", "id")


def _count_of(tickets: QuerySet[Ticket]) -> Coalesce:
    """The number of tickets of a subquery correlated to one customer (0 when none)."""
    counted = tickets.select_related(None).values("customer").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


def customer_tickets(user, customer: Customer) -> QuerySet[Ticket]:
    """A customer's whole case history, as far as the user may see it, newest first."""
    return tickets_visible_to(user).filter(customer=customer).order_by("-created_at", "-id")
