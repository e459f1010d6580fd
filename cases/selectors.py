"""Read-only queries. `tickets_visible_to` is the one place that decides who sees what."""

from collections.abc import Sequence
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from knox.models import AuthToken

from . import search
from .models import (
    ACTIVE_STATUSES,
    ROLE_GROUPS,
    AssignmentMode,
    Attachment,
    Customer,
    CustomerAddress,
    Macro,
    Organisation,
    OrganisationDomain,
    Role,
    SavedView,
    Tag,
    Team,
    Ticket,
    TicketRelation,
    TicketTag,
    User,
)

# Who is asking: `request.user`, a person or nobody signed in.
Viewer = User | AnonymousUser


def tickets_visible_to(user: Viewer) -> QuerySet[Ticket]:
    """Managers and admins see every ticket; agents those of their teams and those assigned
    to them; anyone else nothing.

    The agent's condition is on the ticket's own columns (`team_id IN (the agent's teams) OR
    assignee_id = the agent`), never a join: a ticket appears once however many ways the
    agent may see it, so no DISTINCT (which sorted or hashed every match at a million
    tickets) is needed, and the two halves are two index scans."""
    tickets = Ticket.objects.select_related("customer", "category", "team", "assignee")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return tickets.none()
    if user.sees_all_tickets:
        return tickets
    if user.role == Role.AGENT:
        return tickets.filter(Q(team_id__in=user.team_ids) | Q(assignee_id=user.pk))
    return tickets.none()


def ticket_search(value: str) -> Q:
    """Tickets the queue's search box and the API's `search` find: every word typed begins a
    word of the ticket's reference, subject, description, replies, notes or customer's name
    or e-mail, accents and case ignored — or the search is the ticket's reference
    (`PUL-000123`, `123`). cases/search.py says how, on PostgreSQL and on SQLite."""
    return search.matching(search.TicketSearch.parse(value))


TagMatch = Literal["all", "any"]


def tagged(names: Sequence[str], match: TagMatch = "all") -> Q:
    """Tickets that carry every one of the (normalised) tags `names` — or, with
    `match="any"`, at least one. The tags are looked up first: a name no ticket carries
    matches nothing ("all") or is left out ("any"); each condition is then an EXISTS over
    the ticket's own tags (`ticket_tag_once`), or read from `ticket_tag_by_tag` when few
    tickets carry the tag."""
    if not names:
        return Q()
    ids = list(Tag.objects.filter(name__in=names).values_list("pk", flat=True))
    if match == "any":
        return Q(Exists(TicketTag.objects.filter(ticket=OuterRef("pk"), tag_id__in=ids)))
    if len(ids) < len(set(names)):
        return Q(pk__in=[])
    condition = Q()
    for tag_id in ids:
        condition &= Q(Exists(TicketTag.objects.filter(ticket=OuterRef("pk"), tag_id=tag_id)))
    return condition


def tags_in_use(tickets: QuerySet[Ticket], limit: int = 15) -> list[tuple[str, int]]:
    """The tags most carried by `tickets`, with how many of them carry each: the queue's
    tag counts."""
    rows = (
        TicketTag.objects.filter(ticket__in=tickets.order_by().values("pk"))
        .values("tag__name")
        .annotate(tickets=Count("ticket"))
        .order_by("-tickets", "tag__name")[:limit]
    )
    return [(row["tag__name"], row["tickets"]) for row in rows]


def last_event_id(ticket: Ticket) -> int:
    """The newest timeline event of the ticket (0 before any): what a page has seen."""
    latest = ticket.events.order_by("-pk").values_list("pk", flat=True).first()
    return latest or 0


def macros_offered_to(user: Viewer) -> QuerySet[Macro]:
    """The macros `user` may apply, in use: their own, the shared ones offered to everyone and
    those offered to one of their teams (managers and admins: every shared one)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role is None:
        return Macro.objects.none()
    shared = Q(owner__isnull=True)
    if not user.sees_all_tickets:
        limited = Macro.teams.through.objects.filter(macro_id=OuterRef("pk"))
        shared &= ~Exists(limited) | Exists(limited.filter(team_id__in=user.team_ids))
    return Macro.objects.filter(is_active=True).filter(Q(owner=user) | shared)


def macros_editable_by(user: Viewer) -> QuerySet[Macro]:
    """The macros `user` may change: their own, and every shared one for managers and admins."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role is None:
        return Macro.objects.none()
    if user.sees_all_tickets:
        return Macro.objects.filter(Q(owner=user) | Q(owner__isnull=True))
    return Macro.objects.filter(owner=user)


def macros_nameable_by(user: Viewer | None) -> QuerySet[Macro]:
    """The macros a queue's drill-down may name: every one for managers and admins (their
    dashboard's macro table lists them all), the shared ones and their own for an agent —
    another agent's personal macro is not theirs to see, not even its title."""
    if user is not None and getattr(user, "sees_all_tickets", False):
        return Macro.objects.all()
    if user is not None and user.is_authenticated:
        return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    return Macro.objects.filter(owner__isnull=True)


def saved_views_offered_to(user: Viewer) -> QuerySet[SavedView]:
    """The saved views `user` may open from their queue: their own, the shared ones offered to
    everyone and those offered to one of their teams (managers and admins: every shared one).
    Nobody is offered another person's personal view."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role is None:
        return SavedView.objects.none()
    shared = Q(owner__isnull=True)
    if not user.sees_all_tickets:
        limited = SavedView.teams.through.objects.filter(savedview_id=OuterRef("pk"))
        shared &= ~Exists(limited) | Exists(limited.filter(team_id__in=user.team_ids))
    return SavedView.objects.filter(Q(owner=user) | shared)


def saved_views_editable_by(user: Viewer) -> QuerySet[SavedView]:
    """The saved views `user` may rename or delete: their own, and every shared one for
    managers and admins."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role is None:
        return SavedView.objects.none()
    if user.sees_all_tickets:
        return SavedView.objects.filter(Q(owner=user) | Q(owner__isnull=True))
    return SavedView.objects.filter(owner=user)


def related_tickets(
    ticket: Ticket, user: Viewer
) -> tuple[list[tuple[TicketRelation, Ticket]], int]:
    """The tickets related to `ticket` that `user` may see, with their relation, oldest
    relation first — and how many more there are that `user` may not see."""
    relations = list(
        TicketRelation.objects.filter(Q(first=ticket) | Q(second=ticket)).order_by("pk")
    )
    others = tickets_visible_to(user).in_bulk([r.other(ticket.pk) for r in relations])
    shown = [(r, others[r.other(ticket.pk)]) for r in relations if r.other(ticket.pk) in others]
    return shown, len(relations) - len(shown)


def can_see_ticket(user: Viewer, ticket: Ticket) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role is None:
        return False
    if user.sees_all_tickets or ticket.assignee_id == user.pk:
        return True
    return ticket.team_id is not None and ticket.team_id in user.team_ids


def attachments_for_customer(ticket: Ticket) -> QuerySet[Attachment]:
    """The files of a ticket its customer may see and download: those of the opening message
    and of public replies — never an internal note's."""
    return Attachment.objects.filter(ticket=ticket).filter(
        Q(reply__isnull=True) | Q(reply__public=True)
    )


def staff_users() -> QuerySet[User]:
    """Active people who can work tickets (agents, managers, admins)."""
    in_a_role = User.groups.through.objects.filter(
        group__name__in=list(ROLE_GROUPS.values())
    ).values("user_id")
    return User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(pk__in=in_a_role))


def assignable_agents(ticket: Ticket | None = None) -> QuerySet[User]:
    """Who a ticket may be assigned to: active staff, members of the ticket's team if it has one."""
    agents = staff_users()
    if ticket is not None and ticket.team_id is not None:
        agents = agents.filter(teams=ticket.team_id)
    return agents.order_by("first_name", "last_name", "username")


def least_loaded_agent(team: Team) -> User | None:
    """The active member of `team` with the fewest active tickets (ties: longest-standing)."""
    return (
        staff_users()
        .filter(teams=team)
        .annotate(
            load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=ACTIVE_STATUSES))
        )
        .order_by("load", "id")
        .first()
    )


def next_agent_for(team: Team) -> User | None:
    """Who gets the team's next case under its automatic assignment: among its available
    active members, round robin (the one after the last assigned, by id) or the fewest
    open tickets. None when the team assigns by hand or nobody is available.
    Precondition for round robin: the team row is locked (two cases never take one turn)."""
    members = staff_users().filter(teams=team, is_available=True).distinct()
    if team.assignment == AssignmentMode.ROUND_ROBIN:
        ordered = members.order_by("id")
        after = ordered.filter(id__gt=team.last_assigned_id or 0).first()
        return after or ordered.first()
    if team.assignment == AssignmentMode.LEAST_OPEN:
        return (
            members.annotate(
                load=Count(
                    "assigned_tickets", filter=Q(assigned_tickets__status__in=ACTIVE_STATUSES)
                )
            )
            .order_by("load", "id")
            .first()
        )
    return None


def team_managers(team_id: int | None) -> list[User]:
    """Who hears about a team's problems (SLA breaches, unhappy customers): its members who
    are managers, or every manager when it has none; only people with an e-mail."""
    managers = User.objects.filter(is_active=True, groups__name=ROLE_GROUPS[Role.MANAGER])
    managers = managers.exclude(email="")
    of_team = managers.filter(teams=team_id) if team_id else managers.none()
    return list((of_team if of_team.exists() else managers).distinct())


def customers_with_email(email: str) -> QuerySet[Customer]:
    """The customer with this e-mail as their primary or one of their other addresses,
    whatever its case — through the unique indexes on LOWER(email) of both tables
    (`email__iexact` would read the whole table). The other addresses are read first, so the
    query left is two index lookups (a BitmapOr on PostgreSQL), never a scan."""
    value = (email or "").strip()
    if not value:
        return Customer.objects.none()
    owners = list(
        CustomerAddress.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=Lower(Value(value)))
        .order_by()
        .values_list("customer_id", flat=True)
    )
    # `email` not empty: the condition of the partial unique index, which lets it be used.
    primary = Q(email_lower=Lower(Value(value))) & ~Q(email="")
    return Customer.objects.alias(email_lower=Lower("email")).filter(
        primary | Q(pk__in=owners) if owners else primary
    )


def addresses_of(customer: Customer) -> list[str]:
    """Every address of a customer, the primary first, as written."""
    others = list(customer.addresses.order_by("email").values_list("email", flat=True))
    return [customer.email, *others] if customer.email else others


def organisation_for_email(email: str) -> Organisation | None:
    """The organisation whose domain is the e-mail's (`ana@empresa.com.co` → the one with
    `empresa.com.co`): where a new customer with this address belongs. An exact match on the
    domain, stored in lower case."""
    _local, at, domain = (email or "").strip().rpartition("@")
    if not at or not domain:
        return None
    found = (
        OrganisationDomain.objects.filter(domain=domain.lower())
        .select_related("organisation")
        .first()
    )
    return found.organisation if found else None


def organisations_visible_to(user: Viewer) -> QuerySet[Organisation]:
    """Every organisation, for anyone with a role (as customers are)."""
    if not user.is_authenticated or user.role is None:
        return Organisation.objects.none()
    return Organisation.objects.all()


def organisations_with_counts(user: Viewer, search: str = "") -> QuerySet[Organisation]:
    """Organisations matching `search` (part of the name or a domain), each with its number
    of contacts (`contact_count`), its account manager and its domains, in name order."""
    organisations = organisations_visible_to(user)
    search = (search or "").strip()
    if search:
        organisations = organisations.filter(organisation_matches(search))
    return (
        organisations.annotate(contact_count=_contacts_of_organisation())
        .select_related("account_manager")
        .prefetch_related("domains")
        .order_by("name", "id")
    )


def organisation_matches(search: str) -> Q:
    """Organisations whose name or one of whose domains holds `search` (any case)."""
    in_a_domain = OrganisationDomain.objects.filter(
        organisation=OuterRef("pk"), domain__icontains=search.strip().lower()
    )
    return Q(name__icontains=search.strip()) | Q(Exists(in_a_domain))


def _contacts_of_organisation() -> Coalesce:
    counted = (
        Customer.objects.filter(organisation=OuterRef("pk"))
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
    )
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


def account_managers() -> QuerySet[User]:
    """Who may look after an organisation's account: the active staff."""
    return staff_users().order_by("first_name", "last_name", "username")


def customers_visible_to(user: Viewer) -> QuerySet[Customer]:
    if not user.is_authenticated or user.role is None:
        return Customer.objects.none()
    return Customer.objects.all()


# A token's public name: the start of the SHA-512 hash knox stores, never part of the secret
# (knox's token_key is the secret's first characters).
API_TOKEN_ID_LENGTH = 16


def api_token_id(token: AuthToken) -> str:
    token_id: str = token.digest[:API_TOKEN_ID_LENGTH]  # knox is untyped: its digest is Any
    return token_id


def api_tokens_of(user: User) -> QuerySet[AuthToken]:
    """A person's API tokens that still work, newest first."""
    tokens: QuerySet[AuthToken] = (  # knox is untyped: its manager is Any
        AuthToken.objects.filter(user=user)
        .filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
        .order_by("-created")
    )
    return tokens


# A chain of merges longer than this is not followed further (each merge is one agent's act).
MERGE_CHAIN_MAX = 20


def merged_target(ticket: Ticket) -> Ticket:
    """The ticket a merged ticket carries on in, following merges of merges; the ticket
    itself when it was not merged. Where mail and the customer's replies to a merged
    ticket go."""
    for _hop in range(MERGE_CHAIN_MAX):
        if ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.select_related("customer").get(pk=ticket.merged_into_id)
    return ticket


def merged_into_this(ticket: Ticket) -> QuerySet[Ticket]:
    """The tickets merged into `ticket`, the latest first (its page lists them)."""
    return Ticket.objects.filter(merged_into=ticket).order_by("-merged_at", "-pk")


# A customer search hands over at most this many ids found through other addresses or
# organisations (beyond that the text is too common to narrow anything).
CUSTOMER_SEARCH_IDS = 500


def customer_search(value: str) -> Q:
    """Customers whose name, e-mail, company or phone contains `value` (any case), or one of
    whose other addresses does, or whose organisation's name does: the customer list's and
    the API's search. The other addresses and the organisations are looked up first and
    handed over as ids, so the customers' own columns keep their trigram indexes."""
    value = value.strip()
    match = (
        Q(name__icontains=value)
        | Q(email__icontains=value)
        | Q(company__icontains=value)
        | Q(phone__icontains=value)
    )
    by_address = list(
        CustomerAddress.objects.filter(email__icontains=value)
        .order_by()
        .values_list("customer_id", flat=True)[:CUSTOMER_SEARCH_IDS]
    )
    if by_address:
        match |= Q(pk__in=by_address)
    organisations = list(
        Organisation.objects.filter(name__icontains=value)
        .order_by()
        .values_list("pk", flat=True)[:CUSTOMER_SEARCH_IDS]
    )
    if organisations:
        match |= Q(organisation_id__in=organisations)
    return match
