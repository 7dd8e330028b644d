"""Admin of the webhooks, scoped like the rest of the admin: a staff member sees the endpoints of the providers
they work for (and changes only those reaching no establishment beyond theirs), and the deliveries about hojas of
their establishments. The delivery log is read-only; a failed delivery can be sent again. A secret is shown once,
on the page right after it is created or rotated, and never again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from ..access import Scope, ScopedAdminMixin
from ..book.models import Provider
from . import signing
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from .selectors import webhook_endpoints_in, webhook_failed_count
from .services import webhook_endpoint_check, webhook_endpoint_editable, webhook_resend, webhook_secret_rotate

KEY_PAGE = "reclamaciones/webhooks/secret.html"


def _formfield(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # a URL typed without a scheme is an https one
    return field.formfield(**kwargs)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label="Eventos", choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["provider", "description", "url", "events", "establishments", "is_active"]
        formfield_callback = _formfield

    scope: Scope  # set by the admin (get_form)

    def clean(self):
        cleaned = super().clean()
        provider = cleaned.get("provider")
        if provider is not None and not self.errors:
            try:
                webhook_endpoint_check(
                    scope=self.scope,
                    provider=provider,
                    url=cleaned.get("url", ""),
                    events=cleaned.get("events", []),
                    establishment_ids=[e.pk for e in cleaned.get("establishments", [])],
                )
            except ValidationError as exc:
                self._update_errors(exc)
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    # A plain input: the admin's URL widget shows the typed address as a link, even one just refused.
    formfield_overrides = {models.URLField: {"assume_scheme": "https", "widget": forms.URLInput(attrs={"size": 70})}}
    list_display = ["__str__", "provider", "url", "events_display", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    list_select_related = ["provider"]
    readonly_fields = ["previous_secret_until", "created_at", "updated_at"]
    filter_horizontal = ["establishments"]
    actions = ["rotate_secret"]

    @admin.display(description="eventos")
    def events_display(self, obj):
        labels = dict(WebhookEvent.choices)
        return ", ".join(labels.get(e, e) for e in obj.events)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_queryset(self, request):
        # An endpoint belongs to a provider, not to one establishment: seen through any establishment one works
        # for (the mixin's establishment path does not apply).
        return webhook_endpoints_in(scope=Scope.of(request.user)).select_related("provider")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.scope = Scope.of(request.user)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Provider:
            kwargs["queryset"] = Scope.of(request.user).filter(Provider.objects.all(), path="establishments").distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return webhook_endpoint_editable(scope=Scope.of(request.user), endpoint=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # its deliveries are the log of what the store was told: deactivate it instead

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = signing.secret_new()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self._secrets_page(request, [(obj, obj.secret)], rotated=False)

    @admin.action(description="Generar un secreto nuevo (el anterior sigue firmando un tiempo)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        scope = Scope.of(request.user)
        rotated, skipped = [], 0
        for endpoint in queryset:
            if not webhook_endpoint_editable(scope=scope, endpoint=endpoint):
                skipped += 1
                continue
            rotated.append((endpoint, webhook_secret_rotate(scope=scope, endpoint_id=endpoint.pk)))
        if skipped:
            self.message_user(
                request,
                f"{skipped} webhook(s) no cambiado(s): reciben hojas de establecimientos que no atiendes.",
                messages.WARNING,
            )
        if not rotated:
            return None
        return self._secrets_page(request, rotated, rotated=True)

    def _secrets_page(self, request, endpoints, *, rotated: bool):
        context = {
            **self.admin_site.each_context(request),
            "title": "Secreto del webhook",
            "opts": self.model._meta,
            "endpoints": [
                {"endpoint": endpoint, "secret": secret, "until": endpoint.previous_secret_until}
                for endpoint, secret in endpoints
            ],
            "rotated": rotated,
            "signature_header": signing.SIGNATURE_HEADER,
        }
        response = TemplateResponse(request, KEY_PAGE, context)
        add_never_cache_headers(response)  # a secret is never kept by a cache or the back button
        return response


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_path = "complaint__establishment"

    list_display = [
        "created_at",
        "event",
        "endpoint",
        "complaint",
        "status",
        "attempts",
        "last_status_code",
        "short_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["=delivery_id", "endpoint__url"]
    list_select_related = ["endpoint", "complaint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["resend"]

    @admin.display(description="último error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Enviar de nuevo ahora", permissions=["change"])
    def resend(self, request, queryset):
        scope = Scope.of(request.user)
        count = sum(webhook_resend(scope=scope, delivery_pk=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} entrega(s) puesta(s) en cola de nuevo.", messages.SUCCESS)

    def changelist_view(self, request, extra_context=None):
        failed = webhook_failed_count(scope=Scope.of(request.user))
        if failed and request.method == "GET":
            self.message_user(
                request,
                f"{failed} entrega(s) de webhook fallaron tras todos sus reintentos: revisa el último error y "
                "usa «Enviar de nuevo ahora» cuando el receptor funcione.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
