"""The base of every compliance-desk page (/gestion/cumplimiento/): logged in with a staff role (else the login
page or a 403), then the compliance role or an auditor to read, the compliance role to run a tool (auditors
get the read-only 403). Establishments and hojas outside the user's scope do not exist here either (404)."""

from __future__ import annotations

from django.http import HttpResponse

from ..access import StaffRequiredMixin, forbidden

DESK_NAV = "compliance"


class ComplianceReadMixin(StaffRequiredMixin):
    """Pages that show what the desk did: the compliance role and auditors (and superusers)."""

    runs_only = False  # True for the pages and POSTs that run a tool

    def dispatch(self, request, *args, **kwargs):
        # Superusers hold every role (access.staff_roles), so they read and run here too.
        if request.user.is_authenticated and self.scope.roles:
            if not self.scope.reads_compliance:
                return forbidden(request, read_only=True)
            if self.runs_only and not self.scope.runs_compliance:
                return forbidden(request, read_only=True)
        return super().dispatch(request, *args, **kwargs)  # anonymous: login; no role: the 403 without a role

    @property
    def can_run(self) -> bool:
        return self.scope.runs_compliance

    def render(self, template: str, context: dict, *, status: int = 200) -> HttpResponse:
        context.setdefault("nav", DESK_NAV)
        context.setdefault("can_run", self.can_run)
        return super().render(template, context, status=status)


class ComplianceRunMixin(ComplianceReadMixin):
    """Pages and POSTs that run a tool: the compliance role (and superusers)."""

    runs_only = True
