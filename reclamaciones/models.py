"""Django loads an app's models from this module; each context defines its own (one app label, `reclamaciones`,
so no table was renamed). Import models from their context, not from here. Migration 0001 names
`validate_ruc` and `tracking_token_new` through this module, so they stay reachable here."""

from .api.models import ApiClient, ApiFiling, ApiToken, IdempotencyKey  # noqa: F401
from .audit import PersonalDataAccess  # noqa: F401
from .book.attachment_models import Attachment  # noqa: F401
from .book.models import (  # noqa: F401
    Complaint,
    ComplaintEvent,
    Establishment,
    Provider,
    SheetCounter,
    tracking_token_new,
    validate_ruc,
)
from .compliance.models import (  # noqa: F401
    Anonymisation,
    EvidenceBundle,
    IndecopiRequest,
    RetentionRun,
    SirecExport,
    SirecReport,
)
from .council.models import (  # noqa: F401
    ActionItem,
    ActionItemEvent,
    CouncilMeeting,
    DailyAnswerCount,
    DailyCauseCount,
    DailySurveyCount,
    RollupState,
)
from .deadlines.models import NonWorkingDay, TrackerHeartbeat  # noqa: F401
from .handling.approval_models import ApprovalRequest  # noqa: F401
from .handling.followup_models import RemedyRecord  # noqa: F401
from .handling.models import (  # noqa: F401
    Cause,
    ExportJob,
    Response,
    ResponseTemplate,
    SavedQueueView,
    SettlementOffer,
    StaffProfile,
    SurveyAnswer,
)
from .ops.models import HealthSpan, ProcessHeartbeat  # noqa: F401
from .outbox.models import OutboundMessage  # noqa: F401
from .webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: F401
