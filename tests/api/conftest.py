import sys

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


def pytest_terminal_summary(terminalreporter):
    """The schemathesis run's figures, when it ran (tests/api/test_schemathesis.py)."""
    run = sys.modules.get(f"{__package__}.test_schemathesis")  # only if it was collected
    if run is None or not run.STATS["cases"]:
        return
    reports = [
        report
        for status in ("passed", "failed")
        for report in terminalreporter.stats.get(status, [])
        if report.when == "call" and "test_the_api_keeps_its_schema" in report.nodeid
    ]
    failed = sum(report.failed for report in reports)
    operations = sum(len(methods) for methods in run.RAW_SCHEMA["paths"].values())
    per_role = ", ".join(f"{role} {run.STATS['cases:' + role]}" for role in run.ROLES)
    terminalreporter.write_line(
        f"schemathesis: {operations} operations × {len(run.ROLES)} roles = {len(reports)} runs, "
        f"{run.STATS['cases']} cases ({per_role}), {run.STATS['requests']} requests, "
        f"{failed} failed runs, {run.STATS['seconds']:.1f} s"
    )
