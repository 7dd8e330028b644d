"""What every page's header and footer need."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject


def portal(request) -> dict:
    """What every page's header and footer need: the permanent "Libro de Reclamaciones" link (art. 151);
    on admin pages, whether the deadline tracker has gone stale and the alarms in force (shown as warnings)."""
    context = {"book_url": reverse("reclamaciones:book-index")}
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    in_back_office = match is not None and match.namespace == "staff"  # those views show it themselves
    if user is not None and user.is_authenticated and user.is_staff and not in_back_office:
        from .deadlines.services import tracker_status
        from .outbox.alarms import alarm_status

        status = tracker_status()
        context["tracker_stale"], context["tracker_last_run"] = status["stale"], status["last_run_at"]
        context["alarms"] = SimpleLazyObject(alarm_status)  # queried only by pages that show it (the admin's)
    return context
