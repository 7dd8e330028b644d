from django.urls import reverse


def portal(request) -> dict:
    """What every page's header and footer need: the permanent "Libro de Reclamaciones" link (art. 151)."""
    return {"book_url": reverse("reclamaciones:book-index")}
