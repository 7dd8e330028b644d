"""Django autodiscovers this module; each context registers its own model admins, scoped by access.Scope."""

from .api import admin as api_admin  # noqa: F401
from .book import admin as book_admin  # noqa: F401
from .compliance import admin as compliance_admin  # noqa: F401
from .council import admin as council_admin  # noqa: F401
from .deadlines import admin as deadlines_admin  # noqa: F401
from .handling import admin as handling_admin  # noqa: F401
from .handling import followup_admin  # noqa: F401
from .outbox import admin as outbox_admin  # noqa: F401
from .webhooks import admin as webhooks_admin  # noqa: F401
