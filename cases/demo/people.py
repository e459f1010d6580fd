"""The demo's people: the staff with their logins, and ~60 customers with names, companies
and phones drawn from short lists, some of whom left the company in the last 90 days."""

import random
import unicodedata
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from .. import services
from ..models import ROLE_GROUPS, Customer, Language, Role, Team, User

PASSWORD = "pulso-demo"  # noqa: S105 - the documented demo password
MARKER_USERNAME = "agent"


def _split(text: str) -> list[str]:
    """A comma-separated list written as one block of text (keeps long name lists short)."""
    return [item.strip() for item in text.split(",") if item.strip()]


# username, first name, last name, role, team level (agents only)
STAFF = [
    ("agent", "Valentina", "Rojas", Role.AGENT, 1),
    ("diego.martinez", "Diego", "Martínez", Role.AGENT, 1),
    ("laura.gomez", "Laura", "Gómez", Role.AGENT, 1),
    ("andres.castro", "Andrés", "Castro", Role.AGENT, 1),
    ("camila.ortiz", "Camila", "Ortiz", Role.AGENT, 2),
    ("javier.moreno", "Javier", "Moreno", Role.AGENT, 2),
    ("natalia.vargas", "Natalia", "Vargas", Role.AGENT, 3),
    ("sebastian.rios", "Sebastián", "Ríos", Role.AGENT, 3),
    ("manager", "Mariana", "López", Role.MANAGER, None),
    ("jorge.restrepo", "Jorge", "Restrepo", Role.MANAGER, None),
    ("admin", "Adriana", "Salcedo", Role.ADMIN, None),
]

FIRST_NAMES_ES = _split(
    """
    Alejandro, María José, Carlos, Daniela, Juan Pablo, Paula, Santiago, Valeria, Felipe,
    Catalina, Miguel, Isabella, Ricardo, Gabriela, Luis, Mónica, Fernando, Carolina,
    Héctor, Juliana, Óscar, Manuela, Esteban, Lorena, Tomás, Ángela, Mauricio, Sara,
    Julián, Patricia
    """
)
LAST_NAMES_ES = _split(
    """
    García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez,
    Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Gutiérrez, Ramos, Castillo,
    Jiménez, Romero, Álvarez, Mendoza, Herrera, Medina, Ospina, Cárdenas, Zapata, Arango,
    Salazar
    """
)
FIRST_NAMES_EN = _split(
    """
    James, Emily, Michael, Sarah, David, Jessica, Robert, Olivia, Daniel, Emma, Thomas,
    Hannah
    """
)
LAST_NAMES_EN = _split(
    """
    Smith, Johnson, Brown, Taylor, Anderson, Wilson, Clark, Walker, Wright, Mitchell,
    Carter, Turner
    """
)
COMPANIES_ES = _split(
    """
    Distribuidora Andina S.A.S., Café del Quindío, Ferretería El Tornillo,
    Clínica Santa Fe, Colegio San Marcos, Transportes Rápidos del Valle,
    Panadería La Espiga, Hotel Mirador, Inmobiliaria Horizonte, Agencia Creativa Nómada,
    Constructora Bambú, Droguería Vida, Restaurante Sazón Paisa,
    Ruiz & Asociados Contadores
    """
)
COMPANIES_EN = _split(
    """
    Northwind Traders, Blue Harbor Consulting, Greenleaf Cafe, Summit Logistics,
    Brightside Dental
    """
)
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _create_staff(
    world_teams: dict[int, Team], today: date
) -> tuple[dict[int, list[User]], list[User]]:
    password = make_password(PASSWORD)  # hashed once: hashing is deliberately slow
    # Last week is the demo's invented past: its weekly digest counts as sent. The first
    # digest reports the week the demo was started in (metrics.digest.last_full_week).
    last_week = today - timedelta(days=today.weekday() + 7)
    groups = {role: Group.objects.get_or_create(name=name)[0] for role, name in ROLE_GROUPS.items()}
    agents: dict[int, list[User]] = {1: [], 2: [], 3: []}
    managers: list[User] = []
    for username, first, last, role, level in STAFF:
        user = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            password=password,
            email=f"{_ascii(first)}.{_ascii(last)}@pulso.example.com",
            language=Language.SPANISH,
            is_staff=role in (Role.MANAGER, Role.ADMIN),
            is_superuser=role == Role.ADMIN,
            weekly_digest_sent_for=last_week,
        )
        user.groups.add(groups[role])
        if role == Role.AGENT:
            assert level is not None  # every agent of STAFF works at a level
            world_teams[level].members.add(user)
            agents[level].append(user)
        elif role == Role.MANAGER:
            managers.append(user)
    return agents, managers


def _create_customers(rng: random.Random, today: date) -> tuple[list[Customer], set[int]]:
    people = [("es", f, la) for f in FIRST_NAMES_ES for la in LAST_NAMES_ES]
    english = [("en", f, la) for f in FIRST_NAMES_EN for la in LAST_NAMES_EN]
    chosen = rng.sample(people, 50) + rng.sample(english, 10)
    rng.shuffle(chosen)
    customers, churned = [], set()
    used_emails = set()
    for index, (language, first, last) in enumerate(chosen):
        companies = COMPANIES_ES if language == "es" else COMPANIES_EN
        company = rng.choice(companies) if rng.random() < 0.55 else ""
        domain = rng.choice(EMAIL_DOMAINS)
        local = f"{_ascii(first).replace(' ', '')}.{_ascii(last)}"
        email = f"{local}@{domain}"
        if email in used_emails:
            email = f"{local}{index}@{domain}"
        used_emails.add(email)
        if language == "es":
            mobile = (rng.randint(0, 25), rng.randint(100, 999), rng.randint(0, 9999))
            phone = f"+57 3{mobile[0]:02d} {mobile[1]} {mobile[2]:04d}"
        else:
            phone = f"+1 202 555 01{rng.randint(0, 99):02d}"
        customer = services.find_or_create_customer(
            email=email,
            name=f"{first} {last}",
            phone=phone,
            company=company,
            language=language,
        )
        recent = rng.random() < 0.12
        since = today - timedelta(days=rng.randint(20, 85) if recent else rng.randint(120, 730))
        services.update_customer(customer=customer, by=None, active_since=since)
        customers.append(customer)
    # About eight customers left in the last 90 days: long-standing ones.
    long_standing = [c for c in customers if c.active_since < today - timedelta(days=120)]
    for customer in rng.sample(long_standing, 8):
        services.update_customer(
            customer=customer, by=None, churned_at=today - timedelta(days=rng.randint(3, 88))
        )
        churned.add(customer.pk)
    return customers, churned
