"""Merging two records of one customer (a duplicate) into the one that carries on.

Everything of the duplicate moves to the kept record, in one transaction: its tickets (and
with them their replies, files, private links, followers, survey answers and follow-ups,
which belong to the tickets), its other addresses and its primary address (now one of the
kept record's other addresses, so mail from it finds the kept record), its portal sign-in
links, the notices about it, its recorded changes and earlier merges into it, and the rows
other apps keep about it (the surveys' invitations, through `cases.signals.customers_merged`).
Then the duplicate is deleted; `CustomerMerge` keeps its trace (id, name, e-mail, what moved,
who, when) and a `CustomerChange` on the kept record says what changed there.

The kept record keeps its own details; an empty phone, company or organisation is filled in
from the duplicate. Being a customer (the churn KPI, docs/kpis.md): the merged record was a
customer for as long as either record was — from the earlier `active_since`, and churned
only if both had churned, on the later `churned_at`. Whether the contact sees the
organisation's cases stays the kept record's (a merge never opens cases to anyone).

Who may: managers and admins (`may_merge_customers`): a merge cannot be undone and moves
cases of any team.
"""

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import PermissionDenied, ValidationError
from ..models import (
    Customer,
    CustomerAddress,
    CustomerChange,
    CustomerMerge,
    OutboundEmail,
    PortalSignIn,
    Ticket,
    TicketFollower,
    User,
)
from ..signals import customer_merge_counts, customers_merged, is_replaying

# The kept record's details a merge may fill in when empty, from the duplicate.
_FILLED_IN = ("phone", "company", "organisation")


def may_merge_customers(user: User | None) -> bool:
    """Managers and admins (module docstring). Reads only."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.sees_all_tickets)


def check_may_merge_customers(user: User | None) -> None:
    if not may_merge_customers(user):
        raise PermissionDenied(_("Only managers and admins merge customer records."))


def _check_pair(kept: Customer, duplicate: Customer) -> None:
    if kept.pk == duplicate.pk:
        raise ValidationError(
            _("A customer record cannot be merged into itself."), field="duplicate"
        )


def merge_counts(duplicate: Customer) -> dict[str, int]:
    """What a merge of `duplicate` would move, by kind (the confirmation page shows it)."""
    counts = {
        "tickets": Ticket.objects.filter(customer=duplicate).count(),
        "addresses": duplicate.addresses.count() + (1 if duplicate.email else 0),
        "followed_tickets": TicketFollower.objects.filter(customer=duplicate).count(),
        "portal_sign_ins": PortalSignIn.objects.filter(customer=duplicate).count(),
    }
    for _receiver, answer in customer_merge_counts.send(sender=Customer, customer=duplicate):
        counts.update(_counts(answer))
    return counts


def _counts(answer: object) -> dict[str, int]:
    """A receiver's answer as counts (one that answers nothing counts nothing)."""
    if not isinstance(answer, dict):
        return {}
    return {str(key): int(value) for key, value in answer.items()}


def _locked_pair(kept: Customer, duplicate: Customer) -> tuple[Customer, Customer]:
    """Both rows locked, lowest id first (two merges of one pair never deadlock)."""
    rows = {
        customer.pk: customer
        for customer in Customer.objects.select_for_update()
        .filter(pk__in=[kept.pk, duplicate.pk])
        .order_by("pk")
    }
    if kept.pk not in rows or duplicate.pk not in rows:
        raise ValidationError(_("That customer record no longer exists."), field="duplicate")
    return rows[kept.pk], rows[duplicate.pk]


def _customer_between(kept: Customer, duplicate: Customer) -> tuple[date, date | None]:
    """(active_since, churned_at) of the merged record: a customer while either was."""
    since = min(kept.active_since, duplicate.active_since)
    if kept.churned_at is None or duplicate.churned_at is None:
        return since, None
    return since, max(kept.churned_at, duplicate.churned_at)


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _move_rows(kept: Customer, duplicate: Customer) -> tuple[dict[str, int], list[int]]:
    """Every row naming the duplicate, onto the kept record; (counts, the moved tickets)."""
    tickets = list(Ticket.objects.filter(customer=duplicate).values_list("pk", flat=True))
    moved = {
        "tickets": Ticket.objects.filter(pk__in=tickets).update(customer=kept),
        "addresses": CustomerAddress.objects.filter(customer=duplicate).update(customer=kept),
        "followed_tickets": TicketFollower.objects.filter(customer=duplicate).update(customer=kept),
        "portal_sign_ins": PortalSignIn.objects.filter(customer=duplicate).update(customer=kept),
        "notices": OutboundEmail.objects.filter(customer=duplicate).update(customer=kept),
        "changes": CustomerChange.objects.filter(customer=duplicate).update(customer=kept),
        "earlier_merges": CustomerMerge.objects.filter(kept=duplicate).update(kept=kept),
    }
    taken = CustomerAddress.objects.alias(email_lower=Lower("email")).filter(
        email_lower=Lower(Value(duplicate.email))
    )
    if duplicate.email and not taken.exists():
        CustomerAddress.objects.create(customer=kept, email=duplicate.email)
        moved["addresses"] += 1
    return moved, tickets


@transaction.atomic
def merge_customers(
    *, kept: Customer, duplicate: Customer, by: User | None, at: datetime | None = None
) -> CustomerMerge:
    """Fold `duplicate` into `kept` (module docstring) as `by` (None: the system). Refused
    with nothing written: the same record twice, a record gone, or `by` not a manager."""
    if by is not None:
        check_may_merge_customers(by)
    _check_pair(kept, duplicate)
    at = at or timezone.now()
    kept, duplicate = _locked_pair(kept, duplicate)
    before = {
        "addresses": sorted(kept.addresses.values_list("email", flat=True)),
        **{field: getattr(kept, field) for field in ("active_since", "churned_at")},
        **{field: getattr(kept, field) for field in _FILLED_IN},
    }
    moved, tickets = _move_rows(kept, duplicate)
    for _receiver, answer in customers_merged.send(
        sender=Customer,
        kept=kept,
        duplicate=duplicate,
        ticket_ids=tickets,
        by=by,
        at=at,
        replay=is_replaying(),
    ):
        moved.update(_counts(answer))
    kept.active_since, kept.churned_at = _customer_between(kept, duplicate)
    for field in _FILLED_IN:
        if not getattr(kept, field) and getattr(duplicate, field):
            setattr(kept, field, getattr(duplicate, field))
    after: dict[str, Any] = {
        "addresses": sorted(kept.addresses.values_list("email", flat=True)),
        **{field: getattr(kept, field) for field in ("active_since", "churned_at")},
        **{field: getattr(kept, field) for field in _FILLED_IN},
    }
    changed = [field for field in after if field != "addresses" and after[field] != before[field]]
    if changed:
        kept.save(update_fields=changed)
    merge = CustomerMerge.objects.create(
        kept=kept,
        merged_id=duplicate.pk,
        merged_name=duplicate.name,
        merged_email=duplicate.email,
        moved=moved,
        by=by,
        at=at,
    )
    recorded: dict[str, list[str | None]] = {"merged": [None, str(duplicate)]}
    for field in after:
        if after[field] != before[field]:
            old, new = before[field], after[field]
            if field == "addresses":
                recorded[field] = [", ".join(old) or None, ", ".join(new) or None]
            else:
                recorded[field] = [_text(old), _text(new)]
    CustomerChange.objects.create(customer=kept, by=by, at=at, changes=recorded)
    duplicate.delete()
    return merge
