"""Helpers of the INDECOPI request tests: a request registered through the service, a bundle built the way the
task builds it, and the ZIP read back."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import zipfile
from datetime import timedelta

from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.compliance.bundle import evidence_bundle_run
from reclamaciones.compliance.indecopi import indecopi_request_register
from reclamaciones.compliance.models import EvidenceBundle
from reclamaciones.handling.exports import export_storage


def request_registered(by, establishments, *, days: int = 5, **fields):
    """A request received yesterday, `days` business days to answer, registered by `by`."""
    fields.setdefault("received_on", timezone.localdate() - timedelta(days=1))
    if "due_on" not in fields:
        fields.setdefault("deadline_business_days", days)
    fields.setdefault("reference", "Oficio 123-2026/INDECOPI")
    return indecopi_request_register(scope=Scope.of(by), establishments=establishments, **fields)


def bundle_built(request, by) -> EvidenceBundle:
    """A bundle of `request` asked for by `by` and built as the Celery task builds it."""
    bundle = EvidenceBundle.objects.create(request=request, created_by=by, created_at=timezone.now())
    return evidence_bundle_run(bundle_id=bundle.pk)


def zip_bytes(bundle: EvidenceBundle) -> bytes:
    with export_storage().open(bundle.file_name, "rb") as handle:
        return handle.read()


def zip_open(bundle: EvidenceBundle) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(zip_bytes(bundle)))


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff"), f"{name} has no BOM for Excel"
    return list(csv.DictReader(io.StringIO(text[1:])))


def pdf_text(data: bytes, pdftotext: str) -> str:
    result = subprocess.run([pdftotext, "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
