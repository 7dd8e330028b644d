"""Admin of the API clients (Spanish, scoped like the rest of the admin): a staff user sees the clients of the
providers of their establishments only, and changes, issues tokens for or rotates the secret of only those reaching
no establishment beyond theirs (as the webhook endpoints). Secrets are shown once, on a page of their own, right
after they are created; the admin keeps only their SHA-256."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template import engines
from django.template.response import TemplateResponse

from ..access import Scope, ScopedAdminMixin
from ..book.models import Provider
from .models import ApiClient, ApiToken
from .services import (
    api_client_credentials_set,
    api_client_editable,
    api_client_reach_check,
    api_token_issue,
    api_token_revoke,
)

MSG_ESTABLISHMENT_OTHER_PROVIDER = "Elige solo establecimientos del proveedor del cliente."
MSG_SKIPPED = "{count} cliente(s) no cambiado(s): leen hojas de establecimientos que no atiendes."

_SECRET_TEMPLATE = Path(__file__).with_name("secret_once.html")


def _secret_page(request, *, title: str, items: list[dict]):
    """The page that shows new secrets once (never stored in a message cookie or the session)."""
    template = engines["django"].from_string(_SECRET_TEMPLATE.read_text(encoding="utf-8"))
    context = {**admin.site.each_context(request), "title": title, "items": items}
    return TemplateResponse(request, template, context)


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "provider", "establishments", "is_active"]

    scope: Scope  # set by the admin (get_form)

    def clean(self):
        cleaned = super().clean()
        provider, chosen = cleaned.get("provider"), cleaned.get("establishments")
        if provider is not None and chosen and any(e.provider_id != provider.pk for e in chosen):
            self.add_error("establishments", MSG_ESTABLISHMENT_OTHER_PROVIDER)
        elif provider is not None and chosen is not None:
            try:
                api_client_reach_check(
                    scope=self.scope, provider_id=provider.pk, establishment_ids=[e.pk for e in chosen]
                )
            except ValidationError as exc:
                self._update_errors(exc)
        return cleaned


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    fields = ["kind", "label", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # tokens are created with the action "Crear token estático" (shown once)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=ApiToken.Kind.STATIC)


@admin.register(ApiClient)
class ApiClientAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_path = "provider__establishments"  # a client is seen through its provider's establishments

    form = ApiClientForm
    list_display = ["name", "provider", "client_id", "is_active", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["client_id", "last_used_at", "created_at"]
    filter_horizontal = ["establishments"]
    inlines = [ApiTokenInline]
    actions = ["token_create", "secret_rotate"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider").distinct()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.scope = Scope.of(request.user)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Provider:
            providers = Scope.of(request.user).filter(Provider.objects.all(), path="establishments").distinct()
            kwargs["queryset"] = providers
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return api_client_editable(scope=Scope.of(request.user), client=obj)

    def _editable(self, request, queryset) -> list[ApiClient]:
        """The selected clients the user may change; a warning names how many were left alone."""
        scope = Scope.of(request.user)
        clients = list(queryset)
        editable = [client for client in clients if api_client_editable(scope=scope, client=client)]
        if len(editable) < len(clients):
            self.message_user(request, MSG_SKIPPED.format(count=len(clients) - len(editable)), messages.WARNING)
        return editable

    def save_model(self, request, obj, form, change):
        if not change:
            obj.client_id = ApiClient.client_id_new()
            request._api_secret = api_client_credentials_set(client=obj)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return _secret_page(
            request,
            title=f"Cliente «{obj.name}» creado",
            items=[
                {"label": "client_id", "value": obj.client_id},
                {"label": "client_secret", "value": request._api_secret},
            ],
        )

    @admin.action(description="Crear token estático para los clientes seleccionados", permissions=["change"])
    def token_create(self, request, queryset):
        items = []
        for client in self._editable(request, queryset):
            _token, plain = api_token_issue(client=client, label=f"Creado por {request.user.get_username()}")
            items.append({"label": str(client), "value": plain})
        return _secret_page(request, title="Tokens estáticos creados", items=items) if items else None

    @admin.action(
        description="Generar un nuevo client_secret OAuth2 (el anterior deja de funcionar)", permissions=["change"]
    )
    def secret_rotate(self, request, queryset):
        items = [
            {"label": f"{client} · client_id {client.client_id}", "value": api_client_credentials_set(client=client)}
            for client in self._editable(request, queryset)
        ]
        return _secret_page(request, title="Nuevos client_secret", items=items) if items else None

    def has_delete_permission(self, request, obj=None):
        return False  # its filings point at it: deactivate it instead


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_path = "client__provider__establishments"

    list_display = ["__str__", "client", "kind", "label", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["prefix", "label", "client__name"]
    fields = ["client", "kind", "label", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client__provider").distinct()

    def has_add_permission(self, request):
        return False  # created from the client's page, shown once

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # the list and its action; rows are read-only

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the trail of who used what stays

    @admin.action(description="Revocar los tokens seleccionados", permissions=["change"])
    def revoke(self, request, queryset):
        count = api_token_revoke(token_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Tokens revocados: {count}. Dejan de funcionar desde ahora.", messages.SUCCESS)
