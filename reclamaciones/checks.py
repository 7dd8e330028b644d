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


def _local_folder(storage: dict) -> str | None:
    """The folder of a storage setting ({"BACKEND", "OPTIONS"}) when it keeps files on this host's disk."""
    from django.core.files.storage import FileSystemStorage
    from django.utils.module_loading import import_string

    try:
        backend = import_string(storage["BACKEND"])
    except ImportError:
        return None  # a missing package fails loudly where the storage is used
    if not (isinstance(backend, type) and issubclass(backend, FileSystemStorage)):
        return None
    return str(storage.get("OPTIONS", {}).get("location") or settings.MEDIA_ROOT)


@checks.register()
def multi_host_files_check(app_configs, **kwargs):
    """With several hosts (PORTAL_MULTI_HOST), a file written on one host is read on another: the attachment a
    worker seals into a hoja, the logo a web process serves, the export or bundle a worker writes and a web
    process hands out. On a host's own disk the others see nothing."""
    if not settings.PORTAL_MULTI_HOST:
        return []
    found = [
        (
            "reclamaciones.W010",
            "attachments",
            _local_folder(settings.RECLAMACIONES_ATTACHMENTS_STORAGE),
            "RECLAMACIONES_ATTACHMENTS_STORAGE_BACKEND",
        ),
        (
            "reclamaciones.W011",
            "brand logos",
            _local_folder(settings.RECLAMACIONES_BRAND_STORAGE),
            "RECLAMACIONES_BRAND_STORAGE_BACKEND",
        ),
        # Always a folder (exports and INDECOPI evidence bundles have no other storage): it must be shared.
        ("reclamaciones.W012", "exports and evidence bundles", str(settings.RECLAMACIONES_EXPORT_ROOT), None),
    ]
    return [
        checks.Warning(
            f"PORTAL_MULTI_HOST is on but {what} are kept in a local folder ({folder}): a file written on one "
            "host is missing on the others.",
            hint=(
                f"Use S3-compatible storage ({variable}=storages.backends.s3.S3Storage) or a volume "
                if variable
                else "Mount a volume "
            )
            + "shared by every web and worker host at that path (docs/deployment.md); once it is, silence this "
            f"warning with DJANGO_SILENCED_SYSTEM_CHECKS={check_id}.",
            id=check_id,
        )
        for check_id, what, folder, variable in found
        if folder is not None
    ]
