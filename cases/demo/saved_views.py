"""The demo desk's shared saved views, as its managers would keep them."""

from .. import services
from .world import World

VIEWS = [
    # The cases nobody has taken yet that hurt most, nearest deadline first.
    {"name": "Urgentes sin asignar", "query": "queue=unassigned&priority=urgent&sort=deadline"},
]


def create_saved_views(world: World) -> None:
    manager = world.managers[0]
    for spec in VIEWS:
        services.save_view(by=manager, shared=True, **spec)
