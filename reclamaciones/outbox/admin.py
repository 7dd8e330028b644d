"""Admin of the outbox: messages are read-only (scoped by their hoja); a failed message can be retried."""

from __future__ import annotations

from django.contrib import admin, messages

from ..access import ScopedAdminMixin
from .models import OutboundMessage
from .services import outbox_retry


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # Messages about no hoja (digests, council mail, alarms) list other people and establishments: only for
    # whoever sees every establishment.
    scope_path = "complaint__establishment"

    list_display = [
        "created_at",
        "kind",
        "recipient",
        "complaint",
        "status",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "idempotency_key"]
    list_select_related = ["complaint"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    actions = ["retry_now"]

    @admin.display(description="último error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Reintentar el envío ahora", permissions=["change"])
    def retry_now(self, request, queryset):
        count = sum(outbox_retry(message_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} mensaje(s) puesto(s) en cola de nuevo.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
