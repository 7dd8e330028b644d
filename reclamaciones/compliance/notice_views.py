"""The compliance desk's posters: the list of establishments in scope and each one's Anexo II poster as PDF.
Printing a poster changes nothing, so the compliance role and auditors both read them."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views import View

from ..book.models import Establishment
from .desk import ComplianceReadMixin
from .notices import (
    BOOK_NATURE,
    form_url,
    poster_establishment_get,
    poster_establishment_list,
    poster_filename,
    poster_pdf,
)


class PosterListView(ComplianceReadMixin, View):
    def get(self, request):
        rows = [
            {
                "establishment": e,
                "nature": BOOK_NATURE,
                "form_url": form_url(e),
            }
            for e in poster_establishment_list(scope=self.scope)
        ]
        return self.render("reclamaciones/compliance/posters.html", {"rows": rows})


class PosterPdfView(ComplianceReadMixin, View):
    def get(self, request, pk: int):
        try:
            establishment = poster_establishment_get(scope=self.scope, pk=pk)
        except Establishment.DoesNotExist:
            raise Http404("Establecimiento no encontrado") from None
        response = HttpResponse(poster_pdf(establishment), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{poster_filename(establishment)}"'
        return response
