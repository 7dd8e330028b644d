"""The provider's brand of the page being drawn (book.branding): templates/base.html dresses itself with it."""

from __future__ import annotations

from django import template

from ..book.branding import Brand, brand_logo_data_uri, brand_of
from ..book.models import Provider

register = template.Library()


@register.simple_tag(takes_context=True)
def page_brand(context) -> Brand | None:
    """The brand of the provider whose book this page belongs to: the form and the review step name the
    provider, the sheet, tracking, settlement and survey pages the hoja (loaded with its establishment and
    provider: no extra query); the embedded pages carry their establishment on the request."""
    provider = context.get("provider")
    if not isinstance(provider, Provider):
        complaint = context.get("complaint")
        establishment = getattr(complaint, "establishment", None)
        provider = getattr(establishment, "provider", None)
    if not isinstance(provider, Provider):
        mark = getattr(context.get("request"), "embed", None)
        provider = mark.establishment.provider if mark is not None else None
    return brand_of(provider)


@register.simple_tag
def pdf_logo(complaint) -> str:
    """The provider's logo inline (data: URI) for the sheet's PDF header, "" without one. Decoration only: the
    sheet's legal identity is the name and RUC frozen at filing, printed below it. Read from storage once per
    logo (book.branding caches the encoding); no query when the caller loaded the establishment's provider."""
    return brand_logo_data_uri(complaint.establishment.provider)
