"""Related tickets in the demo: cases that the desk's agents saw belong together."""

from .. import services
from ..models import Ticket
from .world import World

# (category, note): the two oldest cases of the category, as an agent would have linked them.
PAIRS = [
    ("Envíos", "Mismo retraso de la transportadora en Medellín."),
    ("Facturación", "El mismo cobro duplicado del cierre de mes."),
]


def relate_demo_tickets(world: World) -> None:
    manager = world.managers[0]
    for category, note in PAIRS:
        pair = list(Ticket.objects.filter(category__name=category).order_by("pk")[:2])
        if len(pair) == 2:
            services.relate_tickets(ticket=pair[0], other=pair[1], by=manager, note=note)
