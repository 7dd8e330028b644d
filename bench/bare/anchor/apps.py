from django.apps import AppConfig


class AnchorConfig(AppConfig):
    name = "bench.bare.anchor"
    label = "anchor"
    default_auto_field = "django.db.models.BigAutoField"
