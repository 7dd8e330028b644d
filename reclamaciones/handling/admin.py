"""Admin of handling: causes and answer templates are editable; answers, offers and survey answers are
read-only records (scoped); staff users carry their profile (establishments) inline."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from ..access import ScopedAdminMixin
from ..records import ReadOnlyAdminMixin
from .models import Cause, Response, ResponseTemplate, SettlementOffer, StaffProfile, SurveyAnswer


@admin.register(SettlementOffer)
class SettlementOfferAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

    list_display = ["complaint", "offered_on", "respond_by", "status", "suspended_business_days", "resolved_at"]
    list_filter = ["status"]
    list_select_related = ["complaint"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["establishments"]
    verbose_name_plural = "establecimientos que atiende"


User = get_user_model()

admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """People, their roles and the establishments they work for: only administrators change them (anyone else
    who could edit a profile could widen their own scope). Viewing follows Django's permission, which the
    autocomplete of a cause's owner needs."""

    inlines = [StaffProfileInline]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "updated_at"]
    list_filter = ["is_active", "kind"]
    search_fields = ["name", "body"]


@admin.register(Response)
class ResponseAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

    list_display = ["complaint", "channel", "communicated_at", "responded_by"]
    list_select_related = ["complaint", "responded_by"]
    date_hierarchy = "communicated_at"


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

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
