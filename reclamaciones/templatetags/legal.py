from django import template

from ..legal import TEXTS

register = template.Library()


@register.simple_tag
def legal(name: str) -> str:
    """{% legal "reclamo" %}: an official text from reclamaciones.legal (a missing name fails loudly)."""
    return TEXTS[name]
