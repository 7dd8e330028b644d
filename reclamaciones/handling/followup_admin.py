"""The follow-through records in the admin: read-only (append-only records) and scoped like every hoja's record."""

from __future__ import annotations

from django.contrib import admin

from ..access import ScopedAdminMixin
from ..records import ReadOnlyAdminMixin
from .followup_models import RemedyRecord


@admin.register(RemedyRecord)
class RemedyRecordAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

    list_display = ["complaint", "outcome", "done_on", "evidence_reference", "recorded_by", "recorded_at", "corrects"]
    list_filter = ["outcome"]
    list_select_related = ["complaint", "recorded_by", "corrects"]
    date_hierarchy = "done_on"
