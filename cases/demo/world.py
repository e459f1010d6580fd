"""The desk the stories play in, built once per load: teams, their SLA, staff, categories
and customers."""

import random
from dataclasses import dataclass, field
from datetime import date

from ..models import Category, Customer, Macro, Team, User
from .organisations import create_organisations
from .people import _create_customers, _create_staff
from .sla import _sla_setup

TEAMS = [
    ("Soporte N1 / Mesa de ayuda", 1),
    ("Soporte N2 / Técnico", 2),
    ("Especialistas N3", 3),
]

# name, description, default team level, escalation probability
CATEGORIES = [
    ("Facturación", "Cobros, facturas y medios de pago", 1, 0.15),
    ("Acceso y contraseñas", "Inicio de sesión, bloqueos y verificación", 1, 0.12),
    ("Envíos", "Entregas, guías y direcciones", 1, 0.08),
    ("Devoluciones", "Devoluciones, cambios y reembolsos", 1, 0.08),
    ("Producto defectuoso", "Garantías y fallas de productos", 1, 0.45),
    ("Instalación", "Instalación y configuración de equipos", 2, 0.25),
    ("Consulta general", "Información de productos, tiendas y servicios", 1, 0.04),
    ("Reclamos", "Quejas formales sobre el servicio", 1, 0.25),
]


@dataclass
class World:
    teams: dict[int, Team]
    agents: dict[int, list[User]]
    managers: list[User]
    categories: list[tuple[Category, float]]
    customers: list[Customer]
    churned: set[int] = field(default_factory=set)
    macros: dict[str, Macro] = field(default_factory=dict)  # by title (demo/macros.py)


def _build_world(rng: random.Random, today: date) -> World:
    teams = {}
    for name, level in TEAMS:
        teams[level], _created = Team.objects.get_or_create(name=name, defaults={"level": level})
    _sla_setup(teams, today)
    agents, managers = _create_staff(teams, today)
    categories = []
    for name, description, level, escalation in CATEGORIES:
        category, _created = Category.objects.get_or_create(
            name=name, defaults={"description": description, "default_team": teams[level]}
        )
        categories.append((category, escalation))
    customers, churned = _create_customers(rng, today)
    create_organisations(customers)
    return World(teams, agents, managers, categories, customers, churned)
