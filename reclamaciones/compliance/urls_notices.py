"""Routes of the compliance desk's notices tool (included by compliance/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
