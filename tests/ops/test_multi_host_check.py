"""`manage.py check` with PORTAL_MULTI_HOST: a warning for each kind of file kept in a folder on the host's own
disk (attachments, brand logos, exports and bundles), which the other hosts would not see."""

from __future__ import annotations

import io

from django.core import checks
from django.core.management import call_command

from reclamaciones.checks import multi_host_files_check

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": "/srv/portal/files"}}
ELSEWHERE = {"BACKEND": "django.core.files.storage.InMemoryStorage", "OPTIONS": {}}  # stands for S3


def test_one_host_needs_nothing(settings):
    settings.PORTAL_MULTI_HOST = False

    assert multi_host_files_check(None) == []


def test_several_hosts_warn_about_every_local_folder(settings):
    settings.PORTAL_MULTI_HOST = True
    settings.RECLAMACIONES_ATTACHMENTS_STORAGE = LOCAL
    settings.RECLAMACIONES_BRAND_STORAGE = LOCAL
    settings.RECLAMACIONES_EXPORT_ROOT = "/srv/portal/exports"

    found = multi_host_files_check(None)

    assert [w.id for w in found] == ["reclamaciones.W010", "reclamaciones.W011", "reclamaciones.W012"]
    assert all(w.level == checks.WARNING for w in found)
    assert "/srv/portal/files" in found[0].msg
    assert "RECLAMACIONES_ATTACHMENTS_STORAGE_BACKEND" in found[0].hint
    assert "/srv/portal/exports" in found[2].msg


def test_object_storage_is_fine_and_the_export_folder_can_be_silenced_once_shared(settings):
    settings.PORTAL_MULTI_HOST = True
    settings.RECLAMACIONES_ATTACHMENTS_STORAGE = ELSEWHERE
    settings.RECLAMACIONES_BRAND_STORAGE = ELSEWHERE
    settings.SILENCED_SYSTEM_CHECKS = ["reclamaciones.W012"]

    assert [w.id for w in multi_host_files_check(None)] == ["reclamaciones.W012"]
    output = io.StringIO()
    call_command("check", stdout=output, stderr=output)
    assert "reclamaciones.W01" not in output.getvalue()
