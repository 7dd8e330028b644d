"""Production settings (config.settings.base, everything from the environment) for the web processes of
tests/integration/test_multi_process.py, with one difference: static files are served unhashed, so the test
needs no collectstatic (about 17 s of compression on the CI machine) before starting gunicorn. Nothing the test
checks (filing, numbering, the outbox) touches static files."""

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
