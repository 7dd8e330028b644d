"""Admin: providers and establishments are editable; hojas and their trail are read-only legal records."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.utils.html import format_html

from .models import (
    Cause,
    Complaint,
    ComplaintEvent,
    Establishment,
    NonWorkingDay,
    OutboundMessage,
    Provider,
    Response,
    ResponseTemplate,
    SettlementOffer,
    StaffProfile,
    SurveyAnswer,
    TrackerHeartbeat,
)
from .services.calendar import non_working_day_delete, non_working_day_save
from .services.outbox import outbox_retry


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EstablishmentInline(admin.TabularInline):
    model = Establishment
    extra = 0
    fields = ["name", "code", "slug", "kind", "is_active"]
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["legal_name", "ruc", "address"]
    search_fields = ["legal_name", "trade_name", "ruc"]
    inlines = [EstablishmentInline]

    def has_delete_permission(self, request, obj=None):
        return False  # its hojas must outlive it (Reglamento, art. 12)


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "code", "sirec_code", "kind", "is_active", "book_link"]
    list_filter = ["is_active", "kind", "provider"]
    search_fields = ["name", "code", "address"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["provider"]

    @admin.display(description="libro público")
    def book_link(self, obj):
        return format_html('<a href="/libro/{}/" target="_blank">/libro/{}/</a>', obj.slug, obj.slug)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: hojas point at it


class ComplaintEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintEvent
    fields = ["occurred_at", "type", "actor", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class OutboundMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OutboundMessage
    fields = ["kind", "recipient", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = [
        "display_number",
        "establishment",
        "kind",
        "consumer_name",
        "filed_at",
        "due_date",
        "status",
    ]
    list_filter = ["status", "kind", "establishment", "cause", "channel", "regime"]
    search_fields = ["doc_number", "consumer_name", "consumer_email", "=number"]
    date_hierarchy = "filed_at"
    list_select_related = ["establishment", "assignee"]
    inlines = [OutboundMessageInline, ComplaintEventInline]
    fieldsets = [
        (
            "Hoja",
            {"fields": ["display_number", "filed_at", "channel", "backup_sheet_number", "establishment"]},
        ),
        (
            "Proveedor (como figura en la hoja)",
            {
                "fields": ["provider_name", "provider_ruc", "establishment_address", "establishment_code"],
            },
        ),
        (
            "1. Identificación del consumidor reclamante",
            {
                "fields": [
                    "consumer_name",
                    "doc_type",
                    "doc_number",
                    "consumer_address",
                    "consumer_phone",
                    "consumer_email",
                    "is_minor",
                    "guardian_name",
                    "guardian_address",
                    "guardian_phone",
                    "guardian_email",
                ],
            },
        ),
        (
            "2. Identificación del bien contratado",
            {
                "fields": ["good_type", "amount_claimed", "currency", "good_description"],
            },
        ),
        (
            "3. Detalle de la reclamación y pedido del consumidor",
            {"fields": ["kind_filed", "detail", "request"]},
        ),
        (
            "Atención",
            {
                "fields": [
                    "kind",
                    "status",
                    "assignee",
                    "cause",
                    "regime",
                    "due_date",
                    "suspended_business_days",
                    "extension_days",
                    "response_channel",
                ],
            },
        ),
        ("Integridad", {"fields": ["content_sha256", "created_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Complaint._meta.fields] + ["display_number"]

    @admin.display(description="número", ordering="number")
    def display_number(self, obj):
        return obj.display_number

    def has_add_permission(self, request):
        return False  # hojas are filed through the public book (or transcribed from the backup book)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "complaint", "type", "actor"]
    list_filter = ["type"]
    list_select_related = ["complaint", "actor"]
    date_hierarchy = "occurred_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
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


@admin.register(SettlementOffer)
class SettlementOfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["complaint", "offered_on", "respond_by", "status", "suspended_business_days", "resolved_at"]
    list_filter = ["status"]
    list_select_related = ["complaint"]


@admin.register(TrackerHeartbeat)
class TrackerHeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "last_run_at", "duration_ms", "data"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["establishments"]
    verbose_name_plural = "establecimientos que atiende"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "updated_at"]
    list_filter = ["is_active", "kind"]
    search_fields = ["name", "body"]


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["complaint", "channel", "communicated_at", "responded_by"]
    list_select_related = ["complaint", "responded_by"]
    date_hierarchy = "communicated_at"


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["complaint", "solved", "csat", "nps", "answered_at"]
    list_filter = ["solved", "csat"]
    list_select_related = ["complaint"]


class CauseChildInline(admin.TabularInline):
    model = Cause
    fk_name = "parent"
    fields = ["code", "name", "owner", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(Cause)
class CauseAdmin(admin.ModelAdmin):
    """The council's cause taxonomy: categories with their causes inline. Causes in use cannot be deleted."""

    list_display = ["code", "name", "parent", "owner", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["code", "name", "description"]
    list_select_related = ["parent", "owner"]
    autocomplete_fields = ["owner"]

    def get_inlines(self, request, obj):
        return [CauseChildInline] if obj is not None and obj.is_category else []
