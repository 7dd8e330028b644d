"""The official legal texts (book.legal) in templates, so the form, the sheet and the PDF print one copy."""

from django import template

from ..book.legal import TEXTS

register = template.Library()


@register.simple_tag
def legal(name: str) -> str:
    """{% legal "reclamo" %}: an official text from reclamaciones.legal (a missing name fails loudly)."""
    return TEXTS[name]
