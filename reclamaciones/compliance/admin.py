"""What the compliance desk did, read-only in the admin (its records are written only by its services)."""

from __future__ import annotations

from django.contrib import admin

from ..access import ScopedAdminMixin
from ..audit import PersonalDataAccess
from ..records import ReadOnlyAdminMixin
from .models import Anonymisation, RetentionRun, SirecExport


@admin.register(SirecExport)
class SirecExportAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "establishment", "date_from", "date_to", "lines", "include_reported", "created_by"]
    list_filter = ["include_reported"]
    list_select_related = ["establishment", "created_by"]
    readonly_fields = ["sha256", "encoding"]


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ran_at", "dry_run", "retention_years", "filed_before", "anonymised", "held", "ran_by"]
    list_filter = ["dry_run"]


@admin.register(Anonymisation)
class AnonymisationAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"
    list_display = ["anonymised_at", "complaint", "run", "reason"]
    list_select_related = ["complaint", "run"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "what", "complaint", "hojas", "ip"]
    list_filter = ["what"]
    list_select_related = ["user", "complaint"]
    raw_id_fields = ["complaint", "user", "establishment"]
    show_full_result_count = False  # the log grows by every page view: no COUNT(*) over it
