"""Related and merged tickets in the demo: cases that the desk's agents saw belong together."""

from datetime import datetime, timedelta

from .. import services
from ..models import Channel, Status, Ticket
from .world import World

DUPLICATE_TEXT = (
    "Les escribí hace unos días y sigo sin solución. ¿Pueden revisar mi caso, por favor?"
)

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


def merge_demo_duplicate(now: datetime) -> None:
    """A customer who wrote twice about one problem: the second message, after the first
    case's latest exchange, opened a ticket of its own, which the first case's agent took and
    merged into it a little later."""
    original = (
        Ticket.objects.filter(status=Status.OPEN, channel=Channel.EMAIL, assignee__isnull=False)
        .exclude(customer__email="")
        .select_related("customer", "assignee", "team")
        .order_by("-created_at")
        .first()
    )
    if original is None:
        return
    assert original.assignee is not None, "the query asks for an assigned ticket"
    handler = original.assignee
    # Both after the original's own story, which may run until a few minutes ago.
    last = original.events.order_by("-at").values_list("at", flat=True).first() or now
    gap = max(now - last, timedelta(minutes=3)) / 3
    duplicate = services.register_ticket(
        by=None,
        customer=original.customer,
        channel=Channel.EMAIL,
        subject=f"{original.subject} (otra vez)",
        description=DUPLICATE_TEXT,
        team=original.team,
        at=last + gap,
    )
    services.assign_ticket(ticket=duplicate, by=handler, assignee=handler, at=last + gap)
    services.merge_tickets(source=duplicate, target=original, by=handler, at=last + 2 * gap)
