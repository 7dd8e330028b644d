"""Admin: providers and establishments are editable; hojas and their trail are read-only legal records.
The improvement council works here too: action items (status moves checked by the service's rule, baseline
stored once, every change an event), meetings (agenda generated from the data, decisions inline) and the
hojas' bulk action that turns selected hojas into an action item."""

from datetime import date

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .access import Scope
from .forms_council import (
    ActionFromComplaintsForm,
    ActionItemAdminForm,
    DecisionForm,
    StaffUserMultipleChoiceField,
)
from .improvement import snapshot_display
from .models import (
    ACTION_VERDICT_STATUSES,
    ActionItem,
    ActionItemEvent,
    ActionStatus,
    Cause,
    Complaint,
    ComplaintEvent,
    CouncilMeeting,
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
from .selectors import staff_user_choices
from .services.calendar import non_working_day_delete, non_working_day_save
from .services.improvement import (
    ImprovementError,
    action_baseline_set,
    action_create,
    action_status_recorded,
    causes_of_complaints,
    meeting_agenda_generate,
)
from .services.outbox import outbox_retry

MSG_ACTION_CREATED = (
    "Acción de mejora «{title}» creada con {count} hoja(s) vinculada(s). Línea base: {rate} hojas por semana."
)
MSG_AGENDA_GENERATED = "Agenda generada con los datos de hoy."
MSG_AGENDAS_REGENERATED = "Agenda regenerada con los datos de hoy en {count} reunión(es)."


def _in_scope(model, request):
    """The choices a form field for `model` may offer this user (None: not an establishment-bound model)."""
    scope = Scope.of(request.user)
    if model is Establishment:
        return scope.filter(Establishment.objects.all(), path="pk")
    if model is Complaint:
        return scope.filter(Complaint.objects.all(), path="establishment")
    return None


class ScopedAdminMixin:
    """Only what the user's establishments hold, as in /gestion/: the list, its search and filters, the change
    page (another establishment's row does not exist), actions, and the autocomplete (Django asks the related
    model's admin for its queryset). Fields that choose an establishment or a hoja offer only those in scope."""

    scope_path = "establishment"  # the lookup of the row's establishment id
    scope_unbound = False  # also rows that belong to no establishment (an action item for all of them)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return Scope.of(request.user).filter(queryset, path=self.scope_path, unbound=self.scope_unbound)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = _in_scope(db_field.related_model, request)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        choices = _in_scope(db_field.related_model, request)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EstablishmentInline(ScopedAdminMixin, admin.TabularInline):
    scope_path = "pk"

    model = Establishment
    extra = 0
    fields = ["name", "code", "slug", "kind", "is_active"]
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_path = "establishments"  # a provider is seen through the establishments one works for

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["legal_name", "ruc", "address"]
    search_fields = ["legal_name", "trade_name", "ruc"]
    inlines = [EstablishmentInline]

    def has_delete_permission(self, request, obj=None):
        return False  # its hojas must outlive it (Reglamento, art. 12)

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()  # one row per provider, however many establishments


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
        (services.improvement.action_create) links the hojas and stores the baseline. The hojas do not change."""
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
            except ImprovementError as exc:
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
class ComplaintEventAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

    list_display = ["occurred_at", "complaint", "type", "actor"]
    list_filter = ["type"]
    list_select_related = ["complaint", "actor"]
    date_hierarchy = "occurred_at"


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
class SettlementOfferAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

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


# The improvement council -------------------------------------------------------------------------------------


class LinkedComplaintInline(ScopedAdminMixin, admin.TabularInline):
    """The hojas an action item was made from (ActionItem.complaints): added or removed here; the hojas
    themselves stay read-only. Rights follow the action item's, not the hoja's (nobody may change a hoja)."""

    model = ActionItem.complaints.through
    scope_path = "complaint__establishment"  # another establishment's linked hojas stay linked, unseen
    verbose_name = "hoja vinculada"
    verbose_name_plural = "hojas vinculadas"
    autocomplete_fields = ["complaint"]
    fields = ["complaint", "complaint_establishment", "complaint_cause", "complaint_filed_at"]
    readonly_fields = ["complaint_establishment", "complaint_cause", "complaint_filed_at"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("complaint__establishment", "complaint__cause")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "complaint":
            kwargs["label"] = "Hoja"
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="establecimiento")
    def complaint_establishment(self, obj):
        return obj.complaint.establishment if obj.complaint_id else "—"

    @admin.display(description="causa")
    def complaint_cause(self, obj):
        return (obj.complaint.cause or "Sin causa") if obj.complaint_id else "—"

    @admin.display(description="presentada")
    def complaint_filed_at(self, obj):
        return timezone.localtime(obj.complaint.filed_at).strftime("%d/%m/%Y %H:%M") if obj.complaint_id else "—"

    def _may_change_action(self, request):
        return request.user.has_perm("reclamaciones.change_actionitem") or request.user.has_perm(
            "reclamaciones.add_actionitem"
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("reclamaciones.view_actionitem") or self._may_change_action(request)

    def has_add_permission(self, request, obj):
        return self._may_change_action(request)

    def has_change_permission(self, request, obj=None):
        return self._may_change_action(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_change_action(request)


def _iso(value) -> str:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return "—"


def _action_event_summary(event: ActionItemEvent) -> str:
    """An action item's event in words (its data as recorded by services.improvement)."""
    data, label = event.data or {}, dict(ActionStatus.choices)
    move = f"{label.get(data.get('old'), '—')} → {label.get(data.get('new'), '—')}"
    if event.type == ActionItemEvent.Type.CREATED:
        start, end = (data.get("window") or [None, None])[:2]
        return (
            f"Línea base: {data.get('baseline_rate')} hojas por semana "
            f"({data.get('baseline_count')} hojas del {_iso(start)} al {_iso(end)})."
        )
    if event.type == ActionItemEvent.Type.STATUS_CHANGED:
        implemented = data.get("implemented_on")
        return move + (f" (implementada el {_iso(implemented)})" if implemented else "")
    if event.type == ActionItemEvent.Type.VERIFIED:
        return (
            f"{move}: {data.get('measured_rate')} hojas por semana medidas; meta {data.get('target_rate')}, "
            f"línea base {data.get('baseline_rate')}."
        )
    if event.type == ActionItemEvent.Type.REMINDER_QUEUED:
        days = data.get("days_left")
        if days is not None and days < 0:
            return "Recordatorio: fecha límite vencida."
        return f"Recordatorio: faltan {days} día(s)."
    return ""


class ActionItemEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ActionItemEvent
    verbose_name = "evento"
    verbose_name_plural = "historial"
    fields = ["occurred_at", "type", "actor", "summary"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="detalle")
    def summary(self, obj):
        return _action_event_summary(obj)


@admin.register(ActionItem)
class ActionItemAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Improvement actions. The baseline (hojas per week of its causes in the 12 weeks before) is stored once,
    after the causes are saved; people move the status along the service's rule, the measurement gives the
    verdict («Efectiva» / «No efectiva»). Every creation and status change leaves an event."""

    form = ActionItemAdminForm
    scope_unbound = True  # an action for every establishment concerns everyone, as on /consejo/acciones/
    list_display = [
        "title",
        "status",
        "owner",
        "due_date",
        "baseline_rate",
        "target_display",
        "measured_rate",
        "verification_due_display",
    ]
    list_filter = ["status", "causes", "owner"]
    search_fields = ["title", "description", "causes__code", "causes__name"]
    list_select_related = ["owner"]
    date_hierarchy = "due_date"
    filter_horizontal = ["causes"]
    inlines = [LinkedComplaintInline, ActionItemEventInline]
    fieldsets = [
        (
            "Acción",
            {"fields": ["title", "description", "causes", "establishment", "owner", "due_date", "meeting"]},
        ),
        ("Estado", {"fields": ["status", "implemented_on"]}),
        (
            "Meta y verificación",
            {
                "fields": [
                    "target_reduction_pct",
                    "verification_weeks",
                    "baseline_display",
                    "target_display",
                    "verification_due_display",
                    "measured_rate",
                    "verified_at",
                ]
            },
        ),
        ("Registro", {"fields": ["created_by", "created_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fixed = [
            "baseline_display",
            "target_display",
            "verification_due_display",
            "measured_rate",
            "verified_at",
            "created_by",
            "created_at",
        ]
        if obj is not None and obj.status in ACTION_VERDICT_STATUSES:
            fixed += ["status", "implemented_on"]  # the verdict is the measurement's
        return fixed

    @admin.display(description="línea base")
    def baseline_display(self, obj):
        if obj is None or obj.baseline_rate is None:
            return "Se mide al guardar (hojas por semana de sus causas en las 12 semanas anteriores)."
        return format_html(
            "{} hojas por semana ({} semanas hasta el {})",
            obj.baseline_rate,
            obj.baseline_weeks,
            obj.baseline_measured_on.strftime("%d/%m/%Y") if obj.baseline_measured_on else "—",
        )

    @admin.display(description="meta (hojas por semana)")
    def target_display(self, obj):
        if obj is None or obj.target_rate is None:
            return "—"
        return f"≤ {obj.target_rate:.2f} (-{obj.target_reduction_pct} %)"

    @admin.display(description="se verifica el", ordering="implemented_on")
    def verification_due_display(self, obj):
        due = obj.verification_due_on if obj is not None else None
        return due.strftime("%d/%m/%Y") if due else "—"

    def has_delete_permission(self, request, obj=None):
        return False  # an action is part of the council's record (its history is append-only)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        action = form.instance
        action_baseline_set(action=action)  # once, with the causes saved; records the creation
        action_status_recorded(action=action, old=form.old_status, actor=request.user)


class DecisionInline(ScopedAdminMixin, admin.StackedInline):
    """Action items agreed in the meeting: created here with their baseline (see CouncilMeetingAdmin)."""

    model = ActionItem
    form = DecisionForm
    fk_name = "meeting"
    scope_unbound = True
    verbose_name = "acuerdo (acción de mejora)"
    verbose_name_plural = "acuerdos: acciones de mejora"
    fields = [
        "title",
        "causes",
        "owner",
        "due_date",
        "target_reduction_pct",
        "verification_weeks",
        "status",
        "baseline_rate",
    ]
    readonly_fields = ["status", "baseline_rate"]
    filter_horizontal = ["causes"]
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(CouncilMeeting)
class CouncilMeetingAdmin(admin.ModelAdmin):
    """Council meetings: the agenda is generated from the data when the meeting is created (and regenerated on
    demand); decisions are action items created inline, each with its baseline."""

    list_display = ["held_on", "attendee_count", "decision_count", "agenda_generated_at", "documents"]
    date_hierarchy = "held_on"
    search_fields = ["minutes", "guests"]
    filter_horizontal = ["attendees"]
    inlines = [DecisionInline]
    actions = ["regenerate_agenda"]
    fieldsets = [
        ("Reunión", {"fields": ["held_on", "attendees", "guests", "documents"]}),
        ("Agenda generada con los datos", {"fields": ["agenda_generated_at", "agenda_view"]}),
        ("Acta", {"fields": ["minutes"]}),
    ]
    readonly_fields = ["agenda_generated_at", "agenda_view", "documents"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                attendees_n=models.Count("attendees", distinct=True),
                decisions_n=models.Count("decisions", distinct=True),
            )
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "attendees":
            kwargs["queryset"] = staff_user_choices()
            kwargs["form_class"] = StaffUserMultipleChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="asistentes", ordering="attendees_n")
    def attendee_count(self, obj):
        return obj.attendees_n

    @admin.display(description="acuerdos", ordering="decisions_n")
    def decision_count(self, obj):
        return obj.decisions_n

    @admin.display(description="documentos")
    def documents(self, obj):
        if obj is None or obj.pk is None:
            return "Disponibles al guardar la reunión."
        links = [
            (reverse("council:meeting", args=[obj.pk]), "Ver en el consejo"),
            (reverse("council:meeting_agenda_pdf", args=[obj.pk]), "Agenda (PDF)"),
            (reverse("council:meeting_minutes_pdf", args=[obj.pk]), "Acta (PDF)"),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description="agenda")
    def agenda_view(self, obj):
        if obj is None or obj.pk is None:
            return "Se genera con los datos del día al guardar la reunión."
        return render_to_string(
            "reclamaciones/council/_agenda.html", {"agenda": snapshot_display(obj.agenda), "in_admin": True}
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            meeting_agenda_generate(meeting=form.instance)
            self.message_user(request, MSG_AGENDA_GENERATED, messages.INFO)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ActionItem:
            return super().save_formset(request, form, formset, change)
        decisions = formset.save(commit=False)
        for action in decisions:
            if action.pk is None:
                action.created_by = request.user
            action.save()
        formset.save_m2m()
        for action in decisions:
            action_baseline_set(action=action)  # no-op for an action that already has one

    @admin.action(description="Regenerar agenda con los datos de hoy", permissions=["change"])
    def regenerate_agenda(self, request, queryset):
        count = 0
        for meeting in queryset:
            meeting_agenda_generate(meeting=meeting)
            count += 1
        self.message_user(request, MSG_AGENDAS_REGENERATED.format(count=count), messages.SUCCESS)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/regenerar-agenda/",
                self.admin_site.admin_view(self.regenerate_agenda_view),
                name="reclamaciones_councilmeeting_regenerate_agenda",
            )
        ]
        return extra + super().get_urls()

    def regenerate_agenda_view(self, request, pk: int):
        """The change page's button (POST): the agenda again, with today's data."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        meeting = get_object_or_404(CouncilMeeting, pk=pk)
        if not self.has_change_permission(request, meeting):
            raise PermissionDenied
        meeting_agenda_generate(meeting=meeting)
        self.message_user(request, MSG_AGENDA_GENERATED, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:reclamaciones_councilmeeting_change", args=[meeting.pk]))
