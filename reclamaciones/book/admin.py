"""Admin of the book: providers and establishments are editable (scoped); hojas and their trail are read-only
legal records. The hojas' bulk action turns selected hojas into a council action item (through the council's
service)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminFileWidget
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from ..access import Scope, ScopedAdminMixin
from ..audit import What, personal_data_access_record
from ..council.forms import ActionFromComplaintsForm
from ..council.services import (
    CouncilError,
    action_create,
    causes_of_complaints,
)
from ..handling.trail import event_actor, event_summary
from ..outbox.models import OutboundMessage
from ..records import ReadOnlyAdminMixin
from .branding import brand_logo_discard, brand_logo_url, logo_reencode
from .models import Complaint, ComplaintEvent, Establishment, Provider

MSG_ACTION_CREATED = (
    "Acción de mejora «{title}» creada con {count} hoja(s) vinculada(s). Línea base: {rate} hojas por semana."
)


class EstablishmentInline(ScopedAdminMixin, admin.TabularInline):
    scope_path = "pk"

    model = Establishment
    extra = 0
    fields = ["name", "code", "slug", "kind", "is_active"]
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return False


@dataclass(frozen=True)
class _StoredLogo:
    url: str
    name: str

    def __str__(self) -> str:
        return self.name


class BrandLogoInput(AdminFileWidget):
    """The current logo linked to the public brand-logo view: the logos' storage has no URL of its own."""

    def is_initial(self, value):
        return bool(value) and hasattr(value, "instance")

    def format_value(self, value):
        if self.is_initial(value):
            return _StoredLogo(url=brand_logo_url(value.instance), name=value.name.rsplit("/", 1)[-1])
        return None


class ProviderAdminForm(forms.ModelForm):
    # No Meta: the admin builds the form from the model with its formfield_overrides, on this base.
    def clean_brand_logo(self):
        logo = self.cleaned_data.get("brand_logo")
        if isinstance(logo, UploadedFile):
            return logo_reencode(logo)  # a fresh PNG, or a ValidationError in Spanish
        return logo


@admin.register(Provider)
class ProviderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_path = "establishments"  # a provider is seen through the establishments one works for

    form = ProviderAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}, models.FileField: {"widget": BrandLogoInput}}
    readonly_fields = ["logo_preview"]
    list_display = ["legal_name", "ruc", "address"]
    search_fields = ["legal_name", "trade_name", "ruc"]
    inlines = [EstablishmentInline]

    @admin.display(description="logo actual")
    def logo_preview(self, obj):
        url = brand_logo_url(obj) if obj is not None else ""
        return format_html('<img src="{}" alt="" style="max-height:48px">', url) if url else "—"

    def has_delete_permission(self, request, obj=None):
        return False  # its hojas must outlive it (Reglamento, art. 12)

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()  # one row per provider, however many establishments

    def save_model(self, request, obj, form, change):
        # The form's initial value is the row as it was read: the instance already holds the new logo (or none).
        before = form.initial.get("brand_logo")
        super().save_model(request, obj, form, change)
        if before and before.name != obj.brand_logo.name:
            brand_logo_discard(name=before.name)  # replaced or cleared: its file goes once this is committed


@admin.register(Establishment)
class EstablishmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_path = "pk"

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


class EventInWordsMixin:
    """A hoja's event as the back office tells it (handling.trail), not its raw JSON data."""

    @admin.display(description="quién")
    def actor_display(self, obj):
        return event_actor(obj)

    @admin.display(description="detalle")
    def summary(self, obj):
        return event_summary(obj) or "—"


class ComplaintEventInline(EventInWordsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintEvent
    verbose_name_plural = "historial"  # on the hoja's page: its own history
    fields = ["occurred_at", "type", "actor_display", "summary"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class OutboundMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OutboundMessage
    fields = ["kind", "recipient", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Complaint)
class ComplaintAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "display_number",
        "establishment",
        "kind",
        "consumer_name",
        "filed_at",
        "due_date",
        "status",
    ]
    list_filter = ["status", "kind", ("establishment", admin.RelatedOnlyFieldListFilter), "cause", "channel", "regime"]
    search_fields = ["doc_number", "consumer_name", "consumer_email", "=number"]
    date_hierarchy = "filed_at"
    list_select_related = ["establishment", "assignee"]
    inlines = [OutboundMessageInline, ComplaintEventInline]
    actions = ["create_action_item"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        complaint = getattr(response, "context_data", {}).get("original") if response.status_code == 200 else None
        if complaint is not None:  # a hoja in scope was shown: its personal data was seen
            personal_data_access_record(
                scope=Scope.of(request.user), what=What.ADMIN, complaint=complaint, request=request
            )
        return response

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

    def has_add_actionitem_permission(self, request):
        return request.user.has_perm("reclamaciones.add_actionitem")

    @admin.action(description="Crear acción de mejora con los reclamos seleccionados", permissions=["add_actionitem"])
    def create_action_item(self, request, queryset):
        """Intermediate page: the action's form with the hojas' causes preselected; on submit, one service call
        (council.services.action_create) links the hojas and stores the baseline. The hojas do not change."""
        complaints = list(queryset.select_related("establishment", "cause").order_by("filed_at"))
        form = ActionFromComplaintsForm(
            request.POST if "apply" in request.POST else None,
            initial={"causes": causes_of_complaints(c.pk for c in complaints)},
        )
        establishments = form.fields["establishment"]
        establishments.queryset = Scope.of(request.user).filter(establishments.queryset, path="pk")
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                action = action_create(
                    title=data["title"],
                    description=data["description"],
                    owner=data["owner"],
                    due_date=data["due_date"],
                    causes=data["causes"],
                    complaints=complaints,
                    establishment=data["establishment"],
                    target_reduction_pct=data["target_reduction_pct"],
                    verification_weeks=data["verification_weeks"],
                    created_by=request.user,
                )
            except CouncilError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    MSG_ACTION_CREATED.format(title=action.title, count=len(complaints), rate=action.baseline_rate),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:reclamaciones_actionitem_change", args=[action.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Crear acción de mejora",
            "opts": self.opts,
            "form": form,
            "complaints": complaints,
            "unclassified": sum(c.cause_id is None for c in complaints),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/reclamaciones/complaint/create_action.html", context)


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(EventInWordsMixin, ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

    list_display = ["occurred_at", "complaint", "type", "actor_display", "summary"]
    # The recorded data stays available to whoever audits a single event, folded away under its words.
    fieldsets = [
        (None, {"fields": ["complaint", "occurred_at", "type", "actor_display", "summary"]}),
        ("Datos tal como se registraron", {"classes": ["collapse"], "fields": ["data"]}),
    ]
    readonly_fields = ["actor_display", "summary"]
    list_filter = ["type"]
    list_select_related = ["complaint", "actor"]
    date_hierarchy = "occurred_at"
