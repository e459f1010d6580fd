"""The Celery app. Settings live in Django settings under the CELERY_ namespace
(see docs/reliability.md for why each value is what it is)."""

import os

from celery import Celery

from . import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
broker.register()  # the embedded mode's `pulsofs://` broker (config/broker.py)

app = Celery("pulso")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
