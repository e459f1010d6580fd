"""What the customer portal reads: whose address asks for a sign-in link, and which cases a
signed-in customer may see.

The rule of "My cases" (`cases_of`), the one place it is decided: a customer sees the cases
they opened; a contact marked as the organisation's admin (`Customer.is_organisation_admin`)
who belongs to an organisation sees every case of the organisation's contacts. Anything else
is as unknown as a case that does not exist (404).
"""

from dataclasses import dataclass

from django.db.models import QuerySet, Value
from django.db.models.functions import Lower

from .models import Customer, CustomerAddress, Ticket, parse_reference


@dataclass(frozen=True)
class AddressOwner:
    """The customer an address belongs to, and the address as the desk has it written."""

    customer: Customer
    address: str


def owner_of_address(address: str) -> AddressOwner | None:
    """The customer whose primary e-mail or one of whose other addresses (`CustomerAddress`)
    is `address`, whatever its case. Both lookups run every time — each one read through its
    unique index on LOWER(email) — so an unknown address costs the same as a known one."""
    value = (address or "").strip()
    primary = (
        Customer.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=Lower(Value(value)))
        .exclude(email="")
        .first()
    )
    other = (
        CustomerAddress.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=Lower(Value(value)))
        .select_related("customer")
        .first()
    )
    if not value:
        return None
    if primary is not None:
        return AddressOwner(primary, primary.email)
    if other is not None:
        return AddressOwner(other.customer, other.email)
    return None


def sees_organisation_cases(customer: Customer) -> bool:
    return customer.is_organisation_admin and customer.organisation_id is not None


def cases_of(customer: Customer) -> QuerySet[Ticket]:
    """The cases `customer` sees in the portal (module docstring), last updated first."""
    organisation_id = customer.organisation_id
    if customer.is_organisation_admin and organisation_id is not None:
        cases = Ticket.objects.filter(customer__organisation_id=organisation_id)
    else:
        cases = Ticket.objects.filter(customer_id=customer.pk)
    return cases.select_related("customer").order_by("-updated_at", "-id")


def case_of(customer: Customer, reference: str) -> Ticket | None:
    """The case with this reference (`PUL-000123`) if `customer` may see it; None for a
    malformed reference, a case that does not exist and someone else's alike."""
    pk = parse_reference(reference)
    if pk is None:
        return None
    return cases_of(customer).filter(pk=pk).first()
