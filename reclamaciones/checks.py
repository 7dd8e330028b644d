"""System checks for what would silently weaken a legal guarantee (`manage.py check [--deploy]`)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import checks

REQUIRED_OUTAGE = timedelta(hours=72)


@checks.register()
def outbox_schedule_check(app_configs, **kwargs):
    from .outbox.services import retry_span

    span = retry_span(
        max_attempts=settings.OUTBOX_MAX_ATTEMPTS,
        base_seconds=settings.OUTBOX_RETRY_BASE_SECONDS,
        max_seconds=settings.OUTBOX_RETRY_MAX_SECONDS,
    )
    if span >= REQUIRED_OUTAGE:
        return []
    return [
        checks.Warning(
            f"The outbox gives a message up after {span.total_seconds() / 3600:.1f} hours of failed attempts.",
            hint="Legally required copies must outlast a 72-hour mail outage: raise OUTBOX_MAX_ATTEMPTS "
            "or OUTBOX_RETRY_MAX_SECONDS.",
            id="reclamaciones.W002",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def integrity_key_check(app_configs, **kwargs):
    if settings.BOOK_INTEGRITY_KEY:
        return []
    return [
        checks.Warning(
            "DJANGO_BOOK_INTEGRITY_KEY is not set: the hojas' integrity seals are keyed with a key derived from "
            "SECRET_KEY, so rotating SECRET_KEY would make every hoja fail verification.",
            hint='Set DJANGO_BOOK_INTEGRITY_KEY (python -c "import secrets; print(secrets.token_urlsafe(50))") '
            "and keep it as long as the hojas.",
            id="reclamaciones.W001",
        )
    ]


@checks.register()
def retention_check(app_configs, **kwargs):
    from .book.models import RETENTION_YEARS

    if settings.RECLAMACIONES_RETENTION_YEARS >= RETENTION_YEARS:
        return []
    return [
        checks.Error(
            f"RECLAMACIONES_RETENTION_YEARS is {settings.RECLAMACIONES_RETENTION_YEARS}: the Reglamento (art. 12) "
            f"requires keeping every hoja, its answer and its proofs at least {RETENTION_YEARS} years from filing.",
            hint=f"Set it to {RETENTION_YEARS} or more; anonymise_expired refuses to run below it.",
            id="reclamaciones.E003",
        )
    ]
