"""Moved to reclamaciones.audit (kept while the compliance desk's modules move over)."""

from ..audit import What, personal_data_access_record  # noqa: F401
