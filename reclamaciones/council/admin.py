"""Admin: providers and establishments are editable; hojas and their trail are read-only legal records.
The improvement council works here too: action items (status moves checked by the service's rule, baseline
stored once, every change an event), meetings (agenda generated from the data, decisions inline) and the
hojas' bulk action that turns selected hojas into an action item."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ..access import Scope, ScopedAdminMixin
from ..book.models import Establishment
from ..book.pdf import printable
from ..handling.trail import person_name
from ..records import ReadOnlyAdminMixin
from .forms import ActionItemAdminForm, DecisionForm, StaffUserMultipleChoiceField
from .meetings import MSG_ATTENDEES, meeting_agenda_refresh, meeting_attendees_allowed, meeting_scope
from .models import ACTION_VERDICT_STATUSES, ActionItem, ActionItemEvent, ActionStatus, CouncilMeeting
from .rules import snapshot_display
from .selectors import council_people
from .services import (
    ACTION_DETAIL_FIELDS,
    CouncilError,
    action_complaints_set,
    action_create,
    action_status_set,
    action_update,
    meeting_agenda_generate,
)

MSG_AGENDA_GENERATED = "Agenda generada con los datos de hoy."

MSG_AGENDAS_REGENERATED = "Agenda regenerada con los datos de hoy en {count} reunión(es)."

MSG_AGENDA_CLOSED_SKIPPED = "{count} reunión(es) con el acta cerrada conservan la agenda con que se celebraron."


class CouncilMeetingAdminForm(forms.ModelForm):
    """The meeting's admin form: its attendees must see its establishment (all of them, for a meeting of every
    establishment), as on /consejo/reuniones/, since the agenda and the minutes are e-mailed to them."""

    def clean(self):
        cleaned = super().clean()
        for name in ("place", "guests", "minutes"):  # no control character reaches the e-mails, PDFs and pages
            if isinstance(cleaned.get(name), str):
                cleaned[name] = printable(cleaned[name]).strip()
        attendees = cleaned.get("attendees")
        if attendees is not None and "establishment" not in self.errors:
            establishment = cleaned.get("establishment")
            if not meeting_attendees_allowed(establishment, [a.pk for a in attendees]):
                self.add_error("attendees", MSG_ATTENDEES)
        return cleaned


def _linked_complaint_str(link) -> str:
    return str(link.complaint)


# The inline prints each row's object above it: the auto-created link model would read
# "ActionItem_complaints object (1)"; it reads as the hoja it links ("Hoja Nº 000000012-2026").
ActionItem.complaints.through.__str__ = _linked_complaint_str  # type: ignore[method-assign]


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
    """An action item's event in words (its data as recorded by council.services)."""
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
    if event.type == ActionItemEvent.Type.UPDATED:
        labels = {f.name: f.verbose_name for f in ActionItem._meta.get_fields() if hasattr(f, "verbose_name")}
        parts = []
        for name, (old, new) in (data.get("changes") or {}).items():
            old, new = (", ".join(v) if isinstance(v, list) else _iso(v) if _is_iso(v) else v for v in (old, new))
            parts.append(f"{labels.get(name, name)}: {old or '—'} → {new or '—'}")
        return "; ".join(parts) + "."
    if event.type == ActionItemEvent.Type.COMPLAINTS_LINKED:
        added, removed = len(data.get("added") or []), len(data.get("removed") or [])
        return f"Hojas vinculadas: {added} agregada(s), {removed} retirada(s)."
    return ""


def _is_iso(value) -> bool:
    try:
        return isinstance(value, str) and date.fromisoformat(value) is not None
    except ValueError:
        return False


class ActionItemEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ActionItemEvent
    verbose_name = "evento"
    verbose_name_plural = "historial"
    fields = ["occurred_at", "type", "actor_name", "summary"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="quién")
    def actor_name(self, obj):
        return person_name(obj.actor) or "Sistema"  # reminders and verdicts are the scheduled jobs'

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

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.scope = Scope.of(request.user)  # a class made for this request: the owners this user may choose
        return form

    def save_model(self, request, obj, form, change):
        """Written by the council's services (each change an event), not by the ModelForm."""
        action = _action_save(request, form, meeting=None)
        obj.pk, obj._state.adding = action.pk, False  # the admin goes on with the saved row
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The causes went through the service in save_model; the events inline is read-only.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # the change log's
            if formset.model is ActionItem.complaints.through:
                kept = [
                    f.cleaned_data["complaint"].pk
                    for f in formset.forms
                    if f.cleaned_data.get("complaint") and not f.cleaned_data.get("DELETE")
                ]
                action_complaints_set(action_id=form.instance.pk, complaint_ids=kept, scope=Scope.of(request.user))


def _action_save(request, form, *, meeting: CouncilMeeting | None) -> ActionItem:
    """An action item form (the admin's or a meeting's decision) saved through the services."""
    data = form.cleaned_data
    scope = Scope.of(request.user)
    if form.instance.pk:
        return action_update(
            action_id=form.instance.pk,
            scope=scope,
            changes={f: data[f] for f in ACTION_DETAIL_FIELDS if f in form.fields},
            causes=data.get("causes"),
            status=data.get("status"),
            implemented_on=data.get("implemented_on"),
        )
    details = {f: data[f] for f in ACTION_DETAIL_FIELDS if f in form.fields}
    if meeting is not None:
        details["meeting"] = meeting
        details.setdefault("establishment", meeting.establishment)  # as /consejo/reuniones/ decides it
    action = action_create(causes=data["causes"], created_by=request.user, **details)
    if data.get("status") and data["status"] != action.status:
        action = action_status_set(
            action=action, status=data["status"], actor=request.user, implemented_on=data.get("implemented_on")
        )
    return action


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

    form = CouncilMeetingAdminForm
    list_display = ["held_on", "attendee_count", "decision_count", "agenda_generated_at", "documents"]
    date_hierarchy = "held_on"
    search_fields = ["minutes", "guests"]
    filter_horizontal = ["attendees"]
    inlines = [DecisionInline]
    actions = ["regenerate_agenda"]
    fieldsets = [
        ("Reunión", {"fields": ["held_on", "starts_at", "place", "establishment", "attendees", "guests", "documents"]}),
        ("Agenda generada con los datos", {"fields": ["agenda_generated_at", "agenda_view"]}),
        ("Acta", {"fields": ["minutes"]}),
    ]
    readonly_fields = ["agenda_generated_at", "agenda_view", "documents"]

    def get_queryset(self, request):
        meetings = (
            super()
            .get_queryset(request)
            .annotate(
                attendees_n=models.Count("attendees", distinct=True),
                decisions_n=models.Count("decisions", distinct=True),
            )
        )
        return Scope.of(request.user).filter(meetings, path="establishment")  # as on /consejo/reuniones/

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.closed_at is not None:
            return False  # its minutes were closed on /consejo/reuniones/: read-only for good
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.closed_at is not None:
            return False  # closed minutes are the council's record
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.filter(closed_at__isnull=True))  # the bulk delete, likewise

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, DecisionInline):  # the owners must see the meeting's establishment
            kwargs["form_kwargs"] = {"meeting": obj, "scope": Scope.of(request.user)}
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "establishment":  # as on /consejo/reuniones/: one of the user's, or all for who sees all
            scope = Scope.of(request.user)
            kwargs["queryset"] = scope.filter(Establishment.objects.all(), path="pk")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            if not scope.is_everything:
                field.required, field.empty_label = True, None
            else:
                field.empty_label = "Todos los establecimientos"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "attendees":  # as on /consejo/reuniones/; the form checks them against the establishment
            kwargs["queryset"] = council_people(scope=Scope.of(request.user))
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
        if not change:  # the meeting's establishment (or all), as /consejo/reuniones/ generates it
            meeting_agenda_generate(meeting=form.instance, scope=meeting_scope(form.instance))
            self.message_user(request, MSG_AGENDA_GENERATED, messages.INFO)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ActionItem:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # the change log's
        for decision in formset.forms:  # decisions cannot be deleted here (can_delete = False)
            if decision.has_changed() and decision.cleaned_data:
                created = decision.instance.pk is None
                action = _action_save(request, decision, meeting=form.instance)
                if created:
                    formset.new_objects.append(action)
                else:
                    formset.changed_objects.append((action, decision.changed_data))

    @admin.action(description="Regenerar agenda con los datos de hoy", permissions=["change"])
    def regenerate_agenda(self, request, queryset):
        """Through the service (meeting locked, in the user's scope, minutes still open, the meeting's own
        establishment); a closed meeting keeps the agenda it was held with."""
        scope = Scope.of(request.user)
        count = closed = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                meeting_agenda_refresh(meeting_id=pk, scope=scope)
            except CouncilError:
                closed += 1
            except (CouncilMeeting.DoesNotExist, PermissionDenied):
                continue
            else:
                count += 1
        if count:
            self.message_user(request, MSG_AGENDAS_REGENERATED.format(count=count), messages.SUCCESS)
        if closed:
            self.message_user(request, MSG_AGENDA_CLOSED_SKIPPED.format(count=closed), messages.WARNING)

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
        meeting = get_object_or_404(self.get_queryset(request), pk=pk)  # another establishment's: a 404
        if not super().has_change_permission(request, meeting):
            raise PermissionDenied
        try:
            meeting_agenda_refresh(meeting_id=meeting.pk, scope=Scope.of(request.user))
        except CouncilError as exc:  # its minutes are closed: it keeps the agenda it was held with
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, MSG_AGENDA_GENERATED, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:reclamaciones_councilmeeting_change", args=[meeting.pk]))
