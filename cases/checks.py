"""Pulso's own deployment checks (`manage.py check --deploy`)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_shared_by_every_host(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """On a shared database (PostgreSQL) every host must have the same SECRET_KEY: a key
    Pulso made up in VAR_DIR differs from host to host."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or getattr(settings, "SECRET_KEY_FROM_ENVIRONMENT", True):
        return []
    return [
        Warning(
            "SECRET_KEY is not set in the environment: this host uses a key of its own, kept "
            "in VAR_DIR.",
            hint=(
                "Set the same SECRET_KEY on every web and worker host; with different keys "
                "people are logged out between hosts and survey links do not open."
            ),
            id="pulso.W001",
        )
    ]
