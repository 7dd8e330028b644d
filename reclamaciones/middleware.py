"""Request guards shared by the staff areas."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation

# The areas whose filters reach a query straight from the query string (the admin's list filters above all). The
# consumer's pages read theirs through forms and are fuzzed for it (tests/book/test_tracking_fuzz.py).
STAFF_AREAS = ("/admin/", "/gestion/", "/consejo/")


class NulQueryStringMiddleware:
    """A NUL byte in a staff area's query string gets the 400 page before any view reads it: PostgreSQL text
    cannot hold one, so a filter that passes it to a query would fail with a 500. No link of ours carries one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(STAFF_AREAS) and any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise SuspiciousOperation("NUL byte in the query string")
        return self.get_response(request)
