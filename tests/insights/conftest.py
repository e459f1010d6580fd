import pytest

from insights import store


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    """Each test trains into its own folder and starts with nothing loaded."""
    settings.INSIGHTS_MODEL_DIR = tmp_path / "models"
    settings.INSIGHTS_MIN_TICKETS = 100
    store.forget()
    yield settings.INSIGHTS_MODEL_DIR
    store.forget()
