"""Customers: find or create one by e-mail, edit one's details and other addresses under
the edit policy.

Who may edit a customer (`may_edit_customer`): managers and admins any; an agent a customer
who has a case the agent can see (of one of their teams, or assigned to them) or who has no
case yet. A changed e-mail address redirects every later private link to the case pages, so
an agent never edits another team's customer. Every change is recorded (`CustomerChange`:
who, when, old → new) and a changed address is told at its old address.

Whether a contact sees their organisation's cases in the portal (`is_organisation_admin`)
opens other customers' cases to them: only managers and admins change it, or the
organisation of a contact who has it.

A customer is found by any of their addresses: the primary (`Customer.email`) or another
(`CustomerAddress`); an address is one customer's only. A new customer whose address is at an
organisation's domain joins that organisation (`organisation_for_email`). Changing a
customer's address later never moves them to another organisation: their organisation
changes only when someone sets it.
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from ..errors import PermissionDenied, ValidationError
from ..models import (
    Customer,
    CustomerAddress,
    CustomerChange,
    Language,
    NotificationKind,
    Organisation,
    User,
)
from ..selectors import customers_with_email, organisation_for_email, tickets_visible_to
from ..signals import is_replaying
from .notifications import queue_customer_notice

_EDITABLE = (
    "name",
    "email",
    "phone",
    "company",
    "language",
    "active_since",
    "churned_at",
    "organisation",
    "is_organisation_admin",
)
# The key of a change to the other addresses in `CustomerChange.changes`.
ADDRESSES = "addresses"


def _clean_email(email: str) -> str:
    return (email or "").strip()


def find_or_create_customer(
    *,
    email: str,
    name: str = "",
    phone: str = "",
    company: str = "",
    language: str = "",
    organisation: Organisation | None = None,
) -> Customer:
    """The customer with this e-mail (any case, primary or another of their addresses),
    created if new. An existing customer's details are not overwritten by what a form
    happened to send. A new customer joins `organisation`, or when none is given the one
    whose domain their address is at."""
    customer = new_customer(
        email=email,
        name=name,
        phone=phone,
        company=company,
        language=language,
        organisation=organisation,
    )
    if not customer.email:
        customer.save()
        return customer
    existing = customers_with_email(customer.email).first()
    if existing:
        return existing
    if customer.organisation is None:
        customer.organisation = organisation_for_email(customer.email)
    try:
        with transaction.atomic():
            customer.save()
            return customer
    except IntegrityError:
        # Another request created the same customer a moment ago.
        return customers_with_email(customer.email).get()


def new_customer(
    *,
    email: str,
    name: str = "",
    phone: str = "",
    company: str = "",
    language: str = "",
    organisation: Organisation | None = None,
) -> Customer:
    """A customer as `find_or_create_customer` creates one, unsaved (the history import
    writes many at once): without a name, the e-mail's local part names them. The
    organisation by domain is `find_or_create_customer`'s to find (the import looks its
    domains up once)."""
    email = _clean_email(email)
    if not email and not name.strip():
        raise ValidationError(_("A customer needs an e-mail or a name."), field="email")
    return Customer(
        email=email,
        name=name.strip() or email.split("@")[0],
        phone=phone.strip(),
        company=company.strip(),
        language=language or Language.SPANISH,
        organisation=organisation,
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


def may_change_organisation_admin(user: User | None) -> bool:
    """Whether `user` may change who sees an organisation's cases (module docstring)."""
    return user is None or bool(user.sees_all_tickets)


def _check_organisation_fields(current: Customer, changes: dict[str, Any], by: User | None) -> None:
    """Refuses what would open an organisation's cases to someone without a manager, and an
    organisation admin who belongs to no organisation. Precondition: `current` is locked."""
    organisation = changes.get("organisation", current.organisation)
    if organisation is None and "is_organisation_admin" not in changes:
        changes["is_organisation_admin"] = False  # leaving the organisation ends it
    admin = changes.get("is_organisation_admin", current.is_organisation_admin)
    if admin and organisation is None:
        raise ValidationError(
            _("Only a contact of an organisation can see the organisation's cases."),
            field="is_organisation_admin",
        )
    opens_cases = admin != current.is_organisation_admin or (
        admin and getattr(organisation, "pk", None) != current.organisation_id
    )
    if opens_cases and not may_change_organisation_admin(by):
        raise PermissionDenied(
            _(
                "Only managers and admins decide who sees an organisation's cases (and the "
                "organisation of a contact who does)."
            )
        )


def _value_of(customer: Customer, field: str) -> Any:
    return customer.organisation if field == "organisation" else getattr(customer, field)


@transaction.atomic
def update_customer(
    *,
    customer: Customer,
    by: User | None,
    # Fields of _EDITABLE with their new values (text or dates, as forms and the API clean
    # them; the organisation an Organisation or None); any other name is refused below.
    **changes: Any,
) -> Customer:
    """Change a customer's details as `by` (None: the system — demo data, the history
    import). Refused with nothing written when `by` may not edit this customer. Records
    what changed; a new e-mail address is announced to the old one. A new primary address
    that was one of their other addresses is no longer listed among those."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown customer fields: %s") % ", ".join(sorted(unknown)))
    # The locked row is the truth the change is checked and recorded against.
    current = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=customer.pk)
    )
    if by is not None:
        check_may_edit_customer(by, current)
    if "email" in changes:
        changes["email"] = _clean_email(changes["email"])
        clash = customers_with_email(changes["email"]).exclude(pk=customer.pk)
        if changes["email"] and clash.exists():
            raise ValidationError(_("A customer with this e-mail already exists."), field="email")
    if "organisation" in changes or "is_organisation_admin" in changes:
        _check_organisation_fields(current, changes, by)
    churned, since = (
        changes.get("churned_at", current.churned_at),
        changes.get("active_since", current.active_since),
    )
    if churned and since and churned < since:
        raise ValidationError(_("A customer cannot churn before becoming one."), field="churned_at")
    diff = {
        field: (_value_of(current, field), value)
        for field, value in changes.items()
        if _value_of(current, field) != value
    }
    for field, value in changes.items():
        setattr(customer, field, value)
    if not diff:
        return customer
    addresses_before = _other_addresses(current)
    if "email" in diff and diff["email"][1]:
        # Their new primary address is no longer one of the others.
        current.addresses.alias(email_lower=Lower("email")).filter(
            email_lower=Lower(Value(diff["email"][1]))
        ).delete()
    customer.save(update_fields=list(diff))
    if is_replaying():
        return customer
    recorded = {field: [_as_text(old), _as_text(new)] for field, (old, new) in diff.items()}
    addresses_after = _other_addresses(current)
    if addresses_after != addresses_before:
        recorded[ADDRESSES] = [_addresses_text(addresses_before), _addresses_text(addresses_after)]
    CustomerChange.objects.create(customer=customer, by=by, changes=recorded)
    old_email, new_email = diff.get("email", ("", ""))
    if old_email and old_email.lower() != new_email.lower():
        queue_customer_notice(
            customer=customer, kind=NotificationKind.EMAIL_CHANGED, to_address=old_email
        )
    return customer


# --- other addresses --------------------------------------------------------------------------


def _other_addresses(customer: Customer) -> list[str]:
    return list(customer.addresses.order_by("email").values_list("email", flat=True))


def _addresses_text(addresses: list[str]) -> str | None:
    return ", ".join(addresses) or None


def _clean_address(email: str) -> str:
    email = _clean_email(email)
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError(_("Enter a valid e-mail address."), field="email") from None
    if len(email) > 254:
        raise ValidationError(_("An e-mail address has at most 254 characters."), field="email")
    return email


@transaction.atomic
def add_customer_address(*, customer: Customer, by: User | None, email: str) -> CustomerAddress:
    """Give `customer` another address: mail from it finds them. Refused with nothing
    written when `by` may not edit them, or the address is not one, or it is already theirs
    or another customer's (primary or other) — recorded as a change of their addresses.

    The database keeps an address unique among the other addresses; a primary address
    written at the same moment by another request is the one race it cannot see."""
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if by is not None:
        check_may_edit_customer(by, current)
    email = _clean_address(email)
    owner = customers_with_email(email).first()
    if owner is not None and owner.pk == current.pk:
        raise ValidationError(
            _("%(email)s is already one of %(name)s's addresses.")
            % {"email": email, "name": current.name},
            field="email",
        )
    if owner is not None:
        raise ValidationError(
            _(
                "%(email)s is the address of another customer, %(name)s. If they are the same "
                "person, merge the two records."
            )
            % {"email": email, "name": owner.name},
            field="email",
        )
    before = _other_addresses(current)
    try:
        with transaction.atomic():
            address = CustomerAddress.objects.create(customer=current, email=email)
    except IntegrityError:
        raise ValidationError(
            _("Another customer already has this e-mail address."), field="email"
        ) from None
    if not is_replaying():
        CustomerChange.objects.create(
            customer=current,
            by=by,
            changes={ADDRESSES: [_addresses_text(before), _addresses_text([*before, email])]},
        )
    return address


@transaction.atomic
def remove_customer_address(*, customer: Customer, by: User | None, address_id: int) -> None:
    """Take one of `customer`'s other addresses away (mail from it no longer finds them).
    Refused with nothing written when `by` may not edit them or it is not theirs."""
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if by is not None:
        check_may_edit_customer(by, current)
    address = CustomerAddress.objects.filter(pk=address_id, customer=current).first()
    if address is None:
        raise ValidationError(_("That address is not one of this customer's."), field="email")
    before = _other_addresses(current)
    address.delete()
    if not is_replaying():
        after = [email for email in before if email != address.email]
        CustomerChange.objects.create(
            customer=current,
            by=by,
            changes={ADDRESSES: [_addresses_text(before), _addresses_text(after)]},
        )
