"""Celery application. Settings come from Django settings with the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("reclamaciones")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each context of the app keeps its tasks in its own tasks.py.
app.autodiscover_tasks(
    [f"reclamaciones.{context}" for context in ("book", "handling", "deadlines", "outbox", "council", "compliance")]
)
