"""The demo desk's shared saved views, as its managers would keep them."""

from .. import services
from .world import World

# (name, the queue's query string)
VIEWS = [
    # The cases nobody has taken yet that hurt most, nearest deadline first.
    ("Urgentes sin asignar", "queue=unassigned&priority=urgent&sort=deadline"),
]


def create_saved_views(world: World) -> None:
    manager = world.managers[0]
    for name, query in VIEWS:
        services.save_view(by=manager, name=name, query=query, shared=True)
