import pytest

from tests.factories import UserFactory

from .helpers import token_client


@pytest.fixture
def nobody(db):
    """A logged-in account with no role: sees nothing, may do nothing."""
    return UserFactory(username="nadie", first_name="Nadie", last_name="Rol")


@pytest.fixture
def as_ana(ana):
    return token_client(ana)


@pytest.fixture
def as_carla(carla):
    return token_client(carla)


@pytest.fixture
def as_marta(marta):
    return token_client(marta)


@pytest.fixture
def anonymous():
    return token_client(None)
