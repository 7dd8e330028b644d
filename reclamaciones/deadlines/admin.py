"""Admin of the calendar (non-working days; a change recomputes the open hojas' due dates) and the trackers'
heartbeats (read-only)."""

from __future__ import annotations

from django.contrib import admin, messages

from ..records import ReadOnlyAdminMixin
from .models import NonWorkingDay, TrackerHeartbeat
from .services import non_working_day_delete, non_working_day_save


@admin.register(NonWorkingDay)
class NonWorkingDayAdmin(admin.ModelAdmin):
    """Adding, editing or removing a day recomputes the open deadlines it affects (Celery task)."""

    list_display = ["date", "description", "legal_source"]
    search_fields = ["description", "legal_source"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        non_working_day_save(day=obj)
        self.message_user(request, "Se recalcularán los plazos de las hojas abiertas afectadas.", messages.INFO)

    def delete_model(self, request, obj):
        non_working_day_delete(day=obj)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            non_working_day_delete(day=day)


@admin.register(TrackerHeartbeat)
class TrackerHeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "last_run_at", "duration_ms", "data"]
