"""The demo's organisations: four of the customers' companies with their e-mail domains and
an account manager, their customers as contacts (one of them sees the organisation's cases),
a work address at the organisation's domain for some of them, and one new contact each who
joined by writing from the domain.

Drawn from a random stream of its own, so the rest of the demo (customers, tickets, surveys)
is the same with or without it."""

import random

from .. import services
from ..models import Customer, Organisation, User
from ..services.customers import add_customer_address
from ..services.organisations import create_organisation
from .people import _ascii

SEED = 20261204

# name (one of people.COMPANIES_*), domains, account manager (a manager's username or None),
# the new contact who joins by domain (first name, last name, language)
ORGANISATIONS = [
    (
        "Ruiz & Asociados Contadores",
        ["ruizasociados.com.co", "ruizcontadores.co"],
        "manager",
        ("Rosa", "Quintero", "es"),
    ),
    ("Clínica Santa Fe", ["clinicasantafe.com.co"], "jorge.restrepo", ("Iván", "Beltrán", "es")),
    ("Colegio San Marcos", ["colegiosanmarcos.edu.co"], None, ("Lucía", "Marín", "es")),
    ("Brightside Dental", ["brightsidedental.com"], "manager", ("Grace", "Harper", "en")),
]
NOTES = {
    "Ruiz & Asociados Contadores": "Cliente mayorista: facturación mensual consolidada.",
    "Clínica Santa Fe": "Contrato de soporte prioritario hasta diciembre.",
}
# Customers outside the organisations who also write from a second, personal address.
PERSONAL_DOMAIN = "correo.example"
SECOND_ADDRESSES = 3


def create_organisations(customers: list[Customer]) -> list[Organisation]:
    """The organisations, their contacts and the customers' second addresses (module
    docstring). Precondition: inside the demo's transaction, replaying history."""
    rng = random.Random(SEED)
    managers = {user.username: user for user in User.objects.filter(is_staff=True)}
    made = []
    for name, domains, manager, newcomer in ORGANISATIONS:
        organisation = create_organisation(
            by=None,
            name=name,
            notes=NOTES.get(name, ""),
            account_manager=managers.get(manager) if manager else None,
            domains=domains,
        )
        contacts = [c for c in customers if c.company == name]
        for contact in contacts:
            services.update_customer(customer=contact, by=None, organisation=organisation)
            if rng.random() < 0.5:  # their work address too
                local = contact.email.split("@")[0]
                add_customer_address(customer=contact, by=None, email=f"{local}@{domains[0]}")
        first, last, language = newcomer
        joined = services.find_or_create_customer(  # joins by the domain
            email=f"{_ascii(first)}.{_ascii(last)}@{domains[-1]}",
            name=f"{first} {last}",
            company=name,
            language=language,
        )
        admin = contacts[0] if contacts else joined
        services.update_customer(customer=admin, by=None, is_organisation_admin=True)
        made.append(organisation)
    others = [c for c in customers if c.organisation_id is None and c.email]
    for customer in rng.sample(others, min(SECOND_ADDRESSES, len(others))):
        local = customer.email.split("@")[0]
        add_customer_address(customer=customer, by=None, email=f"{local}@{PERSONAL_DOMAIN}")
    return made
