"""The fixed cast of named actors every test can call on.

Team "Soporte N1" (level 1): agents Ana and Bruno. Team "Soporte N2" (level 2): agent Carla.
Team "Especialistas N3" (level 3): nobody yet. Manager Marta, admin Adrián.
"""

import pytest
from celery._state import _set_task_join_will_block
from django.core.cache import cache
from django.utils import translation

from cases import publishing
from cases.models import Role
from insights import store as insights_store
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    ManagerFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    publishing.reset()  # a broker failure of an earlier test is not this one's
    insights_store.forget()  # nor a text model an earlier test trained and this process loaded
    # A worker an earlier test ran in this process (whose thread may outlive it) marks the
    # process as inside a task, and every later `result.get()` would be refused.
    _set_task_join_will_block(False)
    # Each test starts in the default language: a language an earlier test left active in
    # this thread (a view called without the middleware, an activate() of its own) is not
    # this one's.
    translation.deactivate()
    yield
    cache.clear()
    translation.deactivate()


@pytest.fixture
def team_n1(db):
    return TeamFactory(name="Soporte N1", level=1)


@pytest.fixture
def team_n2(db):
    return TeamFactory(name="Soporte N2", level=2)


@pytest.fixture
def team_n3(db):
    return TeamFactory(name="Especialistas N3", level=3)


@pytest.fixture
def ana(team_n1):
    return AgentFactory(username="ana", first_name="Ana", last_name="Pérez", teams=[team_n1])


@pytest.fixture
def bruno(team_n1):
    return AgentFactory(username="bruno", first_name="Bruno", last_name="Díaz", teams=[team_n1])


@pytest.fixture
def carla(team_n2):
    return AgentFactory(username="carla", first_name="Carla", last_name="Ruiz", teams=[team_n2])


@pytest.fixture
def marta(db):
    return ManagerFactory(username="marta", first_name="Marta", last_name="Gómez")


@pytest.fixture
def adrian(db):
    return UserFactory(
        username="adrian",
        first_name="Adrián",
        last_name="Soto",
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def billing(db):
    return CategoryFactory(name="Billing")


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Lucía Torres", email="lucia@example.com", language="es")


@pytest.fixture
def ticket(ana, team_n1, customer):
    """A new phone ticket of Soporte N1 registered by Ana, unassigned."""
    return make_ticket(by=ana, customer=customer, team=team_n1)


# Files that take long but hold few tests, longest first. `make test` spreads files with
# `--dist loadfile`, which hands out the files holding the most tests first: these would start
# last and keep one worker busy alone at the end (the soak test mostly waits on real clocks
# for minutes, a core left idle). They start first instead, and the many short files fill in
# around them.
LONG_FILES = (
    "tests/runtime/test_soak.py",
    "tests/e2e/test_csp.py",
    "tests/test_deploy_check.py",
    "tests/metrics/test_kpis_property.py",
    "tests/runtime/test_runner.py",
)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongFilesFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            # Every time a worker is given a file, the long ones still waiting come first.
            for scope in reversed(LONG_FILES):
                if scope in self.workqueue:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return LongFilesFirst(config, log)
