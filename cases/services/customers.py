from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..errors import ValidationError
from ..models import Customer, Language
from ..selectors import customers_with_email

_EDITABLE = ("name", "email", "phone", "company", "language", "active_since", "churned_at")


def _clean_email(email: str) -> str:
    return (email or "").strip()


def find_or_create_customer(
    *, email: str, name: str = "", phone: str = "", company: str = "", language: str = ""
) -> Customer:
    """The customer with this e-mail (any case), created if new. An existing customer's
    details are not overwritten by what a form happened to send."""
    email = _clean_email(email)
    if not email:
        if not name.strip():
            raise ValidationError(_("A customer needs an e-mail or a name."), field="email")
        return Customer.objects.create(
            name=name.strip(),
            phone=phone.strip(),
            company=company.strip(),
            language=language or Language.SPANISH,
        )
    existing = customers_with_email(email).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Customer.objects.create(
                email=email,
                name=name.strip() or email.split("@")[0],
                phone=phone.strip(),
                company=company.strip(),
                language=language or Language.SPANISH,
            )
    except IntegrityError:
        # Another request created the same customer a moment ago.
        return customers_with_email(email).get()


@transaction.atomic
def update_customer(*, customer: Customer, **changes) -> Customer:
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown customer fields: %s") % ", ".join(sorted(unknown)))
    if "email" in changes:
        changes["email"] = _clean_email(changes["email"])
        clash = customers_with_email(changes["email"]).exclude(pk=customer.pk)
        if changes["email"] and clash.exists():
            raise ValidationError(_("A customer with this e-mail already exists."), field="email")
    churned, since = (
        changes.get("churned_at", customer.churned_at),
        changes.get("active_since", customer.active_since),
    )
    if churned and since and churned < since:
        raise ValidationError(_("A customer cannot churn before becoming one."), field="churned_at")
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.save(update_fields=list(changes))
    return customer
