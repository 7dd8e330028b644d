"""The one Django app of the portal; its contexts are subpackages (see docs/architecture.md)."""

from django.apps import AppConfig


class ReclamacionesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reclamaciones"
    verbose_name = "Libro de Reclamaciones"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
