"""Celery application. Settings come from Django settings with the CELERY_ prefix."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("reclamaciones")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each context of the app keeps its tasks in its own tasks.py.
# The contexts with a tasks module: the worker's autodiscovery and the beat-schedule test read this one list.
TASK_CONTEXTS = ("book", "handling", "deadlines", "outbox", "council", "compliance", "webhooks", "ops")
app.autodiscover_tasks([f"reclamaciones.{context}" for context in TASK_CONTEXTS])


# Process heartbeats (and beat's single-instance lock): reclamaciones.ops.runtime, imported when the signal
# fires, once Django is set up.
@signals.worker_ready.connect
def _worker_ready(**kwargs):
    from reclamaciones.ops.runtime import worker_started

    worker_started(**kwargs)


@signals.worker_shutdown.connect
def _worker_shutdown(**kwargs):
    from reclamaciones.ops.runtime import worker_stopping

    worker_stopping(**kwargs)


@signals.beat_init.connect
def _beat_init(**kwargs):
    from reclamaciones.ops.runtime import beat_started

    beat_started(**kwargs)
