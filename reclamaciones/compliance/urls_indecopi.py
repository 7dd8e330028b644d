"""Routes of the compliance desk's indecopi tool (included by compliance/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
