"""Admin of handling: causes and answer templates are editable; answers, offers and survey answers are
read-only records (scoped); staff users carry their profile (establishments) inline."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count

from ..access import ROLE_LABELS, ScopedAdminMixin
from ..records import ReadOnlyAdminMixin
from .models import Cause, Response, ResponseTemplate, SettlementOffer, StaffProfile, SurveyAnswer
from .templates_fill import PLACEHOLDERS, placeholders_help, placeholders_unknown


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


def group_label(group: Group) -> str:
    """A role group by its Spanish name; any other group by its own."""
    return ROLE_LABELS.get(group.name, group.name)


# Django stores a permission's name in English when it creates it ("Can view hoja de reclamación"); the pickers
# of the user and group forms say what it allows in Spanish, from its codename and the model's current name.
PERMISSION_ACTIONS = {"add": "agregar", "change": "modificar", "delete": "eliminar", "view": "ver"}


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        model = obj.content_type.model_class()
        verb, _, model_name = obj.codename.partition("_")
        if model is None or verb not in PERMISSION_ACTIONS or model_name != model._meta.model_name:
            return str(obj)  # a custom permission: its own name
        # What it allows first: the pickers are narrow and cut the end off.
        return f"Puede {PERMISSION_ACTIONS[verb]}: {model._meta.verbose_name} ({model._meta.app_config.verbose_name})"


class SpanishPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in {"permissions", "user_permissions"}:
            kwargs["form_class"] = PermissionChoiceField
            kwargs["queryset"] = db_field.remote_field.model.objects.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# The role groups' names are code (access.Role: "agent", "council"…) and must not be renamed, but people read
# them wherever Django prints a group: the user form's group picker, the users' filter, the groups' pages and
# their history, the recent-actions log. A Spanish label at each of those places would miss the next one, so a
# group prints as its role's Spanish name everywhere; lookups go by name or pk and never by str().
Group.__str__ = group_label  # type: ignore[method-assign]

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(SpanishPermissionsMixin, GroupAdmin):
    """Groups by their Spanish names; a role group keeps its name (the code relies on it) and is never deleted,
    only its permissions change."""

    list_display = ["__str__", "member_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(members_n=Count("user", distinct=True))

    @admin.display(description="personas", ordering="members_n")
    def member_count(self, obj):
        return obj.members_n

    @staticmethod
    def _is_role(obj) -> bool:
        return obj is not None and obj.name in ROLE_LABELS

    def get_fields(self, request, obj=None):
        return ["role", "permissions"] if self._is_role(obj) else ["name", "permissions"]

    def get_readonly_fields(self, request, obj=None):
        return ["role"] if self._is_role(obj) else []

    @admin.display(description="rol")
    def role(self, obj):
        return f"{group_label(obj)} (rol del portal: su nombre no se cambia)"

    def has_delete_permission(self, request, obj=None):
        return not self._is_role(obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would take role groups along; delete others one by one
        return actions


@admin.register(User)
class StaffUserAdmin(SpanishPermissionsMixin, UserAdmin):
    """People, their roles and the establishments they work for: only administrators change them (anyone else
    who could edit a profile could widen their own scope). Viewing follows Django's permission, which the
    autocomplete of a cause's owner needs."""

    inlines = [StaffProfileInline]
    list_display = ["username", "full_name", "roles", "is_active"]  # the e-mail is searched, not listed: room for roles

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="nombre")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description="roles")
    def roles(self, obj):
        return ", ".join(sorted(group_label(g) for g in obj.groups.all())) or "—"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


MSG_TEMPLATE_UNKNOWN_PLACEHOLDERS = (
    "No conocemos {unknown}: escribe solo datos de la lista, tal cual ({known}). Para una parte que completa quien "
    "responde, usa corchetes, p. ej. [motivo]."
)


class ResponseTemplateForm(forms.ModelForm):
    class Meta:
        model = ResponseTemplate
        fields = ["name", "kind", "causes", "body", "is_active"]
        help_texts = {
            "body": (
                "Al usar la plantilla, estos datos se completan con los de la hoja: "
                f"{placeholders_help()}. Si la hoja no tiene el dato, queda tal cual y la vista previa lo avisa. "
                "Lo que escribas entre [corchetes] lo completa quien responde. Sin saludo: el correo ya dice "
                "«Hola, nombre:». Al consumidor le hablamos de «tú»."
            ),
        }

    def clean_body(self):
        body = self.cleaned_data["body"]
        unknown = placeholders_unknown(body)
        if unknown:
            raise forms.ValidationError(
                MSG_TEMPLATE_UNKNOWN_PLACEHOLDERS.format(
                    unknown=", ".join(unknown), known=", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
                ),
                code="unknown_placeholder",
            )
        return body


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    form = ResponseTemplateForm
    list_display = ["name", "kind", "causes_display", "is_active", "updated_at"]
    list_filter = ["is_active", "kind", "causes"]
    search_fields = ["name", "body"]
    filter_horizontal = ["causes"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("causes")

    @admin.display(description="causas")
    def causes_display(self, obj: ResponseTemplate) -> str:
        return ", ".join(cause.code for cause in obj.causes.all()) or "Cualquiera"


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
