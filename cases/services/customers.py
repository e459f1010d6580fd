"""Customers: find or create one by e-mail, and edit one's details under the edit policy.

Who may edit a customer (`may_edit_customer`): managers and admins any; an agent a customer
who has a case the agent can see (of one of their teams, or assigned to them) or who has no
case yet. A changed e-mail address redirects every later private link to the case pages, so
an agent never edits another team's customer. Every change is recorded (`CustomerChange`:
who, when, old → new) and a changed address is told at its old address.
"""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..errors import PermissionDenied, ValidationError
from ..models import Customer, CustomerChange, Language, NotificationKind, User
from ..selectors import customers_with_email, tickets_visible_to
from ..signals import is_replaying
from .notifications import queue_customer_notice

_EDITABLE = ("name", "email", "phone", "company", "language", "active_since", "churned_at")


def _clean_email(email: str) -> str:
    return (email or "").strip()


def find_or_create_customer(
    *, email: str, name: str = "", phone: str = "", company: str = "", language: str = ""
) -> Customer:
    """The customer with this e-mail (any case), created if new. An existing customer's
    details are not overwritten by what a form happened to send."""
    customer = new_customer(email=email, name=name, phone=phone, company=company, language=language)
    if not customer.email:
        customer.save()
        return customer
    existing = customers_with_email(customer.email).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            customer.save()
            return customer
    except IntegrityError:
        # Another request created the same customer a moment ago.
        return customers_with_email(customer.email).get()


def new_customer(
    *, email: str, name: str = "", phone: str = "", company: str = "", language: str = ""
) -> Customer:
    """A customer as `find_or_create_customer` creates one, unsaved (the history import
    writes many at once): without a name, the e-mail's local part names them."""
    email = _clean_email(email)
    if not email and not name.strip():
        raise ValidationError(_("A customer needs an e-mail or a name."), field="email")
    return Customer(
        email=email,
        name=name.strip() or email.split("@")[0],
        phone=phone.strip(),
        company=company.strip(),
        language=language or Language.SPANISH,
    )


def may_edit_customer(user: User | None, customer: Customer) -> bool:
    """The edit policy (module docstring). Reads only."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role is None:
        return False
    if user.sees_all_tickets:
        return True
    if not customer.tickets.exists():
        return True
    return tickets_visible_to(user).filter(customer_id=customer.pk).exists()


def check_may_edit_customer(user: User | None, customer: Customer) -> None:
    """Raise PermissionDenied unless `user` may edit `customer` (callers that must refuse
    before reading any input, like the API)."""
    if not may_edit_customer(user, customer):
        raise PermissionDenied(
            _("You cannot edit this customer: none of their cases is in your teams.")
        )


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


@transaction.atomic
def update_customer(
    *,
    customer: Customer,
    by: User | None,
    # Fields of _EDITABLE with their new values (text or dates, as forms and the API clean
    # them); any other name is refused below.
    **changes: Any,
) -> Customer:
    """Change a customer's details as `by` (None: the system — demo data, the history
    import). Refused with nothing written when `by` may not edit this customer. Records
    what changed; a new e-mail address is announced to the old one."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown customer fields: %s") % ", ".join(sorted(unknown)))
    # The locked row is the truth the change is checked and recorded against.
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if by is not None:
        check_may_edit_customer(by, current)
    if "email" in changes:
        changes["email"] = _clean_email(changes["email"])
        clash = customers_with_email(changes["email"]).exclude(pk=customer.pk)
        if changes["email"] and clash.exists():
            raise ValidationError(_("A customer with this e-mail already exists."), field="email")
    churned, since = (
        changes.get("churned_at", current.churned_at),
        changes.get("active_since", current.active_since),
    )
    if churned and since and churned < since:
        raise ValidationError(_("A customer cannot churn before becoming one."), field="churned_at")
    diff = {
        field: (getattr(current, field), value)
        for field, value in changes.items()
        if getattr(current, field) != value
    }
    for field, value in changes.items():
        setattr(customer, field, value)
    if not diff:
        return customer
    customer.save(update_fields=list(diff))
    if is_replaying():
        return customer
    CustomerChange.objects.create(
        customer=customer,
        by=by,
        changes={field: [_as_text(old), _as_text(new)] for field, (old, new) in diff.items()},
    )
    old_email, new_email = diff.get("email", ("", ""))
    if old_email and old_email.lower() != new_email.lower():
        queue_customer_notice(
            customer=customer, kind=NotificationKind.EMAIL_CHANGED, to_address=old_email
        )
    return customer
